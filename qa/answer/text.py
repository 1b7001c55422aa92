"""How an answer reads: quotes with numbered citations (file, page, section, lines, date), the
"not found" wording, and the JSON shape shared by `qa ask --json` and the web chat's /ask."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict

from ..lexical import cyrillic
from ..types import Answer, Quote


def cite(q: Quote) -> str:
    """file, page, § section, lines, date: as much as is known."""
    lines = f"line {q.line_start}" if q.line_start == q.line_end else f"lines {q.line_start}-{q.line_end}"
    page = f"page {q.page}" if q.page else None
    section = f"§ {q.section}" if q.section else None
    return ", ".join(x for x in (q.source, page, section, lines, q.date) if x)


def marked(q: Quote, mark: Callable[[str], str] | None) -> str:
    """The quote's text with its answer span passed through `mark` (e.g. bold); the words stay verbatim."""
    if mark is None or q.answer_start is None or q.answer_end is None:
        return q.text
    a, b = q.answer_start - q.start, q.answer_end - q.start
    return q.text[:a] + mark(q.text[a:b]) + q.text[b:]


def answer_text(question: str, quotes: Sequence[Quote], mark: Callable[[str], str] | None = None) -> str:
    body = "\n".join(f"> {marked(q, mark)} [{i}]" for i, q in enumerate(quotes, 1))
    head = "Источники:" if cyrillic(question) else "Sources:"
    refs = "\n".join(f"[{i}] {cite(q)}" for i, q in enumerate(quotes, 1))
    return f"{body}\n\n{head}\n{refs}"


def not_found_text(question: str, closest: Quote | None) -> str:
    ru = cyrillic(question)
    text = "В документах нет ответа на этот вопрос." if ru else "The documents do not say."
    if closest is not None:
        label = "Ближайший фрагмент" if ru else "Closest passage"
        text += f"\n\n{label} ({cite(closest)}):\n> {closest.text}"
    return text


def quote_dict(q: Quote) -> dict:
    return asdict(q)


def answer_dict(a: Answer) -> dict:
    """The JSON shape of an answer, shared by `qa ask --json` and the web chat's /ask endpoint."""
    return {
        "answer": a.text,
        "found": a.found,
        "quotes": [quote_dict(q) for q in a.quotes],
        "closest": quote_dict(a.closest) if a.closest else None,
    }
