"""Hostile documents made byte by byte: the shapes found by the security review (a DOCX of
100k empty paragraphs, a PDF whose 100k pages all point at one page object, broken and bomb
files). Small on disk, expensive for a parser that trusts them."""

from __future__ import annotations

import io
import zipfile
import zlib

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length " + str(len(data)).encode() + extra + b" >>\nstream\n" + data + b"\nendstream"


def pdf(objects: list[bytes]) -> bytes:
    """A PDF with these objects (1 is the catalog) and a correct cross-reference table."""
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def pdf_text(text: str = "Hello from a small PDF", pages: int = 1) -> bytes:
    kids = b"3 0 R " * pages
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return pdf(
        [CATALOG, b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages, PAGE, _stream(content), FONT]
    )


def pdf_one_page_object(pages: int = 100_000) -> bytes:
    """`pages` pages that are all the same page object: ~600 KB for 100k pages."""
    return pdf_text("Hello page", pages)


def pdf_page_loop() -> bytes:
    """A page tree that contains itself."""
    content = _stream(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET")
    return pdf([CATALOG, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", PAGE, content, FONT])


def pdf_flate_bomb(megabytes: int = 300) -> bytes:
    """One content stream that inflates from ~0.3 MB to `megabytes` MB."""
    data = zlib.compress(b"BT /F1 12 Tf 72 720 Td (A) Tj ET\n" + b" " * (megabytes << 20), 9)
    stream = _stream(data, b" /Filter /FlateDecode")
    return pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE, stream, FONT])


def pdf_broken_xref() -> bytes:
    good = pdf_text()
    return good[: good.index(b"xref")] + b"xref\ngarbage\ntrailer\n<< /Root 9 0 R >>\nstartxref\n5\n%%EOF\n"


def docx(body_xml: str, doctype: str = "") -> bytes:
    """python-docx's own empty document with this body (and an optional DOCTYPE)."""
    from docx import Document

    buf = io.BytesIO()
    Document().save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                head, rest = data.split(b"<w:body>", 1)
                if doctype:
                    head = doctype.encode() + head.split(b"?>", 1)[1]
                data = head + b"<w:body>" + body_xml.encode() + rest[rest.index(b"<w:sectPr") :]
            z.writestr(item, data)
    return out.getvalue()


def docx_paragraphs(n: int = 100_000, text: str = "") -> bytes:
    para = f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" if text else "<w:p/>"
    return docx(para * n)


def docx_entity_bomb() -> bytes:
    """Billion laughs in word/document.xml."""
    ents = "".join(f'<!ENTITY l{i} "{(f"&l{i - 1};" if i > 1 else "lol") * 10}">' for i in range(1, 10))
    return docx("<w:p><w:r><w:t>&l9;</w:t></w:r></w:p>", f"<?xml version='1.0'?><!DOCTYPE d [{ents}]>")
