"""The tables of an index version (format 2): flat arrays, memory-mapped, and the UTF-8 text
blob and sentence vectors, read where a question needs them. Loading a version costs the same
at a thousand chunks and at a million, and replicas on one machine share the page cache. A
Chunk is made when a chunk is asked for (its text decoded from its own bytes of the blob), a
Document when a document is asked for."""

from __future__ import annotations

import dataclasses
import functools
import mmap
import os
import weakref
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


def document_meta(doc: Document) -> dict:
    """What documents.jsonl keeps of a Document beside where its text lies in the blob: every
    field but the text (so a field added to Document is kept without a change here)."""
    return {k: v for k, v in dataclasses.asdict(doc).items() if k != "text"}


def _tuples(value):
    """JSON has no tuples; Document's sequence fields are tuples (of tuples)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def make_document(meta: dict, text: str) -> Document:
    """The Document of a documents.jsonl row (or of any dict of its fields) and its text."""
    return Document(text=text, **{k: _tuples(v) for k, v in meta.items() if k in _FIELDS})


def map_file(path: Path) -> mmap.mmap | bytes:
    """The file memory-mapped for reading (an empty file cannot be mapped)."""
    with path.open("rb") as f:
        if not f.seek(0, 2):
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


class File:
    """A file read with pread where asked, never mapped: a mapping's pages count as the
    process's own once touched, and the kernel maps 64 KB around each one touched (mapped, 200
    questions had made 430 MB of the 540 MB of sentence vectors of 100k chunks resident)."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        weakref.finalize(self, os.close, self.fd)

    def read(self, start: int, end: int) -> bytes:
        return os.pread(self.fd, end - start, start)

    def will_need(self, starts: np.ndarray, ends: np.ndarray) -> None:
        """Start reading byte ranges [starts[i], ends[i]) into the page cache and return at once,
        so that ranges read one after another later wait for the disk together, not in turn.
        Linux reads at most its read-ahead window per call (128 KB by default): keep ranges under it."""
        if hasattr(os, "posix_fadvise"):  # elsewhere (macOS) the reads just wait their turn
            for a, b in zip(np.asarray(starts).tolist(), np.asarray(ends).tolist(), strict=True):
                os.posix_fadvise(self.fd, a, b - a, os.POSIX_FADV_WILLNEED)


class Texts(File):
    """The text blob; text(a, b) decodes bytes [a, b) only."""

    def __len__(self) -> int:
        return self.size

    def text(self, start: int, end: int) -> str:
        return self.read(start, end).decode("utf-8", "surrogatepass")


def npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int]:
    """Shape, dtype and data offset of a .npy file, without mapping or reading its data."""
    with path.open("rb") as f:
        fmt = np.lib.format
        read = fmt.read_array_header_1_0 if fmt.read_magic(f) == (1, 0) else fmt.read_array_header_2_0
        shape, _, dtype = read(f)
        return shape, dtype, f.tell()


class RowFile(File):
    """A 2-d .npy array (the sentence vectors) whose rows are read when indexed: rows[i],
    rows[a:b], rows[int array] (a run of consecutive rows is one read), np.asarray(rows)."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.shape, self.dtype, self.offset = npy_header(path)
        self.row_bytes = self.shape[1] * self.dtype.itemsize
        self.ndim = 2

    def __len__(self) -> int:
        return self.shape[0]

    def will_need_rows(self, starts: np.ndarray, ends: np.ndarray) -> None:
        """will_need for rows [starts[i], ends[i])."""
        self.will_need(self.offset + starts * self.row_bytes, self.offset + ends * self.row_bytes)

    def rows(self, a: int, b: int) -> np.ndarray:
        data = self.read(self.offset + a * self.row_bytes, self.offset + b * self.row_bytes)
        return np.frombuffer(data, self.dtype).reshape(-1, self.shape[1])

    def take(self, index: np.ndarray) -> np.ndarray:
        index = np.asarray(index, np.int64)
        out = np.empty((len(index), self.shape[1]), self.dtype)
        if not len(index):
            return out
        if index.min() < 0 or index.max() >= len(self):
            raise IndexError(f"rows out of range 0..{len(self)}")
        breaks = np.flatnonzero(np.diff(index) != 1) + 1
        for a, b in zip(np.r_[0, breaks].tolist(), np.r_[breaks, len(index)].tolist(), strict=True):
            out[a:b] = self.rows(int(index[a]), int(index[a]) + b - a)
        return out

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            r = range(len(self))[key]
            return self.take(np.arange(r.start, r.stop, r.step))
        if isinstance(key, int | np.integer):
            return self.take(np.array([range(len(self))[key]]))[0]
        return self.take(key)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self.rows(0, len(self))
        return out if dtype is None else out.astype(dtype)


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
