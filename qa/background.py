"""Builds started by a server (the web's Update index, uploads, deletions) run in a child process at a lower
CPU priority: the child loads its own embedding model, so a question never waits on the
model lock a build holds for a whole batch (a question took 127 s during a 131 s build when
they shared it), and the scheduler gives the questions' process the cores first. The child
runs the normal build_index and sends its BuildReport back as JSON."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from . import guard
from .errors import QAError
from .settings import Settings, load_settings
from .types import BuildReport, Skipped

log = logging.getLogger(__name__)

_ROOT = str(Path(__file__).resolve().parent.parent)
_PROGRESS = re.compile(r"(\w+): +(\d+)%")  # tqdm's "embedding:  45%|..."


def _child() -> None:
    """The build process: settings as JSON on stdin, the report (or the error) as JSON on stdout."""
    from .build import build_index

    settings = load_settings(**json.loads(sys.stdin.read()))
    os.nice(settings.build_nice)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        report = build_index(settings.seeds, settings.index, settings=settings, progress=True)
        print(json.dumps({"report": dataclasses.asdict(report)}, ensure_ascii=False))
    except QAError as e:
        print(json.dumps({"error": str(e)}, ensure_ascii=False))


def _report(d: dict) -> BuildReport:
    d = {
        **d,
        "skipped": tuple(Skipped(**s) for s in d["skipped"]),
        "renamed": tuple(map(tuple, d["renamed"])),
    }
    return BuildReport(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def build(settings: Settings, on_progress: Callable[[float, str], None] | None = None) -> BuildReport:
    """build_index(settings.seeds, settings.index) in a lower-priority child process; raises
    QAError with one line when it fails (the child's output goes to the log), or at once on a
    read-only server."""
    guard.require_write(settings)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from qa.background import _child; _child()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    lines: list[str] = []

    def follow() -> None:  # tqdm redraws with \r; each redraw is a progress step
        buf = b""
        while chunk := proc.stderr.read1(4096):
            *done, buf = re.split(rb"[\r\n]", buf + chunk)
            for raw in done:
                line = raw.decode("utf-8", "replace").strip()
                m = _PROGRESS.search(line)
                if m and on_progress:
                    on_progress(int(m.group(2)) / 100, m.group(1))
                elif line:
                    lines.append(line)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    values = {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()}
    proc.stdin.write(json.dumps(values).encode())
    proc.stdin.close()
    out = proc.stdout.read()
    proc.wait()
    reader.join()
    try:
        result = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {}
    if "report" in result:
        return _report(result["report"])
    if "error" in result:
        raise QAError(result["error"])
    log.error("build process failed (exit code %s):\n%s", proc.returncode, "\n".join(lines[-50:]))
    last = lines[-1] if lines else "no output"
    raise QAError(
        f"the build failed (exit code {proc.returncode}: {last[:200]}); details are in the server log"
    )
