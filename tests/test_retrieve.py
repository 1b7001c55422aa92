import numpy as np
import pytest

import qa
from qa.retrieve import clean_question, fuse
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
    from qa.retrieve import CROSS_SENTENCE_SHARE as share

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
