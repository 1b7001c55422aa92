"""Part of stage 3 (embedding): which query path this machine runs faster. int8 was 1.8x faster
than fp32 here (AVX-512 VNNI), but an int8 path has been 7x slower than fp32 on an AVX2-only
CPU before (torch._int_mm): so both paths are timed on the same fixed questions at first use,
the faster wins, and the result is kept per machine (CPU, ONNX Runtime version, model, threads)
in the cache folder. QA_QUERY_PATH=fp32|int8 forces one."""

from __future__ import annotations

import functools
import logging
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .convert import PROMPTS, read_json, write_json

log = logging.getLogger(__name__)

# Questions of a typical length (18 and 11 tokens) that every path embeds while being timed.
PROBE = [
    "Сколько предприятий модернизировано в первом полугодии 2021 года?",
    "How many paintings does the museum hold?",
]
ROUNDS = 7  # timed rounds per path, interleaved, after two warm-up runs
MIN_COSINE = 0.999  # a path that disagrees more with fp32 on this CPU is not taken, however fast
# The instruction sets ONNX Runtime's kernels (MLAS) choose by: a change of any is a new machine.
FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8")


@dataclass(frozen=True)
class QueryPath:
    name: str  # the model a question takes: "fp32" or "int8"
    reason: str  # why, in words: forced by the setting, or the timings that decided it
    ms: dict[str, float] = field(default_factory=dict, compare=False)  # median ms per path on PROBE


@functools.cache
def cpu() -> str:
    """The CPU's model name and the instruction sets the runtime's kernels depend on."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
                break
    except OSError:
        pass
    return f"{name} [{' '.join(f for f in FLAGS if f in flags) or 'no listed flags'}]"


def measure(
    runs: dict[str, Callable[[], np.ndarray]],
    timer: Callable[[], float] = time.perf_counter,
    rounds: int = ROUNDS,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Median milliseconds of each path over `rounds` interleaved rounds (so a burst of other
    work on the machine hits every path alike), and each path's output."""
    out = {name: run() for name, run in runs.items()}
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            t = timer()
            run()
            times[name].append(timer() - t)
    return {name: round(statistics.median(v) * 1000, 2) for name, v in times.items()}, out


def decide(ms: dict[str, float], out: dict[str, np.ndarray]) -> tuple[str, str]:
    """The fastest path whose vectors agree with fp32's, and why."""
    figures = ", ".join(f"{name} {t:.1f} ms" for name, t in sorted(ms.items(), key=lambda kv: kv[1]))
    for name in sorted(ms, key=ms.__getitem__):
        cos = float((out[name] * out["fp32"]).sum(1).min())
        if cos >= MIN_COSINE:
            return name, f"fastest here per question ({figures})"
        log.warning("query path %s disagrees with fp32 on this CPU (cosine %.4f); not used", name, cos)
    return "fp32", f"fp32 is exact ({figures})"


def query_path(
    model, setting: str, cache: Path, threads: int, timer: Callable[[], float] = time.perf_counter
) -> QueryPath:
    """The query path for this machine: forced by `setting` (fp32, int8), or for "auto" the
    measured choice, from the cache when this machine measured it before."""
    if setting != "auto":
        return QueryPath(setting, f"set by query_path={setting}")
    import onnxruntime

    key = f"{cpu()} | onnxruntime {onnxruntime.__version__} | {model.folder.name} | threads {threads or 'int8 1, fp32 per core'}"
    store = Path(cache) / "query-path.json"
    known = read_json(store)
    if key in known:
        hit = known[key]
        return QueryPath(hit["name"], hit["reason"] + "; measured at first use", hit["ms"])
    inputs = [model.tokens.windows([PROMPTS["query"] + q])[0] for q in PROBE]

    def runner(path):
        return lambda: np.concatenate([model.means(x, path) for x in inputs])

    ms, out = measure({path: runner(path) for path in ("fp32", "int8")}, timer)
    out = {k: v / np.linalg.norm(v, axis=1, keepdims=True) for k, v in out.items()}
    name, reason = decide(ms, out)
    log.info("query path %s: %s; %s", name, reason, key)
    known[key] = {"name": name, "reason": reason, "ms": ms}
    write_json(store, known)
    return QueryPath(name, reason, ms)
