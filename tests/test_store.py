import hashlib
import json
import mmap
import os
import shutil
import threading

import numpy as np
import pytest

import qa
from qa import store
from qa.build import CHUNKER
from qa.documents import read_document
from qa.store.tables import RowFile, Texts
from tests.conftest import RU


def _version_path(index):
    return index / "versions" / (index / "CURRENT").read_text().split()[0]


def _sign(index, manifest: dict) -> None:
    """Write the manifest and point CURRENT at it, as a build would."""
    path = _version_path(index) / "manifest.json"
    path.write_text(json.dumps(manifest))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (index / "CURRENT").write_text(f"{path.parent.name}\n{digest}\n")


def _rewrite_manifest(index, **changes):
    """What a newer qa would have written: a changed manifest with a matching pointer."""
    path = _version_path(index) / "manifest.json"
    _sign(index, {**json.loads(path.read_text()), **changes})


def _forge(index, rel: str, data: bytes) -> None:
    """Replace a file of the current version and recompute every checksum: damage that the
    checksums cannot catch, so the loader itself must."""
    version = _version_path(index)
    (version / rel).write_bytes(data)
    m = json.loads((version / "manifest.json").read_text())
    m["checksums"][rel] = hashlib.sha256(data).hexdigest()
    m.setdefault("sizes", {})[rel] = len(data)
    _sign(index, m)


def test_manifest_describes_the_index(index, fake):
    m = store.read_manifest(index)
    assert m["format_version"] == store.FORMAT_VERSION == 2
    assert (m["model"], m["dim"]) == (fake.name, fake.dim)
    assert m["chunker"] == {"name": CHUNKER, "size": 1000, "overlap": 0}
    assert set(m["files"]) == {"ru.txt", "en.md"}
    assert m["files"]["ru.txt"]["date"] == "2021-03-04"
    assert (m["files"]["ru.txt"]["chars"], m["files"]["ru.txt"]["chunks"]) == (len(RU), 1)
    assert m["counts"] == {"documents": 2, "chunks": 2, "sentences": 9}
    files = {
        "vectors.faiss",
        "chunks.npy",
        "documents.jsonl",
        "texts.bin",
        "sentences.npy",
        "sentence_keys.npy",
    }
    assert files <= set(m["checksums"]) == set(m["sizes"])


def test_a_version_is_mapped_not_read_into_objects(retriever):
    st = retriever.stored
    for arr in (st.chunks.rows, st.sentence_first, st.sentence_spans):
        while isinstance(arr, np.ndarray) and arr.base is not None:
            arr = arr.base
        assert isinstance(arr.obj if isinstance(arr, memoryview) else arr, mmap.mmap)
    assert isinstance(st.sentence_vectors, RowFile) and isinstance(st.documents.texts, Texts)


def test_documents_and_chunks_come_back_whole(index, seeds, retriever):
    """Every Document field survives (the markdown file has sections); every chunk's text is its
    document's text at its offsets, across multi-byte characters."""
    for source in ("en.md", "ru.txt"):
        assert retriever.document(source) == read_document(seeds / source, source)
    for c in retriever.chunks:
        assert retriever.document(c.source).text[c.start : c.end] == c.text
    assert list(retriever.chunks) == retriever.chunks[:] == retriever.chunks


def test_offsets_survive_any_characters(tmp_path, fake):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    text = "Ёлка 🎄 stands. " * 40 + "\n\n" + "Ünïcödé — ok? 😀 да. " * 60 + "\n\nend"
    (seeds / "mix.txt").write_text(text, encoding="utf-8")
    qa.build_index(seeds, tmp_path / "index", embedder=fake, settings=qa.load_settings(chunk_size=200))
    ret = qa.Retriever.load(tmp_path / "index", embedder=fake)
    assert len(ret.chunks) > 5
    for c in ret.chunks:
        assert text[c.start : c.end] == c.text
    st = ret.stored
    for i in range(st.n_chunks):
        c = st.chunk(i)
        for a, b in st.sentence_spans[st.sentences_of(i).start : st.sentences_of(i).stop]:
            assert c.start <= a < b <= c.end


def test_loading_with_another_model_says_how_to_rebuild(index):
    with pytest.raises(qa.IndexMismatch, match="built with model 'hash-64'.*qa index"):
        qa.Retriever.load(index, model="multilingual-e5-small-q4")


@pytest.mark.parametrize("fmt", [1, store.FORMAT_VERSION + 1])
def test_another_format_is_refused_and_rebuilt(index, seeds, fake, fmt):
    _rewrite_manifest(index, format_version=fmt)
    with pytest.raises(qa.IndexMismatch, match="format version.*qa index"):
        qa.Retriever.load(index, embedder=fake)
    r = qa.build_index(seeds, index, embedder=fake)
    assert r.rebuilt == f"index format {fmt} -> {store.FORMAT_VERSION}" and r.written
    assert len(qa.Retriever.load(index, embedder=fake).chunks) == 2


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
    rows = np.load(_version_path(index) / "chunks.npy")
    path = index / "short.npy"
    np.save(path, rows[:1])
    _forge(index, "chunks.npy", path.read_bytes())
    with pytest.raises(qa.IndexMismatch, match="do not match.*qa index"):
        qa.Retriever.load(index, embedder=fake)


def test_damaged_file_is_detected(index, fake):
    f = _version_path(index) / "vectors.faiss"
    f.write_bytes(f.read_bytes()[:-10])
    with pytest.raises(qa.IndexMismatch, match="vectors.faiss.*damaged"):
        qa.Retriever.load(index, embedder=fake)


def test_changed_text_is_detected_at_every_load(index, fake):
    f = _version_path(index) / "texts.bin"
    f.write_bytes(f.read_bytes().replace("сорок".encode(), "сто".encode().ljust(10, b" ")))
    with pytest.raises(qa.IndexMismatch, match="texts.bin.*damaged"):
        qa.Retriever.load(index, embedder=fake)


def test_changed_vectors_are_caught_by_the_build_that_reuses_them(index, seeds, fake):
    """Vectors are checked by size at load (hashing them is most of a large load) and by
    checksum before a build copies them."""
    f = _version_path(index) / "sentences.npy"
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF
    f.write_bytes(bytes(data))
    qa.Retriever.load(index, embedder=fake)
    with pytest.raises(qa.IndexMismatch, match="sentences.npy.*damaged"):
        store.verify_bulk(store.load(index), "sentences.npy")
    r = qa.build_index(seeds, index, embedder=fake)  # nothing to do: the vectors are not read
    assert r.written is False and not r.rebuilt
    (seeds / "x.txt").write_text("Новый документ.", encoding="utf-8")
    r = qa.build_index(seeds, index, embedder=fake)
    assert r.rebuilt.startswith("previous index unusable") and r.embedded == r.chunks
    assert r.added == ("x.txt",)


def test_forged_files_give_one_clear_error(tmp_path, index, fake):
    """Each file of a version replaced by garbage (or cut in half) with its checksum recomputed:
    loading says the index is damaged and how to rebuild, whatever the file."""
    pristine = tmp_path / "pristine"
    shutil.copytree(index, pristine)
    files = sorted(
        p.relative_to(_version_path(pristine)).as_posix()
        for p in _version_path(pristine).rglob("*")
        if p.is_file() and p.name != "manifest.json"
    )
    assert len(files) >= 10
    for rel in files:
        original = (_version_path(pristine) / rel).read_bytes()
        for data in (b"\x93NUMPY garbage {'x': 1}\n" * 3, original[: len(original) // 2]):
            shutil.rmtree(index)
            shutil.copytree(pristine, index)
            _forge(index, rel, data)
            with pytest.raises(qa.IndexMismatch, match="qa index"):
                qa.Assistant(qa.Retriever.load(index, embedder=fake)).ask("Сколько книг в библиотеке?")


@pytest.mark.parametrize("pointer", ["/etc", "../../outside", "versions/../x", "", "\x00"])
def test_current_naming_anything_but_a_version_is_refused(tmp_path, index, fake, pointer):
    outside = tmp_path / "outside"
    shutil.copytree(_version_path(index), outside)  # a whole valid version, but not in index/versions
    digest = hashlib.sha256((outside / "manifest.json").read_bytes()).hexdigest()
    target = str(outside) if pointer == "/etc" else pointer
    (index / "CURRENT").write_text(f"{target}\n{digest}\n")
    with pytest.raises(qa.IndexMismatch, match="CURRENT names .* not a version inside .*versions"):
        qa.Retriever.load(index, embedder=fake)


def test_current_as_a_folder_is_refused_and_replaced_by_the_next_build(index, seeds, fake):
    (index / "CURRENT").unlink()
    (index / "CURRENT").mkdir()
    with pytest.raises(qa.IndexMismatch, match="CURRENT is not an index pointer"):
        qa.Retriever.load(index, embedder=fake)
    r = qa.build_index(seeds, index, embedder=fake)
    assert r.rebuilt.startswith("previous index unusable") and (index / "CURRENT").is_file()
    assert len(qa.Retriever.load(index, embedder=fake).chunks) == 2


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(qa.IndexNotFound, match="qa index"):
        qa.Retriever.load(tmp_path / "nothing")


def test_lock_makes_a_second_build_give_up(tmp_path):
    with store.build_lock(tmp_path, 1), pytest.raises(qa.IndexLocked), store.build_lock(tmp_path, 0.3):
        pass


def test_large_index_is_ivf_with_tuned_nprobe(tmp_path, monkeypatch):
    """Above EXACT_MAX chunks the build picks IVF and tunes nprobe on its own vectors; the
    loaded index searches with that nprobe and finds what exact search finds."""
    monkeypatch.setattr(store.dense, "EXACT_MAX", 10)
    monkeypatch.setattr(store.dense, "IVF_TRAIN_PER_LIST", 10)  # 60 chunks: 6 lists
    monkeypatch.setattr(store.dense, "NPROBE_CHOICES", (1, 2, 4))
    monkeypatch.setattr(store.dense, "BLOCK", 16)  # vectors read in several blocks
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for i in range(60):
        (seeds / f"d{i}.txt").write_text(
            f"Документ {i} про тему {i % 7}. Second sentence {i * 13}.", encoding="utf-8"
        )
    qa.build_index(seeds, tmp_path / "index", embedder=qa.HashEmbedder(64))
    info = store.read_manifest(tmp_path / "index")["faiss"]
    assert info["kind"] == "ivf" and info["lists"] == 6 and info["nprobe"] in (1, 2, 4, 6)
    assert info["probe_recall@10"] >= store.dense.TARGET_RECALL or info["nprobe"] == 6
    asked, fadvise = [], os.posix_fadvise
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, *a: asked.append(a) or fadvise(fd, *a))
    monkeypatch.setattr(store, "READ_AHEAD_STEP", 4096)
    ret = qa.Retriever.load(tmp_path / "index", embedder=qa.HashEmbedder(64))
    for t in threading.enumerate():
        if t.name == "qa-read-ahead":
            t.join()
    # The IVF lists (which a question scans many of) are read ahead, the whole file, in steps.
    size = (_version_path(tmp_path / "index") / store.FAISS_FILE).stat().st_size
    assert asked == [(a, min(4096, size - a), os.POSIX_FADV_WILLNEED) for a in range(0, size, 4096)]
    asked.clear()  # a build with nothing to do searches nothing, so reads nothing ahead
    assert not qa.build_index(seeds, tmp_path / "index", embedder=qa.HashEmbedder(64)).written
    assert not [t for t in threading.enumerate() if t.name == "qa-read-ahead"] and asked == []
    assert ret.stored.vectors.nprobe == info["nprobe"]
    assert ret.search("Документ 41", k=1)[0].source == "d41.txt"


def test_chunk_vectors_are_the_mean_of_their_sentences(retriever):
    st = retriever.stored
    index = st.vectors
    for i in range(st.n_chunks):
        r = st.sentences_of(i)
        v = np.asarray(st.sentence_vectors[r.start : r.stop], np.float32).mean(axis=0)
        np.testing.assert_allclose(index.reconstruct(i), v / np.linalg.norm(v), atol=1e-6)


def test_small_index_is_exact(index):
    assert store.read_manifest(index)["faiss"] == {"kind": "flat"}
