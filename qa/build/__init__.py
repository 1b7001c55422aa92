"""Builds or updates the index: documents -> chunks -> vectors -> store + lexical, one document
at a time. The folder is the truth: files are matched to the previous version by the hash of
their bytes, so an unchanged file is never read or extracted again (scan.py), and sentence
vectors are reused by the hash of their text (cache.py, assemble.py). With `ray_address` set,
changed documents are read, chunked and embedded on a Ray cluster (cluster.py); either way the
result is one ordinary version, written under the build lock and switched to atomically."""

from __future__ import annotations

import dataclasses
import errno
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .. import store
from ..documents import list_files, printable
from ..embedding import Embedder, canonical_name, load_embedder
from ..errors import DiskFull, IndexMismatch, QAError
from ..lexical import Lexical
from ..settings import Settings, load_settings
from ..store import dense
from ..store.tables import CHUNKS, SENTENCES, TEXTS, Texts
from ..store.writer import Prepared
from ..types import BuildReport, Document, Skipped
from .assemble import RESUME_BATCH, Assembly
from .cache import Resume
from .scan import Entry, diff, old_files, previous, scan_against
from .stages import extract, prepare

log = logging.getLogger(__name__)

__all__ = ["CHUNKER", "RESUME_BATCH", "build_index", "index_status", "watch"]

CHUNKER = "recursive-v2+razdel-headers+stems-ov"  # bump when chunking.SEPARATORS, sentences() or lexical.tokenize change
CHUNK_VECTORS = "chunk-vectors.tmp.npy"  # FAISS's input, removed once vectors.faiss is written


def _disk_full(e: BaseException) -> bool:
    # numpy and FAISS report a failed write in their own exception with the system's message
    return (isinstance(e, OSError) and e.errno == errno.ENOSPC) or "No space left on device" in str(e)


# (source, its Document or why it was skipped, the document prepared for the store, the
# positions and vectors of the sentences a cluster embedded, the model's dimension)
Result = tuple[str, Document | Skipped, Prepared | None, tuple[np.ndarray, np.ndarray] | None, int | None]


def _local(entries: list[Entry], settings: Settings) -> Iterator[Result]:
    for e in entries:
        got = extract(e.source, e.path, settings)
        doc = prepare(got, settings.chunk_size, settings.chunk_overlap) if isinstance(got, Document) else None
        yield e.source, got, doc, None, None


class _Build:
    """One build in progress: what it has written so far, for its report or its disk-full message."""

    def __init__(self, index_dir: Path, settings: Settings, name: str, embedder: Embedder | None):
        self.index_dir, self.settings, self.name = index_dir, settings, name
        self.given = self._embedder = embedder
        self.assembly: Assembly | None = None
        self.done_bytes = self.total_bytes = 0

    def embedder(self) -> Embedder:
        """The model, loaded when the first sentence needs it: a build that only copies and
        renames never waits for it."""
        if self._embedder is None:
            s = self.settings
            self._embedder = load_embedder(self.name, settings=s)
        return self._embedder

    def disk_full(self, path: Path) -> DiskFull:
        """One line: about how much room the version needs (what it wrote, scaled up to all of
        the documents) and how much the disk has."""
        a = self.assembly
        w = a.writer if a else None
        size = store.estimate_bytes(w.chunks, w.sentences, w.text_bytes, w.dim) if w else 0
        share = self.done_bytes / self.total_bytes if self.total_bytes else 1.0
        needed = int(size / max(share, 0.01)) // 1_000_000 + 1
        free = shutil.disk_usage(self.index_dir).free // 1_000_000
        return DiskFull(
            f"disk full: {needed} MB needed in {self.index_dir} ({free} MB free); the previous version "
            "stays in use; free some space and run `qa index` again"
        )

    def run(self, path, entries, early, prev, chunker, progress) -> tuple[BuildReport, dict]:
        from tqdm import tqdm

        resume = Resume(self.index_dir, self.name)
        resumed = resume.load()
        todo = [e for e in entries if e.reuse is None and e.skip is None]
        self.total_bytes = sum(e.size for e in entries)
        skipped, skip_hashes = list(early), {}
        with tqdm(total=len(entries), desc="indexing", unit="file", disable=not progress) as bar:

            def assembly(dim: int) -> Assembly:
                return Assembly(
                    path,
                    dim,
                    prev,
                    resume,
                    resumed,
                    lambda texts: self.embedder().embed_documents(texts),
                    lambda n: bar.set_postfix(embedded=n, refresh=False),
                )

            if self.settings.ray_address:
                from .cluster import process

                # The actors load the model; this process never does (it learns the dimension
                # from the first result). An embedder object is sent only when the caller gave one.
                old = np.asarray(prev.sentence_keys) if prev is not None else resumed.keys()[:0]
                known = np.unique(np.concatenate([old, resumed.keys()]))
                results = process(todo, self.settings, self.name, self.given, known, progress)
                dim = int(prev.manifest["dim"]) if prev is not None else None
            else:
                results = _local(todo, self.settings)
                dim = int(prev.manifest["dim"]) if prev is not None else self.embedder().dim
            a = self.assembly = assembly(dim) if dim else None
            for e in entries:
                if e.reuse is not None:
                    a.reuse(e.reuse)
                elif e.skip is not None:
                    skipped.append(Skipped(e.source, e.skip))
                    skip_hashes[e.source] = e.sha256
                else:
                    source, got, doc, embedded, got_dim = next(results)
                    if source != e.source:  # the cluster keeps the order; anything else is a bug
                        raise RuntimeError(f"build results out of order: {source} for {e.source}")
                    if doc is None:
                        skipped.append(got)
                        skip_hashes[e.source] = e.sha256
                    else:
                        a = a or assembly(got_dim)
                        self.assembly = a
                        a.add(doc, got.text, embedded)
                self.done_bytes += e.size
                bar.update()
        if a is None or not a.files:
            raise QAError(
                f"no readable documents (.txt, .md, .html, .pdf, .docx) in {self.settings.seeds}; "
                "add some and run `qa index` again"
            )
        first, embedded = a.close()
        dense.chunk_vectors(path / SENTENCES, first, path / CHUNK_VECTORS)
        faiss = dense.build(path, path / CHUNK_VECTORS, path / SENTENCES)
        (path / CHUNK_VECTORS).unlink()
        texts, rows = Texts(path / TEXTS), np.load(path / CHUNKS, mmap_mode="r")
        Lexical.build(
            texts.text(int(b0), int(b1)) for b0, b1 in zip(rows["byte_start"], rows["byte_end"], strict=True)
        ).save(path)
        skipped.sort(key=lambda s: s.source)
        manifest = {
            "model": self.name,
            "dim": a.writer.dim,
            "chunker": chunker,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "counts": {"documents": len(a.files), "chunks": len(rows), "sentences": int(first[-1])},
            "files": a.files,
            "skipped": {s.source: s.reason for s in skipped},
            # the bytes each skip was decided on: the same bytes are not read again to be refused again
            "skipped_sha256": skip_hashes,
            "faiss": faiss,
        }
        report = BuildReport(len(a.files), len(rows), embedded, skipped=tuple(skipped), extracted=len(todo))
        return report, manifest


def build_index(
    seeds: str | Path = "seeds",
    index: str | Path = "index",
    model: str | None = None,
    *,
    embedder: Embedder | None = None,
    settings: Settings | None = None,
    progress: bool = False,
) -> BuildReport:
    """Build or update the index in `index` from the documents in `seeds`; returns what it did.
    Everything, from hashing the files to switching versions, happens under the build lock, so
    builds queued behind each other find nothing left to do."""
    settings = settings or load_settings(seeds=seeds, index=index, model=model)
    seeds, index_dir = Path(seeds), Path(index)
    name = embedder.name if embedder else canonical_name(model or settings.model)
    chunker = {"name": CHUNKER, "size": settings.chunk_size, "overlap": settings.chunk_overlap}
    t0 = time.perf_counter()
    with store.build_lock(index_dir, settings.lock_timeout):
        store.clean_tmp(index_dir)
        prev, why = previous(index_dir, name, chunker)
        old = {s: f["sha256"] for s, f in prev.manifest["files"].items()} if prev else old_files(index_dir)
        entries, early, indexed = scan_against(seeds, settings, prev)
        kept = [e.source for e in entries if e.reuse is not None]
        if (
            prev is not None
            and len(kept) == len(indexed)
            and all(e.reuse is not None or e.skip for e in entries)
        ):
            skipped = [*early, *(Skipped(e.source, e.skip) for e in entries if e.skip)]
            return BuildReport(
                len(kept),
                prev.n_chunks,
                0,
                unchanged=tuple(kept),
                skipped=tuple(sorted(skipped, key=lambda s: s.source)),
                version=prev.version,
                seconds=time.perf_counter() - t0,
                written=False,
            )
        if prev is not None:
            try:  # the sentence vectors about to be copied (checked only now: 5.4 GB at 1M chunks)
                store.verify_bulk(prev, SENTENCES)
            except IndexMismatch as e:
                prev, why = None, f"previous index unusable ({e})"
                entries, early, indexed = scan_against(seeds, settings, None)
        if why:
            log.info("full rebuild: %s", why)
        build, path = _Build(index_dir, settings, name, embedder), store.new_version_dir(index_dir)
        try:
            report, manifest = build.run(path, entries, early, prev, chunker, progress)
            store.finish(path, manifest)
            version = store.commit(index_dir, path)
        except BaseException as e:
            store.clean_tmp(index_dir)  # under the lock tmp/ holds only this build
            if _disk_full(e):
                raise build.disk_full(path) from e
            raise
        shutil.rmtree(index_dir / "cache", ignore_errors=True)  # the new version holds every vector now
    added, changed, removed, renamed, unchanged = diff(
        old, [(s, f["sha256"]) for s, f in build.assembly.files.items()]
    )
    return dataclasses.replace(
        report,
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        renamed=tuple(renamed),
        unchanged=tuple(unchanged),
        rebuilt=why,
        version=version,
        seconds=time.perf_counter() - t0,
    )


def index_status(seeds: str | Path, index: str | Path) -> dict:
    """What the chat's status panel shows: the current version and whether seeds/ moved on."""
    try:
        manifest = store.read_manifest(index)
    except IndexMismatch:
        manifest = None
    if manifest is None:
        return {"built": False, "stale": True}
    # Raw-byte hashes only (no decoding or PDF extraction): a page load must stay cheap.
    indexed = {s: f["sha256"] for s, f in manifest["files"].items()}
    skipped = manifest.get("skipped", {})
    seeds = Path(seeds)
    try:
        now = {printable(p.relative_to(seeds).as_posix()): p for p in list_files(seeds)}
        stale = set(now) - set(skipped) != set(indexed) or any(
            store.sha256(now[s]) != h for s, h in indexed.items()
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
        "skipped": skipped,
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
