"""Replicas: two web chat processes serve one index folder; after a rebuild both answer from the
new version without a restart (each follows CURRENT; the version's files are memory-mapped, so
the two share their pages)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import qa
from bench.load import QUESTION, code_doc, start_app

pytestmark = pytest.mark.slow


def test_two_replicas_follow_a_rebuild(tmp_path):
    from gradio_client import Client

    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    (seeds / "code.txt").write_text(code_doc("1111"), encoding="utf-8")
    first = qa.build_index(seeds, index, model="hash-64")  # the replicas load the model the index names
    started: list = []
    commands = ([sys.executable, "-m", "qa", "serve"], None)  # `qa serve` and app.py, as the README says
    threads = [
        threading.Thread(target=lambda c=c: started.append(start_app(seeds, index, c))) for c in commands
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    clients = []
    try:
        assert len(started) == 2
        clients += [Client(url, verbose=False) for _, url in started]

        def answers() -> list[tuple[str, str]]:
            return [
                (out["version"], out["quotes"][0]["text"])
                for out in (c.predict(QUESTION, api_name="/ask") for c in clients)
            ]

        assert all(v == first.version and "1111" in text for v, text in answers())
        (seeds / "code.txt").write_text(code_doc("2222"), encoding="utf-8")
        second = qa.build_index(seeds, index, model="hash-64")
        assert second.version != first.version
        assert all(v == second.version and "2222" in text for v, text in answers())
    finally:
        for c in clients:  # its heartbeat stream would keep a server waiting at shutdown
            c.close()
        for proc, _ in started:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a server may wait for its clients' streams to close
                proc.kill()
                proc.wait(timeout=10)
