"""Writes one index version document by document (format 2). Texts go to the blob and the
tables grow by one document's arrays at a time; sentence vectors are written at their rows of
sentences.npy with pwrite, never through a memory map, so a build holds no copy of them and
its resident memory does not grow with the file (at 1M chunks: 7M sentences, 5.4 GB)."""

from __future__ import annotations

import errno
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import tables
from .tables import CHUNK_ROW, KEY, npy_header

VECTOR = np.dtype("<f2")  # float16 halves the largest file; cosines change in the fourth decimal
COPY_CHUNK = 1 << 26  # bytes per copy_file_range call


@dataclass(frozen=True, eq=False)
class Prepared:
    """One document as a version stores it: its metadata (every Document field but the text),
    its UTF-8 text, its chunk rows (byte offsets relative to that text), how many sentences
    each chunk has, and each sentence's [start, end) offsets and text hash."""

    meta: dict
    blob: bytes
    rows: np.ndarray  # CHUNK_ROW
    counts: np.ndarray  # (n_chunks,) int64
    spans: np.ndarray  # (n_sentences, 2) int64
    keys: np.ndarray  # (n_sentences,) KEY


def _header(n: int, dim: int) -> bytes:
    import io

    buf = io.BytesIO()
    # numpy pads the header so that the shape can grow in place: (0, dim) and (n, dim) take the
    # same room, and the header is rewritten once the number of sentences is known.
    np.lib.format.write_array_header_1_0(
        buf, {"descr": VECTOR.str, "fortran_order": False, "shape": (n, dim)}
    )
    return buf.getvalue()


def _runs(src: np.ndarray, dst: np.ndarray):
    """(src, dst, length) of the runs where both row numbers go up by one together."""
    if not len(dst):
        return
    order = np.argsort(dst, kind="stable")
    src, dst = src[order], dst[order]
    breaks = np.flatnonzero((np.diff(src) != 1) | (np.diff(dst) != 1)) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [len(dst)]])
    yield from zip(src[starts].tolist(), dst[starts].tolist(), (ends - starts).tolist(), strict=True)


def _copy(src_fd: int, dst_fd: int, count: int, src_off: int, dst_off: int) -> None:
    """count bytes from src_fd at src_off to dst_fd at dst_off, in the kernel where it can."""
    while count:
        try:
            done = os.copy_file_range(src_fd, dst_fd, min(count, COPY_CHUNK), src_off, dst_off)
        except OSError as e:
            if e.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            done = 0
        if done == 0:  # not supported here (or overlapping ranges of one file): through memory
            data = os.pread(src_fd, min(count, COPY_CHUNK), src_off)
            os.pwrite(dst_fd, data, dst_off)
            done = len(data)
        count, src_off, dst_off = count - done, src_off + done, dst_off + done


class VersionWriter:
    def __init__(self, path: Path, dim: int):
        self.path, self.dim, self.row_bytes = path, dim, dim * VECTOR.itemsize
        self._texts = (path / tables.TEXTS).open("wb")
        self._docs = (path / tables.DOCUMENTS).open("w", encoding="utf-8")
        self._sent = (path / tables.SENTENCES).open("w+b")
        self._sent.write(_header(0, dim))
        self.offset = self._sent.tell()
        self._rows: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._spans: list[np.ndarray] = []
        self._keys: list[np.ndarray] = []
        self.documents = self.chunks = self.sentences = self.text_bytes = 0

    def add(self, doc: Prepared) -> int:
        """Append a document; returns the row of its first sentence."""
        rows = doc.rows.copy()
        rows["doc"] = self.documents
        rows["byte_start"] += self.text_bytes
        rows["byte_end"] += self.text_bytes
        self._docs.write(
            json.dumps(
                {**doc.meta, "bytes": [self.text_bytes, self.text_bytes + len(doc.blob)]}, ensure_ascii=False
            )
            + "\n"
        )
        self._texts.write(doc.blob)
        self._rows.append(rows)
        self._counts.append(np.asarray(doc.counts, np.int64))
        self._spans.append(np.asarray(doc.spans, np.int64).reshape(-1, 2))
        self._keys.append(np.asarray(doc.keys, KEY))
        first = self.sentences
        self.documents += 1
        self.chunks += len(rows)
        self.sentences += len(doc.keys)
        self.text_bytes += len(doc.blob)
        return first

    def put(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        """Sentence vectors at their rows."""
        data = np.ascontiguousarray(vectors, dtype=VECTOR)
        for i, dst, n in _runs(np.arange(len(rows)), np.asarray(rows, np.int64)):
            os.pwrite(self._sent.fileno(), data[i : i + n].tobytes(), self.offset + dst * self.row_bytes)

    def copy(self, src: Path | None, src_rows: np.ndarray, dst_rows: np.ndarray) -> None:
        """Sentence vectors copied from rows of another version's sentences.npy (None: from
        rows of this one, for repeated sentences), run by run."""
        if src is None:
            self._copy_runs(self._sent.fileno(), self.offset, src_rows, dst_rows)
            return
        with src.open("rb") as f:
            self._copy_runs(f.fileno(), npy_header(src)[2], src_rows, dst_rows)

    def _copy_runs(self, fd: int, base: int, src_rows: np.ndarray, dst_rows: np.ndarray) -> None:
        b = self.row_bytes
        for s, d, n in _runs(np.asarray(src_rows, np.int64), np.asarray(dst_rows, np.int64)):
            _copy(fd, self._sent.fileno(), n * b, base + s * b, self.offset + d * b)

    def close(self) -> np.ndarray:
        """Write the tables and the sentence file's final header; returns sentence_first."""
        self._texts.close()
        self._docs.close()
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, CHUNK_ROW)
        counts = np.concatenate(self._counts) if self._counts else np.zeros(0, np.int64)
        first = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        np.save(self.path / tables.CHUNKS, rows)
        np.save(self.path / tables.SENTENCE_FIRST, first)
        np.save(
            self.path / tables.SENTENCE_SPANS,
            np.concatenate(self._spans) if self._spans else np.zeros((0, 2), np.int64),
        )
        np.save(
            self.path / tables.SENTENCE_KEYS, np.concatenate(self._keys) if self._keys else np.zeros(0, KEY)
        )
        self._rows = self._counts = self._spans = self._keys = []
        header = _header(self.sentences, self.dim)
        if len(header) != self.offset:  # numpy pads for this; never seen otherwise
            raise RuntimeError("sentence file header changed length")
        self._sent.truncate(self.offset + self.sentences * self.row_bytes)  # rows never written read as zeros
        os.pwrite(self._sent.fileno(), header, 0)
        self._sent.close()
        return first
