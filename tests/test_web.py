"""The web chat's parts without a browser: document text stays data, answers and panels speak the
question's or the browser's language, questions queue without loss, the documents panel."""

from __future__ import annotations

import threading

import pytest

import qa
from qa.lexical import language
from qa.retrieve import LiveRetriever
from qa.types import Answer, Document, Quote
from qa.web import library
from qa.web.chat import Conversation, Finished, Quoted, answer_html, answer_loop, askable, messages
from qa.web.i18n import TEXT, UI, browser_language, count, size
from qa.web.render import citation, verbatim
from qa.web.sources import document_view, quote_view

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> ![x](http://example.com/a.png) [l](http://e.x)"
)
VERBATIM = "See https://docs.example.com/guide and $$x^2$$, *not bold*, `not code`\n\tindented"


def test_verbatim_leaves_no_markup_and_keeps_every_character():
    out = verbatim(HOSTILE + VERBATIM)
    assert "<" not in out and ">" not in out and "'" not in out and '"' not in out
    assert "\n" not in out and "\t" not in out  # Gradio's message clean-up cannot touch them
    assert "https://docs.example.com/guide" in out and "\\" not in out  # no Markdown escapes to show
    assert "$$x^2$$" in out and "*not bold*" in out


def _turn(question: str, quotes: list[Quote], found: bool = True, title: str | None = None):
    conv = Conversation()
    turn = conv.ask(question)
    for q in quotes:
        turn.apply(Quoted(q, Document(q.source, "x" * 100, "", title=title), closest=not found))
    turn.apply(Finished(Answer(question, "", found, tuple(quotes) if found else (), None), "v1"))
    return conv, turn


def test_answer_shows_quotes_verbatim_with_citations_in_the_question_language():
    q = Quote(VERBATIM, "docs/guide.md", 5, 5 + len(VERBATIM), 2, 3, 0.9123, "2021-03-04", "Guide")
    _, turn = _turn("Где руководство?", [q], title="Руководство")
    html = answer_html(turn)
    assert verbatim(VERBATIM) in html and "<a href='http" not in html
    assert "href='#qa-cite-1-1'" in html and "Источники" in html and "Sources" not in html
    assert "Руководство, § Guide, строки 2–3" in html  # the title, then the place: no file name, no score
    assert "релевантность 0.91" in html  # the score only in the tooltip
    assert html.count("0.91") == html.count("title='") == 2
    _, en = _turn("Where is the guide?", [q])
    assert "Sources" in answer_html(en) and "guide.md, § Guide, lines 2–3" in answer_html(en)


def test_not_found_looks_different_and_names_the_closest_passage():
    q = Quote("Мост.", "ru.txt", 0, 5, 1, 1, 0.1)
    _, turn = _turn("Где мост?", [q], found=False)
    html = answer_html(turn)
    assert "⚠ Не найдено." in html and "Ближайший фрагмент, не ответ" in html and "Мост." in html
    _, en = _turn("Where?", [q], found=False)
    assert "⚠ Not found." in answer_html(en) and "Closest passage, not an answer" in answer_html(en)


def test_pending_questions_show_searching_in_their_language():
    conv = Conversation()
    conv.ask("Сколько книг?")
    conv.ask("How many books?")
    msgs = messages(conv)
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert "Ищу в документах" in msgs[1]["content"] and "Searching the documents" in msgs[3]["content"]
    assert "&lt;b&gt;" in messages(_one("<b>?</b> книга"))[0]["content"]


def _one(question: str) -> Conversation:
    conv = Conversation()
    conv.ask(question)
    return conv


@pytest.mark.parametrize("question", ["", "   ", "???", "?!.,;", "\x00\x07"])
def test_empty_and_punctuation_questions_are_not_asked(question):
    assert not askable(question)


def test_both_languages_have_every_string():
    assert UI["en"].keys() == UI["ru"].keys() and TEXT["en"].keys() == TEXT["ru"].keys()
    assert TEXT["en"]["types"].keys() == TEXT["ru"]["types"].keys()


def test_languages():
    assert (
        language("Сколько paintings?") == "ru" and language("How many?") == "en" and language("???") == "en"
    )
    assert browser_language("ru-RU,ru;q=0.9,en-US;q=0.8") == "ru"
    assert browser_language("de-DE,en;q=0.5,ru;q=0.7") == "ru"
    assert browser_language("de-DE") == "en" and browser_language(None) == "en"
    assert [count("ru", n, "document") for n in (1, 3, 5, 11, 21, 1002)] == [
        "1 документ",
        "3 документа",
        "5 документов",
        "11 документов",
        "21 документ",
        "1\u202f002 документа",
    ]
    assert count("en", 1, "passage") == "1 passage" and count("en", 2, "passage") == "2 passages"
    assert size("en", 512) == "512 B" and size("ru", 3600) == "3.6 КБ" and size("en", 2_500_000) == "2.5 MB"


def test_source_panel_escapes_and_highlights_the_answer_span():
    text = "before " + HOSTILE + " after"
    span = text.index("onerror")
    q = Quote(HOSTILE, "h.txt", 7, 7 + len(HOSTILE), 1, 1, 0.5, answer_start=span, answer_end=span + 7)
    out = quote_view(q, Document("h.txt", text, ""), "en", "v1")
    assert "<script>" not in out and "<img" not in out
    assert "<mark id='qa-hl' class='qa-hl'>&lt;script&gt;" in out
    assert "<b class='qa-span'>onerror</b>" in out and "index version v1" in out


def test_source_panel_shows_the_quoted_pdf_page():
    doc = Document(
        "r.pdf",
        "Page one text.\n\nPage two: 1200 tractors.\n\nPage three.",
        "",
        pages=(0, 16, 42),
        title="Report",
    )
    q = Quote("1200 tractors.", "r.pdf", 26, 40, 3, 3, 0.9, page=2)
    out = quote_view(q, doc, "ru")
    assert "Page one" not in out and "Page three" not in out
    assert "Page two: <mark id='qa-hl' class='qa-hl'>1200 tractors.</mark>" in out
    assert "Report" in out and "стр. 2, строка 3" in out
    assert citation(q, doc, "en") == "Report, page 2, line 3"
    assert "Page one text.&#10;&#10;Page two" in document_view(doc, "en")


class _Slow:
    """A LiveRetriever whose first get() waits for the test: a question that is still pending."""

    def __init__(self, live):
        self.live, self.entered, self.release = live, threading.Event(), threading.Event()

    def get(self):
        self.entered.set()
        self.release.wait(30)
        return self.live.get()


def test_a_question_asked_while_another_is_pending_is_answered_after_it(index, fake):
    live = _Slow(LiveRetriever(index, embedder=fake))
    conv = Conversation()
    conv.ask("Сколько книг хранится в библиотеке?")
    first = threading.Thread(target=lambda: list(answer_loop(conv, live)))
    first.start()
    assert live.entered.wait(30)
    conv.ask("How many metres long is the new bridge over the river?")
    assert list(answer_loop(conv, live)) == []  # the running loop takes it; this event ends at once
    live.release.set()
    first.join(30)
    assert [t.question for t in conv.turns] == [
        "Сколько книг хранится в библиотеке?",
        "How many metres long is the new bridge over the river?",
    ]
    assert "сорок тысяч книг" in conv.turns[0].cited[0].quote.text
    assert "three hundred metres" in conv.turns[1].cited[0].quote.text
    assert conv.cited(conv.turns[0].id, 1)[1].quote == conv.turns[0].cited[0].quote
    assert list(answer_loop(conv, live)) == []  # nothing left, and the loop is free again
    conv.ask("Сколько книг?")
    shown = list(answer_loop(conv, live))  # "searching…" first, then each event, then the finished turn
    assert shown[0] is None and shown[-1] is conv.turns[-1] and conv.turns[-1].answer.found


def test_documents_panel_lists_titles_and_deletes_in_one_step(tmp_path, seeds, fake):
    (seeds / "guide.md").write_text("# Руководство\n\nТекст руководства о мостах.\n", encoding="utf-8")
    (seeds / "bad.txt").write_bytes(b"\x00\x01")
    settings = qa.load_settings(seeds=seeds, index=tmp_path / "index", model=fake.name)
    assert library.update(settings, "en") == "Index updated: 3 documents."
    assert library.update(settings, "ru") == "Индекс актуален."
    live = LiveRetriever(settings.index, settings)
    out = library.documents_html(settings, live, "en")
    assert "3 documents, 3 passages" in out and ">Руководство</a>" in out and "guide.md" in out
    assert "Markdown · 77 B · " in out and " · 1 passage · guide.md" in out
    assert "bad.txt: binary file (NUL bytes)" in out and f"index version {live.get().version}" in out
    assert library.delete(settings, "guide.md", "en") == "Deleted guide.md. Index updated: 2 documents."
    assert not (seeds / "guide.md").exists() and "guide.md" not in live.get().stored.manifest["files"]
    assert "Руководство" not in library.documents_html(settings, live, "en")
    assert library.delete(settings, "../ru.txt", "en").startswith("⚠")
    (seeds / "new.txt").write_text("Новый документ о реках.", encoding="utf-8")
    assert "Documents changed since the last update" in library.documents_html(settings, live, "en")


@pytest.mark.model
def test_documents_panel_says_how_questions_run_here(seed_index, tmp_path):
    settings = qa.load_settings(seeds=tmp_path, index=seed_index)
    out = library.documents_html(settings, LiveRetriever(settings.index, settings), "ru")
    path = qa.embedding.describe(qa.load_embedder())["query path"]
    assert f"модель multilingual-e5-small-q4 · {path}</p>" in out
    assert "onnxruntime" in out and ("fastest here" in out or "set by query_path" in out)
