"""Stage 2: split each Document into Chunks with langchain-text-splitters, paragraph first,
then line, then sentence, then word boundaries. Each chunk keeps its source, [start, end)
offsets into the decoded text, its 1-based line range and a stable id. Chunks are split
further into sentences, the units that quotes are made of."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable

from .types import Chunk, Document

# Sentence ends for Russian and English (plus the ellipsis character); the lookbehind keeps the
# punctuation with its sentence, and no sentence starts in lower case ("the U.S. government", "Y.
# pestis", "framed... without": 4 of XQuAD dev's chunks ended there, cutting their sentence; fitting
# part: natural en first quotes .823 -> .818, one question gained and two lost as the Tesla article's
# chunks moved, nothing else moved). Words and characters are the last resort for run-on text.
SEPARATORS = ["\n\n", "\n", r"(?<=[.!?…])\s+(?![a-zа-яё])", r"(?<=[;:])\s+", r"\s+", ""]


def chunk_id(source: str, start: int, end: int, text: str) -> str:
    return hashlib.sha1(f"{source}\0{start}\0{end}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


class LineIndex:
    """Maps character offsets to 1-based line numbers in O(log n)."""

    def __init__(self, text: str):
        self._breaks = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self._breaks, offset) + 1

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.line(start), self.line(max(start, end - 1))


def split_text(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) spans of the chunks of text; each is text[start:end] exactly."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator=True,
        strip_whitespace=True,
    )
    spans, cursor = [], 0
    for piece in splitter.split_text(text):
        start = text.find(piece, cursor)
        if start < 0:  # never seen; guard so a splitter change cannot produce wrong offsets
            raise RuntimeError("chunk text not found in its document")
        spans.append((start, start + len(piece)))
        # Overlapping chunks start after the previous start; disjoint ones after its end.
        cursor = start + 1 if overlap else start + len(piece)
    return spans


# A date in digits, ISO or day.month.year; answer spans use it too.
NUMERIC_DATE = r"\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4}"

# Boilerplate that news text glues to its first sentence with no stop in between ("date
# 2017-08-08 Фото предоставлено пресс-службой акимата ... По данным ..."): a leading date, and a
# photo or source credit, which runs up to the first capitalised function word that opens the
# real sentence (within CREDIT_WORDS words; otherwise it is left alone).
_DATE_HEAD = re.compile(
    rf"(?:date\s+)?(?:{NUMERIC_DATE})(?:[ T]\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?(?=\s|$)",
    re.I,
)
_CREDIT = re.compile(r"(?:фото|фотография|иллюстрация|источник|photo|photograph|image|source|credit)\b", re.I)
_OPENERS = frozenset(
    """в во на по с со к ко у о об от до из за для при как так это этот эта эти но и а он она они мы
    я вчера сегодня согласно кроме также после перед между если когда где уже еще ещё все всего около
    the a an in on at by for from with as it he she they we this that these according after before
    yesterday today last""".split()
)
CREDIT_WORDS = 15
_WORD = re.compile(r"\S+")


def _boilerplate(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence text[start:end] with a leading date and credit split off as their own spans."""
    out = []
    m = _DATE_HEAD.match(text, start, end)
    if m and (rest := text[m.end() : end].lstrip()):
        out.append((start, m.end()))
        start = end - len(rest)
    if _CREDIT.match(text, start, end):
        for i, w in enumerate(_WORD.finditer(text, start, end)):
            if i > CREDIT_WORDS:
                break
            word = w.group().strip("«»\"'(),:;-–—")
            initial = len(word) == 1 and w.group().endswith(".")  # "Фото В. Иванова"
            if i and word[:1].isupper() and word.lower() in _OPENERS and not initial:
                out.append((start, start + len(text[start : w.start()].rstrip())))
                start = w.start()
                break
    return [*out, (start, end)]


def credit(segment: str) -> bool:
    """Is this segment a photo or source credit?"""
    return bool(_CREDIT.match(segment.strip()))


def dateline(segment: str) -> bool:
    """Is this segment a bare date ("date 2017-08-08"), the date a news text was published?"""
    return bool(_DATE_HEAD.fullmatch(segment.strip()))


def boilerplate(segment: str) -> bool:
    """Is this segment a bare date or a photo/source credit (no sentence: nothing to quote)?"""
    seg = segment.strip()
    if dateline(seg):
        return True
    return (
        bool(_CREDIT.match(seg))
        and not seg.endswith((".", "!", "?", "…"))
        and len(seg.split()) <= CREDIT_WORDS
    )


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) spans of the sentences of text (razdel knows Russian and English
    abbreviations); a line break always ends a sentence, since headings, list items and
    datelines carry no final stop. A date or photo credit glued to a sentence is its own span."""
    from razdel import sentenize

    out, pos = [], 0
    for line in text.split("\n"):
        for s in sentenize(line):
            if s.text.strip():
                out += _boilerplate(text, pos + s.start, pos + s.stop)
        pos += len(line) + 1
    return out


def chunk_document(doc: Document, size: int = 1000, overlap: int = 0) -> list[Chunk]:
    lines = LineIndex(doc.text)
    chunks = []
    for start, end in split_text(doc.text, size, overlap):
        text = doc.text[start:end]
        ls, le = lines.span(start, end)
        chunks.append(Chunk(chunk_id(doc.source, start, end, text), doc.source, start, end, ls, le, text))
    return chunks


def chunk_documents(docs: Iterable[Document], size: int = 1000, overlap: int = 0) -> list[Chunk]:
    return [c for d in docs for c in chunk_document(d, size, overlap)]
