"""Builds for a server run in a lower-priority child process with its own model."""

from __future__ import annotations

import dataclasses

import pytest

import qa
from qa import background


def test_a_background_build_reports_like_build_index(tmp_path, seeds):
    settings = qa.load_settings(seeds=seeds, index=tmp_path / "index", model="hash-64", build_nice=0)
    steps = []
    r = background.build(settings, lambda fraction, what: steps.append((what, fraction)))
    assert (r.documents, r.chunks, r.embedded, r.added) == (2, 2, 2, ("en.md", "ru.txt"))
    assert steps and steps[-1][1] == 1.0  # tqdm's bars, as they move
    (seeds / "ru.txt").rename(seeds / "renamed.txt")
    (seeds / "bad.docx").write_bytes(b"not a zip")
    again = background.build(settings)
    assert again.renamed == (("ru.txt", "renamed.txt"),) and again.embedded == 0
    assert again.skipped == (qa.Skipped("bad.docx", again.skipped[0].reason),)
    assert qa.Retriever.load(settings.index, embedder=qa.HashEmbedder(64)).version == again.version


def test_a_failed_background_build_is_one_line(tmp_path):
    settings = qa.load_settings(
        seeds=tmp_path / "missing", index=tmp_path / "index", model="hash-64", build_nice=0
    )
    with pytest.raises(qa.QAError, match="documents folder .*missing does not exist"):
        background.build(settings)
    crash = dataclasses.replace(settings, seeds=tmp_path, chunk_size=10)  # not a QAError in the child
    (tmp_path / "a.txt").write_text("Текст.", encoding="utf-8")
    with pytest.raises(
        qa.QAError, match=r"^the build failed \(exit code 1: .*\); details are in the server log$"
    ):
        background.build(crash)
