"""The chat: a conversation per browser session, answered as a stream of events, and rendered as
chat messages. Questions are queued in the conversation and answered in order by one loop per
session, so a question asked while another is pending is never lost. Every answer keeps its own
citations (the quote and the document text it was cut from) for the source panel."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ..answer import Assistant
from ..errors import BadQuestion, IndexNotFound, QAError, one_line
from ..lexical import language
from ..llm import UNSUPPORTED, LLMAnswer
from ..retrieve import LiveRetriever, clean_question
from ..types import Answer, Document, Quote
from .i18n import t
from .render import attr, citation, details, quote_text, verbatim

log = logging.getLogger(__name__)


# Answer events: what the chat shows as an answer arrives; the chat renders whatever a turn has
# received so far.
@dataclass(frozen=True)
class Quoted:
    """One quote of the answer (or the closest passage of a "not found"), with its document."""

    quote: Quote
    document: Document
    closest: bool = False  # True: the answer is "not found" and this is only the closest passage


@dataclass(frozen=True)
class Written:
    """The LLM's reply so far, checked (LLM answers on): a draft while it streams, then final."""

    reply: LLMAnswer


@dataclass(frozen=True)
class Finished:
    answer: Answer
    version: str  # the index version that answered


def answer_events(live: LiveRetriever, question: str, previous: Sequence[str] = (), write=None) -> Iterator:
    """Quoted events, then Finished. Raises QAError (no index, a bad question). With `write`
    (an Answer -> LLMAnswer stream, qa.llm.grounded), an answer found is first written by the
    LLM (Written events) and the quotes that follow are the ones its reply cites."""
    retriever = live.get()  # this question stays on this version, even if a build lands meanwhile
    a = Assistant(retriever).ask(question, previous)
    quotes = a.quotes
    if write is not None and a.found:
        for reply in write(a):
            yield Written(reply)
        quotes = reply.quotes
    for q in quotes:
        yield Quoted(q, retriever.document(q.source))
    if a.closest is not None:
        yield Quoted(a.closest, retriever.document(a.closest.source), closest=True)
    yield Finished(a, retriever.version)


@dataclass
class Turn:
    id: int  # unique within the session, never reused: citation links name it
    question: str
    lang: str  # the question's language, which its answer is written in
    cited: list[Quoted] = field(default_factory=list)  # citation [n] is cited[n - 1]
    answer: Answer | None = None
    version: str | None = None
    error: str | None = None
    written: LLMAnswer | None = None  # the LLM's reply, when LLM answers are on

    @property
    def done(self) -> bool:
        return self.answer is not None or self.error is not None

    def apply(self, event) -> None:
        if isinstance(event, Written):
            self.written = event.reply
        elif isinstance(event, Quoted):
            self.cited.append(event)
        elif isinstance(event, Finished):
            self.answer, self.version = event.answer, event.version


class Conversation:
    """A session's questions and answers. Mutated by the session's events, which Gradio runs on
    several threads: the lock guards the queue and the flag saying a loop is answering it."""

    def __init__(self):
        self.turns: list[Turn] = []
        self._to_open: Turn | None = None  # a new answer whose first quote the source panel opens next
        self._lock = threading.Lock()
        self._busy = False
        self._ids = itertools.count(1)

    def ask(self, question: str) -> Turn:
        with self._lock:
            turn = Turn(next(self._ids), question, language(question))
            self.turns.append(turn)
            return turn

    def clear(self) -> None:
        with self._lock:
            self.turns, self._to_open = [], None

    def finished(self, turn: Turn) -> None:
        """A new answer: the source panel opens its first quote (a newer answer replaces it)."""
        with self._lock:
            if turn.cited and turn in self.turns:
                self._to_open = turn

    def take_finished(self) -> Turn | None:
        with self._lock:
            turn, self._to_open = self._to_open, None
            return turn

    def start(self) -> bool:
        """Take the answering loop; False when another event of this session already runs it."""
        with self._lock:
            if self._busy:
                return False
            self._busy = True
            return True

    def next_question(self) -> Turn | None:
        """The oldest unanswered turn; None (and the loop released) when there is none."""
        with self._lock:
            turn = next((x for x in self.turns if not x.done), None)
            if turn is None:
                self._busy = False
            return turn

    def stop(self) -> None:
        with self._lock:
            self._busy = False

    def previous(self, turn: Turn) -> list[str]:
        return [x.question for x in self.turns[: self.turns.index(turn)]] if turn in self.turns else []

    def cited(self, turn_id: int, n: int) -> tuple[Turn, Quoted] | None:
        turn = next((x for x in self.turns if x.id == turn_id), None)
        if turn is None or not 1 <= n <= len(turn.cited):
            return None
        return turn, turn.cited[n - 1]


def askable(question: str) -> bool:
    """False for an empty or punctuation-only question, which gets a hint instead of an answer."""
    try:
        clean_question(question)
    except BadQuestion:
        return False
    return True


def answer_loop(conv: Conversation, live: LiveRetriever, write=None) -> Iterator[Turn | None]:
    """Answer the session's queued questions in order (with `write`, see answer_events). Yields
    None after each change worth showing, and the turn itself when it is finished. Returns at
    once when another event of the session already runs the loop (that loop will answer the new
    question too)."""
    if not conv.start():
        return
    try:
        while (turn := conv.next_question()) is not None:
            yield None  # "searching…" shows now
            try:
                for event in answer_events(live, turn.question, conv.previous(turn), write):
                    turn.apply(event)
                    yield None
            except IndexNotFound:
                turn.error = t(turn.lang, "no_index")
            except Exception as e:  # noqa: BLE001 - one line in the chat, whatever failed
                if not isinstance(e, QAError):
                    log.error("question failed", exc_info=e)
                turn.error = t(turn.lang, "failed", error=one_line(e))
            yield turn
    finally:
        conv.stop()


def _cite_link(turn: Turn, n: int, label: str) -> str:
    q = turn.cited[n - 1].quote
    return (
        f"<a class='qa-cite' href='#qa-cite-{turn.id}-{n}' "
        f"title='{attr(details(q, turn.lang))}'>{verbatim(label)}</a>"
    )


def _written_html(turn: Turn, r: LLMAnswer) -> str:
    """The LLM's reply as checked: each sentence with its citations (links once its quotes are
    in), one citing nothing marked; or the notice saying why only the quotes are shown."""
    if r.notice:
        return f"<p class='qa-notice'>{verbatim(r.notice)}</p>"
    parts = []
    for i, c in enumerate(r.claims):
        if i >= len(r.settled):
            marks = ""
        elif c.supported:
            marks = " ".join(
                _cite_link(turn, n, f"[{n}]") if n <= len(turn.cited) else verbatim(f"[{n}]") for n in c.cites
            )
        else:
            marks = f"<span class='qa-unsupported'>{verbatim(UNSUPPORTED[turn.lang])}</span>"
        parts.append(f"{verbatim(c.text)} {marks}")
    return f"<p class='qa-written'>{' '.join(parts)}</p>"


def answer_html(turn: Turn) -> str:
    lang = turn.lang
    if turn.error:
        return f"<p class='qa-error'>⚠ {verbatim(turn.error)}</p>"
    if not turn.cited and turn.answer is None and turn.written is None:
        return f"<p class='qa-searching'>{verbatim(t(lang, 'searching'))}</p>"
    parts = [] if turn.written is None else [_written_html(turn, turn.written)]
    not_found = any(c.closest for c in turn.cited) or (turn.answer is not None and not turn.answer.found)
    if not_found:
        parts.append(
            f"<p class='qa-notfound'><b>⚠ {verbatim(t(lang, 'not_found'))}</b> "
            f"{verbatim(t(lang, 'not_found_text'))}</p>"
        )
        if turn.cited:
            parts.append(f"<p class='qa-closest'>{verbatim(t(lang, 'closest'))}:</p>")
    for n, c in enumerate(turn.cited, 1):
        parts.append(
            f"<blockquote class='qa-quote'>{quote_text(c.quote)} {_cite_link(turn, n, f'[{n}]')}</blockquote>"
        )
    if turn.cited and turn.answer is not None:
        refs = "".join(
            f"<li>{_cite_link(turn, n, f'[{n}] {citation(c.quote, c.document, lang)}')}</li>"
            for n, c in enumerate(turn.cited, 1)
        )
        parts.append(f"<div class='qa-sources'><b>{verbatim(t(lang, 'sources'))}</b><ul>{refs}</ul></div>")
    return f"<div class='qa-answer'>{''.join(parts)}</div>"


def messages(conv: Conversation) -> list[dict]:
    """The conversation as Chatbot messages: the question as typed, then its answer so far."""
    out = []
    for turn in list(conv.turns):
        out.append({"role": "user", "content": f"<span class='qa-asked'>{verbatim(turn.question)}</span>"})
        out.append({"role": "assistant", "content": answer_html(turn)})
    return out
