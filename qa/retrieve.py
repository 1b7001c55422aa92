"""Stage 6: hybrid retrieval. Dense FAISS inner product (normalised vectors) and BM25 each
propose candidates; their scores are fused into one ranking. The Retriever also serves the
document texts that quotes are cut from."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import store
from .bilingual import shared, translate
from .embedding import Embedder, load_embedder
from .errors import BadQuestion, IndexMismatch, IndexNotFound, QAError
from .lexical import Lexical, cognate_keys, cognates, cyrillic, latin, question_names
from .settings import Settings, load_settings
from .store import dense
from .types import Chunk, Document, Hit

log = logging.getLogger(__name__)

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
TOP_SAMPLE = 64  # _top's sample stride: about TOP_SAMPLE x k scores reach the sample's k-th best
MAX_QUESTION_CHARS = 2000  # longer input is cut: no question needs more, and the model reads 512 tokens


@dataclass(frozen=True, eq=False)
class Candidate:
    """One fused chunk with the evidence behind its rank."""

    index: int  # position in the chunk table
    score: float  # fused
    dense: float  # cosine of the chunk's best sentence to the question (across scripts, see CROSS_SENTENCE_SHARE)
    lexical: float  # BM25 score (of the question translated, for a chunk in the other script)
    sentence_sims: np.ndarray  # cosine similarity of each of the chunk's sentences to the question
    prior: float  # its score before the question's words reweighed the best few (SHARED_WEIGHT)


def clean_question(question: str) -> str:
    if not isinstance(question, str):
        raise BadQuestion("the question must be text")
    q = "".join(ch if ch.isprintable() else " " for ch in question)
    q = " ".join(q.split())[:MAX_QUESTION_CHARS]
    if not any(ch.isalnum() for ch in q):
        raise BadQuestion("the question is empty; type a question with at least one word")
    return q


def model_form(question: str) -> str:
    """The question as the model reads it: opening on a capital letter and closing on a mark,
    as the questions every cosine threshold was fitted on do. Typed in lower case with no "?",
    a question reads nearer to everything, and fewer absent ones were declined. Held-back XQuAD
    questions so typed, near-absent declined ru / en / English on Russian / Russian on English
    (>= .95 answered): as typed .694/.760/.289/.421, in this form .802/.810/.562/.488 (as written,
    with capitals and "?": .769/.835/.570/.496)."""
    q = question[:1].upper() + question[1:]
    return q if q.rstrip("»\"'”)]").endswith(("?", ".", "!", "…")) else f"{q}?"


def _top(scores: np.ndarray, k: int) -> np.ndarray:
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


class Retriever:
    def __init__(self, stored: store.Stored, lexical: Lexical, embedder: Embedder, settings: Settings):
        self.stored, self.lexical, self.embedder, self.settings = stored, lexical, embedder, settings
        self._script: np.ndarray | None = None  # per chunk: 1 Cyrillic, 0 not, -1 not looked at yet

    @classmethod
    def load(
        cls,
        index: str | Path = "index",
        model: str | None = None,
        *,
        embedder: Embedder | None = None,
        settings: Settings | None = None,
    ) -> Retriever:
        """Load the current index version; `model` (or embedder) must match the one it was built with."""
        settings = settings or load_settings(index=index)
        stored = store.load(index, model or (embedder.name if embedder else None))
        stored.read_ahead()
        try:
            lexical = Lexical.load(stored.path)
        except Exception as e:  # files that pass their checksums and still do not parse were forged
            raise IndexMismatch(
                f"index {stored.path}: the lexical index cannot be read ({type(e).__name__}); "
                "rebuild it with `qa index`"
            ) from e
        if embedder is None:
            embedder = load_embedder(stored.manifest["model"], settings=settings)
        return cls(stored, lexical, embedder, settings)

    @property
    def version(self) -> str:
        return self.stored.version

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, made as it is read (the table is memory-mapped)."""
        return self.stored.chunks

    def chunk(self, i: int) -> Chunk:
        return self.stored.chunk(i)

    def document(self, source: str) -> Document:
        return self.stored.document(source)

    def dense_top(self, qvec: np.ndarray) -> np.ndarray:
        """The POOL chunks nearest to the query vector. Exact index: one matrix product over
        FAISS's own storage (10x faster than asking it for all n neighbours). IVF: its search."""
        index = self.stored.vectors
        n = index.ntotal
        if hasattr(index, "get_xb"):
            import faiss

            return _top(faiss.rev_swig_ptr(index.get_xb(), n * index.d).reshape(n, index.d) @ qvec, POOL)
        ids = index.search(qvec.reshape(1, -1), POOL)[1][0]
        return ids[ids >= 0]

    def _cyrillic(self, pool: np.ndarray) -> np.ndarray:
        """Which pooled chunks are in Cyrillic script, looked at once per chunk and remembered."""
        if self._script is None:
            self._script = np.full(self.stored.n_chunks, -1, np.int8)
        for i in pool[self._script[pool] < 0]:
            self._script[i] = cyrillic(self.stored.chunk(int(i)).text)
        return self._script[pool] == 1

    def in_cyrillic(self, i: int) -> bool:
        """Is chunk i in Cyrillic script (lexical.cyrillic, looked at once per chunk)?"""
        return bool(self._cyrillic(np.array([i]))[0])

    def sentence_sims(
        self, pool: np.ndarray, qvec: np.ndarray, chunks: bool = True
    ) -> tuple[list[np.ndarray], np.ndarray | None]:
        """Cosine of each sentence of each pooled chunk, and (when `chunks`) of each chunk's vector
        (the normalised mean of its sentences', as the FAISS index holds it), from one gather of
        the memory map. Only chunks in the question's other script use the latter; the means cost
        0.5 ms a question over XQuAD's pools, the sentence cosines 0.01 ms."""
        first = self.stored.sentence_first
        counts = first[pool + 1] - first[pool]
        starts = np.cumsum(counts) - counts
        idx = np.repeat(first[pool] - starts, counts) + np.arange(counts.sum())
        vectors = np.asarray(self.stored.sentence_vectors[idx], np.float32)
        return np.split(vectors @ qvec, starts[1:]), dense.means(vectors, starts) @ qvec if chunks else None

    def candidates(self, question: str, qvec: np.ndarray | None = None) -> list[Candidate]:
        """Fused candidates, best first."""
        q = clean_question(question)
        if qvec is None:
            qvec = self.embedder.embed_queries([model_form(q)])[0]
        if self.stored.vectors.ntotal == 0:
            return []
        top = self.dense_top(qvec)
        self.stored.prefetch(top)  # read from disk while BM25 scores
        lexical = self.lexical.scores(q)
        best = _top(lexical, POOL) if lexical.any() else np.zeros(0, np.int64)
        self.stored.prefetch(best)
        # the question's words in the other script score the chunks written in it
        translated = self.lexical.stem_scores(translate(q))
        other = _top(translated, POOL) if translated.any() else np.zeros(0, np.int64)
        ru = cyrillic(q)
        other = other[self._cyrillic(other) != ru]
        pool = np.union1d(np.union1d(top, best), other).astype(np.int64)
        # A chunk is as relevant as its best sentence: a long paragraph's one answering sentence
        # is diluted in the paragraph vector (+2-3 points of rank-1 hits, see DENSE_WEIGHT).
        cross = self._cyrillic(pool) != ru
        sims, chunk = self.sentence_sims(pool, qvec, chunks=bool(cross.any()))
        dense = np.array([s.max() for s in sims])  # every chunk has at least one sentence
        if chunk is not None:
            dense = np.where(cross, CROSS_SENTENCE_SHARE * dense + (1 - CROSS_SENTENCE_SHARE) * chunk, dense)
        words = np.where(cross, translated[pool], lexical[pool])
        fused = fuse(dense, words, np.where(cross, CROSS_DENSE_WEIGHT, DENSE_WEIGHT))
        asked = cognate_keys(q) if cross.any() else frozenset()
        for i in np.argsort(-fused)[:COGNATE_TOP] if asked else ():
            if cross[i]:
                fused[i] += COGNATE_WEIGHT * cognates(asked, self.stored.chunk(int(pool[i])).text)
        order = np.argsort(-fused, kind="stable")
        prior, head = fused.copy(), order[:SHARED_TOP]
        texts = {i: self.stored.chunk(int(pool[i])).text for i in head} if cross[head].any() else {}
        # a chunk of digits alone has no script: only letters of the other one call for this
        if any(cross[i] and (not ru or latin(texts[i])) for i in head):
            names = question_names(q)
            for i in head:
                fused[i] += SHARED_WEIGHT * shared(q, texts[i], self.lexical.idf, names)
            order = np.argsort(-fused, kind="stable")
        return [
            Candidate(
                int(pool[i]), float(fused[i]), float(dense[i]), float(words[i]), sims[i], float(prior[i])
            )
            for i in order
        ]

    def hit(self, c: Candidate) -> Hit:
        ch = self.stored.chunk(c.index)
        doc = self.stored.document(ch.source)
        return Hit(
            ch.text,
            ch.source,
            ch.start,
            ch.end,
            ch.line_start,
            ch.line_end,
            round(c.score, 4),
            ch.id,
            doc.date,
            doc.section_at(ch.start),
            doc.page_at(ch.start),
        )

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """The k best chunks for the query."""
        k = k or self.settings.k
        return [self.hit(c) for c in self.candidates(query)[:k]]

    def search_many(self, queries: Sequence[str], k: int | None = None) -> list[list[Hit]]:
        """search for many queries, embedding them in one batch."""
        cleaned = [clean_question(q) for q in queries]
        vecs = self.embedder.embed_queries([model_form(q) for q in cleaned]) if cleaned else []
        k = k or self.settings.k
        return [[self.hit(c) for c in self.candidates(q, v)[:k]] for q, v in zip(cleaned, vecs, strict=True)]


class LiveRetriever:
    """The Retriever of the index's current version, reloaded when a build switches versions.
    Each question takes one Retriever and keeps it, so a question in flight finishes on the
    version it started with while the next one sees the new version. A new version is loaded by
    one background thread, outside any lock the questions take: the question that noticed it
    waits up to RELOAD_WAIT for it, then answers from the version it has (loading a version
    verifies every file's checksum: seconds for a large index)."""

    RELOAD_WAIT = 1.0  # seconds a question waits for a new version before using the previous one

    def __init__(self, index: str | Path, settings: Settings | None = None, embedder: Embedder | None = None):
        self.index, self.settings, self.embedder = (
            Path(index),
            settings or load_settings(index=index),
            embedder,
        )
        self._lock = threading.Lock()  # held only to start a loader, never while loading
        self._current: Retriever | None = None
        self._loader: threading.Thread | None = None
        self._failed: dict[str | None, Exception] = {}  # versions that did not load, and why

    def _version(self) -> str | None:
        try:
            return store.current_version(self.index)
        except OSError:  # an unreadable CURRENT (a tampered index): Retriever.load says why
            return None

    def _load(self) -> None:
        for attempt in range(3):
            version = self._version()
            try:
                self._current = Retriever.load(self.index, embedder=self.embedder, settings=self.settings)
                log.info("loaded index version %s", self._current.version)
                return
            except (IndexMismatch, OSError) as e:
                # A build that finished while we read may have pruned this version: look again.
                # With nothing newer loadable, keep answering from the version we have.
                log.warning("index version %s not loadable yet (%s)", version, e)
                if attempt == 2:
                    self._failed[version] = e
            except Exception as e:  # noqa: BLE001 - kept and raised to the question that waits for it
                self._failed[version] = e
                return

    def get(self) -> Retriever:
        """The current version's Retriever (raises IndexNotFound when there is no index yet)."""
        current, version = self._current, self._version()
        if current is not None and (current.version == version or version in self._failed):
            return current
        with self._lock:
            if self._loader is None or not self._loader.is_alive():
                self._failed.pop(version, None)  # nothing to answer from, or a new version: try it
                self._loader = threading.Thread(target=self._load, name="qa-index-loader", daemon=True)
                self._loader.start()
            loader = self._loader
        loader.join(None if current is None else self.RELOAD_WAIT)
        if self._current is None:
            error = self._failed.get(version)
            if isinstance(error, QAError):
                raise error
            if error is not None:  # a tampered index can fail in ways no check foresaw
                raise IndexMismatch(
                    f"index {self.index} cannot be loaded ({type(error).__name__}: {error}); "
                    "rebuild it with `qa index`"
                ) from error
            raise IndexNotFound(f"no loadable index in {self.index}; build one with `qa index`")
        return self._current
