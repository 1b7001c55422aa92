"""The source panel: the cited document around a quote (for a PDF, the quote's whole page), the
quote highlighted in <mark id="qa-hl">, its short answer span in bold; or the beginning of a
document opened from the documents panel. Titles and places come first, file names, scores and
index versions only in the details line under the text."""

from __future__ import annotations

from ..types import Document, Quote
from .i18n import t
from .render import attr, details, quote_text, title_of, verbatim, where

VIEW_CHARS = 4000  # document text shown on each side of a quote
OPEN_CHARS = 20_000  # the beginning of a document opened from the documents panel


def empty_view(lang: str) -> str:
    return f"<div class='qa-src'><p class='qa-src-empty'>{verbatim(t(lang, 'viewer_empty'))}</p></div>"


def _panel(title: str, place: str, body: str, info: str) -> str:
    return (
        f"<div class='qa-src'><div class='qa-src-head'><span class='qa-src-title'>{verbatim(title)}</span>"
        f" <span class='qa-src-where'>{verbatim(place)}</span></div>"
        f"<div class='qa-doc' id='qa-doc' tabindex='0'>{body}</div>"
        f"<div class='qa-details' title='{attr(info)}'>{verbatim(info)}</div></div>"
    )


def quote_view(q: Quote, doc: Document, lang: str, version: str | None = None) -> str:
    """The quote in its document; `doc` is the text the quote was cut from (kept with the answer,
    so the view matches the quote even after a rebuild changed the file)."""
    text = doc.text
    if q.page and doc.pages:  # the whole page, as pypdf extracted it
        ends = [*doc.pages[1:], len(text)]
        a, b = doc.pages[q.page - 1], max(q.end, ends[q.page - 1])
    else:
        a, b = max(0, q.start - VIEW_CHARS), min(len(text), q.end + VIEW_CHARS)
    body = (
        f"{'…' if a else ''}{verbatim(text[a : q.start])}"
        f"<mark id='qa-hl' class='qa-hl'>{quote_text(q)}</mark>"
        f"{verbatim(text[q.end : b])}{'…' if b < len(text) else ''}"
    )
    info = details(q, lang) + (f" · {t(lang, 'version', v=version)}" if version else "")
    title = title_of(doc, q.source)
    return _panel(title, where(q, lang, title), body, info)


def document_view(doc: Document, lang: str, version: str | None = None) -> str:
    """The beginning of a whole document."""
    text = doc.text[:OPEN_CHARS]
    body = verbatim(text) + ("…" if len(doc.text) > OPEN_CHARS else "")
    info = t(lang, "file", name=doc.source) + (f" · {t(lang, 'version', v=version)}" if version else "")
    return _panel(title_of(doc, doc.source), t(lang, "start_of_document"), body, info)
