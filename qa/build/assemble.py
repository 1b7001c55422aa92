"""Assembles a new version one document at a time and finds each sentence's vector: copied from
the previous version (whole documents that did not change, and unchanged sentences of changed
ones), from the resume cache, from a repeat earlier in this build, embedded by a Ray cluster, or
queued for the model here, a batch at a time. Copies are planned as rows and run at the end,
in runs, by the kernel; nothing holds all the vectors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import store
from ..errors import QAError
from ..store.tables import SENTENCES
from ..store.writer import Prepared, VersionWriter
from .cache import KeyMap, Resume

RESUME_BATCH = 2048  # sentences embedded between two saves of the resume cache


class _Plan:
    """(source row, destination row) pairs gathered as arrays."""

    def __init__(self):
        self.src: list[np.ndarray] = []
        self.dst: list[np.ndarray] = []

    def add(self, src, dst) -> None:
        if len(dst):
            self.src.append(np.asarray(src, np.int64))
            self.dst.append(np.asarray(dst, np.int64))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.dst:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(self.src), np.concatenate(self.dst)


class Assembly:
    def __init__(
        self,
        path: Path,
        dim: int,
        previous: store.Stored | None,
        resume: Resume,
        resumed: KeyMap,
        embed: Callable[[list[str]], np.ndarray],
        on_embedded: Callable[[int], None] = lambda n: None,
    ):
        self.writer = VersionWriter(path, dim)
        self.previous, self.resume, self.embed, self.on_embedded = previous, resume, embed, on_embedded
        self.resumed = resumed  # what interrupted builds embedded: key -> part << 32 | row
        self.built = KeyMap()  # keys embedded (or queued) in this build -> their row
        self._known: KeyMap | None = None
        self.from_previous, self.from_resume, self.repeats = _Plan(), _Plan(), _Plan()
        self.fresh: list[np.ndarray] = []  # per document: which sentences went through the model
        self.queue: list[tuple[np.ndarray, list[str], np.ndarray]] = []  # rows, texts, keys
        self.queued = self.embedded = 0  # sentences waiting for the model; sentences embedded so far
        self.arrived: list[tuple[np.ndarray, np.ndarray]] = []  # keys and vectors a cluster embedded
        self.files: dict[str, dict] = {}  # what the manifest says of each document written
        if previous is not None:
            doc = np.asarray(previous.chunks.rows["doc"])
            self._doc_chunks = np.searchsorted(doc, np.arange(len(previous.documents) + 1))

    @property
    def known(self) -> KeyMap:
        """The previous version's sentences: key -> row (sorted once, when first needed)."""
        if self._known is None:
            self._known = KeyMap()
            if self.previous is not None:
                keys = np.asarray(self.previous.sentence_keys)
                self._known.add(keys, np.arange(len(keys)))
        return self._known

    def reuse(self, i: int) -> None:
        """Document i of the previous version, unchanged: its text, tables and vectors as they are."""
        prev = self.previous
        row = prev.documents.rows[i]
        b0, b1 = row["bytes"]
        c0, c1 = self._doc_chunks[i], self._doc_chunks[i + 1]
        s0, s1 = int(prev.sentence_first[c0]), int(prev.sentence_first[c1])
        rows = np.array(prev.chunks.rows[c0:c1])
        rows["byte_start"] -= b0
        rows["byte_end"] -= b0
        doc = Prepared(
            {k: v for k, v in row.items() if k != "bytes"},
            prev.documents.texts.read(b0, b1),
            rows,
            np.diff(np.asarray(prev.sentence_first[c0 : c1 + 1])),
            np.array(prev.sentence_spans[s0:s1]),
            np.array(prev.sentence_keys[s0:s1]),
        )
        first = self._add(doc, prev.manifest["files"][row["source"]]["chars"])
        self.from_previous.add(np.arange(s0, s1), first + np.arange(s1 - s0))
        self.fresh.append(np.zeros(s1 - s0, bool))

    def add(self, doc: Prepared, text: str, embedded: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """A new or changed document. `embedded`: (positions, vectors) of the sentences a
        cluster already embedded; the others are looked up or queued for the model."""
        first = self._add(doc, len(text))
        keys, m = doc.keys, len(doc.keys)
        rows = first + np.arange(m)
        fresh = np.zeros(m, bool)
        _, firsts, inverse = np.unique(keys, return_index=True, return_inverse=True)
        left = np.sort(firsts)
        if embedded is not None and len(embedded[0]):
            at, vectors = embedded
            self.writer.put(rows[at], vectors)
            self.built.add(keys[at], rows[at])
            self.arrived.append((keys[at], np.asarray(vectors, np.float16)))
            fresh[at] = True
            left = np.setdiff1d(left, at)
            if sum(len(k) for k, _ in self.arrived) >= RESUME_BATCH:
                self._save_arrived()
        for source, plan in ((self.known, self.from_previous), (self.resumed, self.from_resume)):
            got = source.get(keys[left])
            plan.add(got[got >= 0], rows[left[got >= 0]])
            left = left[got < 0]
        got = self.built.get(keys[left])
        self.repeats.add(got[got >= 0], rows[left[got >= 0]])
        fresh[left[got >= 0]] = True
        left = left[got < 0]
        if len(left):
            spans = doc.spans[left].tolist()
            self.queue.append((rows[left], [text[a:b] for a, b in spans], keys[left]))
            self.built.add(keys[left], rows[left])
            fresh[left] = True
            self.queued += len(left)
        # A sentence repeated within the document copies its first occurrence.
        again = np.flatnonzero(firsts[inverse] != np.arange(m))
        self.repeats.add(rows[firsts[inverse[again]]], rows[again])
        fresh[again] = fresh[firsts[inverse[again]]]
        self.fresh.append(fresh)
        if self.queued >= RESUME_BATCH:
            self.flush()

    def _add(self, doc: Prepared, chars: int) -> int:
        m = doc.meta
        # chunks: the documents panel shows how many passages each file has
        self.files[m["source"]] = {
            "sha256": m["sha256"],
            "chars": chars,
            "date": m.get("date"),
            "title": m.get("title"),
            "chunks": len(doc.rows),
        }
        return self.writer.add(doc)

    def flush(self) -> None:
        """Embed the queued sentences and save them to the resume cache."""
        if not self.queue:
            return
        rows = np.concatenate([r for r, _, _ in self.queue])
        texts = [t for _, ts, _ in self.queue for t in ts]
        keys = np.concatenate([k for _, _, k in self.queue])
        self.queue, self.queued = [], 0
        vectors = np.asarray(self.embed(texts), np.float16)
        self.writer.put(rows, vectors)
        self.resume.save(keys, vectors)
        self.embedded += len(texts)
        self.on_embedded(self.embedded)

    def _save_arrived(self) -> None:
        if self.arrived:
            self.resume.save(
                np.concatenate([k for k, _ in self.arrived]), np.concatenate([v for _, v in self.arrived])
            )
            self.embedded += sum(len(k) for k, _ in self.arrived)
            self.on_embedded(self.embedded)
            self.arrived = []

    def close(self) -> tuple[np.ndarray, int]:
        """Every vector in place; returns sentence_first and the number of chunks with a
        sentence that went through the model in this build."""
        self.flush()
        self._save_arrived()
        if self.previous is not None:
            self.writer.copy(self.previous.path / SENTENCES, *self.from_previous.arrays())
        src, dst = self.from_resume.arrays()
        parts = src >> 32
        for p in np.unique(parts):
            vectors = self.resume.vectors(int(p))
            if vectors is None or vectors.shape[1] != self.writer.dim:
                raise QAError(
                    f"the embedding cache in {self.resume.folder} changed during the build; run `qa index` again"
                )
            sel = parts == p
            self.writer.put(dst[sel], vectors[src[sel] & 0xFFFFFFFF])
        self.writer.copy(None, *self.repeats.arrays())  # last: repeats copy rows filled above
        first = self.writer.close()
        fresh = np.concatenate(self.fresh) if self.fresh else np.zeros(0, bool)
        embedded = int(np.count_nonzero(np.logical_or.reduceat(fresh, first[:-1]))) if len(fresh) else 0
        # What found the vectors is not needed for the rest of the build (FAISS, BM25).
        self.built = self._known = self.resumed = self.fresh = None
        self.from_previous = self.from_resume = self.repeats = None
        return first, embedded
