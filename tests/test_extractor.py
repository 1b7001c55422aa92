"""PDF, DOCX and HTML are parsed in a worker process: hostile files get a plain reason, a file
over the time limit is skipped and its worker replaced, and a dead worker is replaced too."""

from __future__ import annotations

import dataclasses
import os
import signal

import pytest

from qa import extractor
from qa.documents import parse
from qa.settings import Settings
from tests import hostile_files


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("notzip.docx", lambda: b"PK? not really a zip", "not a valid DOCX file: it is not a ZIP archive"),
        ("entities.docx", hostile_files.docx_entity_bomb, "damaged or unsupported DOCX (XMLSyntaxError"),
        ("xref.pdf", hostile_files.pdf_broken_xref, "damaged or unsupported PDF (PdfReadError"),
        (
            "loop.pdf",
            hostile_files.pdf_page_loop,
            "damaged or unsupported PDF (PdfReadError: Detected cyclic",
        ),
        ("bomb.pdf", hostile_files.pdf_flate_bomb, "damaged or unsupported PDF (LimitReachedError"),
        ("scan.html", lambda: b"\x00\x01binary", "binary file (NUL bytes)"),
    ],
)
def test_broken_files_get_the_parsers_reason(name, make, reason):
    with pytest.raises(ValueError) as e:
        parse(name, make())
    assert str(e.value).startswith(reason)


def test_a_file_over_the_time_limit_is_skipped_and_its_worker_replaced():
    quick = dataclasses.replace(Settings(), extract_timeout=0.3)
    assert parse("warm.pdf", hostile_files.pdf_text(), quick).text == "Hello from a small PDF"
    # 1,900 pages of one page object: under the page limit, ~2 s to read.
    with pytest.raises(ValueError, match=r"took longer than 0.3 s \(QA_EXTRACT_TIMEOUT\)"):
        parse("slow.pdf", hostile_files.pdf_one_page_object(1900), quick)
    assert parse("next.pdf", hostile_files.pdf_text("Next one"), quick).text == "Next one"


def test_a_dead_worker_is_replaced():
    assert parse("a.pdf", hostile_files.pdf_text()).pages == (0,)
    for w in list(extractor._idle):
        os.kill(w.proc.pid, signal.SIGKILL)
        w.proc.wait()
    assert parse("b.pdf", hostile_files.pdf_text("Still here")).text == "Still here"
