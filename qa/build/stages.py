"""What a build does to one document, the same on this machine and on a Ray cluster: read and
extract a file, chunk the document and split the chunks into sentences (with their offsets,
text hashes and byte offsets into the UTF-8 text), and pick the sentences the model must see."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..chunking import chunk_document, sentences
from ..documents import read_document
from ..settings import Settings
from ..store.tables import CHUNK_ROW, document_meta, encode
from ..store.writer import Prepared
from ..types import Document, Skipped
from .cache import contains, text_keys


def extract(source: str, path: Path, settings: Settings | None = None) -> Document | Skipped:
    """The document in a file, or why it is skipped (settings: the parsers' limits)."""
    try:
        doc = read_document(path, source, settings)
    except (OSError, ValueError) as e:
        return Skipped(source, e.strerror if isinstance(e, OSError) and e.strerror else str(e))
    return doc if doc.text.strip() else Skipped(source, "empty")


def _byte_offsets(text: str, blob: bytes, positions: np.ndarray) -> np.ndarray:
    """UTF-8 byte offset of each character offset (positions ascending), in one pass."""
    if len(blob) == len(text):  # ASCII: bytes are characters
        return positions.copy()
    out, chars, nbytes = np.empty(len(positions), np.int64), 0, 0
    for i, p in enumerate(positions.tolist()):
        nbytes += len(encode(text[chars:p]))
        chars = p
        out[i] = nbytes
    return out


def prepare(doc: Document, size: int, overlap: int) -> Prepared:
    """The document chunked and split into sentences, as the store keeps it. A chunk in which
    razdel finds no sentence is one sentence."""
    chunks = chunk_document(doc, size, overlap)
    spans = [[(c.start + a, c.start + b) for a, b in sentences(c.text)] or [(c.start, c.end)] for c in chunks]
    flat = np.array([s for ss in spans for s in ss], np.int64).reshape(-1, 2)
    blob = encode(doc.text)
    rows = np.zeros(len(chunks), CHUNK_ROW)
    if chunks:
        rows["start"] = [c.start for c in chunks]
        rows["end"] = [c.end for c in chunks]
        rows["line_start"] = [c.line_start for c in chunks]
        rows["line_end"] = [c.line_end for c in chunks]
        rows["id"] = [int(c.id, 16) for c in chunks]
        positions, where = np.unique(np.concatenate([rows["start"], rows["end"]]), return_inverse=True)
        offsets = _byte_offsets(doc.text, blob, positions)[where]
        rows["byte_start"], rows["byte_end"] = offsets[: len(chunks)], offsets[len(chunks) :]
    return Prepared(
        document_meta(doc),
        blob,
        rows,
        np.array([len(ss) for ss in spans], np.int64),
        flat,
        text_keys(doc.text[a:b] for a, b in flat.tolist()),
    )


def to_embed(keys: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Positions of the sentences the model must see: the first of each text that `known`
    (sorted keys with vectors) lacks."""
    _, first = np.unique(keys, return_index=True)
    first = np.sort(first)
    return first[~contains(known, keys[first])]
