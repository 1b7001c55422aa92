"""The index follows seeds/: watch mode, hot reload, concurrent builds, and a real build
process killed with SIGKILL midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import qa
from qa import store
from qa.build import watch
from qa.retrieve import LiveRetriever


def test_concurrent_build_waits_or_gives_up(index, seeds, fake):
    settings = qa.load_settings(lock_timeout=0.3)
    with store.build_lock(index, 5), pytest.raises(qa.IndexLocked, match="another build"):
        (seeds / "x.txt").write_text("Новый.", encoding="utf-8")
        qa.build_index(seeds, index, embedder=fake, settings=settings)
    # Two builds at once: the second waits for the first; both finish and the index is whole.
    (seeds / "y.txt").write_text("Ещё один.", encoding="utf-8")
    errors = []

    def build():
        try:
            qa.build_index(seeds, index, embedder=fake)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert {c.source for c in qa.Retriever.load(index, embedder=fake).chunks} == {
        "en.md",
        "ru.txt",
        "x.txt",
        "y.txt",
    }


def test_live_retriever_switches_versions_between_questions(index, seeds, fake):
    live = LiveRetriever(index, embedder=fake)
    before = live.get()
    assert live.get() is before  # no reload while nothing changed
    (seeds / "ru.txt").unlink()
    (seeds / "zoo.txt").write_text("В зоопарке живут три жирафа.", encoding="utf-8")
    qa.build_index(seeds, index, embedder=fake)
    after = live.get()
    assert after.version != before.version
    a = qa.Assistant(after).ask("Сколько жирафов в зоопарке?")
    assert a.quotes[0].source == "zoo.txt"
    assert all(q.source != "ru.txt" for q in qa.Assistant(after).ask("библиотека книги").quotes)
    # A question that started on the old version still reads it whole.
    assert before.document("ru.txt").text.startswith("date 2021-03-04")


def test_watch_syncs_after_a_change(tmp_path, seeds):
    index = tmp_path / "index"
    stop = threading.Event()
    reports = []
    t = threading.Thread(
        target=watch,
        args=(seeds, index),
        kwargs={
            "settings": qa.load_settings(seeds=seeds, index=index, model="hash-64"),
            "on_report": reports.append,
            "stop_event": stop,
            "debounce_ms": 200,
        },
    )
    t.start()
    deadline = time.monotonic() + 20
    while not reports and time.monotonic() < deadline:
        time.sleep(0.1)
    (seeds / "new.txt").write_text("Свежий документ.", encoding="utf-8")
    while len(reports) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    t.join(10)
    assert not t.is_alive()
    assert reports[0].added == ("en.md", "ru.txt")
    assert reports[1].added == ("new.txt",) and reports[1].embedded == 1


def test_kill_9_mid_build_leaves_the_previous_index(tmp_path, fake):
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    (seeds / "first.txt").write_text("Первая версия индекса.", encoding="utf-8")
    qa.build_index(seeds, index, embedder=fake)
    previous = store.current_version(index)
    for i in range(3000):
        (seeds / f"doc{i:04d}.txt").write_text(
            f"Документ номер {i} про мосты, реки и города. " * 5, encoding="utf-8"
        )
    code = f"import qa; qa.build_index({str(seeds)!r}, {str(index)!r}, model='hash-64')"
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while not (index / "tmp").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert proc.poll() is None, "the build finished before it could be killed; make the corpus bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert store.current_version(index) == previous
    ret = qa.Retriever.load(index, embedder=fake)
    assert [c.source for c in ret.chunks] == ["first.txt"]
    r = qa.build_index(seeds, index, embedder=fake)  # the lock died with the process
    assert r.documents == 3001 and store.current_version(index) != previous
    assert not (index / "tmp").exists()


def test_questions_keep_answering_while_a_new_version_loads(index, seeds, fake, monkeypatch):
    """Loading a new version (checksums of every file: seconds for a large index) held the
    LiveRetriever's lock, and every question waited for it (20.3 s in the review)."""
    live = LiveRetriever(index, embedder=fake)
    old = live.get()
    (seeds / "zoo.txt").write_text("В зоопарке живут три жирафа.", encoding="utf-8")
    qa.build_index(seeds, index, embedder=fake)
    release, real_load = threading.Event(), qa.Retriever.load.__func__

    def slow_load(cls, *args, **kwargs):
        release.wait(30)
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(qa.Retriever, "load", classmethod(slow_load))
    answered = []

    def ask():
        r = live.get()
        answered.append((r.version, qa.Assistant(r).ask("Сколько книг в библиотеке?").found))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    waited = time.perf_counter() - t
    release.set()
    assert answered == [(old.version, True)] * 4 and waited < 5
    deadline = time.monotonic() + 10
    while live.get().version == old.version and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.get().version == store.current_version(index) != old.version
