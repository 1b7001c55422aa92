"""Stage 6, fusion: how the dense and lexical sides' scores become one ranking, and the
weights that do it, each with the figures it was chosen by. retriever.py applies them."""

from __future__ import annotations

import numpy as np

POOL = 50  # candidates taken from each side before fusion
# Weight of the dense side in the normalised-score fusion. The dense score of a chunk is its best
# sentence's cosine. Rank-1 paragraph hits on XQuAD dev (ru / en): BM25 alone .902/.922, dense
# chunk vectors alone .913/.938, RRF .908/.953, this fusion at w=.5 .938/.959 (chunk vectors),
# at w=.7 with best sentences .959/.976, w=.9 .946/.968.
DENSE_WEIGHT = 0.7
# Between a question and a chunk in different scripts (English question, Russian text) the
# lexical side is BM25 over the question's words translated (bilingual.py); untranslated, it saw
# only digits and Latin names and such chunks ranked by the dense side alone. Rank-1 hits on the
# fitting part (XQuAD articles 0-11), English questions on the Russian articles / Russian on the
# English: dense alone 1.0 .885/.876; translated .95 .891/.910, .9 .929/.922, .85 .932/.929, .8
# .919/.932, .7 .916/-. Held back (articles 12-23) at .85: .842/.855 -> .877/.890.
CROSS_DENSE_WEIGHT = 0.85
# Added to a chunk in the other script per share of the question's borrowed words and names it
# holds ("modernised": "модернизировано", lexical.cognates), over the COGNATE_TOP best chunks.
# English questions on the Russian XQuAD articles 0-11, rank-1 hits: 0 .863, .05 .870, .1 .873,
# .2 .863.
COGNATE_WEIGHT = 0.1
COGNATE_TOP = 20
# When a chunk in the other script is among the SHARED_TOP best, each of them gains this per idf
# share of the question's words it holds in either language (bilingual.shared: as they are,
# translated, as borrowed words or names). A chunk in the question's script finds its words as
# they are and so holds more of them than its translation does: where both are there, it stays
# ahead. Rank-1 hits on the fitting part, English questions on the Russian articles /
# Russian on the English (the share without words spelt alike): 0 .932/.932; .1 .935/.935; .2
# .938/.941; .3 .935/.947; .4 .935/.947; .5 .929/.950 (the top 5, 10 or 20 reweighed alike); as
# built, .935/.950. Held back: .877/.890 -> .894/.894. A question in the script of every chunk
# near the top is not touched; on one index of both languages' articles the same-language
# passage stays first (fitting part, English / Russian questions, .969/.957 -> .963/.960).
# Whether there is an answer at all is still judged on the chunk best before this (Candidate.
# prior, Assistant.evidence): the reweighed best holds the question's words by construction,
# and judged on it fewer absent questions were declined (fitting part, article absent, en-on-ru
# / ru-on-en .73/.67 -> .66/.63).
SHARED_WEIGHT = 0.3
SHARED_TOP = 5
# Across scripts a single sentence's cosine is a noisier witness than within one: such a chunk's
# dense score takes this share of its best sentence's cosine and the rest of its chunk vector's.
# English questions on the Russian XQuAD articles 0-11, rank-1 hits: 1 (best sentence alone)
# .873, .9 .879, .85 .885, .8 .882, .7 .879 (held-back articles 12-23: .826, .839, .842, .845,
# .852). Within one script the chunk vector costs hits (ru .963 -> .960 at .8).
CROSS_SENTENCE_SHARE = 0.85
TOP_SAMPLE = 64  # top_k's sample stride: about TOP_SAMPLE x k scores reach the sample's k-th best


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest of these non-negative scores (unordered), in linear time. Over
    many scores only those reaching the k-th best of every TOP_SAMPLE-th take part: at least k
    scores reach it, so the k highest are among them. 1M BM25 scores of bench/scale.py: 0.4 ms,
    against 7.5 ms to partition all with numpy's AVX-512 argpartition and 2.4 ms with it limited
    to AVX2 (NPY_DISABLE_CPU_FEATURES), as on AVX2-only CPUs. When that floor is 0 (the
    question's words are rare) the non-zero scores take part, and zeros make up the k."""
    sample = scores[::TOP_SAMPLE]
    if len(sample) <= k:
        ids = np.arange(len(scores))
    elif (floor := np.partition(sample, -k)[-k]) > 0:
        ids = np.flatnonzero(scores >= floor)
    else:
        ids = np.flatnonzero(scores)
        if len(ids) < k:  # the first k + len(ids) positions hold at least k zeros
            return np.concatenate([ids, np.setdiff1d(np.arange(k + len(ids)), ids)[: k - len(ids)]])
    return ids if len(ids) <= k else ids[np.argpartition(-scores[ids], k)[:k]]


def fuse(dense: np.ndarray, lexical: np.ndarray, w: float | np.ndarray = DENSE_WEIGHT) -> np.ndarray:
    """Normalised-score fusion over the candidate pool: each side min-max scaled to [0, 1];
    `w` is the dense side's weight, one for all or one per chunk."""
    span = dense.max() - dense.min()
    dn = (dense - dense.min()) / span if span > 0 else np.ones_like(dense)
    top = lexical.max()
    ln = lexical / top if top > 0 else np.zeros_like(lexical)
    return w * dn + (1 - w) * ln
