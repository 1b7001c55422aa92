"""Token-budget batching in SentenceTransformerEmbedder: every text once, shortest first, and no
batch padded past the budget (a lone text longer than the budget gets its own batch)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qa.embedding import SentenceTransformerEmbedder


class _Lengths:
    """Stands in for a model's first module: a text's token count is its length."""

    def token_lengths(self, texts):
        return [len(t) for t in texts]


class _Model(list):
    def get_embedding_dimension(self):
        return 4


@given(st.lists(st.text(alphabet="ab", min_size=1, max_size=60), max_size=80), st.integers(8, 200))
def test_batches_cover_every_text_within_the_budget(texts, budget):
    emb = SentenceTransformerEmbedder(_Model([_Lengths()]), "fake", budget)
    batches = emb.batches(texts)
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))
    order = [len(texts[i]) for b in batches for i in b]
    assert order == sorted(order)
    for b in batches:
        assert len(b) == 1 or len(b) * max(len(texts[i]) for i in b) <= budget


def test_batches_group_short_texts():
    emb = SentenceTransformerEmbedder(_Model([_Lengths()]), "fake", 100)
    assert emb.batches(["x" * 10] * 10 + ["y" * 90]) == [list(range(10)), [10]]
