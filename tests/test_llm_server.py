"""LLM answers against a real OpenAI-compatible server process (llama-cpp-python serving
Gemma 3 270M, started by the llm_url fixture): the reply streams, real replies go through the
citation checker, an invented citation is dropped, a slow or absent server falls back to the
quotes; through the library, the command line (the README example) and the REST API."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import qa
from qa.llm import OpenAIChat, grounded
from tests.conftest import SEED, readme_block, serve_index

pytestmark = pytest.mark.slow
MAX_TOKENS = 120  # per test reply: the prompt echoed up to its first quote, a few seconds on 2 cores
NUMBERS = re.compile(r"\[(\d+)\]")


class Recorder:
    """The real server, sent another prompt when `content` is given; keeps the raw reply."""

    def __init__(self, chat: OpenAIChat, content: str | None = None):
        self.chat, self.content, self.name, self.raw = chat, content, chat.name, ""

    def stream(self, messages, timeout):
        if self.content is not None:
            messages = [{"role": "user", "content": self.content}]
        for piece in self.chat.stream(messages, timeout):
            self.raw += piece
            yield piece


def test_real_reply_streams_and_every_citation_is_checked(llm_url, extractive):
    rec = Recorder(OpenAIChat(llm_url, max_tokens=MAX_TOKENS))
    *drafts, r = grounded(extractive, rec, timeout=120)
    assert len(drafts) > 3 and not any(d.final for d in drafts)  # arrived in pieces
    given = len(extractive.quotes)
    raw_numbers = {int(n) for n in NUMBERS.findall(rec.raw)}
    assert r.final and r.model == llm_url
    if r.claims:  # the model cited something it was given
        assert r.dropped == tuple(sorted(n for n in raw_numbers if not 1 <= n <= given))
        assert set(r.quotes) <= set(extractive.quotes)
        assert {int(n) for n in NUMBERS.findall(r.text)} <= set(range(1, len(r.quotes) + 1))
        assert all(not NUMBERS.search(c.text) for c in r.claims)
    else:
        assert "cited none of the quotes" in r.notice and not raw_numbers & set(range(1, given + 1))
        assert r.text.endswith(extractive.text)


def test_invented_citation_is_dropped(llm_url, extractive):
    """The model is made to invent [7]: it repeats the text it is sent (a base model continues)."""
    # Echoed alike by llama.cpp's AVX and AVX2 kernels (three copies on one line each were not).
    content = ("В ней хранится сорок тысяч книг [1].\nМост длиной триста метров [7].\n" * 2).rstrip()
    rec = Recorder(OpenAIChat(llm_url, max_tokens=MAX_TOKENS), content=content)
    *_, r = grounded(extractive, rec, timeout=120)
    assert "[7]" in rec.raw  # the server really wrote it
    assert r.dropped == (7,) and "[7]" not in r.text
    assert r.claims[:2] == (
        qa.llm.Claim("В ней хранится сорок тысяч книг.", (1,)),
        qa.llm.Claim("Мост длиной триста метров.", ()),
    )
    assert r.quotes == (extractive.quotes[0],)
    assert r.text.startswith(
        "В ней хранится сорок тысяч книг. [1] Мост длиной триста метров. (нет в источниках)"
    )


def test_slow_server_gives_the_quotes_with_a_notice(llm_url, extractive):
    *_, r = grounded(extractive, OpenAIChat(llm_url, max_tokens=400), timeout=1)
    assert "took over 1 s" in r.notice and r.text == f"{r.notice}\n\n{extractive.text}"


@pytest.fixture
def seed_dir(tmp_path):
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    qa.build_index(tmp_path / "seeds", tmp_path / "index", embedder=qa.HashEmbedder(64))
    return tmp_path


def run_readme_command(url: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = next(line for line in readme_block("11434", "sh").splitlines() if line.startswith("qa "))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env["QA_LLM_MAX_TOKENS"] = str(MAX_TOKENS)
    cmd = cmd.replace("http://127.0.0.1:11434/v1", url)
    return subprocess.run(cmd, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_readme_llm_example(llm_url, seed_dir):
    out = run_readme_command(llm_url, seed_dir)
    assert out.returncode == 0, out.stderr
    quote = qa.Assistant(qa.Retriever.load(seed_dir / "index", embedder=qa.HashEmbedder(64))).ask(
        "Сколько предприятий модернизировано?"
    )
    assert "⚠" not in out.stdout  # the model's reply, not a fallback
    assert f"> {quote.quotes[0].text} [" in out.stdout and "\n\nИсточники:\n[1] " in out.stdout
    assert max(int(n) for n in NUMBERS.findall(out.stdout)) <= len(quote.quotes)


def test_cli_with_the_server_down_prints_the_quotes_and_a_notice(seed_dir):
    out = run_readme_command("http://127.0.0.1:9/v1", seed_dir)
    assert out.returncode == 0, out.stderr
    first, rest = out.stdout.split("\n", 1)
    assert first.startswith("⚠ cannot reach the LLM server at http://127.0.0.1:9/v1")
    assert "10 предприятий" in rest and "Источники:" in rest


@pytest.mark.filterwarnings("error::UserWarning")  # pydantic warns when a field is not what it says
def test_rest_ask_with_an_llm(llm_url, tmp_path):
    with serve_index(tmp_path, qa.HashEmbedder(64), llm_url=llm_url, llm_max_tokens=MAX_TOKENS) as served:
        out = httpx.post(
            f"{served.url}/api/ask", json={"question": "Сколько предприятий модернизировано?"}, timeout=120
        )
        status = httpx.get(f"{served.url}/api/status").json()
    assert out.status_code == 200
    body = out.json()
    assert body["llm"]["model"] == status["llm"] == llm_url and body["llm"]["notice"] is None
    text = SEED.read_text(encoding="utf-8")
    for q in body["quotes"]:
        assert text[q["start"] : q["end"]] == q["text"]
    claims = body["llm"]["claims"]
    assert claims and all(1 <= n <= len(body["quotes"]) for c in claims for n in c["cites"])
    assert body["found"] and "\n\nИсточники:\n[1] " in body["answer"]


@pytest.mark.browser
def test_chat_streams_the_reply_in_a_browser_and_its_citations_open_the_quotes(llm_url, tmp_path, browser):
    with serve_index(tmp_path, qa.HashEmbedder(64), llm_url=llm_url, llm_max_tokens=MAX_TOKENS) as served:
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU").new_page()
        page.goto(served.url)
        page.locator("#qa-docs .qa-docrow").first.wait_for(timeout=30_000)  # the session has loaded
        page.locator("#qa-q textarea").fill("Сколько предприятий модернизировано?")
        page.locator("#qa-q textarea").press("Enter")
        # The reply shows while it streams, before its quotes and sources arrive.
        page.wait_for_function(
            "document.querySelector('#qa-chat .qa-written') && !document.querySelector('#qa-chat .qa-sources')",
            timeout=60_000,
        )
        page.locator("#qa-chat .qa-sources").wait_for(timeout=120_000)
        written = page.locator("#qa-chat .qa-written")
        quotes = page.locator("#qa-chat .qa-quote")
        numbers = {int(n) for n in NUMBERS.findall(written.inner_text())}
        assert numbers and max(numbers) <= quotes.count()
        first = quotes.first.inner_text().rsplit(" [", 1)[0]
        assert first in SEED.read_text(encoding="utf-8")  # verbatim
        written.locator("a.qa-cite").first.click()
        page.wait_for_function(
            "(t) => { const m = document.querySelector('#qa-hl'); return m && t.startsWith(m.textContent.slice(0, 40)); }",
            arg=first,
            timeout=30_000,
        )
