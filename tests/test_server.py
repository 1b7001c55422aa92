"""app.py as users run it (a process of its own, the real default model), watched by an audit
hook that records every connection it and its children open: questions keep being answered
while the Update index button re-indexes a larger folder, and nothing connects beyond loopback."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import threading
import time

import httpx
import pytest

import qa
from bench.load import call, seed_sentences, start_app
from tests.conftest import SEED

pytestmark = [pytest.mark.model, pytest.mark.slow]

QUESTION = "Сколько предприятий модернизировано в первом полугодии?"
# Loaded into the app and every process it starts (PYTHONPATH): records each process's start and
# each socket connection and name lookup, with the process id, into QA_AUDIT_LOG.
AUDIT = """
import json, os, sys
def _audit(event, args, _log=os.environ["QA_AUDIT_LOG"]):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.gethostbyname"):
        where = args[0] if event in ("socket.getaddrinfo", "socket.gethostbyname") else args[1]
        host = where[0] if isinstance(where, tuple) else where
        with open(_log, "a", encoding="utf-8") as f:
            f.write(json.dumps([os.getpid(), event, host if isinstance(host, str) else None]) + "\\n")
with open(os.environ["QA_AUDIT_LOG"], "a", encoding="utf-8") as f:
    f.write(json.dumps([os.getpid(), "start", None]) + "\\n")
sys.addaudithook(_audit)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("server")
    seeds, hook = base / "seeds", base / "hook"
    seeds.mkdir()
    hook.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    # Example questions saved by a Windows editor (cp1251) once stopped the app from starting.
    (seeds / ".questions.txt").write_bytes("Сколько предприятий модернизировано?\n".encode("cp1251"))
    qa.build_index(seeds, base / "index")
    (hook / "sitecustomize.py").write_text(AUDIT, encoding="utf-8")
    telemetry = ("GRADIO_ANALYTICS_ENABLED", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK")
    env = {k: v for k, v in os.environ.items() if k not in telemetry}  # the app's own defaults
    env |= {"PYTHONPATH": str(hook), "QA_AUDIT_LOG": str(base / "audit.log")}
    proc, url = start_app(seeds, base / "index", env=env)
    yield url.rstrip("/"), base
    proc.terminate()
    proc.wait(timeout=30)


def ok(url: str, api_name: str, data: list) -> object:
    status, out = call(url, api_name, data)
    assert status == 200, out
    return out


def test_examples_in_cp1251_are_shown(served):
    url, _ = served
    config = httpx.get(f"{url}/config").json()
    assert "Сколько предприятий модернизировано?" in json.dumps(config, ensure_ascii=False)
    assert config["analytics_enabled"] is False


def test_questions_are_answered_while_the_web_rebuilds(served):
    """A build used to share the questions' model and its lock, held for a whole 2,048-sentence
    batch: one question took 127 s during a 131 s build."""
    url, base = served
    (base / "seeds" / "words.txt").write_text(seed_sentences(400), encoding="utf-8")
    done, latencies = threading.Event(), []
    result = {}

    def rebuild():
        result["note"] = ok(url, "update", ["en"])[0]
        done.set()

    started = time.perf_counter()
    threading.Thread(target=rebuild, daemon=True).start()
    while not done.is_set():
        t = time.perf_counter()
        out = ok(url, "ask", [QUESTION])[0]
        latencies.append(time.perf_counter() - t)
        assert out["found"] and "10 предприятий" in out["quotes"][0]["text"]
    build = time.perf_counter() - started
    assert result["note"] == "Index updated: 2 documents.", result
    assert len(latencies) >= 3 and max(latencies) < build / 3, (latencies, build)


def test_nothing_connects_beyond_loopback(served):
    """Kept last: it reads everything the app and its children connected to, answering and
    rebuilding included. Gradio's analytics looked up api.gradio.app and huggingface.co."""
    url, base = served
    ok(url, "ask", [QUESTION])
    records = [json.loads(line) for line in (base / "audit.log").read_text(encoding="utf-8").splitlines()]
    starts = {pid for pid, event, _ in records if event == "start"}
    assert len(starts) >= 2, "the hook did not see the app and its build process"
    outside = []
    for pid, event, host in records:
        if host is None or host.startswith("/"):
            continue  # AF_UNIX sockets and socketpairs
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            outside.append((pid, event, host))
    assert outside == []
