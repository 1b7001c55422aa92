"""Text extraction for the document formats (the first half of stage 1): plain text, Markdown,
HTML, PDF and DOCX become one text string plus where its sections and pages start, so that a
citation can name the heading and the page. Offsets always refer to the extracted text, which
the index keeps, so a quote can be checked in the source viewer."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.M)
TITLE_CHARS = 200  # a title is a label in lists and citations, not a paragraph


@dataclass(frozen=True)
class Extracted:
    text: str
    sections: tuple[tuple[int, str], ...] = ()  # (start offset, heading), in order
    pages: tuple[int, ...] = ()  # start offset of each page (PDF only)
    title: str | None = None  # the title the file states about itself, if any


def _title(text: str | None) -> str | None:
    """One line of at most TITLE_CHARS characters, or None when there is nothing to show."""
    return " ".join((text or "").split())[:TITLE_CHARS].rstrip() or None


def markdown(text: str) -> Extracted:
    """Markdown stays as written (code blocks included); headings outside code blocks are sections,
    and the first of them is the title."""
    fences = [m.start() for m in _FENCE.finditer(text)]
    sections = []
    for m in _MD_HEADING.finditer(text):
        if sum(1 for f in fences if f < m.start()) % 2 == 0:
            sections.append((m.start(), m.group(2).strip()))
    return Extracted(text, tuple(sections), title=_title(sections[0][1]) if sections else None)


class _HTMLText(HTMLParser):
    SKIP = {
        "script",
        "style",
        "nav",
        "header",
        "footer",
        "aside",
        "noscript",
        "template",
        "svg",
        "form",
        "head",
    }
    BLOCK = {
        "p",
        "div",
        "li",
        "tr",
        "br",
        "section",
        "article",
        "main",
        "table",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "dt",
        "dd",
        "figcaption",
        "title",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.skip = 0
        self.heading: list[str] | None = None
        self.sections: list[tuple[int, str]] = []
        self.title: list[str] | None = None  # the first <title>'s text, collected even inside <head>
        self.in_title = False

    def _newline(self):
        if self.parts and not self.parts[-1].endswith("\n"):
            self._add("\n")

    def _add(self, s: str):
        self.parts.append(s)
        self.size += len(s)

    def handle_starttag(self, tag, attrs):
        if tag == "title" and self.title is None:
            self.title, self.in_title = [], True
        if tag in self.SKIP:
            self.skip += 1
        elif not self.skip and tag in self.BLOCK:
            self._newline()
            if re.fullmatch(r"h[1-6]", tag):
                self.heading = []
                self.sections.append((self.size, ""))

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif not self.skip and tag in self.BLOCK:
            if self.heading is not None and re.fullmatch(r"h[1-6]", tag):
                self.sections[-1] = (self.sections[-1][0], " ".join("".join(self.heading).split()))
                self.heading = None
            self._newline()

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        if self.skip:
            return
        data = re.sub(r"\s+", " ", data)
        if data.strip() or (self.parts and not self.parts[-1].endswith(("\n", " "))):
            if self.parts and self.parts[-1].endswith("\n"):
                data = data.lstrip()
            self._add(data)
            if self.heading is not None:
                self.heading.append(data)


def html(text: str) -> Extracted:
    """The main text of a page: scripts, styles, navigation, headers and footers dropped,
    entities decoded, one block element per line, headings as sections, <title> as the title."""
    p = _HTMLText()
    p.feed(text)
    p.close()
    out = "".join(p.parts)
    sections = tuple((s, h) for s, h in p.sections if h)
    return Extracted(out, sections, title=_title("".join(p.title or ())))


def pdf(data: bytes) -> Extracted:
    """Text per page (pypdf), pages separated by a blank line. No text at all means a scan."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts, starts, pos = [], [], 0
    for page in reader.pages:
        # pypdf often emits runs of spaces where the PDF positions words; one space reads the same.
        t = re.sub(r"[ \t]+", " ", page.extract_text() or "").strip()
        starts.append(pos)
        parts.append(t)
        pos += len(t) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise ValueError("no text layer (a scanned PDF?); run OCR on it first")
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a damaged info dictionary costs the title, never the text
        title = None
    return Extracted(text, (), tuple(starts), _title(title))


def docx(data: bytes) -> Extracted:
    """Paragraphs and tables in reading order (python-docx); Heading styles become sections; the
    title comes from the document properties."""
    from docx import Document as Docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    d = Docx(io.BytesIO(data))
    lines, sections, pos = [], [], 0
    for block in d.iter_inner_content():
        if isinstance(block, Paragraph):
            t = block.text.strip()
            style = (block.style.name if block.style is not None else "") or ""
            if t and (style.startswith(("Heading", "Title")) or style.startswith("Заголовок")):
                sections.append((pos, t))
            rows = [t] if t else []
        elif isinstance(block, Table):
            rows = [" | ".join(c.text.strip() for c in row.cells) for row in block.rows]
        else:
            rows = []
        for r in rows:
            lines.append(r)
            pos += len(r) + 1
    return Extracted("\n".join(lines), tuple(sections), title=_title(d.core_properties.title))


def extract(name: str, data: bytes, decode) -> Extracted:
    """Dispatch on the file suffix; `decode` turns bytes into text for the text formats."""
    suffix = name.lower().rsplit(".", 1)[-1]
    if suffix == "pdf":
        return pdf(data)
    if suffix == "docx":
        return docx(data)
    text = decode(data)
    if suffix in ("html", "htm"):
        return html(text)
    if suffix in ("md", "markdown"):
        return markdown(text)
    return Extracted(text)
