"""Builds or updates the index: documents -> chunks -> vectors -> store + lexical. The folder
is the truth: files are matched to the previous version by content hash, so unchanged and
renamed files are not re-read by the model, and chunk vectors are reused by (model, text)."""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np

from . import store
from .chunking import chunk_documents, sentences
from .documents import list_files, load_documents, printable
from .embedding import Embedder, canonical_name, load_embedder
from .errors import IndexMismatch, QAError
from .lexical import Lexical
from .settings import Settings, load_settings
from .types import BuildReport, Document

log = logging.getLogger(__name__)

CHUNKER = "recursive-v1+razdel"  # bump when chunking.SEPARATORS or sentences() change
RESUME_BATCH = 2048  # sentences embedded between two saves of the resume cache
COPY_BLOCK = 65_536  # sentence vectors copied per step from the cache into the new version


def _text_hash(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()[:12]


def _previous(manifest: dict | None, index_dir: Path, model: str, chunker: dict):
    """The current version when its vectors can be reused, else (None, why everything is rebuilt)."""
    if manifest is None:
        return None, None
    if manifest.get("format_version") != store.FORMAT_VERSION:
        return None, f"index format {manifest.get('format_version')} -> {store.FORMAT_VERSION}"
    if manifest.get("model") != model:
        return None, f"model changed: {manifest.get('model')} -> {model}"
    if manifest.get("chunker") != chunker:
        return None, f"chunker settings changed: {manifest.get('chunker')} -> {chunker}"
    try:
        return store.load(index_dir), None
    except IndexMismatch as e:
        return None, f"previous index unusable ({e})"


def _diff(old: dict[str, str], new: list[Document]):
    """Classify files by content hash against the previous manifest's {source: sha256}."""
    new_by_src = {d.source: d.sha256 for d in new}
    old_by_hash = {}
    for src, h in old.items():
        if src not in new_by_src:
            old_by_hash.setdefault(h, []).append(src)
    added, changed, unchanged, renamed = [], [], [], []
    for src, h in new_by_src.items():
        if src in old:
            (unchanged if old[src] == h else changed).append(src)
        elif old_by_hash.get(h):
            renamed.append((old_by_hash[h].pop(0), src))
        else:
            added.append(src)
    gone = {o for o, _ in renamed}
    removed = [s for s in old if s not in new_by_src and s not in gone]
    return added, changed, removed, renamed, unchanged


class _Vectors:
    """The embedding cache: text hash -> vector, kept as a few matrices and one row map rather
    than a Python array per vector (100k chunks have ~700k sentences)."""

    def __init__(self, dim: int):
        self.dim, self.mats, self.where = dim, [], {}

    def add(self, keys, mat: np.ndarray) -> None:
        m = len(self.mats)
        self.mats.append(mat)
        self.where.update((k, (m, r)) for r, k in enumerate(keys))

    def __contains__(self, key) -> bool:
        return key in self.where

    def copy_into(self, out: np.ndarray, rows: list[int], keys: list) -> None:
        """out[rows[i]] = vector of keys[i], a block at a time (out may be a memory map)."""
        for b in range(0, len(rows), COPY_BLOCK):
            loc = np.array([self.where[k] for k in keys[b : b + COPY_BLOCK]], dtype=np.int64).reshape(-1, 2)
            dst = np.asarray(rows[b : b + COPY_BLOCK], dtype=np.int64)
            for m in np.unique(loc[:, 0]):
                sel = np.flatnonzero(loc[:, 0] == m)
                out[dst[sel]] = self.mats[m][loc[sel, 1]]


def _cache(prev: store.Stored | None, dim: int) -> _Vectors:
    """The previous version's sentence vectors by text hash: the embedding cache of this build."""
    cache = _Vectors(dim)
    if prev is not None:
        keys = []
        for i in range(prev.n_chunks):
            text = prev.document(prev.chunk(i).source).text
            r = prev.sentences_of(i)
            keys += [_text_hash(text[a:b]) for a, b in prev.sentence_spans[r.start : r.stop]]
        cache.add(keys, prev.sentence_vectors)
    return cache


def _resume_dir(index_dir: Path, model: str) -> Path:
    return index_dir / "cache" / re.sub(r"[^\w.-]+", "_", model)


def _load_resume(folder: Path, cache: _Vectors) -> None:
    """Add the vectors that a build that did not finish had already paid for."""
    for part in sorted(folder.glob("part-*.npz")):
        try:
            with np.load(part) as z:
                cache.add([bytes(k) for k in z["keys"]], z["vectors"])
        except (OSError, ValueError, KeyError):  # a part cut short by the crash itself
            log.warning("ignoring damaged embedding cache part %s", part)


def _embed(
    texts: list[str], embedder: Embedder, cache: _Vectors, progress: bool, resume: Path, out: np.ndarray
) -> np.ndarray:
    """Fill out[i] with the vector of texts[i], sending only texts the cache lacks through the
    model (each distinct text once), in batches that are saved under `resume` as they finish.
    Vectors go straight into `out`, the new version's memory-mapped file, so a build holds no
    copy of them: at 1M chunks they are ~7M sentences, 5 GB in float16. Returns which texts
    went through the model."""
    from tqdm import tqdm

    keys = [_text_hash(t) for t in texts]
    first: dict[bytes, int] = {}
    for r, k in enumerate(keys):
        first.setdefault(k, r)
    todo = sorted((k, r) for k, r in first.items() if k not in cache)
    if todo:
        resume.mkdir(parents=True, exist_ok=True)
    with tqdm(total=len(todo), desc="embedding", unit="sentence", disable=not progress or not todo) as bar:
        for i in range(0, len(todo), RESUME_BATCH):
            part = todo[i : i + RESUME_BATCH]
            vecs = embedder.embed_documents([texts[r] for _, r in part]).astype(np.float16)
            out[[r for _, r in part]] = vecs
            np.savez(
                resume / f"part-{i:09d}-{uuid.uuid4().hex[:6]}.npz",
                keys=np.frombuffer(b"".join(k for k, _ in part), np.uint8).reshape(-1, 12),
                vectors=vecs,
            )
            bar.update(len(part))
    cached = [r for r, k in enumerate(keys) if k in cache]
    cache.copy_into(out, cached, [keys[r] for r in cached])
    fresh = np.zeros(len(keys), dtype=bool)
    fresh[[r for _, r in todo]] = True
    repeats = [r for r, k in enumerate(keys) if first[k] != r and k not in cache]
    for b in range(0, len(repeats), COPY_BLOCK):
        dst = repeats[b : b + COPY_BLOCK]
        out[dst] = out[[first[keys[r]] for r in dst]]
        fresh[dst] = True
    return fresh


def _sentence_spans(chunks) -> list[list[tuple[int, int]]]:
    """Document offsets of each chunk's sentences (a chunk razdel finds none in is one sentence)."""
    return [[(c.start + a, c.start + b) for a, b in sentences(c.text)] or [(c.start, c.end)] for c in chunks]


def chunk_vectors(sent_vectors: np.ndarray, spans: list[list[tuple[int, int]]]) -> np.ndarray:
    """A chunk's vector is the normalised mean of its sentence vectors. Only sentences go through
    the model: embedding chunks as well cost twice the model time for no gain in rank-1 hits on
    XQuAD dev (ru / en: chunk + best-sentence vectors .962/.976; best sentence alone .959/.976)."""
    out, i = np.zeros((len(spans), sent_vectors.shape[1]), np.float32), 0
    for c, ss in enumerate(spans):
        v = sent_vectors[i : i + len(ss)].mean(axis=0, dtype=np.float32)
        out[c] = v / (np.linalg.norm(v) or 1.0)
        i += len(ss)
    return out


def build_index(
    seeds: str | Path = "seeds",
    index: str | Path = "index",
    model: str | None = None,
    *,
    embedder: Embedder | None = None,
    settings: Settings | None = None,
    progress: bool = False,
) -> BuildReport:
    """Build or update the index in `index` from the documents in `seeds`; returns what it did."""
    settings = settings or load_settings(seeds=seeds, index=index, model=model)
    seeds, index_dir = Path(seeds), Path(index)
    # The model's name is enough to decide whether anything changed; loading it (seconds) waits
    # until there is something to embed, so `make run` on an up-to-date index starts at once.
    name = embedder.name if embedder else canonical_name(model or settings.model)
    chunker = {"name": CHUNKER, "size": settings.chunk_size, "overlap": settings.chunk_overlap}
    t0 = time.perf_counter()
    docs, skipped = load_documents(seeds, settings.max_file_mb * 1_000_000)
    if not docs:
        raise QAError(
            f"no readable documents (.txt, .md, .html, .pdf, .docx) in {seeds}; add some and run `qa index` again"
        )
    with store.build_lock(index_dir, settings.lock_timeout):
        manifest = store.read_manifest(index_dir)
        prev, why = _previous(manifest, index_dir, name, chunker)
        old_files = {s: f["sha256"] for s, f in (manifest or {}).get("files", {}).items()}
        added, changed, removed, renamed, unchanged = _diff(old_files, docs)
        if prev is not None and not (added or changed or removed or renamed):
            return BuildReport(
                len(docs),
                prev.n_chunks,
                0,
                unchanged=tuple(unchanged),
                skipped=tuple(skipped),
                version=prev.version,
                seconds=time.perf_counter() - t0,
                written=False,
            )
        if why:
            log.info("full rebuild: %s", why)
        embedder = embedder or load_embedder(name, settings.device, settings.batch_tokens)
        chunks = chunk_documents(docs, settings.chunk_size, settings.chunk_overlap)
        spans = _sentence_spans(chunks)
        sent_texts = [
            c.text[a - c.start : b - c.start] for c, ss in zip(chunks, spans, strict=True) for a, b in ss
        ]
        resume = _resume_dir(index_dir, embedder.name)
        cache = _cache(prev, embedder.dim)
        _load_resume(resume, cache)
        path = store.new_version_dir(index_dir)
        sent_vectors = store.sentence_file(path, len(sent_texts), embedder.dim)
        fresh = _embed(sent_texts, embedder, cache, progress, resume, sent_vectors)
        del sent_texts
        vectors = chunk_vectors(sent_vectors, spans)
        # A chunk counts as embedded when any of its sentences went through the model.
        starts = np.cumsum([0] + [len(ss) for ss in spans[:-1]])
        embedded = int(np.count_nonzero(np.logical_or.reduceat(fresh, starts))) if len(fresh) else 0
        per_file = Counter(c.source for c in chunks)  # passages per document, for the web's documents panel
        manifest = {
            "format_version": store.FORMAT_VERSION,
            "model": embedder.name,
            "dim": embedder.dim,
            "chunker": chunker,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "counts": {"documents": len(docs), "chunks": len(chunks)},
            "files": {
                d.source: {
                    "sha256": d.sha256,
                    "chars": len(d.text),
                    "date": d.date,
                    "title": d.title,
                    "chunks": per_file[d.source],
                }
                for d in docs
            },
            "skipped": {s.source: s.reason for s in skipped},
        }
        del sent_vectors
        manifest["faiss"] = store.save(path, manifest, docs, chunks, vectors, spans)
        Lexical.build([c.text for c in chunks]).save(path)
        store.finish(path, manifest)
        version = store.commit(index_dir, path)
        shutil.rmtree(index_dir / "cache", ignore_errors=True)  # the new version holds every vector now
    return BuildReport(
        len(docs),
        len(chunks),
        embedded,
        tuple(added),
        tuple(changed),
        tuple(removed),
        tuple(renamed),
        tuple(unchanged),
        tuple(skipped),
        why,
        version,
        time.perf_counter() - t0,
    )


def index_status(seeds: str | Path, index: str | Path) -> dict:
    """What the chat's status panel shows: the current version and whether seeds/ moved on."""
    manifest = store.read_manifest(index)
    if manifest is None:
        return {"built": False, "stale": True}
    # Raw-byte hashes only (no decoding or PDF extraction): a page load must stay cheap.
    indexed = {s: f["sha256"] for s, f in manifest["files"].items()}
    skipped = set(manifest.get("skipped", {}))
    seeds = Path(seeds)
    try:
        now = {printable(p.relative_to(seeds).as_posix()): p for p in list_files(seeds)}
        stale = set(now) - skipped != set(indexed) or any(
            hashlib.sha256(now[s].read_bytes()).hexdigest() != h for s, h in indexed.items()
        )
    except OSError:
        stale = True
    return {
        "built": True,
        "version": store.current_version(index),
        "documents": manifest["counts"]["documents"],
        "chunks": manifest["counts"]["chunks"],
        "model": manifest["model"],
        "built_at": manifest["built_at"],
        "skipped": manifest.get("skipped", {}),
        "stale": stale,
    }


def watch(
    seeds: str | Path,
    index: str | Path,
    settings: Settings | None = None,
    on_report=None,
    stop_event=None,
    debounce_ms: int = 1500,
) -> None:
    """Sync once, then follow seeds/ and sync after every burst of changes (bursts within
    debounce_ms are one sync). Runs until stop_event is set or Ctrl-C."""
    from watchfiles import watch as changes

    settings = settings or load_settings(seeds=seeds, index=index)
    report = on_report or (lambda r: log.info("synced: %s", r))

    def sync():
        try:
            report(build_index(seeds, index, settings.model, settings=settings))
        except QAError as e:
            log.warning("sync failed: %s", e)

    sync()
    for _ in changes(
        seeds, debounce=debounce_ms, stop_event=stop_event, rust_timeout=500, yield_on_timeout=False
    ):
        sync()
