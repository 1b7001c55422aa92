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
