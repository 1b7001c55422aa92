"""Incremental sync cost: a corpus of 240 documents (every XQuAD dev paragraph, Russian and
English, one file each), the full build time, then the time to sync after editing one paragraph
of one file, in one run. Target: the edit costs at most 5% of the full build and embeds only the
changed chunk."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import qa

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "bench"


def make_corpus(seeds: Path) -> int:
    seeds.mkdir(parents=True)
    n = 0
    for lang in ("ru", "en"):
        data = json.loads((SHARED / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))["data"]
        for a, art in enumerate(data):
            for p, para in enumerate(art["paragraphs"]):
                (seeds / f"{lang}_{a:02d}_{p:02d}.txt").write_text(para["context"], encoding="utf-8")
                n += 1
    return n


def main() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        seeds, index = Path(tmp) / "seeds", Path(tmp) / "index"
        docs = make_corpus(seeds)
        t = time.perf_counter()
        full = qa.build_index(seeds, index)
        full_s = time.perf_counter() - t
        target = sorted(seeds.iterdir())[7]
        text = target.read_text(encoding="utf-8")
        target.write_text(
            text + "\n\nДобавлен новый абзац про реконструкцию моста через реку.", encoding="utf-8"
        )
        t = time.perf_counter()
        edit = qa.build_index(seeds, index)
        edit_s = time.perf_counter() - t
        t = time.perf_counter()
        noop = qa.build_index(seeds, index)
        noop_s = time.perf_counter() - t
    ratio = edit_s / full_s
    return "\n".join(
        [
            f"## Incremental sync ({docs} documents, {full.chunks} chunks)",
            "",
            "| step | seconds | chunks embedded | files changed |",
            "|---|---|---|---|",
            f"| full build | {full_s:.1f} | {full.embedded} | {len(full.added)} added |",
            f"| edit one paragraph of one file | {edit_s:.2f} | {edit.embedded} | {len(edit.changed)} changed |",
            f"| nothing changed | {noop_s:.2f} | {noop.embedded} | 0 |",
            "",
            f"Edit / full build: {ratio:.1%} (target <= 5%): {'PASS' if ratio <= 0.05 and edit.embedded <= 2 else 'FAIL'}",
        ]
    )


if __name__ == "__main__":
    print(main())
