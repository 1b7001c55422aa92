"""Load on the web chat: N gradio_client users ask for T seconds while the index is rebuilt
underneath, alternating a document between two texts. Reports throughput, latency and errors,
and checks that every answer quotes the text of the index version it says it used (a
"wrong-version" answer would mix versions). Loopback only; it stops by itself."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import qa
from qa import store

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Какой код доступа к хранилищу?"
CODES = ("1111", "2222")
REBUILD_EVERY = 1.0  # seconds between rebuilds: far more often than any real folder changes


def code_doc(code: str) -> str:
    return f"Код доступа к хранилищу равен {code}. Его меняют при каждой проверке.\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(seeds: Path, index: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "app.py"),
            "--port",
            str(port),
            "--index",
            str(index),
            "--seeds",
            str(seeds),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"app.py exited with {proc.returncode}; run it by hand to see why"
                ) from None
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start in 120 s")


def run_load(url: str, seeds: Path, index: Path, users: int, seconds: float) -> dict:
    """Needs seeds/code.txt indexed in index; returns the figures."""
    from gradio_client import Client

    versions = {store.current_version(index): (seeds / "code.txt").read_text(encoding="utf-8")}
    deadline = time.monotonic() + seconds
    lat, answers, errors = [], [], []
    lock = threading.Lock()

    def user():
        client = Client(url, verbose=False)
        while time.monotonic() < deadline:
            t = time.perf_counter()
            try:
                out = client.predict(QUESTION, api_name="/ask")
            except Exception as e:  # noqa: BLE001 - every failure is counted, none may happen
                with lock:
                    errors.append(repr(e))
                continue
            with lock:
                lat.append((time.perf_counter() - t) * 1000)
                answers.append(out)

    def rebuilder():
        i = 0
        while time.monotonic() < deadline - 1:
            time.sleep(REBUILD_EVERY)
            i += 1
            text = code_doc(CODES[i % 2])
            (seeds / "code.txt").write_text(text, encoding="utf-8")
            qa.build_index(seeds, index)
            with lock:
                versions[store.current_version(index)] = text

    threads = [threading.Thread(target=user) for _ in range(users)] + [threading.Thread(target=rebuilder)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    wall = time.monotonic() - t0
    wrong = 0
    for out in answers:
        if "error" in out or not out.get("quotes"):
            errors.append(out.get("error", "no quote"))
            continue
        text = versions.get(out["version"])
        q = out["quotes"][0]
        if text is None or q["source"] != "code.txt" or text[q["start"] : q["end"]] != q["text"]:
            wrong += 1
    lat.sort()
    return {
        "users": users,
        "seconds": round(wall, 1),
        "requests": len(answers),
        "throughput_rps": round(len(answers) / wall, 2),
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 1) if lat else None,
        "errors": len(errors),
        "wrong_version": wrong,
        "index_versions": len(versions),
        "first_errors": errors[:3],  # what went wrong, when anything did
    }


def main(users: int = 16, seconds: float = 60) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        seeds, index = Path(tmp) / "seeds", Path(tmp) / "index"
        seeds.mkdir()
        shutil.copy(ROOT / "seeds" / "000_f178607ead7f680c.txt", seeds)
        (seeds / "code.txt").write_text(code_doc(CODES[0]), encoding="utf-8")
        qa.build_index(seeds, index)
        proc, url = start_app(seeds, index)
        try:
            r = run_load(url, seeds, index, users, seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return "\n".join(
        [
            f"## Load: {users} concurrent users for {seconds:.0f} s while the index is rebuilt",
            "",
            "| requests | throughput (req/s) | p50 ms | p95 ms | errors | wrong-version answers | index versions |",
            "|---|---|---|---|---|---|---|",
            f"| {r['requests']} | {r['throughput_rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['errors']} | "
            f"{r['wrong_version']} | {r['index_versions']} |",
        ]
    )


if __name__ == "__main__":
    print(main())
