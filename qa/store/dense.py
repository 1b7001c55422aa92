"""The dense index of a version: each chunk's vector (the normalised mean of its sentence
vectors) in FAISS, exact up to EXACT_MAX chunks and IVF-Flat above, with nprobe tuned on the
version's own sentence vectors. Vectors are read from the files a block at a time (pread, no
memory map), so a build never holds them all (at 1M chunks FAISS's own copy, 1.5 GB, is the
only whole one)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .tables import RowFile

log = logging.getLogger(__name__)

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
BLOCK = 16_384  # rows read at a time: 12 MB of float16 sentence vectors at 384 dims
FAISS_FILE = "vectors.faiss"


def _blocks(rows: RowFile):
    """(first row, rows as float32) a block at a time."""
    for a in range(0, len(rows), BLOCK):
        yield a, rows.rows(a, min(a + BLOCK, len(rows))).astype(np.float32)


def means(vectors: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The normalised mean of each run of rows from starts[i] to the next start (float32): a
    chunk's vector from its sentences' (the build's, and the search's for the chunks it pools)."""
    sums = np.add.reduceat(np.asarray(vectors, np.float32), starts, axis=0)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms > 0, norms, 1.0)


def chunk_vectors(sentences: Path, first: np.ndarray, out: Path) -> None:
    """out (float32 .npy): chunk i's vector, the normalised mean of sentences first[i]:first[i+1].
    Only sentences go through the model: embedding chunks as well cost twice the model time for
    no gain in rank-1 hits on XQuAD dev (ru / en: chunk + best-sentence vectors .962/.976; best
    sentence alone .959/.976)."""
    n = len(first) - 1
    src = RowFile(sentences)
    dim = src.shape[1]
    with out.open("wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (n, dim)})
        c = 0
        while c < n:  # chunks [c, e) whose sentences fit in one block (at least one chunk)
            e = min(n, max(c + 1, int(np.searchsorted(first, first[c] + BLOCK, "right")) - 1))
            v = src.rows(int(first[c]), int(first[e])).astype(np.float32)
            f.write(means(v, first[c:e] - first[c]).tobytes())
            c = e


def build(path: Path, chunks: Path, sentences: Path) -> dict:
    """Write vectors.faiss from the chunk vectors; returns what the manifest records of it."""
    import faiss

    vec = RowFile(chunks)
    n, dim = vec.shape
    if n <= EXACT_MAX:
        index, info = faiss.IndexFlatIP(dim), {"kind": "flat"}
        for _, block in _blocks(vec):
            index.add(block)
    else:
        index, info = _ivf(vec, sentences)
    faiss.write_index(index, str(path / FAISS_FILE))
    return info


def _ivf(vec: RowFile, sentences: Path) -> tuple[object, dict]:
    import faiss

    n, dim = vec.shape
    lists = max(1, min(int(IVF_LISTS_PER_SQRT * n**0.5), n // IVF_TRAIN_PER_LIST))
    rng = np.random.default_rng(0)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    log.info("training IVF with %d lists", lists)
    sample = np.sort(rng.choice(n, min(n, IVF_TRAIN_PER_LIST * lists), replace=False))
    parts = []
    for a, block in _blocks(vec):
        sel = sample[(sample >= a) & (sample < a + len(block))]
        parts.append(block[sel - a])
    index.train(np.concatenate(parts))
    del parts
    for _, block in _blocks(vec):
        index.add(block)
    sent = RowFile(sentences)
    probes = sent.take(np.sort(rng.choice(len(sent), min(PROBES, len(sent)), replace=False))).astype(
        np.float32
    )
    want = _exact_top10(vec, probes)
    for nprobe in [c for c in NPROBE_CHOICES if c < lists] + [lists]:  # all lists: exact
        index.nprobe = nprobe
        _, got = index.search(probes, 10)
        recall = float(np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want, strict=True)]))
        if recall >= TARGET_RECALL:
            break
    log.info("IVF nprobe %d: recall@10 %.3f", nprobe, recall)
    return index, {"kind": "ivf", "lists": lists, "nprobe": nprobe, "probe_recall@10": round(recall, 4)}


def _exact_top10(vec: RowFile, probes: np.ndarray) -> np.ndarray:
    """The exact 10 nearest chunks of each probe, a block of chunk vectors at a time."""
    best_s = np.full((len(probes), 0), -np.inf, np.float32)
    best_i = np.zeros((len(probes), 0), np.int64)
    for a, block in _blocks(vec):
        s = np.concatenate([best_s, probes @ block.T], axis=1)
        i = np.concatenate(
            [best_i, np.broadcast_to(np.arange(a, a + len(block)), (len(probes), len(block)))], axis=1
        )
        k = min(10, s.shape[1])
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(s, top, 1), np.take_along_axis(i, top, 1)
    return best_i
