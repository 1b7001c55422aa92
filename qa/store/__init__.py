"""Stage 4: the index folder. Each build writes a complete version aside (versions/<id>/: the
text blob, the chunk and sentence tables, the vectors, the lexical index and a manifest) and
then switches the CURRENT pointer with one atomic rename, so a crash mid-build leaves the
previous version loadable. A version is memory-mapped, not read into objects (tables.py); the
manifest describes it and carries the size and checksum of each of its files."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IndexLocked, IndexMismatch, IndexNotFound
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

log = logging.getLogger(__name__)

__all__ = ["EXACT_MAX", "FORMAT_VERSION", "Stored", "build_lock", "commit", "current_version", "load"]

# 2: memory-mapped tables and text blob (1: JSON lines read into objects, 47 s to load 1M chunks)
FORMAT_VERSION = 2
KEEP_VERSIONS = 2  # the current one and its predecessor, which questions in flight may still read
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
_REBUILD = "rebuild it with `qa index` (or qa.build_index)"
_VERSION_NAME = re.compile(r"[0-9A-Za-z][\w.-]*")  # what new_version_dir makes


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


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout: float):
    """Exclusive lock for builds; a second build waits up to `timeout` seconds, then gives up."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a+") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLocked(
                        f"another build of {index_dir} is running; wait for it or remove the stale process"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def clean_tmp(index_dir: Path) -> None:
    """Remove what builds that crashed or hit a full disk left in tmp/ (call under the lock)."""
    shutil.rmtree(index_dir / "tmp", ignore_errors=True)


def new_version_dir(index_dir: Path) -> Path:
    path = index_dir / "tmp" / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def finish(path: Path, manifest: dict) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name != "manifest.json")
    rel = {p: p.relative_to(path).as_posix() for p in files}
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "sizes": {rel[p]: p.stat().st_size for p in files},
        "checksums": {rel[p]: sha256(p) for p in files},
    }
    (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for p in [*files, path / "manifest.json"]:
        with p.open("rb") as f:
            os.fsync(f.fileno())


def commit(index_dir: Path, path: Path) -> str:
    """Move a finished version into place and point CURRENT at it (atomic on POSIX)."""
    versions = index_dir / "versions"
    versions.mkdir(exist_ok=True)
    final = versions / path.name
    os.replace(path, final)
    _fsync_dir(versions)
    tmp = index_dir / f".CURRENT.{uuid.uuid4().hex[:8]}"
    # The pointer carries the manifest's own checksum, so an edited manifest is caught on load.
    tmp.write_text(f"{path.name}\n{sha256(final / 'manifest.json')}\n", encoding="utf-8")
    current = index_dir / "CURRENT"
    if current.is_dir() and not current.is_symlink():  # a tampered pointer cannot be renamed over
        shutil.rmtree(current)
    os.replace(tmp, current)
    _fsync_dir(index_dir)
    _prune(index_dir, path.name)
    return path.name


def _prune(index_dir: Path, current: str) -> None:
    """Drop half-written builds and all but the newest KEEP_VERSIONS versions."""
    clean_tmp(index_dir)
    old = sorted((p for p in (index_dir / "versions").iterdir() if p.name != current), reverse=True)
    for p in old[KEEP_VERSIONS - 1 :]:
        shutil.rmtree(p, ignore_errors=True)


def _pointer(index_dir: Path) -> tuple[str, str]:
    """(version name, manifest checksum) from CURRENT; ("", "") when there is none. A CURRENT
    that names anything but a folder of index/versions is refused: it was not written by qa."""
    f = index_dir / "CURRENT"
    try:
        lines = f.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        return "", ""
    except (OSError, UnicodeDecodeError) as e:
        raise IndexMismatch(f"{f} is not an index pointer ({type(e).__name__}); {_REBUILD}") from None
    name, digest = (lines + ["", ""])[:2]
    versions = index_dir / "versions"
    if not _VERSION_NAME.fullmatch(name) or (versions / name).resolve().parent != versions.resolve():
        raise IndexMismatch(f"{f} names {name[:100]!r}, which is not a version inside {versions}; {_REBUILD}")
    return name, digest


def current_version(index_dir: str | Path) -> str | None:
    name = _pointer(Path(index_dir))[0]
    return name if name and (Path(index_dir) / "versions" / name / "manifest.json").is_file() else None


def read_manifest(index_dir: str | Path) -> dict | None:
    name = current_version(index_dir)
    return None if name is None else _manifest(Path(index_dir) / "versions" / name / "manifest.json")


def _manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexMismatch(f"index manifest {path} is unreadable ({e}); {_REBUILD}") from e
    if not isinstance(manifest, dict):
        raise IndexMismatch(f"index manifest {path} is not a manifest; {_REBUILD}")
    return manifest


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
    # A flat index is read: its vectors are searched with one matrix product (retrieve.py), and
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
