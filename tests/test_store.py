import hashlib
import json

import pytest

import qa
from qa import store


def _version_path(index):
    return index / "versions" / (index / "CURRENT").read_text().split()[0]


def _rewrite_manifest(index, **changes):
    """What a newer qa would have written: a changed manifest with a matching pointer."""
    path = _version_path(index) / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (index / "CURRENT").write_text(f"{path.parent.name}\n{digest}\n")


def test_manifest_describes_the_index(index, fake):
    m = store.read_manifest(index)
    assert m["format_version"] == store.FORMAT_VERSION
    assert (m["model"], m["dim"]) == (fake.name, fake.dim)
    assert m["chunker"] == {"name": "recursive-v1+razdel", "size": 1000, "overlap": 0}
    assert set(m["files"]) == {"ru.txt", "en.md"}
    assert m["files"]["ru.txt"]["date"] == "2021-03-04"
    assert {"vectors.faiss", "chunks.jsonl", "documents.jsonl"} <= set(m["checksums"])


def test_loading_with_another_model_says_how_to_rebuild(index):
    with pytest.raises(qa.IndexMismatch, match="built with model 'hash-64'.*qa index"):
        qa.Retriever.load(index, model="multilingual-e5-small-q4")


def test_newer_format_is_refused(index, fake):
    _rewrite_manifest(index, format_version=store.FORMAT_VERSION + 1)
    with pytest.raises(qa.IndexMismatch, match="format version"):
        qa.Retriever.load(index, embedder=fake)


def test_hnsw_index_of_an_earlier_qa_is_refused(index, fake):
    _rewrite_manifest(index, faiss={"kind": "hnsw", "M": 32, "ef_search": 8192})
    with pytest.raises(qa.IndexMismatch, match="'hnsw'.*qa index"):
        qa.Retriever.load(index, embedder=fake)


def test_edited_manifest_is_detected(index, fake):
    path = _version_path(index) / "manifest.json"
    path.write_text(path.read_text().replace('"dim": 64', '"dim": 65'))
    with pytest.raises(qa.IndexMismatch, match="manifest.*changed after the build"):
        qa.Retriever.load(index, embedder=fake)


def test_chunk_table_not_matching_the_vectors_is_detected(index, fake):
    chunks = _version_path(index) / "chunks.jsonl"
    chunks.write_text(chunks.read_text().splitlines()[0] + "\n")
    with pytest.raises(qa.IndexMismatch, match="damaged"):
        qa.Retriever.load(index, embedder=fake)


def test_damaged_file_is_detected(index, fake):
    f = _version_path(index) / "vectors.faiss"
    f.write_bytes(f.read_bytes()[:-10])
    with pytest.raises(qa.IndexMismatch, match="vectors.faiss.*damaged"):
        qa.Retriever.load(index, embedder=fake)


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(qa.IndexNotFound, match="qa index"):
        qa.Retriever.load(tmp_path / "nothing")


def test_lock_makes_a_second_build_give_up(tmp_path):
    with store.build_lock(tmp_path, 1), pytest.raises(qa.IndexLocked), store.build_lock(tmp_path, 0.3):
        pass


def test_large_index_is_ivf_with_tuned_nprobe(tmp_path, monkeypatch):
    """Above EXACT_MAX chunks the build picks IVF and tunes nprobe on its own vectors; the
    loaded index searches with that nprobe and finds what exact search finds."""
    monkeypatch.setattr(store, "EXACT_MAX", 10)
    monkeypatch.setattr(store, "IVF_TRAIN_PER_LIST", 10)  # 60 chunks: 6 lists
    monkeypatch.setattr(store, "NPROBE_CHOICES", (1, 2, 4))
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for i in range(60):
        (seeds / f"d{i}.txt").write_text(
            f"Документ {i} про тему {i % 7}. Second sentence {i * 13}.", encoding="utf-8"
        )
    qa.build_index(seeds, tmp_path / "index", embedder=qa.HashEmbedder(64))
    info = store.read_manifest(tmp_path / "index")["faiss"]
    assert info["kind"] == "ivf" and info["lists"] == 6 and info["nprobe"] in (1, 2, 4, 6)
    assert info["probe_recall@10"] >= store.TARGET_RECALL or info["nprobe"] == 6
    ret = qa.Retriever.load(tmp_path / "index", embedder=qa.HashEmbedder(64))
    assert ret.stored.vectors.nprobe == info["nprobe"]
    assert ret.search("Документ 41", k=1)[0].source == "d41.txt"


def test_small_index_is_exact(index):
    assert store.read_manifest(index)["faiss"] == {"kind": "flat"}
