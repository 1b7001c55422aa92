"""Stage 7: extractive answers, no LLM. The assistant reads the best passages, splits them into
sentences (razdel, which knows Russian and English abbreviations), scores each sentence against
the question and returns the best as verbatim quotes: every Quote.text is exactly
document_text[start:end]. Weak evidence gives an honest "not found"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .lexical import tokenize
from .retrieve import Candidate, Retriever, clean_question
from .types import Answer, Quote

MAX_QUOTES = 3
MIN_QUOTE_CHARS = 60  # a shorter best sentence is joined with its neighbour ("10 предприятий." alone says little)
SENTENCE_WEIGHT = 0.6  # share of the sentence's own match in its score; the rest is its passage's rank
_CYR = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    score: float
    passage: int  # rank of its passage


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) spans of the sentences of text; a line break always ends a sentence
    (headings, list items and datelines carry no final stop)."""
    from razdel import sentenize

    out, pos = [], 0
    for line in text.split("\n"):
        out += [(pos + s.start, pos + s.stop) for s in sentenize(line)]
        pos += len(line) + 1
    return out


def _coverage(question_stems: dict[str, float], sentence: str) -> float:
    """Share of the question's idf mass found in the sentence."""
    total = sum(question_stems.values())
    if total <= 0:
        return 0.0
    found = set(tokenize(sentence))
    return sum(w for s, w in question_stems.items() if s in found) / total


class Assistant:
    def __init__(self, retriever: Retriever, passages: int | None = None):
        self.retriever = retriever
        self.passages = passages or retriever.settings.passages

    def _sentences(self, question: str, cands: Sequence[Candidate]) -> list[_Sentence]:
        lex = self.retriever.lexical
        stems = {s: lex.idf(s) for s in tokenize(question)}
        top = cands[0].score or 1.0
        out = []
        for rank, c in enumerate(cands):
            ch = self.retriever.chunks[c.index]
            prior = c.score / top
            for a, b in sentences(ch.text):
                cov = _coverage(stems, ch.text[a:b])
                score = SENTENCE_WEIGHT * cov + (1 - SENTENCE_WEIGHT) * prior
                out.append(_Sentence(ch.start + a, ch.start + b, score, rank))
        return out

    def _quote(self, s: _Sentence, source: str, spans: list[_Sentence]) -> Quote:
        """The sentence, joined with its better neighbour in the same passage when it is short."""
        start, end = s.start, s.end
        if end - start < MIN_QUOTE_CHARS:
            same = [x for x in spans if x.passage == s.passage]
            i = next(j for j, x in enumerate(same) if x.start == s.start)
            nbrs = [same[j] for j in (i - 1, i + 1) if 0 <= j < len(same)]
            if nbrs:
                n = max(nbrs, key=lambda x: x.score)
                start, end = min(start, n.start), max(end, n.end)
        doc = self.retriever.document(source)
        ls, le = doc.text.count("\n", 0, start) + 1, doc.text.count("\n", 0, max(start, end - 1)) + 1
        return Quote(doc.text[start:end], source, start, end, ls, le, round(s.score, 4), doc.date)

    def ask(self, question: str) -> Answer:
        q = clean_question(question)
        cands = self.retriever.candidates(q)[: self.passages]
        if not cands:
            return Answer(q, not_found_text(q, None), False)
        spans = self._sentences(q, cands)
        ranked = sorted(spans, key=lambda s: -s.score)
        quotes: list[Quote] = []
        for s in ranked:
            src = self.retriever.chunks[cands[s.passage].index].source
            qt = self._quote(s, src, spans)
            if any(x.source == qt.source and x.start < qt.end and qt.start < x.end for x in quotes):
                continue
            quotes.append(qt)
            if len(quotes) == MAX_QUOTES or s.score < 0.5 * ranked[0].score:
                break
        return Answer(q, answer_text(q, quotes), True, tuple(quotes))


def _russian(question: str) -> bool:
    return bool(_CYR.search(question))


def cite(q: Quote) -> str:
    lines = f"line {q.line_start}" if q.line_start == q.line_end else f"lines {q.line_start}-{q.line_end}"
    return ", ".join(x for x in (q.source, lines, q.date) if x)


def answer_text(question: str, quotes: Sequence[Quote]) -> str:
    body = "\n".join(f"> {q.text} [{i}]" for i, q in enumerate(quotes, 1))
    head = "Источники:" if _russian(question) else "Sources:"
    refs = "\n".join(f"[{i}] {cite(q)}" for i, q in enumerate(quotes, 1))
    return f"{body}\n\n{head}\n{refs}"


def not_found_text(question: str, closest: Quote | None) -> str:
    ru = _russian(question)
    text = "В документах нет ответа на этот вопрос." if ru else "The documents do not say."
    if closest is not None:
        label = "Ближайший фрагмент" if ru else "Closest passage"
        text += f"\n\n{label} ({cite(closest)}):\n> {closest.text}"
    return text
