"""Stage 7: extractive answers, no LLM. The assistant reads the best passages, scores each of
their sentences against the question (words in common, weighted by rarity; the sentence vector's
similarity; the passage's rank) and returns the best as verbatim quotes: every Quote.text is
exactly document_text[start:end]. Weak evidence gives an honest "not found"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .lexical import tokenize
from .retrieve import Candidate, Retriever, clean_question
from .types import Answer, Chunk, Quote

MAX_QUOTES = 3
# Sentence score = the weights below over (idf share of the question's words found in it, its
# vector similarity scaled over the candidates, its passage's fused score). First-quote hits on
# XQuAD dev (ru / en): words and passage only (.6/0/.4) .791/.816; with vectors (.5/.3/.2)
# .801/.826; vectors and words alone (.5/.5/0) .796/.829.
WEIGHTS = (0.5, 0.3, 0.2)
# A neighbour in the same passage that scores within this share of the best sentence joins the
# quote: the answer often sits in the sentence after the one that repeats the question.
# First-quote hits ru / en, median chars: never .801/.826, 184/170; 0.9 .821/.851, 199/181;
# 0.8 .842/.864, 212/196.
PAIR_SHARE = 0.8
MIN_QUOTE_CHARS = 60  # a shorter best sentence always takes a neighbour ("10 предприятий." alone says little)
# "Not found" calibration, per model: evidence = best sentence cosine + COVERAGE_BONUS * idf share
# of the question's words in the best sentence. Measured by asking the XQuAD dev questions against
# an index of half the articles (bench/quality.py; answered / not found when absent): at 0.845,
# en .994/.926, ru .994/.948. Across languages (English questions, Russian text) word overlap is
# nil and cosines run lower: at 0.77, .904/.648, a known weak spot.
THRESHOLDS = {"multilingual-e5-small-q4": (0.845, 0.77)}  # model -> (same script, other script)
COVERAGE_BONUS = 0.1
# Models without a calibration fall back to word overlap alone (absent XQuAD questions: 80% below .22).
MIN_COVERAGE = 0.25
# A question with this few content words leans on the previous one ("а в следующем году?").
FOLLOW_UP_WORDS = 3
_CYR = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    score: float
    passage: int  # rank of its passage
    coverage: float  # idf share of the question's words found in it


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
        st, lex = self.retriever.stored, self.retriever.lexical
        stems = {s: lex.idf(s) for s in tokenize(question)}
        sims = np.concatenate([c.sentence_sims for c in cands])
        lo, span = sims.min(), max(float(sims.max() - sims.min()), 1e-9)
        top = cands[0].score or 1.0
        wl, wd, wp = WEIGHTS
        out, k = [], 0
        for rank, c in enumerate(cands):
            text = st.document(st.chunk(c.index).source).text
            for j in st.sentences_of(c.index):
                a, b = (int(x) for x in st.sentence_spans[j])
                cov = _coverage(stems, text[a:b])
                score = wl * cov + wd * (sims[k] - lo) / span + wp * c.score / top
                out.append(_Sentence(a, b, float(score), rank, cov))
                k += 1
        return out

    def _quote(self, spans: list[_Sentence], i: int, chunk: Chunk) -> Quote:
        """Sentence i (of `chunk`), joined with its better neighbour in the same passage when
        that one scores nearly as well or sentence i is too short to stand alone."""
        s = spans[i]
        start, end = s.start, s.end
        nbrs = [spans[j] for j in (i - 1, i + 1) if 0 <= j < len(spans) and spans[j].passage == s.passage]
        if nbrs:
            n = max(nbrs, key=lambda x: x.score)
            if n.score >= PAIR_SHARE * s.score or end - start < MIN_QUOTE_CHARS:
                start, end = min(start, n.start), max(end, n.end)
        doc = self.retriever.document(chunk.source)
        # Counted from the chunk's own first line: a quote in a 50 MB file costs no full scan.
        ls = chunk.line_start + doc.text.count("\n", chunk.start, start)
        le = ls + doc.text.count("\n", start, max(start, end - 1))
        return Quote(
            doc.text[start:end],
            chunk.source,
            start,
            end,
            ls,
            le,
            round(s.score, 4),
            doc.date,
            doc.section_at(start),
            doc.page_at(start),
        )

    def found(self, question: str, cands: Sequence[Candidate], spans: list[_Sentence]) -> bool:
        """Is there real evidence, or only the least bad passage? Evidence is the best sentence
        cosine of the top passage and the best word coverage of any sentence read."""
        coverage = max(s.coverage for s in spans)
        thresholds = THRESHOLDS.get(self.retriever.embedder.name)
        if thresholds is None:
            return coverage >= MIN_COVERAGE
        cosine = cands[0].dense  # the best sentence's cosine
        if _russian(question) == _russian(self.retriever.chunk(cands[0].index).text):
            return cosine + COVERAGE_BONUS * coverage >= thresholds[0]
        return cosine >= thresholds[1]

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """Answer with quotes. `history` holds the previous questions of a conversation: a short
        follow-up is read together with the last of them."""
        q = clean_question(question)
        query = q
        if history and len(tokenize(q)) <= FOLLOW_UP_WORDS:
            query = f"{clean_question(history[-1])} {q}"
        cands = self.retriever.candidates(query)[: self.passages]
        if not cands:
            return Answer(q, not_found_text(q, None), False)
        spans = self._sentences(query, cands)
        order = sorted(range(len(spans)), key=lambda i: -spans[i].score)
        best = spans[order[0]].score
        if not self.found(q, cands, spans):
            closest = self._quote(spans, order[0], self.retriever.chunk(cands[spans[order[0]].passage].index))
            return Answer(q, not_found_text(q, closest), False, (), closest)
        quotes: list[Quote] = []
        for i in order:
            if len(quotes) == MAX_QUOTES or spans[i].score < 0.5 * best:
                break
            qt = self._quote(spans, i, self.retriever.chunk(cands[spans[i].passage].index))
            if not any(x.source == qt.source and x.start < qt.end and qt.start < x.end for x in quotes):
                quotes.append(qt)
        return Answer(q, answer_text(q, quotes), True, tuple(quotes))


def _russian(question: str) -> bool:
    return bool(_CYR.search(question))


def cite(q: Quote) -> str:
    """file, page, § section, lines, date: as much as is known."""
    lines = f"line {q.line_start}" if q.line_start == q.line_end else f"lines {q.line_start}-{q.line_end}"
    page = f"page {q.page}" if q.page else None
    section = f"§ {q.section}" if q.section else None
    return ", ".join(x for x in (q.source, page, section, lines, q.date) if x)


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


def quote_dict(q: Quote) -> dict:
    return {
        k: getattr(q, k)
        for k in (
            "text",
            "source",
            "start",
            "end",
            "line_start",
            "line_end",
            "score",
            "date",
            "section",
            "page",
        )
    }


def answer_dict(a: Answer) -> dict:
    """The JSON shape of an answer, shared by `qa ask --json` and the web chat's /ask endpoint."""
    return {
        "answer": a.text,
        "found": a.found,
        "quotes": [quote_dict(q) for q in a.quotes],
        "closest": quote_dict(a.closest) if a.closest else None,
    }
