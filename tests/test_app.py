"""The web chat served for real on a free loopback port: gradio_client against /ask, two
clients at once, and Debian's chromium driven by Playwright. Uses the real default model."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

import qa
from bench.load import start_app
from tests.conftest import SEED

pytestmark = [pytest.mark.model, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
OUTSIDE = "203.0.113.5"  # TEST-NET-3: never reachable, so any request to it is a failure we can see
HOSTILE = (
    "Секретный код хранилища <script>window.__pwned = 1</script> равен 4711 "
    '<img src=x onerror="window.__pwned = 2"> ![трекер](http://' + OUTSIDE + "/pixel.png) "
    "[ссылка](http://" + OUTSIDE + "/go).\n"
)
QUESTION = "Сколько предприятий модернизировано в первом полугодии?"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("app")
    seeds = base / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    (seeds / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    qa.build_index(seeds, base / "index")
    proc, url = start_app(seeds, base / "index")
    yield url, base
    proc.terminate()
    proc.wait(timeout=20)


def test_client_asks_the_seed(served):
    from gradio_client import Client

    url, base = served
    out = Client(url, verbose=False).predict(QUESTION, api_name="/ask")
    assert out["found"] is True
    q = out["quotes"][0]
    assert "10 предприятий" in q["text"] and q["source"] == SEED.name
    assert SEED.read_text(encoding="utf-8")[q["start"] : q["end"]] == q["text"]


def test_two_clients_at_once_get_their_own_answers(served):
    from gradio_client import Client

    url, _ = served
    questions = {QUESTION: "10 предприятий", "Какой секретный код хранилища?": "4711"}
    results: dict = {}

    def ask(q):
        results[q] = Client(url, verbose=False).predict(q, api_name="/ask")

    threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for q, expected in questions.items():
        assert expected in results[q]["quotes"][0]["text"]


@pytest.mark.browser
def test_browser_question_citation_and_highlight(served, tmp_path):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make test` installs it (apt-get install chromium)")
    url, _ = served
    shot = Path(os.environ.get("QA_SCREENSHOT", tmp_path / "chat.png"))
    with sync_playwright() as p:
        browser = p.chromium.launch(
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
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
        page.goto(url)
        page.locator("#qa-q textarea").fill(QUESTION)
        page.locator("#qa-send").click()
        page.locator("#qa-chat").get_by_text("10 предприятий").first.wait_for(timeout=60_000)
        page.locator("#qa-cites label").first.click()
        mark = page.locator("#qa-hl")
        mark.wait_for(timeout=30_000)
        assert "10 предприятий" in mark.inner_text()
        page.wait_for_timeout(500)
        page.screenshot(path=str(shot))

        # Markup inside a document shows as text and runs or loads nothing.
        page.locator("#qa-q textarea").fill("Какой секретный код хранилища?")
        page.locator("#qa-send").click()
        page.locator("#qa-chat").get_by_text("4711").first.wait_for(timeout=60_000)
        page.locator("#qa-cites label").first.click()
        page.locator("#qa-hl").wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        assert page.evaluate("window.__pwned") is None
        assert "<script>" in page.locator("#qa-chat").inner_text()
        assert "<script>" in page.locator("#qa-hl").inner_text()
        assert page.locator("#qa-chat img[src='x'], #qa-viewer img").count() == 0
        browser.close()
    assert not [u for u in outside if OUTSIDE in u]
    assert shot.stat().st_size > 10_000


def test_running_app_picks_up_a_rebuilt_index(served):
    """Kept last in this file: it changes the served documents."""
    from gradio_client import Client

    url, base = served
    client = Client(url, verbose=False)
    assert "4711" in client.predict("Какой секретный код хранилища?", api_name="/ask")["quotes"][0]["text"]
    (base / "seeds" / "hostile.txt").unlink()
    (base / "seeds" / "zoo.txt").write_text(
        "В городском зоопарке живут три жирафа и два слона.\n", encoding="utf-8"
    )
    qa.build_index(base / "seeds", base / "index")
    out = client.predict("Сколько жирафов живёт в зоопарке?", api_name="/ask")
    assert out["found"] and "три жирафа" in out["quotes"][0]["text"]
    gone = client.predict("Какой секретный код хранилища?", api_name="/ask")
    assert all(q["source"] != "hostile.txt" for q in gone["quotes"])
    assert gone["closest"] is None or gone["closest"]["source"] != "hostile.txt"


def test_load_while_rebuilding(tmp_path):
    """The CI-sized version of bench/load.py: a few users, a few seconds, rebuilds underneath."""
    from bench.load import CODES, code_doc, run_load

    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    (seeds / "code.txt").write_text(code_doc(CODES[0]), encoding="utf-8")
    qa.build_index(seeds, index)
    proc, url = start_app(seeds, index)
    try:
        r = run_load(url, seeds, index, users=3, seconds=10)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert r["errors"] == 0 and r["wrong_version"] == 0, r
    assert r["requests"] >= 3 and r["index_versions"] >= 2
