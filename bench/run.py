"""`make bench`: runs every benchmark in one process and writes bench/results.md with the date,
the CPU and the figures. Timings on a shared 2-core machine are noisy: compare the ratios of one run."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster  # noqa: E402
import load  # noqa: E402
import quality  # noqa: E402
import scale  # noqa: E402
import speed  # noqa: E402
import sync  # noqa: E402


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    sections = {
        "quality": quality.main,
        "speed": speed.main,
        "sync": sync.main,
        "scale": scale.main,
        "load": load.main,
        "ray": cluster.main,
        "build-load": load.build_load_section,
        "scale-1m": lambda: scale.main((1_000_000,)),  # `make bench-large`: not part of the default run
    }
    chosen = sys.argv[1:] or [name for name in sections if name != "scale-1m"]
    parts = [
        f"# Benchmarks\n\n{time.strftime('%Y-%m-%d %H:%M')}, {cpu()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    ]
    for name in chosen:
        t = time.perf_counter()
        parts.append(sections[name]())
        parts.append(f"_{name}: {time.perf_counter() - t:.0f} s_")
        print(parts[-2], flush=True)
    out = Path(__file__).resolve().parent / ("results-large.md" if chosen == ["scale-1m"] else "results.md")
    out.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
