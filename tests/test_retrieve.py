import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qa
from qa.retrieve import clean_question, model_form
from qa.retrieve.fusion import TOP_SAMPLE, fuse, top_k
from tests.conftest import assert_exact


def test_search_returns_exact_hits(retriever):
    hits = retriever.search("сколько книг хранится в библиотеке", k=2)
    assert hits[0].source == "ru.txt" and "библиотеку" in hits[0].text
    assert hits[0].date == "2021-03-04"
    for h in hits:
        assert_exact(h, retriever)
    assert hits[0].score >= hits[1].score


def test_search_many_matches_search(retriever):
    qs = ["museum paintings", "мост через реку"]
    assert retriever.search_many(qs, k=2) == [retriever.search(q, k=2) for q in qs]


def test_the_model_reads_a_question_as_written():
    # the cosine thresholds were fitted on questions with a capital and a question mark
    assert model_form("how many plants were modernised") == "How many plants were modernised?"
    assert model_form("сколько стоит?") == "Сколько стоит?"
    assert model_form("Tell me about the plant.") == "Tell me about the plant."
    assert model_form("«Кто такой Бекенов?»") == "«Кто такой Бекенов?»"


@pytest.mark.parametrize("bad", ["", "   ", "?!...", "\x00\x01"])
def test_empty_questions_are_refused(retriever, bad):
    with pytest.raises(qa.BadQuestion, match="empty"):
        retriever.search(bad)


def test_clean_question_bounds_and_strips_control_characters():
    assert clean_question("a\x00b\tc\n d") == "a b c d"
    assert len(clean_question("слово " * 50_000)) == 2000


def test_fuse_scales_each_side():
    dense = np.array([0.9, 0.8, 0.7], np.float32)
    lexical = np.array([0.0, 10.0, 5.0], np.float32)
    out = fuse(dense, lexical, w=0.5)
    assert np.allclose(out, [0.5, 0.75, 0.25])


def test_chunk_cosines_are_those_of_the_faiss_chunk_vectors(retriever):
    import faiss

    index = retriever.stored.vectors
    xb = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
    qvec = retriever.embedder.embed_queries(["мост через реку"])[0]
    pool = np.arange(index.ntotal)
    sims, chunk = retriever.sentence_sims(pool, qvec)
    assert np.allclose(chunk, xb @ qvec, atol=1e-5)
    assert [len(s) for s in sims] == [len(retriever.stored.sentences_of(i)) for i in pool]


def test_a_chunk_in_the_other_script_scores_by_its_sentence_and_its_chunk_vector(retriever):
    from qa.retrieve.fusion import CROSS_SENTENCE_SHARE as share

    q = "museum paintings"  # Latin script: the Russian chunks are the other script
    qvec = retriever.embedder.embed_queries([q])[0]
    cands = retriever.candidates(q)
    ru = retriever._cyrillic(np.array([c.index for c in cands]))
    assert ru.any() and not ru.all()
    for c, other in zip(cands, ru, strict=True):
        _, chunk = retriever.sentence_sims(np.array([c.index]), qvec)
        best = c.sentence_sims.max()
        want = share * best + (1 - share) * chunk[0] if other else best
        assert c.dense == pytest.approx(float(want), abs=1e-6)


@given(
    st.integers(0, 20 * TOP_SAMPLE * 60),
    st.integers(1, 60),
    st.integers(1, 1000),
    st.sampled_from([0.5, 0.002]),
    st.integers(0, 2**32 - 1),
)
def test_top_finds_the_k_highest_scores(n, k, levels, share, seed):
    """Also over many scores, where only those reaching a sample's k-th best are partitioned;
    few levels make many ties and zeros, as BM25 gives; a small share of non-zero scores (rare
    words) leaves the sample's k-th best at 0."""
    rng = np.random.default_rng(seed)
    scores = (rng.integers(0, levels, n) * (rng.random(n) < share)).astype(np.float32)
    got = top_k(scores, k)
    assert len(set(got.tolist())) == len(got) == min(n, k)
    assert sorted(scores[got]) == sorted(scores)[n - len(got) :]


def test_what_a_question_reads_was_asked_for_first(retriever, monkeypatch):
    """Every sentence-vector and chunk-text read of a question was preceded by a read-ahead
    request covering it, so the reads wait for the disk together, not one after another."""
    asked, reads = [], []
    fadvise, pread = os.posix_fadvise, os.pread

    def record_fadvise(fd, offset, length, advice):
        asked.append((fd, offset, offset + length))
        return fadvise(fd, offset, length, advice)

    def record_pread(fd, n, offset):
        reads.append((fd, offset, offset + n, len(asked)))
        return pread(fd, n, offset)

    q = "сколько книг хранится в библиотеке"
    # One chunk from each side: the dense side's is asked for before BM25 scores, BM25's after.
    monkeypatch.setattr(qa.retrieve.retriever, "POOL", 1)
    lexical_best = int(top_k(retriever.lexical.scores(q), 1)[0])
    monkeypatch.setattr(retriever, "dense_top", lambda qvec: np.array([1 - lexical_best]))
    monkeypatch.setattr(os, "posix_fadvise", record_fadvise)
    monkeypatch.setattr(os, "pread", record_pread)
    watched = {retriever.stored.sentence_vectors.fd, retriever.stored.documents.texts.fd}
    assert len(retriever.candidates(q)) == 2
    assert {fd for fd, *_ in reads} == watched
    for fd, a, b, before in reads:
        covered = np.zeros(b - a, bool)
        for f, x, y in asked[:before]:
            if f == fd:
                covered[max(x, a) - a : max(min(y, b) - a, 0)] = True
        assert covered.all(), (fd, a, b)
