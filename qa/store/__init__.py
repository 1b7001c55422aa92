"""Stage 4: the index folder. Each build writes a complete version aside (versions/<id>/: the
text blob, the chunk and sentence tables, the vectors, the lexical index and a manifest) and
then switches the CURRENT pointer with one atomic rename, so a crash mid-build leaves the
previous version loadable (versions.py). A version is memory-mapped, not read into objects
(tables.py); loading checks it against its manifest, which carries each file's size and checksum."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IndexMismatch, IndexNotFound
from ..types import Chunk, Document
from .dense import EXACT_MAX, FAISS_FILE, NPROBE_CHOICES
from .tables import (
    CHUNK_ROW,
    CHUNKS,
    DOCUMENTS,
    KEY,
    SENTENCE_FIRST,
    SENTENCE_KEYS,
    SENTENCE_SPANS,
    SENTENCES,
    TEXTS,
    ChunkTable,
    DocumentTable,
    File,
    RowFile,
    Texts,
    map_file,
    npy_header,
)
from .versions import (
    _REBUILD,
    FORMAT_VERSION,
    _manifest,
    _pointer,
    build_lock,
    clean_tmp,
    commit,
    current_version,
    finish,
    new_version_dir,
    read_manifest,
    sha256,
)

log = logging.getLogger(__name__)

__all__ = [
    "EXACT_MAX",
    "FORMAT_VERSION",
    "Stored",
    "build_lock",
    "clean_tmp",
    "commit",
    "current_version",
    "finish",
    "load",
    "new_version_dir",
    "read_manifest",
    "sha256",
]

# Checked by size at every load and by checksum when a build reuses them: the vector files, which
# rank but are never quoted. Hashing them is most of a load at 1M chunks (6.9 GB, ~6 s of SHA-256
# on this machine); the texts, tables and lexical files, which quotes and citations are cut from,
# are checksummed at every load.
BULK = (SENTENCES, FAISS_FILE)
LEXICAL_PER_TEXT_BYTE = (
    0.6  # BM25 on disk per byte of text: 0.56 at 100k scale-bench chunks (49 MB for 87 MB)
)
READ_AHEAD_STEP = 128 << 10  # Linux's default read-ahead window: the most one will_need call reads
CHECK_BLOCK = 1 << 18  # chunks checked at a time when a version is opened


@dataclass(frozen=True, eq=False)
class Stored:
    """One loaded index version."""

    version: str
    path: Path
    manifest: dict
    documents: DocumentTable  # source -> Document, decoded when asked for
    chunks: ChunkTable  # Chunk per row, made when asked for
    vectors: object  # faiss.Index over chunk vectors
    sentence_spans: np.ndarray  # (n_sentences, 2) [start, end) document offsets, grouped by chunk
    sentence_first: np.ndarray  # (n_chunks + 1,) chunk i owns sentences sentence_first[i]:sentence_first[i+1]
    sentence_vectors: RowFile  # (n_sentences, dim) float16, rows read when indexed
    sentence_keys: np.ndarray  # (n_sentences,) text hashes: the next build's embedding cache

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)

    def chunk(self, i: int) -> Chunk:
        return self.chunks[i]

    def document(self, source: str) -> Document:
        return self.documents[source]

    def sentences_of(self, i: int) -> range:
        return range(int(self.sentence_first[i]), int(self.sentence_first[i + 1]))

    def read_ahead(self) -> None:
        """Read an IVF index's file into the page cache in the background, for serving (a build
        never searches the previous version). A question scans an eighth of the IVF lists
        (nprobe 512 of 4,000 at 1M chunks), so without it each of the first few dozen questions
        after a load waits for the disk (200 questions at 1M chunks, not in the page cache:
        FAISS p95 406 ms, 9.6 ms read ahead). Nothing waits for it: 1.5 GB took ~1 s here."""
        if not hasattr(self.vectors, "nprobe"):
            return  # a flat index was read into memory whole
        f = File(self.path / FAISS_FILE)
        starts = np.arange(0, f.size, READ_AHEAD_STEP)
        ends = np.minimum(starts + READ_AHEAD_STEP, f.size)
        threading.Thread(target=f.will_need, args=(starts, ends), name="qa-read-ahead", daemon=True).start()

    def prefetch(self, ids: np.ndarray) -> None:
        """Start reading the sentence vectors and texts of chunks `ids` and return at once: a
        question's ~100 pooled chunks then wait for the disk together. At 1M chunks, not in the
        page cache: 13.9 ms to read them one after another, 4.3 ms prefetched (median of 100
        bench/scale.py questions each)."""
        ids = np.asarray(ids, np.int64)
        self.sentence_vectors.will_need_rows(self.sentence_first[ids], self.sentence_first[ids + 1])
        rows = self.chunks.rows[ids]
        self.documents.texts.will_need(rows["byte_start"], rows["byte_end"])


def estimate_bytes(chunks: int, sentences: int, text_bytes: int, dim: int) -> int:
    """About what a version of this size takes on disk: its tables and vectors exactly, the
    lexical index as LEXICAL_PER_TEXT_BYTE of the text blob."""
    per_sentence = dim * 2 + KEY.itemsize + 16  # float16 vector, key, span
    per_chunk = dim * 4 + CHUNK_ROW.itemsize + 8  # FAISS vector, row, sentence_first
    return int(text_bytes * (1 + LEXICAL_PER_TEXT_BYTE) + sentences * per_sentence + chunks * per_chunk)


def check_manifest(manifest: dict, where: Path, model: str | None = None) -> None:
    fmt = manifest.get("format_version")
    if fmt != FORMAT_VERSION:
        raise IndexMismatch(
            f"index {where} has format version {fmt}, this qa reads {FORMAT_VERSION}; {_REBUILD}"
        )
    kind = manifest.get("faiss", {}).get("kind", "flat")
    if kind not in ("flat", "ivf"):
        raise IndexMismatch(
            f"index {where} has a FAISS index of kind {kind!r}, which this qa no longer searches "
            f"(IVF replaced HNSW for large corpora); {_REBUILD}"
        )
    if model and manifest.get("model") != model:
        raise IndexMismatch(
            f"index {where} was built with model {manifest.get('model')!r}, not {model!r}; "
            f"{_REBUILD} --model {model}, or load it without a model"
        )


def verify(path: Path, manifest: dict) -> None:
    """Compare the version's files with the manifest: every file by size, and by checksum all
    but the BULK vector files (hashing those is most of a large load; see verify_bulk)."""
    sums, sizes = manifest.get("checksums") or {}, manifest.get("sizes") or {}
    if not sums or set(sums) != set(sizes):
        raise IndexMismatch(f"index {path} has no checksums in its manifest; {_REBUILD}")
    for rel, digest in sums.items():
        f = path / rel
        if not f.is_file() or f.stat().st_size != sizes[rel] or (rel not in BULK and sha256(f) != digest):
            raise IndexMismatch(f"index file {f} is missing or damaged (checksum mismatch); {_REBUILD}")


def verify_bulk(stored: Stored, rel: str) -> None:
    """Checksum one of a loaded version's BULK files (a build does, for the sentence vectors it
    copies from the previous version: 5.4 GB at 1M chunks, so never for a build with nothing to do)."""
    sums, f = stored.manifest.get("checksums") or {}, stored.path / rel
    if rel not in sums or sha256(f) != sums[rel]:
        raise IndexMismatch(f"index file {f} is missing or damaged (checksum mismatch); {_REBUILD}")


def load(index_dir: str | Path, model: str | None = None) -> Stored:
    """The current version, memory-mapped."""
    index_dir = Path(index_dir)
    name = current_version(index_dir)
    if name is None:
        raise IndexNotFound(f"no index in {index_dir}; build one with `qa index --index {index_dir}`")
    path = index_dir / "versions" / name
    if sha256(path / "manifest.json") != _pointer(index_dir)[1]:
        raise IndexMismatch(
            f"index manifest {path / 'manifest.json'} was changed after the build; {_REBUILD}"
        )
    manifest = _manifest(path / "manifest.json")
    check_manifest(manifest, index_dir, model)
    verify(path, manifest)
    try:
        return _open(name, path, manifest)
    except IndexMismatch:
        raise
    except Exception as e:  # files that pass their checksums and still do not parse were forged
        raise IndexMismatch(
            f"index {path} cannot be read ({type(e).__name__}: {str(e)[:200]}); {_REBUILD}"
        ) from e


def _open(name: str, path: Path, manifest: dict) -> Stored:
    import faiss

    with (path / DOCUMENTS).open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    texts = Texts(path / TEXTS)
    docs = DocumentTable(rows, texts)
    chunks, first, spans, keys = (
        _map(path / f) for f in (CHUNKS, SENTENCE_FIRST, SENTENCE_SPANS, SENTENCE_KEYS)
    )
    sentences = RowFile(path / SENTENCES)
    if sentences.size != sentences.offset + len(sentences) * sentences.row_bytes:
        raise IndexMismatch(f"index file {path / SENTENCES} does not hold its vectors; {_REBUILD}")
    # IVF lists are memory-mapped: replicas share the pages, and a load reads nothing it does not
    # search (IO_FLAG_MMAP instead would make them faiss's on-disk lists, 7x slower per query).
    # A flat index is read: its vectors are searched with one matrix product (retrieve/retriever.py), and
    # mapped they sit unaligned in the file, which made that product 3-5x slower at 100k chunks.
    ivf = manifest.get("faiss", {}).get("kind") == "ivf"
    flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if ivf else 0
    vectors = faiss.read_index(str(path / FAISS_FILE), flags)
    if hasattr(vectors, "nprobe"):
        vectors.nprobe = manifest.get("faiss", {}).get("nprobe", NPROBE_CHOICES[-1])
        vectors.parallel_mode = 1  # one query's lists on all cores: 2x faster for a single query
    _check(path, docs, chunks, first, spans, keys, sentences, vectors, len(texts))
    return Stored(
        name, path, manifest, docs, ChunkTable(chunks, docs), vectors, spans, first, sentences, keys
    )


def _map(path: Path) -> np.ndarray:
    """A .npy file memory-mapped, as a plain array over the mapping (np.memmap's own indexing
    costs ~15 us a call, ~100 calls a question)."""
    shape, dtype, offset = npy_header(path)
    count = int(np.prod(shape))
    data = map_file(path)
    if len(data) != offset + count * dtype.itemsize:
        raise IndexMismatch(f"index file {path} does not hold its {shape} array; {_REBUILD}")
    return np.frombuffer(data, dtype, count, offset).reshape(shape) if count else np.zeros(shape, dtype)


def _check(path, docs, chunks, first, spans, keys, sentences, vectors, blob: int) -> None:
    """The tables agree with each other and with the vectors, so no question can read past an
    array or the text blob."""
    n, s = len(chunks), len(spans)
    bounds = np.array([r["bytes"] for r in docs.rows], np.int64).reshape(-1, 2)
    doc = chunks["doc"] if n else np.zeros(0, np.int32)
    ok = (
        chunks.dtype == CHUNK_ROW
        and keys.dtype == KEY
        and first.shape == (n + 1,)
        and spans.shape == (s, 2)
        and keys.shape == (s,)
        and sentences.shape == (s, vectors.d)
        and vectors.ntotal == n
        and len(docs.position) == len(docs.rows)
        and (not len(bounds) or (bounds.min() >= 0 and bounds[:, 1].max() <= blob))
        and bool(np.all((doc >= 0) & (doc < len(bounds))))
        and (n == 0 or int(first[0]) == 0 and int(first[-1]) == s and bool(np.all(np.diff(first) >= 1)))
    )
    for a in range(0, n if ok else 0, CHECK_BLOCK):  # in blocks: temporaries stay small at 1M chunks
        c = chunks[a : a + CHECK_BLOCK]
        lo, hi = bounds[c["doc"], 0], bounds[c["doc"], 1]
        s0, s1 = int(first[a]), int(first[a + len(c)])
        owner = np.repeat(np.arange(len(c)), np.diff(first[a : a + len(c) + 1]))
        sp = spans[s0:s1]
        ok = ok and bool(
            np.all((lo <= c["byte_start"]) & (c["byte_start"] <= c["byte_end"]) & (c["byte_end"] <= hi))
            and np.all((c["start"] <= c["end"]) & (c["line_start"] <= c["line_end"]))
            and np.all(
                (c["start"][owner] <= sp[:, 0]) & (sp[:, 0] <= sp[:, 1]) & (sp[:, 1] <= c["end"][owner])
            )
        )
    if not ok:
        raise IndexMismatch(f"index {path}: the chunk table, texts and vectors do not match; {_REBUILD}")
