"""Builds on a real Ray cluster: `ray start --head` with 2 CPUs and a 100 MB object store, bound
to loopback, started by this module and stopped with it (bench/cluster.py). Every cluster build is compared with
a local build of the same folder."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import qa
from bench.cluster import head
from tests.conftest import SEED

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    if importlib.util.find_spec("ray") is None:
        pytest.skip("the qa[ray] extra is not installed (`make test` installs it)")
    with head(2) as address:  # sets Ray's variables before ray is first imported
        import ray

        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the test embedders travel by value
        yield address


def _on(cluster: str, **kw) -> qa.Settings:
    return qa.load_settings(ray_address=cluster, lock_timeout=5, **kw)


def _same(a: Path, b: Path, min_cosine: float = 1.0) -> None:
    """The two indexes have the same chunks and sentence spans, and their sentence vectors agree
    to min_cosine (1.0: identical)."""
    x, y = (
        qa.Retriever.load(p, embedder=qa.HashEmbedder(64) if min_cosine == 1 else None).stored for p in (a, b)
    )
    assert list(x.chunks) == list(y.chunks)
    assert (x.sentence_spans == y.sentence_spans).all()
    u, v = (np.asarray(s.sentence_vectors, np.float32) for s in (x, y))
    if min_cosine == 1:
        assert (u == v).all()
    else:
        cos = (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
        assert cos.min() >= min_cosine


def _folder(path: Path, n: int, topic: str) -> Path:
    path.mkdir()
    for i in range(n):
        (path / f"d{i:03d}.txt").write_text(
            f"Документ {i} про {topic}. Его длина {i * 7} км.\n\nSecond paragraph {i}: it flows north.\n",
            encoding="utf-8",
        )
    return path


class _Recording(qa.HashEmbedder):
    """HashEmbedder (same name and vectors) that writes down every text it embeds."""

    def __init__(self, log: Path):
        super().__init__(64)
        self.log = log

    def embed_documents(self, texts, progress=False):
        with self.log.open("a", encoding="utf-8") as f:
            f.writelines(t + "\n" for t in texts)
        return super().embed_documents(texts, progress)


class _Slow(qa.HashEmbedder):
    """HashEmbedder that takes its time and leaves its process id where the test finds it."""

    def __init__(self, pids: Path):
        super().__init__(64)
        self.pids = pids

    def embed_documents(self, texts, progress=False):
        (self.pids / str(os.getpid())).touch()
        time.sleep(0.5)
        return super().embed_documents(texts, progress)


@pytest.mark.model
def test_the_seed_folder_built_on_the_cluster_matches_a_local_build(cluster, seed_index, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    r = qa.build_index(seeds, tmp_path / "index", settings=_on(cluster))
    assert (r.documents, r.extracted, r.embedded) == (1, 1, r.chunks)
    _same(tmp_path / "index", seed_index, min_cosine=0.9999)


def test_200_documents_then_an_edit_sends_only_that_document(cluster, tmp_path):
    seeds = _folder(tmp_path / "seeds", 200, "реки")
    log = tmp_path / "embedded.txt"
    r = qa.build_index(seeds, tmp_path / "ray", embedder=_Recording(log), settings=_on(cluster))
    assert (r.documents, r.extracted, r.embedded) == (200, 200, 200)
    qa.build_index(seeds, tmp_path / "local", embedder=qa.HashEmbedder(64))
    _same(tmp_path / "ray", tmp_path / "local")
    log.unlink()
    (seeds / "d042.txt").write_text("Документ 42 про озёра.\n\nSecond paragraph 42: it flows north.\n")
    r = qa.build_index(seeds, tmp_path / "ray", embedder=_Recording(log), settings=_on(cluster))
    assert (r.changed, r.extracted, r.embedded) == (("d042.txt",), 1, 1)
    assert log.read_text(encoding="utf-8").splitlines() == ["Документ 42 про озёра."]
    qa.build_index(seeds, tmp_path / "local", embedder=qa.HashEmbedder(64))
    _same(tmp_path / "ray", tmp_path / "local")


def test_a_worker_killed_mid_build_is_retried(cluster, tmp_path):
    seeds = _folder(tmp_path / "seeds", 200, "горы")
    pids = tmp_path / "pids"
    pids.mkdir()
    done = []
    build = threading.Thread(
        target=lambda: done.append(
            qa.build_index(seeds, tmp_path / "ray", embedder=_Slow(pids), settings=_on(cluster))
        )
    )
    build.start()
    deadline = time.monotonic() + 120
    while not any(pids.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    victim = int(next(pids.iterdir()).name)
    os.kill(victim, signal.SIGKILL)
    build.join(300)
    assert done and done[0].documents == 200, "the build did not finish after its worker was killed"
    assert {int(p.name) for p in pids.iterdir()} - {victim}, "no worker took over"
    qa.build_index(seeds, tmp_path / "local", embedder=qa.HashEmbedder(64))
    _same(tmp_path / "ray", tmp_path / "local")


def test_the_command_line_joins_the_running_cluster(cluster, tmp_path):
    seeds = _folder(tmp_path / "seeds", 5, "озёра")
    out = subprocess.run(
        [sys.executable, "-m", "qa", "index", "--seeds", str(seeds), "--index", str(tmp_path / "ray")]
        + ["--model", "hash-64", "--ray", "auto"],
        env={**os.environ, "RAY_ADDRESS": cluster},  # what `auto` finds, as on a machine of the cluster
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("5 documents, 5 chunks, 5 embedded")
    qa.build_index(seeds, tmp_path / "local", embedder=qa.HashEmbedder(64))
    _same(tmp_path / "ray", tmp_path / "local")


def test_the_parsers_limits_of_the_settings_hold_on_the_cluster(cluster, tmp_path):
    from tests import hostile_files

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "three.pdf").write_bytes(hostile_files.pdf_text(pages=3))
    (seeds / "ok.txt").write_text("Обычный документ.", encoding="utf-8")
    r = qa.build_index(
        seeds, tmp_path / "index", embedder=qa.HashEmbedder(64), settings=_on(cluster, pdf_max_pages=2)
    )
    assert [(s.source, s.reason) for s in r.skipped] == [
        ("three.pdf", "3 pages is over the 2-page limit (QA_PDF_MAX_PAGES); split the file")
    ]
