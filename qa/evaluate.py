"""`qa eval`: how good is it on my documents? Reads a SQuAD v1.1 file (contexts become documents,
one per article, paragraphs joined by a blank line) or a JSONL file of questions against an
existing index, asks every question and scores hits and quotes the way bench/ and
../shared/bench/run_eval.py do: a hit counts when it comes from the right document and its
[start, end) span contains the gold answer span (or, without a span, its text contains one of
the acceptable answers). JSONL rows may also be follow-ups (with the previous question) or
questions the documents do not answer, which must get "not found"."""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from .answer import Assistant
from .answer.assistant import follow_up
from .answer.question import search_query
from .build import build_index
from .errors import QAError
from .retrieve import Retriever
from .settings import Settings
from .types import Quote


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


def _row_error(r) -> str | None:
    if not isinstance(r, dict) or not isinstance(r.get("question"), str):
        return "needs 'question'"
    if r.get("absent") is True:
        return None
    answers = r.get("answer")
    if isinstance(answers, str) or (
        isinstance(answers, list) and answers and all(isinstance(a, str) for a in answers)
    ):
        return None
    return "needs 'question' and 'answer' (a string or a list of acceptable strings) or \"absent\": true"


def read_questions(path: Path) -> tuple[dict | None, list[dict]]:
    """SQuAD v1.1 JSON, or JSONL rows: {"question", "answer": "text" or ["text", ...] (any of them
    in the first quote counts), or "absent": true (the answer must be "not found"); optional
    "source" (file name), "start"/"end" (the answer's span), "previous" (the question before a
    follow-up), "part" and "kind" (labels the report is broken down by)}."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        if "data" not in data:
            raise QAError(f"{path} is not SQuAD v1.1 JSON (no 'data' key)")
        return data, []
    try:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as e:
        raise QAError(f"{path}: line {e.lineno} is not JSON ({e.msg})") from None
    if not rows:
        raise QAError(f"{path}: no questions; every JSONL line needs 'question' and 'answer'")
    for n, r in enumerate(rows, 1):
        if why := _row_error(r):
            raise QAError(f"{path}: line {n} {why}")
    return None, rows


def answers(g: dict) -> list[str]:
    a = g.get("answer", [])
    return [a] if isinstance(a, str) else list(a)


def _found_in(text: str, g: dict) -> list[tuple[int, int]]:
    """[start, end) of each acceptable answer inside text, case and spacing folded."""
    out, low = [], text.casefold()
    for a in answers(g):
        pattern = r"\s+".join(re.escape(w) for w in a.casefold().split())
        out += [m.span() for m in re.finditer(pattern, low)] if pattern else []
    return out


def covers(source: str, start: int, end: int, text: str, g: dict, allow_text: bool = False) -> bool:
    if "source" in g and Path(source).name != Path(g["source"]).name:
        return False
    if "start" in g and start <= g["start"] and end >= g["end"]:
        return True
    return (allow_text or "start" not in g) and any(fold(a) in fold(text) for a in answers(g))


def answer_hit(q: Quote, g: dict) -> bool:
    """Does the quote's highlighted answer span overlap the answer (its span, or an acceptable
    string inside the quote)?"""
    if q.answer_start is None or q.answer_end is None:
        return False
    if "start" in g:
        spans = [(g["start"], g["end"])]
    else:
        spans = [(q.start + a, q.start + b) for a, b in _found_in(q.text, g)]
    return any(a < q.answer_end and q.answer_start < b for a, b in spans)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))], 2) if xs else 0.0


def judge(retriever: Retriever, assistant: Assistant, g: dict) -> dict:
    """One question asked: where its answer ranked among the hits, what the assistant said."""
    previous = [g["previous"]] if isinstance(g.get("previous"), str) else list(g.get("previous") or [])
    query = search_query(*follow_up(g["question"], previous))
    t = time.perf_counter()
    hits = [] if g.get("absent") else retriever.search(query, k=10)
    search_ms = (time.perf_counter() - t) * 1000
    rank = next((i for i, h in enumerate(hits) if covers(h.source, h.start, h.end, h.text, g)), None)
    t = time.perf_counter()
    a = assistant.ask(g["question"], previous)
    ask_ms = (time.perf_counter() - t) * 1000
    q = a.quotes[0] if a.found and a.quotes else None
    return {
        "row": g,
        "absent": bool(g.get("absent")),
        "rank": rank,
        "found": q is not None,
        "quote_hit": q is not None and covers(q.source, q.start, q.end, q.text, g, allow_text=True),
        "answer_hit": q is not None and answer_hit(q, g),
        "answer_shown": q is not None and q.answer_start is not None,
        "quote_chars": len(q.text) if q else None,
        "search_ms": search_ms if hits else None,
        "ask_ms": ask_ms,
    }


def summary(results: list[dict]) -> dict:
    """span_hit@k, MRR, quote and answer-span hits and answered rate over the answerable
    questions; declined (found=False) over the absent ones; latency percentiles."""
    ans = [r for r in results if not r["absent"]]
    absent = [r for r in results if r["absent"]]

    def rate(xs) -> float | None:
        return round(sum(xs) / len(ans), 3) if ans else None

    ranks = [r["rank"] for r in ans]
    qlen = [r["quote_chars"] for r in ans if r["found"]]
    out = {
        "questions": len(results),
        "span_hit@1": rate(k is not None and k < 1 for k in ranks),
        "span_hit@5": rate(k is not None and k < 5 for k in ranks),
        "mrr@10": rate(1 / (k + 1) for k in ranks if k is not None),
        "quote_hit@1": rate(r["quote_hit"] for r in ans),
        "answer_hit@1": rate(r["answer_hit"] for r in ans),
        # of the first quotes that mark an answer span, the share whose span is right
        "answer_precision": round(
            sum(r["answer_hit"] for r in ans) / max(sum(r["answer_shown"] for r in ans), 1), 3
        ),
        "answered": rate(r["found"] for r in ans),
        "quote_chars_median": statistics.median(qlen) if qlen else None,
        "search_ms_p50": pct([r["search_ms"] for r in ans if r["search_ms"] is not None], 50),
        "search_ms_p95": pct([r["search_ms"] for r in ans if r["search_ms"] is not None], 95),
        "ask_ms_p50": pct([r["ask_ms"] for r in results], 50),
        "ask_ms_p95": pct([r["ask_ms"] for r in results], 95),
    }
    if absent:
        out["absent"] = len(absent)
        out["declined"] = round(sum(not r["found"] for r in absent) / len(absent), 3)
    return out


def score(retriever: Retriever, gold: list[dict], progress: bool = False) -> dict:
    """Every question asked; the summary, and one per "part" when the rows are labelled."""
    from tqdm import tqdm

    assistant = Assistant(retriever)
    results = [judge(retriever, assistant, g) for g in tqdm(gold, desc="questions", disable=not progress)]
    out = summary(results)
    for part in sorted({str(g["part"]) for g in gold if "part" in g}):
        out[f"part={part}"] = summary([r for r in results if str(r["row"].get("part")) == part])
    return out


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
    return "\n".join(
        f"{k:>20}: " + (", ".join(f"{a} {b}" for a, b in v.items()) if isinstance(v, dict) else str(v))
        for k, v in res.items()
    )
