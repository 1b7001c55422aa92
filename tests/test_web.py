"""The web chat's formatting: document text is data, never markup."""

from qa.types import Answer, Document, Quote
from qa.web import format_answer, md_text, source_html

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> ![x](http://example.com/a.png) [l](http://e.x)"
)


def test_md_text_leaves_no_markup():
    out = md_text(HOSTILE)
    assert "<" not in out and ">" not in out
    assert "![" not in out and "](" not in out


def test_format_answer_quotes_and_sources():
    q = Quote("Сорок тысяч книг.", "ru.txt", 5, 22, 2, 2, 0.9, "2021-03-04")
    text = format_answer(Answer("?", "", True, (q,)))
    assert (
        text
        == "> Сорок тысяч книг\\. **[1]**\n\n**Sources**\n\n1. ru\\.txt, line 2, 2021\\-03\\-04 · score 0.90"
    )


def test_not_found_looks_different_and_names_the_closest_passage():
    q = Quote("Мост.", "ru.txt", 0, 5, 1, 1, 0.1)
    text = format_answer(Answer("Где?", "В документах нет ответа на этот вопрос.\n\n...", False, (), q))
    assert text.startswith("**⚠ Not found.**")
    assert "*Closest passage, not an answer*" in text and "> Мост\\." in text


def test_source_html_escapes_and_highlights():
    text = "before " + HOSTILE + " after"
    q = Quote(HOSTILE, "h.txt", 7, 7 + len(HOSTILE), 1, 1, 0.5)
    out = source_html(Document("h.txt", text, ""), q)
    assert "<script>" not in out and "<img" not in out
    assert "<mark id='qa-hl'>&lt;script&gt;" in out


def test_source_html_shows_the_quoted_pdf_page():
    doc = Document(
        "r.pdf", "Page one text.\n\nPage two: 1200 tractors.\n\nPage three.", "", pages=(0, 16, 42)
    )
    q = Quote("1200 tractors.", "r.pdf", 26, 40, 3, 3, 0.9, page=2)
    out = source_html(doc, q)
    assert "Page one" not in out and "Page three" not in out
    assert "Page two: <mark id='qa-hl'>1200 tractors.</mark>" in out
