from dataclasses import replace

import pytest

import qa
from qa import store
from tests.conftest import EN


def test_first_build_report(tmp_path, seeds, fake):
    r = qa.build_index(seeds, tmp_path / "index", embedder=fake)
    expected = qa.BuildReport(
        documents=2,
        chunks=2,
        embedded=2,
        added=("en.md", "ru.txt"),
        version=r.version,
        seconds=r.seconds,
        extracted=2,
    )
    assert r == expected


def test_nothing_changed_writes_nothing(index, seeds, fake):
    r = qa.build_index(seeds, index, embedder=fake)
    assert (r.written, r.embedded, r.unchanged) == (False, 0, ("en.md", "ru.txt"))


def test_add_edit_delete_rename(index, seeds, fake):
    (seeds / "new.txt").write_text("Совсем новый документ про театр.", encoding="utf-8")
    (seeds / "en.md").write_text(EN.replace("twelve", "fifteen"), encoding="utf-8")
    (seeds / "ru.txt").rename(seeds / "renamed.txt")
    r = qa.build_index(seeds, index, embedder=fake)
    assert (r.added, r.changed, r.renamed, r.removed) == (
        ("new.txt",),
        ("en.md",),
        (("ru.txt", "renamed.txt"),),
        (),
    )
    # Only the new file's chunk and the edited paragraph's chunk went through the model.
    assert r.embedded == 2
    (seeds / "new.txt").unlink()
    r = qa.build_index(seeds, index, embedder=fake)
    assert (r.removed, r.embedded) == (("new.txt",), 0)
    ret = qa.Retriever.load(index, embedder=fake)
    assert {c.source for c in ret.chunks} == {"en.md", "renamed.txt"}
    assert any("fifteen" in c.text for c in ret.chunks)


def test_model_change_rebuilds_everything(index, seeds):
    r = qa.build_index(seeds, index, embedder=qa.HashEmbedder(32))
    assert r.rebuilt == "model changed: hash-64 -> hash-32"
    assert r.embedded == r.chunks == 2
    assert r.unchanged == ("en.md", "ru.txt")


def test_chunker_change_rebuilds_everything(index, seeds, fake):
    s = replace(qa.load_settings(), chunk_size=60)
    r = qa.build_index(seeds, index, embedder=fake, settings=s)
    assert r.rebuilt.startswith("chunker settings changed")
    assert r.chunks > 2


def test_previous_versions_are_pruned(index, seeds, fake):
    for word in ("one", "two", "three"):
        (seeds / "x.txt").write_text(f"Document {word}.", encoding="utf-8")
        qa.build_index(seeds, index, embedder=fake)
    assert len(list((index / "versions").iterdir())) == 2
    assert not (index / "tmp").exists()


class _Flaky(qa.HashEmbedder):
    """Dies after a number of model calls, like a build interrupted with Ctrl-C."""

    def __init__(self, calls_before_dying: int):
        super().__init__(64)
        self.left, self.seen = calls_before_dying, 0

    def embed_documents(self, texts, progress=False):
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        self.seen += len(texts)
        return super().embed_documents(texts, progress)


def test_interrupted_build_resumes_without_re_embedding(tmp_path, monkeypatch):
    monkeypatch.setattr("qa.build.assemble.RESUME_BATCH", 10)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for i in range(30):
        (seeds / f"d{i:02d}.txt").write_text(f"Документ {i}. Второе предложение {i}.", encoding="utf-8")
    first = _Flaky(calls_before_dying=3)
    with pytest.raises(KeyboardInterrupt):
        qa.build_index(seeds, tmp_path / "index", embedder=first)
    assert first.seen == 30 and store.current_version(tmp_path / "index") is None
    second = _Flaky(calls_before_dying=100)
    r = qa.build_index(seeds, tmp_path / "index", embedder=second)
    assert second.seen == 60 - 30 and r.documents == 30
    assert not (tmp_path / "index" / "cache").exists()


def test_index_status_notices_changes(index, seeds):
    from qa.build import index_status

    st = index_status(seeds, index)
    assert (st["built"], st["stale"], st["documents"], st["model"]) == (True, False, 2, "hash-64")
    (seeds / "en.md").write_text("changed", encoding="utf-8")
    assert index_status(seeds, index)["stale"] is True
    assert index_status(seeds, index.parent / "none") == {"built": False, "stale": True}


@pytest.fixture
def reads(monkeypatch):
    """The files the build reads and extracts, in order."""
    seen = []
    real = qa.build.stages.read_document

    def spy(path, source, settings=None):
        seen.append(source)
        return real(path, source, settings)

    monkeypatch.setattr(qa.build.stages, "read_document", spy)
    return seen


def test_unchanged_files_are_never_extracted_again(index, seeds, fake, reads):
    """Rebuild clicks with nothing changed are each one quick no-op: no file is read again."""
    for _ in range(5):
        r = qa.build_index(seeds, index, embedder=fake)
        assert (r.written, r.extracted, r.unchanged) == (False, 0, ("en.md", "ru.txt"))
    assert reads == []
    (seeds / "en.md").write_text(EN.replace("twelve", "fifteen"), encoding="utf-8")
    r = qa.build_index(seeds, index, embedder=fake)
    assert (r.changed, r.extracted, r.embedded, reads) == (("en.md",), 1, 1, ["en.md"])
    ret = qa.Retriever.load(index, embedder=fake)
    assert ret.document("ru.txt").text.startswith("date 2021-03-04")  # taken from the previous version
    (seeds / "ru.txt").rename(seeds / "moved.txt")
    r = qa.build_index(seeds, index, embedder=fake)
    assert (r.renamed, r.embedded, reads[-1]) == ((("ru.txt", "moved.txt"),), 0, "moved.txt")


def test_a_skipped_file_is_not_read_again_while_its_bytes_stay(index, seeds, fake, reads):
    (seeds / "binary.txt").write_bytes(bytes(range(256)) * 10)
    r = qa.build_index(seeds, index, embedder=fake)
    assert [(s.source, s.reason) for s in r.skipped] == [("binary.txt", "binary file (NUL bytes)")]
    assert reads == ["binary.txt"]
    r = qa.build_index(seeds, index, embedder=fake)
    assert (r.written, [s.source for s in r.skipped], reads) == (False, ["binary.txt"], ["binary.txt"])
    (seeds / "binary.txt").write_text("Теперь это текст.", encoding="utf-8")
    r = qa.build_index(seeds, index, embedder=fake)
    assert (r.added, r.skipped, reads[-1]) == (("binary.txt",), (), "binary.txt")


def test_files_are_read_inside_the_build_lock(index, seeds, fake, reads):
    """A build waiting for another one reads nothing: it may find nothing left to do."""
    import threading
    import time

    (seeds / "new.txt").write_text("Новый файл.", encoding="utf-8")
    done = []
    with store.build_lock(index, 5):
        t = threading.Thread(target=lambda: done.append(qa.build_index(seeds, index, embedder=fake)))
        t.start()
        time.sleep(1.0)
        assert reads == [] and not done
    t.join(30)
    assert reads == ["new.txt"] and done[0].added == ("new.txt",)


def test_leftovers_in_tmp_are_removed_by_the_next_build(index, seeds, fake):
    (index / "tmp" / "20240101T000000-deadbeef").mkdir(parents=True)
    (index / "tmp" / "20240101T000000-deadbeef" / "sentences.npy").write_bytes(b"\0" * 1000)
    r = qa.build_index(seeds, index, embedder=fake)
    assert not r.written and not (index / "tmp").exists()


def test_damaged_and_planted_cache_parts_are_discarded(tmp_path, monkeypatch):
    """Parts cut short (BadZipFile), emptied (EOFError) or not written by a build (a planted
    vector for a real sentence) are thrown away and their sentences embedded again: the result
    equals a build that was never interrupted."""
    import numpy as np

    from qa.build.cache import text_keys

    monkeypatch.setattr("qa.build.assemble.RESUME_BATCH", 10)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for i in range(30):
        (seeds / f"d{i:02d}.txt").write_text(f"Документ {i}. Второе предложение {i}.", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        qa.build_index(seeds, tmp_path / "index", embedder=_Flaky(calls_before_dying=3))
    parts = sorted((tmp_path / "index" / "cache" / "hash-64").glob("part-*.npz"))
    assert len(parts) == 3
    parts[0].write_bytes(parts[0].read_bytes()[:100])
    parts[1].write_bytes(b"")
    planted = parts[2].with_name("part-" + "0" * 64 + ".npz")
    keys = text_keys([t for i in range(30) for t in (f"Документ {i}.", f"Второе предложение {i}.")])
    np.savez(planted, keys=keys, vectors=np.ones((60, 64), np.float16))
    second = _Flaky(calls_before_dying=100)
    qa.build_index(seeds, tmp_path / "index", embedder=second)
    assert second.seen == 60 - 10  # only the intact part was used
    qa.build_index(seeds, tmp_path / "clean", embedder=qa.HashEmbedder(64))
    got, want = (
        qa.Retriever.load(tmp_path / n, embedder=qa.HashEmbedder(64)).stored for n in ("index", "clean")
    )
    assert (np.asarray(got.sentence_vectors) == np.asarray(want.sentence_vectors)).all()


@pytest.mark.parametrize("where", ["sentence vectors", "faiss"])
def test_a_full_disk_gives_one_line_and_keeps_the_previous_version(
    index, seeds, fake, monkeypatch, capsys, where
):
    import errno
    import os

    import faiss

    def full(*a, **k):
        if where == "faiss":
            raise RuntimeError("Error in faiss::FileIOWriter: write error: No space left on device")
        raise OSError(errno.ENOSPC, "No space left on device")

    before = store.current_version(index)
    (seeds / "more.txt").write_text("Ещё один документ про реки.", encoding="utf-8")
    monkeypatch.setattr(faiss, "write_index", full) if where == "faiss" else monkeypatch.setattr(
        os, "pwrite", full
    )
    with pytest.raises(qa.DiskFull, match=r"^disk full: \d+ MB needed in .*index \(\d+ MB free\)"):
        qa.build_index(seeds, index, embedder=fake)
    assert store.current_version(index) == before and not (index / "tmp").exists()
    assert len(qa.Retriever.load(index, embedder=fake).chunks) == 2
    from qa.cli import main

    assert main(["index", "--seeds", str(seeds), "--index", str(index), "--model", "hash-64"]) == 2
    err = capsys.readouterr().err  # after the progress bar, one line
    assert err.split("\n")[-2].startswith("qa: disk full: ") and "Traceback" not in err
