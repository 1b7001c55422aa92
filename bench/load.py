"""Load on the server: N users ask for T seconds while the index is rebuilt underneath,
alternating a document between two texts, first through the chat's Gradio /ask endpoint
(gradio_client), then through the REST API (POST /api/ask, one keep-alive HTTP client per user),
same process, same index. Reports throughput, latency and errors, and checks that every answer
quotes the text of the index version it says it used (a "wrong-version" answer would mix
versions). Then (section "build-load") one user's question latency while the web's Update index
button indexes a large document, beside the same user's idle latency. Loopback only; it stops
by itself."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
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


def start_app(
    seeds: Path, index: Path, command: list[str] | None = None, env: dict | None = None
) -> tuple[subprocess.Popen, str]:
    """app.py (or `command`, e.g. [python, -m, qa, serve]) on a free loopback port, once it
    answers, in the environment `env` (default: this one)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            *(command or [sys.executable, str(ROOT / "app.py")]),
            "--port",
            str(port),
            "--index",
            str(index),
            "--seeds",
            str(seeds),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ if env is None else env,
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
                    f"{proc.args[1]} exited with {proc.returncode}; run it by hand to see why"
                ) from None
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start in 120 s")


def call(url: str, api_name: str, data: list, headers: dict | None = None) -> tuple[int, object]:
    """One event through Gradio's HTTP API, as any client can call it: (status, output or error)."""
    import httpx

    url = url.rstrip("/")
    r = httpx.post(f"{url}/gradio_api/call/{api_name}", json={"data": data}, headers=headers, timeout=30)
    if r.status_code != 200:
        return r.status_code, r.json()
    events = httpx.get(
        f"{url}/gradio_api/call/{api_name}/{r.json()['event_id']}", headers=headers, timeout=3600
    )
    kind, payload = events.text.strip().split("\n")[-2:]
    return (200 if kind == "event: complete" else 500), json.loads(payload.removeprefix("data: "))


def seed_sentences(n: int) -> str:
    """n distinct Russian sentences made of the seed document's words, in paragraphs of ten."""
    words = (ROOT / "seeds" / "000_f178607ead7f680c.txt").read_text(encoding="utf-8").split()
    rng = random.Random(0)
    out = [" ".join(rng.choices(words, k=12)).capitalize() + f" ({i})." for i in range(n)]
    return "\n\n".join(" ".join(out[i : i + 10]) for i in range(0, n, 10))


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[int(p * (len(xs) - 1))]


def during_build(sentences: int = 4000, idle_questions: int = 50) -> dict:
    """Question latency (ms) of one gradio_client user while the Update index button indexes
    `sentences` new sentences (two of the build's 2,048-sentence batches and more), and idle:
    `idle_questions` before the build and as many after it."""
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as tmp:
        seeds, index = Path(tmp) / "seeds", Path(tmp) / "index"
        seeds.mkdir()
        shutil.copy(ROOT / "seeds" / "000_f178607ead7f680c.txt", seeds)
        qa.build_index(seeds, index)
        proc, url = start_app(seeds, index)
        client = Client(url, verbose=False)
        try:

            def ask() -> float:
                t = time.perf_counter()
                out = client.predict("Сколько предприятий модернизировано?", api_name="/ask")
                if "error" in out:
                    raise RuntimeError(f"the question failed: {out['error']}")
                return (time.perf_counter() - t) * 1000

            for _ in range(5):  # warm-up: first calls pay for lazy initialisation
                ask()
            idle = [ask() for _ in range(idle_questions)]
            (seeds / "large.txt").write_text(seed_sentences(sentences), encoding="utf-8")
            result: dict = {}
            build = threading.Thread(target=lambda: result.update(note=call(url, "update", ["en"])[1][0]))
            t = time.perf_counter()
            build.start()
            busy = []
            while build.is_alive():
                busy.append(ask())
            build_s = time.perf_counter() - t
            idle += [ask() for _ in range(idle_questions)]  # idle again: the machine's load drifts
        finally:
            client.close()  # its heartbeat stream would hold the server's shutdown
            proc.terminate()
            proc.wait(timeout=30)
    return {
        "idle": len(idle),
        "idle_p50": _pct(idle, 0.5),
        "idle_p95": _pct(idle, 0.95),
        "build_p50": _pct(busy, 0.5),
        "build_p95": _pct(busy, 0.95),
        "build_max": max(busy),
        "questions": len(busy),
        "build_s": build_s,
        "note": result.get("note", ""),
    }


def build_load_section() -> str:
    r = during_build()
    ratio = r["build_p95"] / r["idle_p95"]
    return "\n".join(
        [
            "## Questions during a build (the web's Update index button indexes 4,000 new sentences)",
            "",
            "| | questions | p50 ms | p95 ms | max ms |",
            "|---|---|---|---|---|",
            f"| idle | {r['idle']} | {r['idle_p50']:.0f} | {r['idle_p95']:.0f} | |",
            f"| during the build ({r['build_s']:.0f} s) | {r['questions']} | {r['build_p50']:.0f} | "
            f"{r['build_p95']:.0f} | {r['build_max']:.0f} |",
            "",
            f"p95 during / idle: {ratio:.1f}x (target <= 3x): {'PASS' if ratio <= 3 else 'FAIL'}. {r['note']}",
        ]
    )


def gradio_user(url: str):
    """One chat API user: a function that asks and returns the /ask endpoint's JSON."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    return lambda q: client.predict(q, api_name="/ask")


def rest_user(url: str):
    """One REST user on a keep-alive connection: POST /api/ask; an error status is an error."""
    import httpx

    client = httpx.Client(base_url=url, timeout=60)

    def ask(q: str) -> dict:
        r = client.post("api/ask", json={"question": q})
        r.raise_for_status()
        return r.json()

    return ask


ENDPOINTS = {"Gradio /ask": gradio_user, "REST /api/ask": rest_user}


def asking(
    users: int,
    seconds: float,
    new_user: Callable[[], Callable[[str], object]],
    questions: Sequence[str] = (QUESTION,),
    alongside: Callable[[float], None] | None = None,
) -> tuple[list[float], list, list[str], float]:
    """`users` threads, each with its own ask function from new_user(), asking `questions` in
    turn (user i from the i-th) for `seconds`, with alongside(deadline) in one more thread:
    the latencies (ms), the answers, the errors and the wall time (s)."""
    deadline = time.monotonic() + seconds
    lat, answers, errors = [], [], []
    lock = threading.Lock()

    def run_user(k: int):
        ask = new_user()
        while time.monotonic() < deadline:
            question = questions[k % len(questions)]
            k += users
            t = time.perf_counter()
            try:
                out = ask(question)
            except Exception as e:  # noqa: BLE001 - every failure is counted, none may happen
                with lock:
                    errors.append(repr(e))
                continue
            with lock:
                lat.append((time.perf_counter() - t) * 1000)
                answers.append(out)

    threads = [threading.Thread(target=run_user, args=(i,)) for i in range(users)]
    threads += [threading.Thread(target=alongside, args=(deadline,))] if alongside else []
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    return lat, answers, errors, time.monotonic() - t0


def run_load(url: str, seeds: Path, index: Path, users: int, seconds: float, user=gradio_user) -> dict:
    """Needs seeds/code.txt indexed in index; returns the figures."""
    versions = {store.current_version(index): (seeds / "code.txt").read_text(encoding="utf-8")}

    def rebuilder(deadline: float):
        i = 0
        while time.monotonic() < deadline - 1:
            time.sleep(REBUILD_EVERY)
            i += 1
            text = code_doc(CODES[i % 2])
            (seeds / "code.txt").write_text(text, encoding="utf-8")
            qa.build_index(seeds, index)
            versions[store.current_version(index)] = text  # read once every thread has ended

    lat, answers, errors, wall = asking(users, seconds, lambda: user(url), alongside=rebuilder)
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


def rows(endpoints: dict, users: int, seconds: float, env: dict[str, str] | None = None) -> list[dict]:
    """One server (app.py, with the variables `env` added) on the seed document and code.txt; each endpoint's
    load in turn, while the index is rebuilt."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        seeds, index = Path(tmp) / "seeds", Path(tmp) / "index"
        seeds.mkdir()
        shutil.copy(ROOT / "seeds" / "000_f178607ead7f680c.txt", seeds)
        (seeds / "code.txt").write_text(code_doc(CODES[0]), encoding="utf-8")
        qa.build_index(seeds, index)
        proc, url = start_app(seeds, index, env={**os.environ, **(env or {})})
        try:
            for name, user in endpoints.items():
                out.append({"endpoint": name, **run_load(url, seeds, index, users, seconds, user)})
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return out


def table(results: list[dict], first: str = "endpoint") -> list[str]:
    return [
        f"| {first} | requests | throughput (req/s) | p50 ms | p95 ms | errors | wrong-version answers | index versions |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {r[first]} | {r['requests']} | {r['throughput_rps']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['errors']} | {r['wrong_version']} | {r['index_versions']} |"
            for r in results
        ),
    ]


def main(users: int = 16, seconds: float = 60) -> str:
    return "\n".join(
        [
            f"## Load: {users} concurrent users for {seconds:.0f} s per endpoint while the index is rebuilt",
            "",
            "One server process (app.py): the chat's Gradio endpoint, then the REST API.",
            "",
            *table(rows(ENDPOINTS, users, seconds)),
        ]
    )


if __name__ == "__main__":
    print(main())
