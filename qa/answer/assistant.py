"""The assistant: reads the best passages for a question, returns the best sentences as verbatim
quotes (every Quote.text is exactly document_text[start:end]) with the short answer span inside
them marked, or an honest "not found" with the closest passage shown only as such."""

from __future__ import annotations

from collections.abc import Sequence

from ..lexical import tokenize
from ..retrieve import Retriever, clean_question
from ..types import Answer, Chunk, Quote
from . import evidence, spans, verdict
from .evidence import Evidence
from .question import search_query
from .text import answer_text, not_found_text

MAX_QUOTES = 3
# A quote scoring under this share of the best one is not worth showing beside it.
MIN_SHARE = 0.5
# A question with this few content words leans on the previous one ("а в следующем году?").
FOLLOW_UP_WORDS = 3


def follow_up(question: str, history: Sequence[str] = ()) -> tuple[str, str]:
    """The question cleaned, and the previous question of the conversation when this one is a
    short follow-up that leans on it ("" otherwise)."""
    q = clean_question(question)
    previous = clean_question(history[-1]) if history and len(tokenize(q)) <= FOLLOW_UP_WORDS else ""
    return q, previous


class Assistant:
    def __init__(self, retriever: Retriever, passages: int | None = None):
        self.retriever = retriever
        self.passages = passages or retriever.settings.passages

    def evidence(self, question: str, history: Sequence[str] = ()) -> Evidence | None:
        """What the assistant reads for a question (None when the index is empty)."""
        q, previous = follow_up(question, history)
        cands = self.retriever.candidates(search_query(q, previous))
        if not cands:
            return None
        # judged on the passage best before the question's words reweighed the best few
        # (retrieve.fusion.SHARED_WEIGHT), however many passages are read
        judged = max(cands, key=lambda c: c.prior)
        return evidence.read(self.retriever, q, cands[: self.passages], judged, previous)

    def _quote(self, ev: Evidence, i: int, answer: bool = True) -> Quote:
        """Sentence i, joined with its partner when it has one, with the answer span marked
        (unless it is only the closest passage to a question the documents do not answer)."""
        s = ev.sentences[i]
        start, end = s.start, s.end
        j = ev.partner(i)
        if j is not None:
            start, end = min(start, ev.sentences[j].start), max(end, ev.sentences[j].end)
        chunk: Chunk = self.retriever.chunk(ev.passages[s.passage])
        doc = self.retriever.document(chunk.source)
        span = (
            spans.answer_span(ev.question, doc.text, start, end, focus=(s.start, s.end)) if answer else None
        )
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
            *(span or (None, None)),
        )

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """Answer with quotes. `history` holds the previous questions of a conversation: a short
        follow-up is read together with the last of them."""
        q = clean_question(question)
        ev = self.evidence(q, history)
        if ev is None:
            return Answer(q, not_found_text(q, None), False)
        best = ev.sentences[ev.order[0]].score
        if not verdict.found(ev, self.retriever.embedder.name):
            closest = self._quote(ev, ev.order[0], answer=False)
            return Answer(q, not_found_text(q, closest), False, (), closest)
        quotes: list[Quote] = []
        for i in ev.order:
            if len(quotes) == MAX_QUOTES or ev.sentences[i].score < MIN_SHARE * best:
                break
            qt = self._quote(ev, i)
            if not any(x.source == qt.source and x.start < qt.end and qt.start < x.end for x in quotes):
                quotes.append(qt)
        return Answer(q, answer_text(q, quotes), True, tuple(quotes))
