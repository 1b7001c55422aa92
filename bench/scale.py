"""Scale: synthetic corpora of 10k, 100k (and, with --large, 1M) chunks. The deterministic
HashEmbedder (384 dims, like e5-small) stands in for the model so that the index, BM25 and
answer costs show on their own. Each tier runs in its own process so peak RSS is its own:
build time, search and ask p50/p95, peak RSS of building and of serving, index size, and the
recall@10 of the FAISS index against exact search."""

from __future__ import annotations

import itertools
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import qa
from qa import store
from qa.retrieve import model_form

SYLLABLES = [
    "ка",
    "ро",
    "ми",
    "ла",
    "ту",
    "не",
    "зо",
    "ва",
    "ри",
    "до",
    "ba",
    "ke",
    "lo",
    "mi",
    "ra",
    "tu",
    "so",
    "ne",
]
PARAS_PER_DOC = 50


def vocabulary(n: int, rng: random.Random) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def make_corpus(seeds: Path, chunks: int, seed: int = 7) -> None:
    """Documents of 50 paragraphs of ~550 characters: one chunk per paragraph at chunk_size 1000.
    Words follow Zipf's law and each document keeps to one of 300 topics (half its words come
    from the topic's own 400), as real text does. A first version drew every word uniformly
    from 20k: vectors without neighbourhoods, on which no ANN index reaches a useful recall
    (HNSW, efSearch 2048: recall@10 0.74 at 1M chunks), which says nothing about real corpora."""
    rng = random.Random(seed)
    vocab = vocabulary(50_000, rng)
    zipf = list(itertools.accumulate(1 / (r + 1) ** 1.1 for r in range(len(vocab))))
    topics = [rng.sample(vocab, 400) for _ in range(300)]
    topic_zipf = list(itertools.accumulate(1 / (r + 1) for r in range(400)))
    seeds.mkdir(parents=True)
    for d in range(chunks // PARAS_PER_DOC):
        topic, paras = topics[rng.randrange(len(topics))], []
        for _ in range(PARAS_PER_DOC):
            sents = []
            for _ in range(7):
                words = rng.choices(vocab, cum_weights=zipf, k=6) + rng.choices(
                    topic, cum_weights=topic_zipf, k=6
                )
                rng.shuffle(words)
                sents.append(" ".join(words).capitalize() + ".")
            paras.append(" ".join(sents))
        (seeds / f"doc{d:06d}.txt").write_text("\n\n".join(paras), encoding="utf-8")


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM): ru_maxrss would carry the parent's peak across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs, p):
    xs = sorted(xs)
    return round(xs[int(p / 100 * (len(xs) - 1))], 2)


def tier(chunks: int, work: Path, phase: str) -> dict:
    seeds, index = work / "seeds", work / "index"
    embedder = qa.HashEmbedder(384)
    if phase == "build":
        make_corpus(seeds, chunks)
        t = time.perf_counter()
        r = qa.build_index(seeds, index, embedder=embedder)
        size = sum(p.stat().st_size for p in index.rglob("*") if p.is_file())
        return {
            "chunks": r.chunks,
            "build_s": round(time.perf_counter() - t, 1),
            "build_rss_mb": round(peak_rss_mb()),
            "index_mb": round(size / 1e6),
        }
    t = time.perf_counter()
    ret = qa.Retriever.load(index, embedder=embedder)
    load_s = time.perf_counter() - t
    rng = random.Random(1)
    questions = []
    for _ in range(200):
        c = ret.chunks[rng.randrange(len(ret.chunks))]
        words = c.text.split()
        questions.append(" ".join(rng.sample(words, 5)))
    ret.search(questions[0])  # warm up
    s_ms, a_ms, bm25_ms, dense_ms = [], [], [], []
    assistant = qa.Assistant(ret)
    for q in questions:
        t = time.perf_counter()
        ret.search(q, k=10)
        s_ms.append((time.perf_counter() - t) * 1000)
        qv = embedder.embed_queries([model_form(q)])[0]
        t = time.perf_counter()
        ret.lexical.scores(q)
        bm25_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        ret.dense_top(qv)
        dense_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        assistant.ask(q)
        a_ms.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    ret.search_many(questions, k=10)
    many_qps = len(questions) / (time.perf_counter() - t)
    # Serving's peak, before the recall check below builds its own exact index (1.5 GB at 1M;
    # the figures of format 1, 10.4 GB at 1M, included it).
    serve_rss = peak_rss_mb()
    recall, sweep = None, None
    index_kind = type(ret.stored.vectors).__name__
    if ret.stored.vectors.ntotal > store.EXACT_MAX:
        recall, sweep = ann_recall(
            ret.stored.vectors, embedder.embed_queries([model_form(q) for q in questions[:100]])
        )
    return {
        "load_s": round(load_s, 2),
        "search_ms_p50": pct(s_ms, 50),
        "search_ms_p95": pct(s_ms, 95),
        "ask_ms_p50": pct(a_ms, 50),
        "ask_ms_p95": pct(a_ms, 95),
        "bm25_ms_p50": pct(bm25_ms, 50),
        "faiss_ms_p50": pct(dense_ms, 50),
        "search_loop_qps": round(1000 / statistics.mean(s_ms), 1),
        "search_many_qps": round(many_qps, 1),
        "serve_rss_mb": round(serve_rss),
        "faiss": index_kind,
        "recall@10": recall,
        "nprobe_sweep": sweep,
        "nprobe": ret.stored.manifest.get("faiss", {}).get("nprobe"),
    }


def ann_recall(index, qv: np.ndarray) -> tuple[float, str]:
    """recall@10 of the IVF index against exact search over the same vectors, at the nprobe
    the build tuned (manifest) and at the other choices; time per query, one query at a time."""
    import faiss

    exact = faiss.IndexFlatIP(index.d)
    for b in range(0, index.ntotal, 100_000):  # in blocks: one reconstruct_n of 1M rows is 1.5 GB at once
        exact.add(index.reconstruct_n(b, min(100_000, index.ntotal - b)))
    _, want = exact.search(qv, 10)
    shipped, rows = index.nprobe, []
    for nprobe in sorted({64, 256, 1024, shipped}):
        index.nprobe = nprobe
        got, ms = [], []
        for q in qv:
            t = time.perf_counter()
            got.append(index.search(q[None], 10)[1][0])
            ms.append((time.perf_counter() - t) * 1000)
        r = float(np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want, strict=True)]))
        rows.append((nprobe, round(r, 3), round(statistics.median(ms), 2)))
    index.nprobe = shipped
    return next(r for p, r, _ in rows if p == shipped), "; ".join(
        f"nprobe {p}: {r} in {m} ms" for p, r, m in rows
    )


def run_tier(chunks: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = {}
        for phase in ("build", "serve"):
            p = subprocess.run(
                [sys.executable, __file__, "--tier", str(chunks), "--work", tmp, "--phase", phase],
                capture_output=True,
                text=True,
                check=True,
            )
            out.update(json.loads(p.stdout.strip().splitlines()[-1]))
        return out


COLS = [
    "chunks",
    "build_s",
    "build_rss_mb",
    "index_mb",
    "faiss",
    "recall@10",
    "search_ms_p50",
    "search_ms_p95",
    "ask_ms_p50",
    "ask_ms_p95",
    "bm25_ms_p50",
    "faiss_ms_p50",
    "search_loop_qps",
    "search_many_qps",
    "serve_rss_mb",
    "load_s",
]


def main(tiers=(10_000, 100_000)) -> str:
    rows = []
    for n in tiers:
        rows.append(run_tier(n))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    lines = [
        "## Scale (synthetic corpora, HashEmbedder-384 standing in for the model)",
        "",
        "| " + " | ".join(COLS) + " |",
        "|" + "---|" * len(COLS),
    ]
    lines += ["| " + " | ".join(str(r.get(c)) for c in COLS) + " |" for r in rows]
    lines += [
        f"\nIVF at {r['chunks']} chunks, recall@10 against exact search (100 queries) and FAISS time per query "
        f"by nprobe (median; tuned by the build: {r['nprobe']}): {r['nprobe_sweep']}"
        for r in rows
        if r.get("nprobe_sweep")
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--tier" in sys.argv:
        a = dict(zip(sys.argv[1::2], sys.argv[2::2], strict=True))
        print(json.dumps(tier(int(a["--tier"]), Path(a["--work"]), a["--phase"])))
    else:
        print(main((1_000_000,) if "--large" in sys.argv else (10_000, 100_000)))
