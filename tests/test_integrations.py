"""The LangChain and LlamaIndex retrievers inside each library's own machinery (an LCEL chain, a
RetrieverQueryEngine), retrieval only, and the README examples of both run as written."""

from __future__ import annotations

import shutil

import pytest

import qa
from tests.conftest import SEED, readme_block

Q = "Сколько предприятий модернизировано?"
FIELDS = {"source", "start", "end", "line_start", "line_end", "page", "section", "date", "score"}


@pytest.fixture
def seed_dir(tmp_path, monkeypatch):
    """The seed article indexed (HashEmbedder) in ./index, as the README examples expect."""
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    qa.build_index(tmp_path / "seeds", tmp_path / "index", embedder=qa.HashEmbedder(64))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_langchain_retriever_in_a_chain(retriever):
    from langchain_core.runnables import RunnableLambda

    from qa.integrations.langchain import QARetriever

    lc = QARetriever(retriever=retriever, k=2)
    docs = lc.invoke("How long is the bridge?")
    assert len(docs) == 2 and docs[0].metadata["source"] == "en.md"
    for d in docs:
        assert set(d.metadata) == FIELDS
        text = retriever.document(d.metadata["source"]).text
        assert text[d.metadata["start"] : d.metadata["end"]] == d.page_content
    chain = lc | RunnableLambda(lambda ds: [d.metadata["line_start"] for d in ds])
    assert chain.batch(["How long is the bridge?", "Сколько книг в библиотеке?"]) == [
        [d.metadata["line_start"] for d in lc.invoke(q)]
        for q in ("How long is the bridge?", "Сколько книг в библиотеке?")
    ]


def test_llamaindex_retriever_in_a_query_engine(retriever):
    from llama_index.core import Settings
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.schema import NodeWithScore

    from qa.integrations.llamaindex import QARetriever

    Settings.llm = None  # the library's own switch for "no LLM": retrieval only
    li = QARetriever(retriever=retriever, k=2)
    response = RetrieverQueryEngine.from_args(li, response_mode="no_text").query("How long is the bridge?")
    nodes = response.source_nodes
    assert len(nodes) == 2 and all(isinstance(n, NodeWithScore) for n in nodes)
    hits = retriever.search("How long is the bridge?", 2)
    assert [(n.node.get_content(), n.score, n.node.node_id) for n in nodes] == [
        (h.text, h.score, h.chunk_id) for h in hits
    ]
    assert set(nodes[0].node.metadata) == FIELDS and nodes[0].node.metadata["source"] == "en.md"


def test_readme_langchain_example(seed_dir, capsys):
    exec(compile(readme_block("qa.integrations.langchain"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("Human: Answer from the context.") and "10 предприятий" in out and Q in out


def test_readme_llamaindex_example(seed_dir, capsys):
    exec(compile(readme_block("qa.integrations.llamaindex"), "README.md", "exec"), {})
    hits = qa.Retriever.load("index", embedder=qa.HashEmbedder(64)).search(Q, 4)
    expected = [f"{round(h.score, 3)} {h.source} {h.line_start} {h.text[:80]}" for h in hits]
    assert capsys.readouterr().out.splitlines()[-len(hits) :] == expected
