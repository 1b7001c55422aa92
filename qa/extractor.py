"""Stage 1's guard: PDF, DOCX and HTML are parsed in a worker process with a wall-clock limit
and a memory ceiling, so a hostile file (a page loop, a decompression bomb, a parser's slow path)
costs at most `Limits.seconds` and cannot take the server's memory with it. Workers are reused
from call to call; one that runs over is killed and replaced. documents.py decides what goes
through here: plain text and Markdown, whose parsers are linear, stay in-process."""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from .formats import Extracted, Limits

log = logging.getLogger(__name__)

WORKERS = 2  # parallel extractions at most (builds read files one by one; uploads may overlap)
# Address space a worker may grow by after its imports. pypdf inflates a stream to 75 MB at
# most and python-docx holds a 50k-paragraph tree in ~50 MB; a bomb gets MemoryError instead.
MEMORY_MB = 2048
START_TIMEOUT = 120.0  # seconds for a fresh worker to import its parsers (~0.4 s on an idle box)
# A plain subprocess with JSON over its pipes, not multiprocessing: spawn would re-import the
# caller's __main__ (a script without a main guard would break), fork would copy the server's
# threads, and a worker that a hostile file took over must not be able to send back a pickle.
_CMD = [sys.executable, "-c", "from qa.extractor import serve; serve()"]
_ROOT = str(Path(__file__).resolve().parent.parent)

_idle: list[_Worker] = []
_idle_lock = threading.Lock()
_slots = threading.BoundedSemaphore(WORKERS)


def serve() -> None:
    """The worker: import the parsers once, cap memory, then answer one request per line of
    stdin ({"name", "size", "limits"} followed by `size` raw bytes) with one JSON line."""
    import resource

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repair notes are not the user's business
    import docx  # noqa: F401 - imported before the clock starts, not on the first file
    import pypdf  # noqa: F401

    from .documents import decode
    from .formats import extract

    with open("/proc/self/statm") as f:
        size = int(f.read().split()[0]) * resource.getpagesize()
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    limit = size + (MEMORY_MB << 20)
    resource.setrlimit(
        resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard)
    )
    src, out = sys.stdin.buffer, os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # a parser that prints goes to stderr, not into the replies
    out.write('"ready"\n')
    out.flush()
    for line in src:
        req = json.loads(line)
        data = src.read(req["size"])
        try:
            ex = extract(req["name"], data, decode, Limits(**req["limits"]))
            reply = {"ok": asdict(ex)}
        except ValueError as e:  # extract() words every parser failure as the file's reason
            reply = {"error": str(e)}
        out.write(json.dumps(reply, ensure_ascii=False) + "\n")
        out.flush()


class _Worker:
    def __init__(self):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])),
        }
        self.proc = subprocess.Popen(_CMD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        if self._reply(START_TIMEOUT) != "ready":
            self.kill()
            raise ValueError("the extraction worker did not start; see the log")

    def _reply(self, timeout: float):
        """The worker's next JSON line, or None when none came within timeout (or it died)."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        return json.loads(line) if line else None

    def ask(self, name: str, data: bytes, limits: Limits):
        header = {"name": name, "size": len(data), "limits": asdict(limits)}
        self.proc.stdin.write(json.dumps(header).encode() + b"\n")
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        return self._reply(limits.seconds)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            f.close()


def _take() -> _Worker:
    with _idle_lock:
        while _idle:
            w = _idle.pop()
            if w.proc.poll() is None:
                return w
            w.kill()
    return _Worker()


def run(name: str, data: bytes, limits: Limits) -> Extracted:
    """extract() in a worker. Raises ValueError with the reason when the file is over a limit,
    damaged, or took longer than limits.seconds (the worker is then killed and replaced)."""
    with _slots:
        w = _take()
        try:
            reply = w.ask(name, data, limits)
        except OSError:  # the worker died before it took the request
            reply = None
        if reply is None:
            alive = w.proc.poll() is None
            w.kill()
            if alive:
                raise ValueError(
                    f"reading it took longer than {limits.seconds:g} s (QA_EXTRACT_TIMEOUT); "
                    "the file may be damaged or hostile"
                )
            log.warning("extraction worker died on %s (exit code %s)", name, w.proc.returncode)
            raise ValueError(
                f"the parser crashed on this file (exit code {w.proc.returncode}); it may be damaged"
            )
        with _idle_lock:
            _idle.append(w)
    if "error" in reply:
        raise ValueError(reply["error"])
    ex = reply["ok"]
    sections = tuple((int(a), h) for a, h in ex["sections"])
    return Extracted(ex["text"], sections, tuple(ex["pages"]), ex["title"])
