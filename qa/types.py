"""Shared data model: small frozen dataclasses passed between the pipeline stages
(documents -> chunking -> embedding -> store -> lexical -> retrieve -> answer).
Offsets are always [start, end) character positions into the decoded document text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the seeds folder, with "/" separators
    text: str  # decoded (or extracted) text; every offset refers to this string
    sha256: str  # hash of the raw file bytes
    date: str | None = None  # ISO date stated near the top of the text, if any
    sections: tuple[tuple[int, str], ...] = ()  # (start offset, heading) in order
    pages: tuple[int, ...] = ()  # start offset of each page (PDF)
    title: str | None = None  # stated by the file (HTML <title>, DOCX/PDF metadata, first Markdown heading)

    def section_at(self, offset: int) -> str | None:
        i = bisect.bisect_right([s for s, _ in self.sections], offset)
        return self.sections[i - 1][1] if i else None

    def page_at(self, offset: int) -> int | None:
        return bisect.bisect_right(self.pages, offset) if self.pages else None


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass(frozen=True)
class Chunk:
    id: str  # stable: hash of source, offsets and text
    source: str
    start: int
    end: int
    line_start: int  # 1-based, inclusive
    line_end: int
    text: str


@dataclass(frozen=True)
class Hit:
    text: str
    source: str
    start: int
    end: int
    line_start: int
    line_end: int
    score: float
    chunk_id: str = ""
    date: str | None = None
    section: str | None = None  # heading the hit starts under
    page: int | None = None  # 1-based page (PDF)


@dataclass(frozen=True)
class Quote:
    text: str  # exactly document_text[start:end]
    source: str
    start: int
    end: int
    line_start: int
    line_end: int
    score: float
    date: str | None = None
    section: str | None = None  # heading the quote stands under
    page: int | None = None  # 1-based page (PDF)
    answer_start: int | None = None  # document offsets of the short answer inside the quote, if known
    answer_end: int | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # quotes with [n] markers and a sources list, or a plain "not found"
    found: bool
    quotes: tuple[Quote, ...] = ()
    closest: Quote | None = None  # best passage when found is False, shown only as "closest passage"


@dataclass(frozen=True)
class BuildReport:
    documents: int
    chunks: int
    embedded: int  # chunks sent through the model in this run (the rest came from the cache)
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (old, new)
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    rebuilt: str | None = None  # why everything was re-embedded, when it was
    version: str = ""
    seconds: float = 0.0
    written: bool = True  # False when nothing changed and the index was left as it was
    extracted: int = 0  # files read and extracted (the others' text came from the previous version)
    warnings: tuple[str, ...] = field(default=())
