"""Answer quality on the XQuAD dev corpora (Russian and English), the project beside the
LangChain recipe and BM25, measured in one run with ../shared/bench/run_eval.py, plus the
"not found" calibration: questions whose article is absent from the index."""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import qa

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "bench"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, SHARED / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def corpus(lang: str, out: Path, split: str = "all") -> Path:
    _module("xquad_corpus").make_corpus(SHARED / f"xquad.{lang}.dev.json", split, out)
    return out


def systems(lang: str, work: Path, which=("qa", "langchain", "bm25")) -> list[dict]:
    run_eval = _module("run_eval")
    folder = corpus(lang, work / lang)
    rows = []
    for system in which:
        t = time.perf_counter()
        res = run_eval.evaluate(system, str(folder / "seeds"), folder / "gold.jsonl")
        rows.append({"lang": lang, **res, "wall_s": round(time.perf_counter() - t, 1)})
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    return rows


def not_found(lang: str, work: Path, question_lang: str | None = None) -> dict:
    """Index the first half of the articles; ask every question. Answerable questions should be
    answered, the others should get found=False."""
    full = corpus(lang, work / f"{lang}-all")
    half = work / f"{lang}-half-{question_lang or lang}" / "seeds"
    half.mkdir(parents=True)
    names = sorted(p.name for p in (full / "seeds").iterdir())
    for name in names[: len(names) // 2]:
        (half / name).write_bytes((full / "seeds" / name).read_bytes())
    qa.build_index(half, half.parent / "index")
    assistant = qa.Assistant(qa.Retriever.load(half.parent / "index"))
    gold_dir = full if question_lang in (None, lang) else corpus(question_lang, work / f"{question_lang}-q")
    gold = [json.loads(x) for x in (gold_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    present = set(names[: len(names) // 2])
    ans = [assistant.ask(g["question"]).found for g in gold if g["source"] in present]
    absent = [not assistant.ask(g["question"]).found for g in gold if g["source"] not in present]
    return {
        "index": lang,
        "questions": question_lang or lang,
        "answered": round(sum(ans) / len(ans), 3),
        "not_found_when_absent": round(sum(absent) / len(absent), 3),
        "n": [len(ans), len(absent)],
    }


COLS = [
    "span_hit@1",
    "span_hit@5",
    "mrr@10",
    "quote_hit@1",
    "quote_chars_median",
    "answered",
    "search_ms_p50",
    "ask_ms_p50",
    "build_s",
]


def table(rows: list[dict]) -> str:
    head = "| lang | system | " + " | ".join(COLS) + " |"
    sep = "|" + "---|" * (len(COLS) + 2)
    body = [
        f"| {r['lang']} | {r['system']} | " + " | ".join(str(r.get(c)) for c in COLS) + " |" for r in rows
    ]
    return "\n".join([head, sep, *body])


def main() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = systems("ru", work) + systems("en", work)
        nf = [not_found("en", work), not_found("ru", work), not_found("ru", work, "en")]
    ratios = []
    for lang in ("ru", "en"):
        ours = next(r for r in rows if r["lang"] == lang and r["system"] == "qa")
        lc = next(r for r in rows if r["lang"] == lang and r["system"] == "langchain")
        ratios.append(f"{lang} {ours['ask_ms_p50'] / lc['search_ms_p50']:.2f}x")
    lines = [
        "## Answer quality: XQuAD dev (24 articles, 632 questions per language)",
        "",
        table(rows),
        "",
        "qa ask p50 / LangChain search p50, same corpus, same run (target <= 1.5x): " + ", ".join(ratios),
        "",
        "Not found (index of half the articles; answerable questions answered, absent ones refused):",
        "",
        "| index | questions | answered | not found when absent |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['index']} | {r['questions']} | {r['answered']} | {r['not_found_when_absent']} |" for r in nf
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
