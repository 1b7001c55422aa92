from dataclasses import replace

import pytest

import qa
from qa import store
from tests.conftest import EN


def test_first_build_report(tmp_path, seeds, fake):
    r = qa.build_index(seeds, tmp_path / "index", embedder=fake)
    expected = qa.BuildReport(
        documents=2, chunks=2, embedded=2, added=("en.md", "ru.txt"), version=r.version, seconds=r.seconds
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
    monkeypatch.setattr("qa.build.RESUME_BATCH", 10)
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
