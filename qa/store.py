"""Stage 4: the index folder. Each build writes a complete version aside (versions/<id>/: the
FAISS vectors, the chunk table, the document texts, the lexical index and a manifest) and then
switches the CURRENT pointer with one atomic rename, so a crash mid-build leaves the previous
version loadable. The manifest describes the version and carries checksums of its files."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import IndexLocked, IndexMismatch, IndexNotFound
from .types import Chunk, Document

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Up to this many chunks the FAISS index is exact (flat inner product); above it, IVF. Exact
# search over 100k chunks of 384 dims costs a few ms (bench/scale.py); at 1M it would not.
EXACT_MAX = 200_000
# IVF-Flat with ~4 sqrt(n) lists (4,000 at 1M chunks), k-means trained on 40 vectors per list
# (faiss wants 39). Chosen over HNSW by measurement at 1M hashed-text chunks on 2 cores
# (bench/scale.py): HNSW (M=32, efConstruction=80) took 13 min to build and 41 ms per query for
# recall@10 0.986; IVF takes ~3 min and 8.5 ms for 0.993 (4.4 ms for 0.981).
IVF_LISTS_PER_SQRT, IVF_TRAIN_PER_LIST = 4, 40
# nprobe is tuned per index when it is built: the smallest of NPROBE_CHOICES whose recall@10
# against exact search reaches TARGET_RECALL, with PROBES of the index's own sentence vectors as
# queries. How many lists a query must visit depends on the vectors (at 1M: 256 gave 0.981,
# 512 gave 0.993).
NPROBE_CHOICES = (16, 32, 64, 128, 256, 512, 1024, 2048)
TARGET_RECALL, PROBES = 0.99, 200
KEEP_VERSIONS = 2  # the current one and its predecessor, which questions in flight may still read
_REBUILD = "rebuild it with `qa index` (or qa.build_index)"


@dataclass(frozen=True)
class Stored:
    """One loaded index version."""

    version: str
    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    vectors: object  # faiss.Index over chunk vectors
    sentence_spans: np.ndarray  # (n_sentences, 2) [start, end) document offsets, grouped by chunk
    sentence_first: np.ndarray  # (n_chunks + 1,) chunk i owns sentences sentence_first[i]:sentence_first[i+1]
    sentence_vectors: np.ndarray  # (n_sentences, dim), memory-mapped

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)

    def chunk(self, i: int) -> Chunk:
        return self.chunks[i]

    def document(self, source: str) -> Document:
        return self.documents[source]

    def sentences_of(self, i: int) -> range:
        return range(int(self.sentence_first[i]), int(self.sentence_first[i + 1]))


def _sha256(path: Path) -> str:
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


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


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


def new_version_dir(index_dir: Path) -> Path:
    path = index_dir / "tmp" / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def sentence_file(path: Path, n: int, dim: int) -> np.ndarray:
    """The version's sentence vectors, memory-mapped for the build to fill in place. float16
    halves the largest file; cosines change in the fourth decimal."""
    if n == 0:  # nothing to map: an empty file cannot be memory-mapped
        np.save(path / "sentences.npy", np.zeros((0, dim), np.float16))
        return np.zeros((0, dim), np.float16)
    return np.lib.format.open_memmap(path / "sentences.npy", mode="w+", dtype=np.float16, shape=(n, dim))


def save(
    path: Path,
    manifest: dict,
    documents: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    sentence_spans: list[list[tuple[int, int]]],
) -> dict:
    """Write the dense part of a version (texts, chunk table, chunk vectors; the sentence
    vectors are already in place, see sentence_file). Returns what the manifest records about
    the FAISS index."""
    import faiss

    _write_jsonl(path / "documents.jsonl", (asdict(d) for d in documents))
    _write_jsonl(
        path / "chunks.jsonl",
        (
            {**{k: v for k, v in asdict(c).items() if k != "text"}, "sentences": spans}
            for c, spans in zip(chunks, sentence_spans, strict=True)
        ),
    )
    dim, vectors = int(manifest["dim"]), np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) <= EXACT_MAX:
        index, info = faiss.IndexFlatIP(dim), {"kind": "flat"}
        index.add(vectors)
    else:
        index, info = _ivf(vectors, path / "sentences.npy")
    faiss.write_index(index, str(path / "vectors.faiss"))
    return info


def _ivf(vectors: np.ndarray, sentences: Path) -> tuple[object, dict]:
    import faiss

    n, dim = vectors.shape
    lists = max(1, min(int(IVF_LISTS_PER_SQRT * n**0.5), n // IVF_TRAIN_PER_LIST))
    rng = np.random.default_rng(0)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    log.info("training IVF with %d lists", lists)
    index.train(vectors[np.sort(rng.choice(n, min(n, IVF_TRAIN_PER_LIST * lists), replace=False))])
    index.add(vectors)
    sent = np.load(sentences, mmap_mode="r")
    pick = np.sort(rng.choice(len(sent), min(PROBES, len(sent)), replace=False))
    probes = np.ascontiguousarray(sent[pick], dtype=np.float32)
    _, want = faiss.knn(probes, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    for nprobe in [c for c in NPROBE_CHOICES if c < lists] + [lists]:  # all lists: exact
        index.nprobe = nprobe
        _, got = index.search(probes, 10)
        recall = float(np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want, strict=True)]))
        if recall >= TARGET_RECALL:
            break
    log.info("IVF nprobe %d: recall@10 %.3f", nprobe, recall)
    return index, {"kind": "ivf", "lists": lists, "nprobe": nprobe, "probe_recall@10": round(recall, 4)}


def finish(path: Path, manifest: dict) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest = {**manifest, "checksums": {p.relative_to(path).as_posix(): _sha256(p) for p in files}}
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
    tmp.write_text(f"{path.name}\n{_sha256(final / 'manifest.json')}\n", encoding="utf-8")
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)
    _prune(index_dir, path.name)
    return path.name


def _prune(index_dir: Path, current: str) -> None:
    """Drop half-written builds and all but the newest KEEP_VERSIONS versions."""
    shutil.rmtree(index_dir / "tmp", ignore_errors=True)
    old = sorted((p for p in (index_dir / "versions").iterdir() if p.name != current), reverse=True)
    for p in old[KEEP_VERSIONS - 1 :]:
        shutil.rmtree(p, ignore_errors=True)


def _pointer(index_dir: Path) -> tuple[str, str]:
    try:
        lines = (index_dir / "CURRENT").read_text(encoding="utf-8").split()
    except (FileNotFoundError, UnicodeDecodeError):
        return "", ""
    return (lines + ["", ""])[0], (lines + ["", ""])[1]


def current_version(index_dir: str | Path) -> str | None:
    name = _pointer(Path(index_dir))[0]
    return name if name and (Path(index_dir) / "versions" / name / "manifest.json").is_file() else None


def read_manifest(index_dir: str | Path) -> dict | None:
    name = current_version(index_dir)
    if name is None:
        return None
    return json.loads((Path(index_dir) / "versions" / name / "manifest.json").read_text(encoding="utf-8"))


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
    """Compare every file of the version with the manifest's checksums."""
    sums = manifest.get("checksums") or {}
    if not sums:
        raise IndexMismatch(f"index {path} has no checksums in its manifest; {_REBUILD}")
    for rel, digest in sums.items():
        f = path / rel
        if not f.is_file() or _sha256(f) != digest:
            raise IndexMismatch(f"index file {f} is missing or damaged (checksum mismatch); {_REBUILD}")


def load(index_dir: str | Path, model: str | None = None) -> Stored:
    import faiss

    index_dir = Path(index_dir)
    name = current_version(index_dir)
    if name is None:
        raise IndexNotFound(f"no index in {index_dir}; build one with `qa index --index {index_dir}`")
    path = index_dir / "versions" / name
    if _sha256(path / "manifest.json") != _pointer(index_dir)[1]:
        raise IndexMismatch(
            f"index manifest {path / 'manifest.json'} was changed after the build; {_REBUILD}"
        )
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexMismatch(f"index manifest {path / 'manifest.json'} is unreadable ({e}); {_REBUILD}") from e
    check_manifest(manifest, index_dir, model)
    verify(path, manifest)
    docs = {}
    for d in _read_jsonl(path / "documents.jsonl"):
        sections, pages = tuple((int(a), h) for a, h in d.pop("sections")), tuple(d.pop("pages"))
        docs[d["source"]] = Document(**d, sections=sections, pages=pages)
    chunks, spans, first = [], [], [0]
    for row in _read_jsonl(path / "chunks.jsonl"):
        sents = row.pop("sentences")
        chunks.append(Chunk(**row, text=docs[row["source"]].text[row["start"] : row["end"]]))
        spans += sents
        first.append(first[-1] + len(sents))
    vectors = faiss.read_index(str(path / "vectors.faiss"))
    if hasattr(vectors, "nprobe"):
        vectors.nprobe = manifest.get("faiss", {}).get("nprobe", NPROBE_CHOICES[-1])
        vectors.parallel_mode = 1  # one query's lists on all cores: 2x faster for a single query
    sent_vectors = np.load(path / "sentences.npy", mmap_mode="r")
    if (
        vectors.ntotal != len(chunks)
        or vectors.d != manifest["dim"]
        or sent_vectors.shape != (first[-1], vectors.d)
    ):
        raise IndexMismatch(f"index {path}: vector counts do not match the chunk table; {_REBUILD}")
    span_arr = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    return Stored(name, path, manifest, docs, chunks, vectors, span_arr, np.asarray(first), sent_vectors)
