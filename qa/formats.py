"""Text extraction for the document formats (the first half of stage 1): plain text, Markdown,
HTML, PDF and DOCX become one text string plus where its sections and pages start, so that a
citation can name the heading and the page. Offsets always refer to the extracted text, which
the index keeps, so a quote can be checked in the source viewer."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
# One line each, no nested quantifiers: the closing #s are stripped in Python. The former
# `^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$` backtracked cubically on "# x", spaces, "#"s, spaces, "y"
# (a 4 KB line took 28 s) and let \s+ run across lines.
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+([^\n]*)$", re.M)
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.M)
TITLE_CHARS = 200  # a title is a label in lists and citations, not a paragraph
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class Limits:
    """What one file may cost its parser (Settings.pdf_max_pages, docx_max_paragraphs,
    extract_timeout); over a limit the file is skipped with the reason."""

    pdf_pages: int
    docx_paragraphs: int
    seconds: float


@dataclass(frozen=True)
class Extracted:
    text: str
    sections: tuple[tuple[int, str], ...] = ()  # (start offset, heading), in order
    pages: tuple[int, ...] = ()  # start offset of each page (PDF only)
    title: str | None = None  # the title the file states about itself, if any


def _title(text: str | None) -> str | None:
    """One line of at most TITLE_CHARS characters, or None when there is nothing to show."""
    return " ".join((text or "").split())[:TITLE_CHARS].rstrip() or None


def _heading_text(rest: str) -> str:
    """A heading's text without its optional closing #s (which need a space before them)."""
    rest = rest.rstrip(" \t\r")
    bare = rest.rstrip("#")
    if bare != rest and (not bare or bare[-1] in " \t"):
        rest = bare
    return rest.strip()


def markdown(text: str) -> Extracted:
    """Markdown stays as written (code blocks included); headings outside code blocks are sections,
    and the first of them is the title. One pass over the fences and headings in order (linear: a
    308 KB file of fences and headings took 25 s when each heading counted the fences before it)."""
    fences = [m.start() for m in _FENCE.finditer(text)]
    sections, passed = [], 0
    for m in _MD_HEADING.finditer(text):
        while passed < len(fences) and fences[passed] < m.start():
            passed += 1
        title = _heading_text(m.group(2))
        if passed % 2 == 0 and title:
            sections.append((m.start(), title))
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


def pdf(data: bytes, max_pages: int) -> Extracted:
    """Text per page (pypdf), pages separated by a blank line. No text at all means a scan.
    The page count is checked before any page is read: the declared /Count first (cheap), then
    the real one (a 600 KB file can list one page object 100k times)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    for count in (lambda: int(reader.root_object["/Pages"]["/Count"]), lambda: len(reader.pages)):
        if count() > max_pages:
            raise ValueError(
                f"{count()} pages is over the {max_pages}-page limit (QA_PDF_MAX_PAGES); split the file"
            )
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


def docx_paragraphs(data: bytes, limit: int) -> int:
    """Paragraphs in word/document.xml, counted by a streaming parse that stops past `limit`, so
    that python-docx never builds a tree for a file over it (1M empty paragraphs: 626 MB)."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as z, z.open("word/document.xml") as f:
        n = 0
        for _, el in etree.iterparse(
            f, events=("end",), tag=f"{_W}p", resolve_entities=False, no_network=True
        ):
            n += 1
            if n > limit:
                break
            el.clear()
    return n


def docx(data: bytes, max_paragraphs: int) -> Extracted:
    """Paragraphs and tables in reading order (python-docx); Heading styles become sections; the
    title comes from the document properties."""
    from docx import Document as Docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if docx_paragraphs(data, max_paragraphs) > max_paragraphs:
        raise ValueError(
            f"more than {max_paragraphs} paragraphs, over the limit (QA_DOCX_MAX_PARAGRAPHS); split the file"
        )
    d = Docx(io.BytesIO(data))
    # Style names looked up once: python-docx's Paragraph.style searches the styles part on each
    # call (1.1 ms; a 20k-paragraph file took 49 s, 1.5 s this way).
    names = {s.style_id: s.name or "" for s in d.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = d.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name if default is not None else "") or ""
    lines, sections, pos = [], [], 0
    for block in d.iter_inner_content():
        if isinstance(block, Paragraph):
            t = block.text.strip()
            sid = block._p.style  # noqa: SLF001 - the style id, without python-docx's per-call lookup
            style = names.get(sid, "") if sid else default_name
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


def extract(name: str, data: bytes, decode, limits: Limits) -> Extracted:
    """Dispatch on the file suffix; `decode` turns bytes into text for the text formats. Raises
    ValueError with a plain reason (plain_reason) whatever the parser raised."""
    try:
        return _extract(name, data, decode, limits)
    except ValueError:
        raise
    except Exception as e:  # noqa: BLE001 - any parser failure is this file's reason, not the batch's
        raise ValueError(plain_reason(name, e)) from e


def _extract(name: str, data: bytes, decode, limits: Limits) -> Extracted:
    suffix = name.lower().rsplit(".", 1)[-1]
    if suffix == "pdf":
        return pdf(data, limits.pdf_pages)
    if suffix == "docx":
        return docx(data, limits.docx_paragraphs)
    text = decode(data)
    if suffix in ("html", "htm"):
        return html(text)
    if suffix in ("md", "markdown"):
        return markdown(text)
    return Extracted(text)


def plain_reason(name: str, e: BaseException) -> str:
    """A parser's exception in words a user can act on, with the parser's own message."""
    kind = name.lower().rsplit(".", 1)[-1].upper()
    detail = f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:200]}"
    if isinstance(e, zipfile.BadZipFile):
        return f"not a valid {kind} file: it is not a ZIP archive ({detail})"
    if isinstance(e, KeyError) and "word/document.xml" in str(e):
        return "not a Word document: the archive has no word/document.xml"
    if isinstance(e, RecursionError):
        return f"the {kind} file's structure nests too deeply or loops; it may be damaged"
    if isinstance(e, MemoryError):
        return f"reading this {kind} file needs too much memory; it may be a decompression bomb"
    module = type(e).__module__
    if module.startswith("pypdf"):
        return f"damaged or unsupported PDF ({detail})"
    if module.startswith(("lxml", "docx")):
        return f"damaged or unsupported DOCX ({detail})"
    return f"cannot read this {kind} file ({detail})"
