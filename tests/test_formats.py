"""PDF, DOCX, HTML and Markdown: sample files are made here with the libraries themselves."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import qa
from qa.answer import cite
from qa.formats import html, markdown
from tests.conftest import assert_exact

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_pdf(path: Path) -> None:
    from fpdf import FPDF

    if not FONT.exists():
        pytest.fail("DejaVuSans.ttf is missing: `make test` installs fonts-dejavu-core")
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=12)
    pdf.set_title("Годовой отчёт завода")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Annual report. The first page talks about the weather in spring.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Во втором квартале завод выпустил 1200 тракторов. Производство выросло на треть.")
    pdf.output(str(path))


def make_docx(path: Path) -> None:
    from docx import Document

    d = Document()
    d.core_properties.title = "  Итоги\n2020 года "
    d.add_heading("Итоги года", level=1)
    d.add_paragraph("Компания открыла три новых филиала.")
    d.add_heading("Показатели", level=2)
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "Выручка", "15 млн"
    t.cell(1, 0).text, t.cell(1, 1).text = "Сотрудники", "420 человек"
    d.add_paragraph("После таблицы идёт заключение.")
    d.save(str(path))


PAGE = """<html><head><title>Город</title><style>body{color:red}</style>
<script>var secret = "never quote this script text";</script></head>
<body><nav><a href="/">Главная</a> | <a href="/news">Новости нав</a></nav>
<main><h1>История &amp; культура</h1><p>Музей открылся в 1999&nbsp;году и хранит картины.</p>
<h2>Парки</h2><p>В городе двенадцать парков.</p></main><footer>© подвал сайта</footer></body></html>"""

MD = """# Введение

Первый раздел о горах.

```
# не заголовок: это код
print("код сохраняется")
```

## Реки

Самая длинная река течёт на север.
"""


@pytest.fixture
def formats_index(tmp_path, fake):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    make_pdf(seeds / "report.pdf")
    make_docx(seeds / "year.docx")
    (seeds / "page.html").write_text(PAGE, encoding="utf-8")
    (seeds / "notes.md").write_text(MD, encoding="utf-8")
    (seeds / "scan.pdf").write_bytes(_blank_pdf())
    report = qa.build_index(seeds, tmp_path / "index", embedder=fake)
    return report, qa.Retriever.load(tmp_path / "index", embedder=fake)


def _blank_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


def test_pdf_page_two_is_cited(formats_index):
    report, ret = formats_index
    assert [(s.source, s.reason) for s in report.skipped] == [
        ("scan.pdf", "no text layer (a scanned PDF?); run OCR on it first")
    ]
    a = qa.Assistant(ret).ask("Сколько тракторов выпустил завод во втором квартале?")
    q = a.quotes[0]
    assert q.source == "report.pdf" and q.page == 2 and "1200 тракторов" in q.text
    assert "page 2" in cite(q)
    assert_exact(q, ret)


def test_docx_headings_and_tables(formats_index):
    _, ret = formats_index
    text = ret.document("year.docx").text
    assert text.splitlines() == [
        "Итоги года",
        "Компания открыла три новых филиала.",
        "Показатели",
        "Выручка | 15 млн",
        "Сотрудники | 420 человек",
        "После таблицы идёт заключение.",
    ]
    q = qa.Assistant(ret).ask("Сколько сотрудников?").quotes[0]
    assert "420 человек" in q.text and q.section == "Показатели" and "§ Показатели" in cite(q)


def test_html_main_text_only(formats_index):
    _, ret = formats_index
    text = ret.document("page.html").text
    assert (
        "never quote" not in text and "Главная" not in text and "подвал" not in text and "color" not in text
    )
    assert "История & культура" in text and "1999 году" in text  # entities decoded, &nbsp; read as a space
    a = qa.Assistant(ret).ask("Сколько парков в городе?")
    assert "В городе двенадцать парков." in a.quotes[0].text and a.quotes[0].section == "Парки"
    for q in qa.Assistant(ret).ask("secret script text").quotes:
        assert "never quote" not in q.text


def test_markdown_sections_and_code(formats_index):
    _, ret = formats_index
    q = qa.Assistant(ret).ask("Куда течёт самая длинная река?").quotes[0]
    assert q.section == "Реки" and q.source == "notes.md"
    assert 'print("код сохраняется")' in ret.document("notes.md").text


def test_extractors_on_their_own():
    assert markdown(MD).sections == ((0, "Введение"), (MD.index("## Реки"), "Реки"))
    ex = html(PAGE)
    assert [h for _, h in ex.sections] == ["История & культура", "Парки"]
    assert all(ex.text[s:].startswith(h) for s, h in ex.sections)


def test_titles_come_from_each_format_and_reach_the_index(formats_index, tmp_path):
    _, ret = formats_index
    titles = {s: ret.document(s).title for s in ("report.pdf", "year.docx", "page.html", "notes.md")}
    assert titles == {
        "report.pdf": "Годовой отчёт завода",  # PDF metadata
        "year.docx": "Итоги 2020 года",  # DOCX core properties, one line
        "page.html": "Город",  # <title>, although <head> text is never indexed
        "notes.md": "Введение",  # the first heading
    }
    files = ret.stored.manifest["files"]
    assert {s: f["title"] for s, f in files.items()} == titles
    assert sum(f["chunks"] for f in files.values()) == len(ret.chunks)
    assert html("<p>No title here</p>").title is None and markdown("no heading").title is None
    assert html("<title>" + "x " * 500 + "</title>").title == ("x " * 100).strip()


def test_markdown_scan_is_linear_in_fences_and_headings():
    # 308 KB of alternating fences and headings took 25 s when each heading counted the fences
    # before it; one line of spaces and #s took 28 s for 4 KB in the old heading pattern.
    text = "```\n# inside\n```\n# outside\n" * 12_000 + "# x" + " " * 4000 + "#" * 10 + " " * 4000 + "y\n"
    t = time.perf_counter()
    ex = markdown(text)
    assert time.perf_counter() - t < 2
    assert len(ex.sections) == 12_001 and ex.sections[0] == (text.index("# outside"), "outside")
    assert ex.sections[-1][1].endswith("y")


def test_markdown_heading_forms():
    assert [h for _, h in markdown("# A #\n## B##\n#C\n#\tD ##  \n#\nnext\n### E\r\n").sections] == [
        "A",
        "B##",
        "D",
        "E",
    ]
