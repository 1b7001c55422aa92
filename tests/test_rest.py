"""The REST API over real HTTP (uvicorn on a loopback port, the whole server assembled as
`qa serve` does): shapes, errors and status codes, OpenAPI, concurrency, the rebuild gate, and
the README example. The index uses the HashEmbedder (the real model is tested elsewhere)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import httpx
import pytest

import qa
from qa.answer import answer_dict
from tests.conftest import RU, SEED, readme_block, serve_index

Q = "Сколько книг хранится в новой библиотеке?"


def test_ask_is_qa_ask_json_plus_the_version(api):
    r = httpx.post(f"{api.url}/api/ask", json={"question": Q})
    assert r.status_code == 200
    out = r.json()
    q = out["quotes"][0]
    assert out["found"] and "сорок тысяч книг" in q["text"] and q["source"] == "ru.txt"
    assert RU[q["start"] : q["end"]] == q["text"]
    retriever = qa.Retriever.load(api.index, embedder=qa.HashEmbedder(64))
    a = qa.Assistant(retriever).ask(Q)
    # Every field of `qa ask --json`, the quotes whole (all Quote fields), the version.
    assert {k: out[k] for k in ("answer", "found", "closest")} == {
        k: answer_dict(a)[k] for k in ("answer", "found", "closest")
    }
    assert out["quotes"] == [asdict(q) for q in a.quotes] and out["version"] == retriever.version
    assert all(d.items() <= q.items() for d, q in zip(answer_dict(a)["quotes"], out["quotes"], strict=True))


def test_ask_takes_k_and_history(api):
    first = httpx.post(f"{api.url}/api/ask", json={"question": "Когда открыли новую библиотеку?"}).json()
    follow = httpx.post(
        f"{api.url}/api/ask", json={"question": "а сколько книг?", "history": ["Что открыли весной?"], "k": 1}
    ).json()
    assert first["found"] and "сорок тысяч книг" in follow["quotes"][0]["text"]


def test_search_returns_hits_and_the_version(api):
    out = httpx.post(f"{api.url}/api/search", json={"question": "bridge river", "k": 2}).json()
    assert len(out["hits"]) == 2 and out["hits"][0]["source"] == "en.md" and out["version"]
    assert set(out["hits"][0]) >= {"text", "source", "start", "end", "line_start", "line_end", "score"}


def test_status_and_documents(api):
    st = httpx.get(f"{api.url}/api/status").json()
    assert st["built"] and st["documents"] == 3 and st["model"] == "hash-64" and st["stale"] is False
    assert st["version"] == st["latest"] and st["llm"] is None
    docs = httpx.get(f"{api.url}/api/documents").json()
    assert [d["source"] for d in docs["documents"]] == sorted(["ru.txt", "en.md", SEED.name])
    assert docs["version"] == st["version"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": "  ?! "}, "the question is empty"),
        ({}, "question: Field required"),
        ({"question": 42}, "question: Input should be a valid string"),
        ({"question": "книги", "k": 0}, "k: Input should be greater than or equal to 1"),
    ],
)
def test_bad_questions_are_400_with_a_message(api, body, message):
    r = httpx.post(f"{api.url}/api/ask", json=body)
    assert r.status_code == 400 and message in r.json()["error"]


def test_not_json_is_400(api):
    r = httpx.post(f"{api.url}/api/search", content=b"question=x", headers={"content-type": "text/plain"})
    assert r.status_code == 400 and "error" in r.json()


def test_no_index_is_503(tmp_path):
    from qa.retrieve import LiveRetriever
    from qa.server import create_app
    from tests.conftest import running

    s = qa.load_settings(index=tmp_path / "none", seeds=tmp_path)
    with running(create_app(s, LiveRetriever(s.index, s, qa.HashEmbedder(64)))) as url:
        r = httpx.post(f"{url}/api/ask", json={"question": Q})
        assert r.status_code == 503 and "qa index" in r.json()["error"]
        st = httpx.get(f"{url}/api/status").json()
        assert st["built"] is False and st["version"] is None


def test_rebuild_is_refused_unless_allowed(api):
    r = httpx.post(f"{api.url}/api/index")
    assert r.status_code == 403 and "QA_API_INDEX=1" in r.json()["error"]


def test_rebuild_on_a_read_only_server_is_403(tmp_path):
    with serve_index(tmp_path, qa.HashEmbedder(64), api_index=1, read_only=True) as served:
        r = httpx.post(f"{served.url}/api/index")
        assert r.status_code == 403 and r.json()["error"].startswith("this server is read-only")


def test_rebuild_when_allowed_switches_the_version(tmp_path):
    with serve_index(tmp_path, qa.HashEmbedder(64), api_index=1) as served:
        before = httpx.get(f"{served.url}/api/status").json()["version"]
        (served.seeds / "new.txt").write_text("Маяк построили в 1888 году.\n", encoding="utf-8")
        r = httpx.post(f"{served.url}/api/index", timeout=60)
        assert r.status_code == 200 and r.json()["added"] == ["new.txt"] and r.json()["version"] != before
        out = httpx.post(f"{served.url}/api/ask", json={"question": "Когда построили маяк?"}).json()
        assert out["version"] == r.json()["version"] and "1888" in out["quotes"][0]["text"]


def test_openapi_documents_every_route(api):
    spec = httpx.get(f"{api.url}/openapi.json").json()
    assert set(spec["paths"]) == {"/api/ask", "/api/search", "/api/status", "/api/documents", "/api/index"}
    ask = spec["paths"]["/api/ask"]["post"]
    assert set(ask["responses"]) >= {"200", "400", "503"}
    assert "quotes" in spec["components"]["schemas"]["AskResult"]["properties"]
    docs = httpx.get(f"{api.url}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


class Gate(qa.HashEmbedder):
    """Holds each question until `n` are in flight together: served one at a time, the first
    would wait alone until the barrier breaks."""

    def __init__(self, n: int):
        super().__init__(64)
        self.barrier = threading.Barrier(n, timeout=20)

    def embed_queries(self, texts):
        self.barrier.wait()
        return super().embed_queries(texts)


def test_requests_run_concurrently(tmp_path):
    gate = Gate(4)  # builds like HashEmbedder(64); only questions wait at the barrier
    with serve_index(tmp_path, gate) as served, ThreadPoolExecutor(4) as pool:
        paths = ["ask", "search", "ask", "search"]
        codes = list(
            pool.map(
                lambda p: httpx.post(f"{served.url}/api/{p}", json={"question": Q}, timeout=30).status_code,
                paths,
            )
        )
    assert codes == [200] * 4 and not gate.barrier.broken


def test_gradio_ask_endpoint_still_served(api):
    from gradio_client import Client

    out = Client(f"{api.url}/", verbose=False).predict(Q, api_name="/ask")
    assert "сорок тысяч книг" in out["quotes"][0]["text"]


def test_readme_rest_example(api, capsys):
    code = readme_block("/api/ask").replace("http://127.0.0.1:7860", api.url)
    exec(compile(code, "README.md", "exec"), {})
    assert "10 предприятий" in capsys.readouterr().out
