"""The tables of an index version (format 2) as flat arrays and one UTF-8 text blob, all
memory-mapped: loading a version costs the same at a thousand chunks and at a million, and
replicas on one machine share the pages. A Chunk is made when a chunk is asked for (its text
decoded from its own bytes of the blob), a Document when a document is asked for."""

from __future__ import annotations

import dataclasses
import functools
import mmap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..types import Chunk, Document

TEXTS = "texts.bin"  # every document's text, UTF-8, one after another
DOCUMENTS = "documents.jsonl"  # per document: every Document field but the text, and its bytes in TEXTS
CHUNKS = "chunks.npy"  # CHUNK_ROW per chunk, in document order
SENTENCE_FIRST = "sentence_first.npy"  # (n_chunks + 1,) chunk i owns sentences first[i]:first[i + 1]
SENTENCE_SPANS = "sentence_spans.npy"  # (n_sentences, 2) [start, end) offsets into the document text
SENTENCE_KEYS = "sentence_keys.npy"  # (n_sentences,) hash of each sentence's text: the next build's cache
SENTENCES = "sentences.npy"  # (n_sentences, dim) float16 sentence vectors

# Character offsets are what quotes promise (text[start:end]); byte offsets into the blob let a
# chunk be decoded on its own, so no document is decoded to show one passage.
CHUNK_ROW = np.dtype(
    [
        ("doc", "<i4"),
        ("line_start", "<i4"),
        ("line_end", "<i4"),
        ("start", "<i8"),
        ("end", "<i8"),
        ("byte_start", "<i8"),
        ("byte_end", "<i8"),
        ("id", "<u8"),  # the chunk id's 16 hex digits
    ]
)
KEY = np.dtype("S12")  # 96 bits of the sentence text's SHA-1
DOCUMENTS_CACHED = 8  # decoded documents kept per version: a question reads up to 3, the viewer 1
_FIELDS = {f.name for f in dataclasses.fields(Document)} - {"text"}


def encode(text: str) -> bytes:
    # surrogatepass: a lone surrogate that an extractor let through round-trips instead of failing
    return text.encode("utf-8", "surrogatepass")


def document_row(doc: Document, start: int, end: int) -> dict:
    """What documents.jsonl keeps of a Document: every field but the text (so a field added to
    Document is kept without a change here), and where its text lies in the blob."""
    return {**{k: v for k, v in dataclasses.asdict(doc).items() if k != "text"}, "bytes": [start, end]}


def _tuples(value):
    """JSON has no tuples; Document's sequence fields are tuples (of tuples)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def make_document(meta: dict, text: str) -> Document:
    """The Document of a documents.jsonl row (or of any dict of its fields) and its text."""
    return Document(text=text, **{k: _tuples(v) for k, v in meta.items() if k in _FIELDS})


class Texts:
    """The text blob, memory-mapped; text(a, b) decodes bytes [a, b) only."""

    def __init__(self, path: Path):
        with path.open("rb") as f:
            size = f.seek(0, 2)
            # An empty file cannot be mapped; an index of empty texts has nothing to read anyway.
            self.data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def __len__(self) -> int:
        return len(self.data)

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "surrogatepass")


class DocumentTable(Mapping[str, Document]):
    """source -> Document, decoding a document's text only when it is asked for (a few are
    kept decoded: the assistant reads the same documents for the quotes of one answer)."""

    def __init__(self, rows: list[dict], texts: Texts):
        self.rows, self.texts = rows, texts
        self.sources = [r["source"] for r in rows]
        self.position = {s: i for i, s in enumerate(self.sources)}
        self._get = functools.lru_cache(maxsize=DOCUMENTS_CACHED)(self._document)

    def _document(self, i: int) -> Document:
        row = self.rows[i]
        return make_document(row, self.texts.text(*row["bytes"]))

    def __getitem__(self, source: str) -> Document:
        return self._get(self.position[source])

    def __iter__(self) -> Iterator[str]:
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)


class ChunkTable(Sequence[Chunk]):
    """The chunk table as a sequence of Chunks, each made when indexed."""

    def __init__(self, rows: np.ndarray, documents: DocumentTable):
        self.rows, self.documents = rows, documents

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        r = self.rows[i]
        return Chunk(
            f"{int(r['id']):016x}",
            self.documents.sources[int(r["doc"])],
            int(r["start"]),
            int(r["end"]),
            int(r["line_start"]),
            int(r["line_end"]),
            self.documents.texts.text(int(r["byte_start"]), int(r["byte_end"])),
        )

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Sequence)
            and len(self) == len(other)
            and all(a == b for a, b in zip(self, other, strict=True))
        )

    __hash__ = None
