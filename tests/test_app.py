"""The web chat served for real on a free loopback port: gradio_client against /ask, two
clients at once, and Debian's chromium driven by Playwright (one browser and one served app for
the module; desktop and phone, English and Russian, light and dark). Uses the real default model."""

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

OUTSIDE = "203.0.113.5"  # TEST-NET-3: never reachable, so any request to it is a failure we can see
HOSTILE = (
    "Секретный код хранилища <script>window.__pwned = 1</script> равен 4711 "
    '<img src=x onerror="window.__pwned = 2"> ![трекер](http://' + OUTSIDE + "/pixel.png) "
    "[ссылка](http://" + OUTSIDE + "/go).\n"
)
QUESTION = "Сколько предприятий модернизировано в первом полугодии?"
GUIDE = (  # a URL, a formula and Markdown emphasis that must all show as written
    "# Service guide\n\nДокументация сервиса опубликована на https://docs.example.com/guide, а премия "
    "считается по формуле $$x^2 + y^2$$ и *не* больше.\n"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("app")
    seeds = base / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    (seeds / "vault.txt").write_text(HOSTILE, encoding="utf-8")
    (seeds / "guide.md").write_text(GUIDE, encoding="utf-8")
    shutil.copy(SEED.parent / ".questions.txt", seeds / ".questions.txt")
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


def _open(browser, url: str, outside: list, **context):
    """A new page on the app; every request that leaves the app is recorded in `outside`."""
    page = browser.new_context(**context).new_page()
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    page.goto(url)
    page.locator("#qa-docs .qa-docrow").first.wait_for(timeout=30_000)  # the session has loaded
    return page


def _ask(page, question: str, answers: int) -> None:
    """Ask and wait until the chat holds `answers` finished answers."""
    page.locator("#qa-q textarea").fill(question)
    page.locator("#qa-q textarea").press("Enter")
    _answered(page, answers)


def _answered(page, n: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('#qa-chat .qa-sources, #qa-chat .qa-notfound').length >= {n}",
        timeout=90_000,
    )


def _highlighted(page, text: str) -> None:
    """Wait until the source panel highlights a quote holding `text`, scrolled into view inside
    its box; a quote that never comes, or stays out of view, fails the test."""
    page.wait_for_function(
        """(text) => { const m = document.querySelector('#qa-hl'), d = document.querySelector('.qa-doc');
                   if (!m || !d || !m.textContent.includes(text)) return false;
                   const a = m.getBoundingClientRect(), b = d.getBoundingClientRect();
                   return a.top >= b.top - 1 && a.top + 10 <= b.bottom; }""",
        arg=text,
        timeout=30_000,
    )


def _contrast(page, selector: str) -> float:
    """WCAG contrast of an element's computed text colour on its background."""
    fg, bg = page.evaluate(
        f"() => {{ const s = getComputedStyle(document.querySelector({selector!r})); return [s.color, s.backgroundColor]; }}"
    )

    def lum(css: str) -> float:
        r, g, b = (float(x) / 255 for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
        return sum(
            w * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
            for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b), strict=True)
        )

    a, b = lum(fg), lum(bg)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def _shot(page, name: str, tmp_path: Path) -> None:
    """README screenshots: QA_SCREENSHOTS=docs make test writes docs/<name>."""
    folder = Path(os.environ.get("QA_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(folder / name))
    assert (folder / name).stat().st_size > 10_000


# Records, at every Enter in the question box, how many answers the chat has finished, and
# whether a "searching…" state ever showed.
WATCH_JS = """() => { window.qaAnsweredAtEnter = []; window.qaSawSearching = false;
  const n = (s) => document.querySelectorAll('#qa-chat ' + s).length;
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') window.qaAnsweredAtEnter.push(n('.qa-sources') + n('.qa-notfound'));
  }, true);
  new MutationObserver(() => { if (n('.qa-searching')) window.qaSawSearching = true; })
    .observe(document.body, {childList: true, subtree: true}); }"""


@pytest.mark.browser
def test_browser_answers_each_with_its_own_sources(served, browser, tmp_path):
    url, _ = served
    outside: list[str] = []
    page = _open(browser, url, outside, viewport={"width": 1366, "height": 900}, locale="en-US")
    assert page.locator("#qa-send").inner_text() == "Ask"
    assert page.locator("#qa-docs").get_by_text("Service guide").count() == 1  # the Markdown title
    assert page.get_by_role("button", name=QUESTION).count() == 1  # examples from seeds/.questions.txt

    page.locator("#qa-q textarea").fill("???")
    page.locator("#qa-q textarea").press("Enter")
    page.locator("#qa-hint").get_by_text("Type a question with at least one word.").wait_for(timeout=10_000)
    assert page.locator("#qa-chat .message-row").count() == 0  # no empty bubble

    _ask(page, QUESTION, 1)  # a new answer opens its first quote, highlighted
    _highlighted(page, "10 предприятий")
    assert "Источники" in page.locator("#qa-chat").inner_text()  # the question's language
    assert page.locator("#qa-q textarea").input_value() == ""
    assert _contrast(page, "#qa-hl") >= 4.5
    _shot(page, "chat.png", tmp_path)

    # The next question is typed while the one before is still being answered: both are answered.
    page.evaluate(WATCH_JS)
    page.locator("#qa-q textarea").fill("Чему равен секретный код хранилища?")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(
        "По какому адресу опубликована документация сервиса?"
    )  # typed at once, no waiting
    page.keyboard.press("Enter")
    _answered(page, 3)
    # The third question was sent before the second one was answered.
    assert page.evaluate("window.qaAnsweredAtEnter") == [1, 1]
    assert page.evaluate("window.qaSawSearching")
    asked = page.locator("#qa-chat .qa-asked").all_inner_texts()
    assert asked == [
        QUESTION,
        "Чему равен секретный код хранилища?",
        "По какому адресу опубликована документация сервиса?",
    ]
    answers = page.locator("#qa-chat .qa-answer").all_inner_texts()
    assert "10 предприятий" in answers[0] and "4711" in answers[1] and "docs.example.com" in answers[2]
    _highlighted(page, "docs.example.com")  # the latest answer's own source

    # Quotes are shown verbatim: no link, no formula, no Markdown, no escaping backslashes.
    for where in ("#qa-chat .qa-answer >> nth=2", "#qa-hl"):
        text = page.locator(where).inner_text()
        assert "https://docs.example.com/guide" in text and "$$x^2 + y^2$$" in text and "*не*" in text
        assert "\\" not in text
    assert page.locator("#qa-chat a[href^='http'], #qa-viewer a[href^='http'], .katex").count() == 0

    # Any citation of any answer opens its quote; markup inside documents stays text.
    page.locator("#qa-chat .qa-answer >> nth=1").locator(".qa-quote", has_text="4711").locator("a").click()
    _highlighted(page, "4711")
    assert "<script>" in page.locator("#qa-hl").inner_text()
    page.locator("#qa-chat .qa-answer >> nth=0").locator("a.qa-cite").first.click()
    _highlighted(page, "10 предприятий")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert "<script>" in page.locator("#qa-chat").inner_text()
    assert page.locator("#qa-chat img[src='x'], #qa-viewer img").count() == 0

    page.locator("#qa-chat button[aria-label='Clear']").click()  # Clear resets the source panel too
    page.locator("#qa-viewer").get_by_text("Choose a citation").wait_for(timeout=10_000)
    assert page.locator("#qa-chat .message-row").count() == 0 and page.locator("#qa-hl").count() == 0
    assert not [u for u in outside if OUTSIDE in u]


@pytest.mark.browser
def test_browser_phone_in_russian_and_dark(served, browser, tmp_path):
    url, _ = served
    outside: list[str] = []
    page = _open(
        browser,
        url,
        outside,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="ru-RU",
        color_scheme="dark",
    )
    assert page.locator("#qa-send").inner_text() == "Спросить"
    assert "Документы" in page.locator("#qa-docs-panel").inner_text()
    _ask(page, "На сколько процентов выросла производительность труда?", 1)
    _ask(page, QUESTION, 2)
    # No jump to the panels below; the first quote of the new answer is in view, inside the chat box.
    assert page.evaluate("window.scrollY") == 0
    box = page.locator("#qa-chat .bubble-wrap").bounding_box()
    quote = page.locator("#qa-chat .qa-answer >> nth=1").locator(".qa-quote").first.bounding_box()
    assert box["y"] <= quote["y"] and quote["y"] + 40 <= min(box["y"] + box["height"], 844), (box, quote)
    _shot(page, "chat-phone.png", tmp_path)

    bg = page.evaluate(
        "getComputedStyle(document.querySelector('.gradio-container') || document.body).backgroundColor"
    )
    assert sum(int(x) for x in bg[bg.index("(") + 1 : bg.index(")")].split(",")[:3]) < 200, bg  # dark indeed
    assert _contrast(page, "#qa-hl") >= 4.5
    page.locator("#qa-chat .qa-answer >> nth=0").locator("a.qa-cite").first.click()
    _highlighted(page, "%")
    page.wait_for_function(  # the source panel below the chat comes into view
        "() => { const r = document.querySelector('#qa-hl').getBoundingClientRect(); return r.top >= 0 && r.top + 20 <= innerHeight; }",
        timeout=10_000,
    )


@pytest.mark.browser
def test_browser_upload_open_and_delete(served, browser, tmp_path):
    from qa import store

    url, base = served
    seeds, index = base / "seeds", base / "index"
    (tmp_path / "owls.md").write_text(
        "# Owls\n\nOwls hunt at night and sleep in the day.\n", encoding="utf-8"
    )
    (tmp_path / "bees.txt").write_text("Bees make honey from the nectar of flowers.\n", encoding="utf-8")
    page = _open(browser, url, [], viewport={"width": 1366, "height": 900}, locale="en-US")
    for name in ("owls.md", "bees.txt"):
        with page.expect_file_chooser() as chooser:
            page.locator("#qa-upload").click()
        chooser.value.set_files(str(tmp_path / name))
        page.locator("#qa-note").get_by_text(f"{name}: added").wait_for(timeout=120_000)
    assert "owls.md" not in page.locator("#qa-note").inner_text()  # only the new file was sent
    assert {"owls.md", "bees.txt"} <= set(store.read_manifest(index)["files"])

    page.locator("#qa-docs").get_by_text("Owls", exact=True).click()
    page.locator("#qa-viewer").get_by_text("Owls hunt at night").wait_for(timeout=10_000)
    page.locator("#qa-docs button[data-src='owls.md']").click()
    page.locator("#qa-confirm").get_by_text("Delete “Owls” (owls.md)?").wait_for(timeout=10_000)
    page.locator("#qa-confirm-yes").click()
    page.locator("#qa-note").get_by_text("Deleted owls.md.").wait_for(timeout=120_000)
    assert page.locator("#qa-docs").get_by_text("Owls", exact=True).count() == 0
    assert not (seeds / "owls.md").exists() and "owls.md" not in store.read_manifest(index)["files"]
    assert (seeds / "bees.txt").exists()


def test_running_app_picks_up_a_rebuilt_index(served):
    """Kept last in this file: it changes the served documents."""
    from gradio_client import Client

    url, base = served
    client = Client(url, verbose=False)
    assert "4711" in client.predict("Какой секретный код хранилища?", api_name="/ask")["quotes"][0]["text"]
    (base / "seeds" / "vault.txt").unlink()
    (base / "seeds" / "zoo.txt").write_text(
        "В городском зоопарке живут три жирафа и два слона.\n", encoding="utf-8"
    )
    qa.build_index(base / "seeds", base / "index")
    out = client.predict("Сколько жирафов живёт в зоопарке?", api_name="/ask")
    assert out["found"] and "три жирафа" in out["quotes"][0]["text"]
    gone = client.predict("Какой секретный код хранилища?", api_name="/ask")
    assert all(q["source"] != "vault.txt" for q in gone["quotes"])
    assert gone["closest"] is None or gone["closest"]["source"] != "vault.txt"


def test_load_while_rebuilding(tmp_path):
    """The CI-sized version of bench/load.py: a few users, a few seconds, rebuilds underneath."""
    from bench.load import CODES, ENDPOINTS, code_doc, run_load

    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    (seeds / "code.txt").write_text(code_doc(CODES[0]), encoding="utf-8")
    qa.build_index(seeds, index)
    proc, url = start_app(seeds, index)
    try:  # the chat's Gradio endpoint, then the REST API of the same process
        results = [run_load(url, seeds, index, users=3, seconds=8, user=user) for user in ENDPOINTS.values()]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for r in results:
        assert r["errors"] == 0 and r["wrong_version"] == 0, r
        assert r["requests"] >= 3 and r["index_versions"] >= 2
