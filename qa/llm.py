"""Optional LLM answers, above the extractive answer: its verbatim quotes go to an
OpenAI-compatible chat server (Ollama, llama.cpp, vLLM, LM Studio) numbered [1]..[n]; the reply
streams back and every citation in it is checked against the numbers given. The quotes shown
below the reply are the extractive Quote objects, never text the model wrote. "Not found" is
never sent; an unreachable or slow server gives the extractive answer with a one-line notice."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from .answer import answer_dict, answer_text, quote_dict
from .chunking import sentences
from .errors import LLMUnavailable
from .lexical import language
from .settings import Settings
from .types import Answer, Quote

log = logging.getLogger(__name__)

_CITE = r"\[(\d+(?:\s*[,;]\s*\d+)*)\]"  # [1], [1, 2], [1;2]
CITATION = re.compile(_CITE)
_LEADING_CITATIONS = re.compile(rf"^(?:\s*{_CITE})+")
_MARKERS = re.compile(rf"\s*{_CITE}")  # with the space before them: "10 [1]." -> "10."
_OPEN_MARKER = re.compile(r"\[[\d,;\s]*$")
UNSUPPORTED = {"ru": "(нет в источниках)", "en": "(not in the sources)"}
# No example numbers in the instruction: a model that echoes its prompt would "cite" them.
PROMPT = (
    "Answer the question using only the numbered quotes below. Answer briefly, in {language}. "
    "End every sentence of your answer with the numbers of the quotes it relies on, as [n]. "
    "If the quotes do not answer the question, say so.\n\nQuotes:\n{quotes}\n\nQuestion: {question}"
)


class Chat(Protocol):
    """A chat-completions server. stream() yields the reply's text in pieces and raises
    LLMUnavailable when the server cannot be reached, fails, or takes longer than timeout
    seconds in all."""

    name: str

    def stream(self, messages: list[dict], timeout: float) -> Iterator[str]: ...


def _api_base(url: str) -> str:
    """http://host:11434 and http://host:11434/v1/ both mean http://host:11434/v1."""
    from urllib.parse import urlsplit

    url = url.rstrip("/").removesuffix("/chat/completions")
    return url if urlsplit(url).path else f"{url}/v1"


@dataclass(frozen=True)
class OpenAIChat:
    """POST {url}/chat/completions with stream=true: the protocol Ollama, llama.cpp, vLLM and
    LM Studio all speak."""

    url: str
    model: str = ""  # empty: the server's default model (llama.cpp); Ollama and vLLM need a name
    api_key: str = ""
    max_tokens: int = 400  # "briefly" is asked of the model; this is enforced

    @property
    def name(self) -> str:
        return self.model or _api_base(self.url)

    def stream(self, messages: list[dict], timeout: float) -> Iterator[str]:
        import httpx

        body = {"messages": messages, "stream": True, "temperature": 0, "max_tokens": self.max_tokens}
        if self.model:
            body["model"] = self.model
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = f"{_api_base(self.url)}/chat/completions"
        deadline = time.monotonic() + timeout
        try:
            with httpx.stream(
                "POST",
                url,
                json=body,
                headers=headers,
                timeout=httpx.Timeout(timeout, connect=min(timeout, 5)),
            ) as r:
                if r.status_code != 200:
                    r.read()
                    raise LLMUnavailable(f"the LLM server at {url} answered {r.status_code}: {r.text[:200]}")
                for line in r.iter_lines():
                    if time.monotonic() > deadline:
                        raise LLMUnavailable(f"the LLM server at {url} took over {timeout:g} s")
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    piece = _delta(data)
                    if piece:
                        yield piece
        except httpx.TimeoutException:
            raise LLMUnavailable(f"the LLM server at {url} took over {timeout:g} s") from None
        except httpx.HTTPError as e:
            raise LLMUnavailable(f"cannot reach the LLM server at {url} ({e})") from None


def _delta(data: str) -> str:
    try:
        choices = json.loads(data).get("choices") or [{}]
        return choices[0].get("delta", {}).get("content") or ""
    except (ValueError, AttributeError, IndexError) as e:
        raise LLMUnavailable(f"the LLM server sent a stream this client cannot read ({e})") from None


@dataclass
class ScriptedChat:
    """A deterministic Chat for fast tests: streams `reply` in pieces of `piece` characters, or
    raises LLMUnavailable(error). Keeps the messages it was sent."""

    reply: str = ""
    error: str | None = None
    piece: int = 5
    name: str = "scripted"
    sent: list[list[dict]] = field(default_factory=list)

    def stream(self, messages: list[dict], timeout: float) -> Iterator[str]:
        self.sent.append(messages)
        if self.error:
            raise LLMUnavailable(self.error)
        for i in range(0, len(self.reply), self.piece):
            yield self.reply[i : i + self.piece]


def chat_from(settings: Settings) -> OpenAIChat | None:
    """The configured LLM server, or None when LLM answers are off (the default)."""
    if not settings.llm_url:
        return None
    return OpenAIChat(settings.llm_url, settings.llm_model, settings.llm_api_key, settings.llm_max_tokens)


@dataclass(frozen=True)
class Claim:
    """One sentence of the model's reply."""

    text: str  # as the model wrote it, without its citation markers
    cites: tuple[int, ...]  # valid citations, numbered as LLMAnswer.quotes (1-based)

    @property
    def supported(self) -> bool:
        return bool(self.cites)


@dataclass(frozen=True)
class LLMAnswer:
    question: str
    text: str  # the checked reply, then the cited quotes and their sources as in extractive mode
    found: bool
    quotes: tuple[Quote, ...] = ()  # the quotes cited, verbatim, in order of first citation
    # The reply sentence by sentence; empty when the extractive answer is shown.
    claims: tuple[Claim, ...] = ()
    dropped: tuple[int, ...] = ()  # citation numbers the model gave that were not among [1]..[n]
    notice: str | None = None  # why the extractive answer is shown instead of the model's
    model: str | None = None  # the LLM that wrote the reply
    extractive: Answer | None = field(default=None, compare=False)  # the answer the reply was grounded on
    final: bool = True  # False while the reply is still streaming

    @property
    def settled(self) -> tuple[Claim, ...]:
        """The claims whose citations are known: while streaming, the last may still get one."""
        return self.claims if self.final else self.claims[:-1]


def prompt(question: str, quotes: tuple[Quote, ...]) -> list[dict]:
    """One user message (Gemma and some other chat templates have no system role)."""
    numbered = "\n".join(f"[{i}] {q.text}" for i, q in enumerate(quotes, 1))
    lang = "Russian" if language(question) == "ru" else "the language of the question"
    return [{"role": "user", "content": PROMPT.format(language=lang, quotes=numbered, question=question)}]


def _numbers(markers: str) -> list[int]:
    return [int(n) for m in CITATION.finditer(markers) for n in re.split(r"[,;]", m.group(1))]


def check(reply: str, given: int) -> tuple[list[tuple[str, list[int]]], list[int]]:
    """Split the reply into sentences with their citations. A number outside 1..given is dropped
    (returned second). Citations standing before a sentence's first word belong to the sentence
    before ("... 10 предприятий. [1] Далее ...")."""
    claims: list[tuple[str, list[int]]] = []
    dropped: list[int] = []
    for a, b in sentences(reply):
        s = reply[a:b]
        lead = _LEADING_CITATIONS.match(s)
        if lead and claims:
            claims[-1][1].extend(_numbers(lead.group()))
            s = s[lead.end() :]
        cites = _numbers(s)
        text = " ".join(_MARKERS.sub("", s).split())
        if any(ch.isalnum() for ch in text):
            claims.append((text, cites))
        elif claims:
            claims[-1][1].extend(cites)
    for _, cites in claims:
        dropped += [n for n in cites if not 1 <= n <= given]
        cites[:] = list(dict.fromkeys(n for n in cites if 1 <= n <= given))
    return claims, sorted(set(dropped))


def claim_text(c: Claim, lang: str) -> str:
    """A sentence of the reply as shown: its citations, or a mark saying it has none."""
    return (
        f"{c.text} {''.join(f'[{n}]' for n in c.cites)}" if c.supported else f"{c.text} {UNSUPPORTED[lang]}"
    )


def _render(answer: Answer, model: str, reply: str, final: bool) -> LLMAnswer | None:
    """The checked reply with citations renumbered in order of first use, so the quotes below
    it are numbered 1..m as in extractive mode. None when a finished reply cites nothing (a
    draft is always rendered: its citations may still come)."""
    if not final:  # a marker still arriving ("[1" of "[12]") is not shown until it is whole
        reply = _OPEN_MARKER.sub("", reply)
    raw, dropped = check(reply, len(answer.quotes))
    order = list(dict.fromkeys(n for _, cites in raw for n in cites))
    if final and not order:
        return None
    renumber = {n: i for i, n in enumerate(order, 1)}
    claims = tuple(Claim(text, tuple(renumber[n] for n in cites)) for text, cites in raw)
    quotes = tuple(answer.quotes[n - 1] for n in order)
    r = LLMAnswer(answer.question, "", True, quotes, claims, tuple(dropped), None, model, answer, final)
    lang, settled = language(answer.question), r.settled
    text = " ".join([*(claim_text(c, lang) for c in settled), *(c.text for c in claims[len(settled) :])])
    if final:
        text = f"{text}\n\n{answer_text(answer.question, quotes)}"
    return dataclasses.replace(r, text=text)


def _extractive(answer: Answer, notice: str | None) -> LLMAnswer:
    text = f"{notice}\n\n{answer.text}" if notice else answer.text
    return LLMAnswer(answer.question, text, answer.found, answer.quotes, notice=notice, extractive=answer)


def grounded(answer: Answer, chat: Chat, timeout: float) -> Iterator[LLMAnswer]:
    """The LLM's answer to an extractive Answer, streamed: drafts (final=False) as the reply
    arrives, each already checked, then the final LLMAnswer. A "not found" answer, a server
    that fails or a reply that cites none of the quotes ends in the extractive answer (with a
    notice saying why, except for "not found", which is the answer)."""
    if not answer.found or not answer.quotes:
        yield _extractive(answer, None)
        return
    reply = ""
    try:
        for piece in chat.stream(prompt(answer.question, answer.quotes), timeout):
            reply += piece
            yield _render(answer, chat.name, reply, final=False)
    except LLMUnavailable as e:
        log.warning("%s", e)
        yield _extractive(answer, f"⚠ {e}; showing the quotes instead.")
        return
    checked = _render(answer, chat.name, reply, final=True)
    if checked is None:
        log.warning("the LLM's reply cited none of the quotes: %r", reply[:300])
        yield _extractive(answer, "⚠ The LLM's reply cited none of the quotes; showing the quotes instead.")
        return
    yield checked


def llm_dict(a: LLMAnswer) -> dict:
    """`qa ask --json` with an LLM: the extractive shape (answer, found, quotes, closest) with the
    checked reply as the answer and the cited quotes, plus an "llm" block."""
    base = answer_dict(a.extractive) if a.extractive else {"closest": None}
    return {
        **base,
        "answer": a.text,
        "found": a.found,
        "quotes": [quote_dict(q) for q in a.quotes],
        "llm": {
            "model": a.model,
            "claims": [{"text": c.text, "cites": list(c.cites), "supported": c.supported} for c in a.claims],
            "dropped": list(a.dropped),
            "notice": a.notice,
        },
    }
