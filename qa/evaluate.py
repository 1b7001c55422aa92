"""`qa eval`: how good is it on my documents? Reads a SQuAD v1.1 file (contexts become documents,
one per article, paragraphs joined by a blank line) or a JSONL file of questions against an
existing index, asks every question and scores hits and quotes the way bench/ and
../shared/bench/run_eval.py do: a hit counts when it comes from the right document and its
[start, end) span contains the gold answer span."""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from .answer import Assistant
from .build import build_index
from .errors import QAError
from .retrieve import Retriever
from .settings import Settings


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


def _slug(title: str, i: int) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_")[:40] or "article"
    return f"{i:02d}_{s}.txt"


def squad_corpus(data: dict, seeds: Path) -> list[dict]:
    """Write one document per article into seeds; return gold rows with answer spans."""
    seeds.mkdir(parents=True, exist_ok=True)
    gold = []
    for i, art in enumerate(data["data"]):
        name, parts, offset = _slug(art.get("title", ""), i), [], 0
        for p in art["paragraphs"]:
            ctx = p["context"].lstrip("\ufeff")
            shift = len(p["context"]) - len(ctx)
            for q in p["qas"]:
                a = q["answers"][0]
                s = a["answer_start"] - shift
                if ctx[s : s + len(a["text"])] != a["text"]:
                    s = ctx.find(a["text"])
                if s >= 0:
                    gold.append(
                        {
                            "question": q["question"],
                            "answer": a["text"],
                            "source": name,
                            "start": offset + s,
                            "end": offset + s + len(a["text"]),
                        }
                    )
            parts.append(ctx)
            offset += len(ctx) + 2
        (seeds / name).write_text("\n\n".join(parts), encoding="utf-8")
    return gold


def read_questions(path: Path) -> tuple[dict | None, list[dict]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        if "data" not in data:
            raise QAError(f"{path} is not SQuAD v1.1 JSON (no 'data' key)")
        return data, []
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    if not rows or not all("question" in r and "answer" in r for r in rows):
        raise QAError(f"{path}: every JSONL line needs 'question' and 'answer'")
    return None, rows


def covers(source: str, start: int, end: int, text: str, g: dict, allow_text: bool = False) -> bool:
    if "source" in g and Path(source).name != Path(g["source"]).name:
        return False
    if "start" in g and start <= g["start"] and end >= g["end"]:
        return True
    return (allow_text or "start" not in g) and fold(g["answer"]) in fold(text)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))], 2) if xs else 0.0


def score(retriever: Retriever, gold: list[dict], progress: bool = False) -> dict:
    from tqdm import tqdm

    assistant = Assistant(retriever)
    r1 = r5 = rr = qhit = found = 0
    qlen, t_search, t_ask = [], [], []
    for g in tqdm(gold, desc="questions", disable=not progress):
        t = time.perf_counter()
        hits = retriever.search(g["question"], k=10)
        t_search.append((time.perf_counter() - t) * 1000)
        rank = next((i for i, h in enumerate(hits) if covers(h.source, h.start, h.end, h.text, g)), None)
        if rank is not None:
            r1, r5, rr = r1 + (rank < 1), r5 + (rank < 5), rr + 1 / (rank + 1)
        t = time.perf_counter()
        a = assistant.ask(g["question"])
        t_ask.append((time.perf_counter() - t) * 1000)
        if a.found and a.quotes:
            q = a.quotes[0]
            found += 1
            qlen.append(len(q.text))
            qhit += covers(q.source, q.start, q.end, q.text, g, allow_text=True)
    n = max(len(gold), 1)
    return {
        "questions": len(gold),
        "span_hit@1": round(r1 / n, 3),
        "span_hit@5": round(r5 / n, 3),
        "mrr@10": round(rr / n, 3),
        "quote_hit@1": round(qhit / n, 3),
        "answered": round(found / n, 3),
        "quote_chars_median": statistics.median(qlen) if qlen else None,
        "search_ms_p50": pct(t_search, 50),
        "search_ms_p95": pct(t_search, 95),
        "ask_ms_p50": pct(t_ask, 50),
        "ask_ms_p95": pct(t_ask, 95),
    }


def evaluate(
    file: str | Path, settings: Settings, index: str | Path | None = None, progress: bool = False
) -> dict:
    """Index the file's contexts (SQuAD) or use the given index (JSONL), then score every question."""
    path = Path(file)
    if not path.is_file():
        raise QAError(f"question file {path} does not exist")
    data, gold = read_questions(path)
    with tempfile.TemporaryDirectory() as tmp:
        if data is not None:
            gold = squad_corpus(data, Path(tmp) / "seeds")
            index = Path(index) if index else Path(tmp) / "index"
            t = time.perf_counter()
            build_index(Path(tmp) / "seeds", index, settings.model, settings=settings, progress=progress)
            build_s = round(time.perf_counter() - t, 2)
        else:
            index, build_s = index or settings.index, None
        retriever = Retriever.load(index, settings=settings)
        return {
            "file": str(path),
            "model": retriever.stored.manifest["model"],
            "build_s": build_s,
            **score(retriever, gold, progress),
        }


def format_report(res: dict) -> str:
    return "\n".join(f"{k:>20}: {v}" for k, v in res.items())
