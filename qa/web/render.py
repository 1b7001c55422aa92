"""HTML pieces shared by the chat and the source panel. Document text is data, never markup: every
character is escaped, and line breaks and tabs become character references so that nothing on
the way (Gradio's message clean-up, Markdown, LaTeX, link detection) can reinterpret it; CSS
`white-space: pre-wrap` shows them as written."""

from __future__ import annotations

import html

from ..types import Document, Quote
from .i18n import t

_CONTROL = {ord("\n"): "&#10;", ord("\t"): "&#9;", ord("\r"): "&#13;"}


def verbatim(text: str) -> str:
    """Text as HTML that displays exactly as written and can form no tag, link or formula."""
    return html.escape(text, quote=True).translate(_CONTROL)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def title_of(doc: Document | None, source: str) -> str:
    """What people call the document: its own title, else its file name."""
    return (doc.title if doc is not None else None) or source.rsplit("/", 1)[-1]


def where(q: Quote, lang: str, title: str | None = None) -> str:
    """page, § section, lines: where the quote stands inside its document (a section that only
    repeats the document's title is left out)."""
    lines = (
        t(lang, "line", n=q.line_start)
        if q.line_start == q.line_end
        else t(lang, "lines", a=q.line_start, b=q.line_end)
    )
    page = t(lang, "page", n=q.page) if q.page else None
    section = f"§ {q.section}" if q.section and q.section != title else None
    return ", ".join(x for x in (page, section, lines) if x)


def citation(q: Quote, doc: Document | None, lang: str) -> str:
    """'Title, page 2, § Section, lines 3–4': the document by its title, then the place in it."""
    title = title_of(doc, q.source)
    return f"{title}, {where(q, lang, title)}"


def details(q: Quote, lang: str) -> str:
    """The line for the curious: file name, date, relevance score."""
    parts = [t(lang, "file", name=q.source)]
    if q.date:
        parts.append(t(lang, "date", date=q.date))
    parts.append(t(lang, "relevance", s=f"{q.score:.2f}"))
    return " · ".join(parts)


def quote_text(q: Quote) -> str:
    """The quote, verbatim, with its short answer span (when the assistant marked one) in <b>."""
    a, b = q.answer_start, q.answer_end
    if a is None or b is None or not q.start <= a < b <= q.end:
        return verbatim(q.text)
    a, b = a - q.start, b - q.start
    return f"{verbatim(q.text[:a])}<b class='qa-span'>{verbatim(q.text[a:b])}</b>{verbatim(q.text[b:])}"
