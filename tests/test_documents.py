import codecs
import time

from qa.documents import decode, find_date, load_documents

RU = "Привет, мир! Съешь же ещё этих мягких французских булок."


def test_decodes_every_supported_encoding(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "utf8.txt").write_bytes(RU.encode("utf-8"))
    (d / "bom.txt").write_bytes(codecs.BOM_UTF8 + RU.encode("utf-8"))
    (d / "utf16.txt").write_bytes(RU.encode("utf-16"))
    (d / "cp1251.txt").write_bytes((RU + " Документ в старой кодировке Windows.").encode("cp1251"))
    (d / "koi8.txt").write_bytes((RU + " Документ в кодировке КОИ-8 для проверки.").encode("koi8_r"))
    docs, skipped = load_documents(d)
    assert skipped == []
    by = {doc.source: doc.text for doc in docs}
    assert by["utf8.txt"] == by["bom.txt"] == by["utf16.txt"] == RU
    assert by["cp1251.txt"].startswith(RU)
    assert by["koi8.txt"].startswith(RU)


def test_skips_unreadable_with_a_reason(tmp_path, caplog):
    d = tmp_path / "s"
    (d / "sub" / "deeper").mkdir(parents=True)
    (d / "sub" / "deeper" / "ok.md").write_text("# Title\n\nSome text.", encoding="utf-8")
    (d / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (d / "empty.txt").write_bytes(b"")
    (d / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (d / "notes.txt.swp").write_text("swap", encoding="utf-8")
    (d / "image.png").write_bytes(b"\x89PNG")
    docs, skipped = load_documents(d)
    assert [x.source for x in docs] == ["sub/deeper/ok.md"]
    assert {s.source: s.reason for s in skipped} == {
        "bin.txt": "binary file (NUL bytes)",
        "empty.txt": "empty",
    }
    assert "bin.txt" in caplog.text


def test_symlink_outside_is_not_followed(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    d = tmp_path / "s"
    d.mkdir()
    (d / "a.txt").write_text("inside", encoding="utf-8")
    (d / "link.txt").symlink_to(outside)
    (d / "inner.txt").symlink_to(d / "a.txt")
    docs, _ = load_documents(d)
    assert sorted(x.source for x in docs) == ["a.txt", "inner.txt"]


def test_decode_keeps_newlines_as_they_are():
    assert decode(b"a\r\nb\nc") == "a\r\nb\nc"


def test_find_date():
    assert find_date(" date 2017-08-08 Фото") == "2017-08-08"
    assert find_date("Опубликовано 05.09.2020 в 10:00") == "2020-09-05"
    assert find_date("no date here") is None
    assert find_date("x" * 400 + "2017-08-08") is None


def test_uploads_stay_inside_seeds(tmp_path):
    import pytest

    from qa.documents import safe_name, store_upload

    seeds = tmp_path / "seeds"
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("/abs/path/Отчёт 2020.md") == "Отчёт 2020.md"
    assert safe_name("..\\..\\win.txt") == "win.txt"
    assert len(safe_name("a" * 500 + ".txt")) == 120
    for bad in ["../../etc/passwd", "evil.exe", "...", "x.txt.sh"]:
        with pytest.raises(ValueError):
            safe_name(bad)
    assert store_upload(seeds, "../../a.txt", "текст".encode(), 1000) == ("a.txt", True)
    assert store_upload(seeds, "a.txt", "текст".encode(), 1000) == ("a.txt", False)
    assert store_upload(seeds, "a.txt", b"other text", 1000) == ("a-2.txt", True)
    with pytest.raises(ValueError, match="limit"):
        store_upload(seeds, "big.txt", b"x" * 2000, 1000)
    with pytest.raises(ValueError, match="binary"):
        store_upload(seeds, "bin.txt", b"\x00\x01", 1000)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a-2.txt", "a.txt"]


def test_remove_document_stays_inside_seeds(tmp_path):
    import pytest

    from qa.documents import remove_document

    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "victim.txt").write_text("keep me", encoding="utf-8")
    (outside / "target.txt").write_text("keep me too", encoding="utf-8")
    seeds = tmp_path / "seeds"
    (seeds / "sub").mkdir(parents=True)
    (seeds / "sub" / "a.md").write_text("# A", encoding="utf-8")
    (seeds / "escape").symlink_to(outside / "deep")  # a folder link that leads outside
    (seeds / "link.txt").symlink_to(outside / "target.txt")
    (seeds / ".questions.txt").write_text("?", encoding="utf-8")
    for bad in ["../outside/target.txt", "/etc/passwd", "sub/../../outside/target.txt", "escape/victim.txt"]:
        with pytest.raises(ValueError):
            remove_document(seeds, bad)
    for bad in [".questions.txt", "", "sub", "missing.txt"]:
        with pytest.raises(ValueError):
            remove_document(seeds, bad)
    remove_document(seeds, "sub/a.md")
    remove_document(seeds, "link.txt")  # the link goes, never what it points to
    assert sorted(p.name for p in seeds.rglob("*")) == [".questions.txt", "escape", "sub"]
    assert (outside / "deep" / "victim.txt").exists() and (outside / "target.txt").exists()


def test_files_over_the_parser_limits_are_skipped_in_bounded_time(tmp_path):
    from tests import hostile_files

    d = tmp_path / "s"
    d.mkdir()
    (d / "paragraphs.docx").write_bytes(hostile_files.docx_paragraphs(100_000))  # 101 s before the limit
    (d / "pages.pdf").write_bytes(hostile_files.pdf_one_page_object(100_000))  # 99 s before the limit
    (d / "ok.txt").write_text("Обычный документ.", encoding="utf-8")
    t = time.perf_counter()
    docs, skipped = load_documents(d)
    assert time.perf_counter() - t < 20
    assert [x.source for x in docs] == ["ok.txt"]
    assert {s.source: s.reason for s in skipped} == {
        "pages.pdf": "100000 pages is over the 2000-page limit (QA_PDF_MAX_PAGES); split the file",
        "paragraphs.docx": "more than 50000 paragraphs, over the limit (QA_DOCX_MAX_PARAGRAPHS); split the file",
    }


def test_docx_styles_are_read_in_linear_time(tmp_path):
    from tests import hostile_files

    d = tmp_path / "s"
    d.mkdir()
    (d / "long.docx").write_bytes(hostile_files.docx_paragraphs(10_000, "Строка с несколькими словами."))
    t = time.perf_counter()
    docs, _ = load_documents(d)
    assert len(docs[0].text.splitlines()) == 10_000
    assert time.perf_counter() - t < 10  # 25 s when every paragraph looked its style up


def test_uploads_never_write_through_a_planted_symlink(tmp_path):
    from qa.documents import store_upload

    seeds, outside = tmp_path / "seeds", tmp_path / "outside"
    seeds.mkdir()
    outside.mkdir()
    (seeds / ".x.txt.part").symlink_to(outside / "planted.txt")  # the old temp name
    (seeds / "y.txt").symlink_to(outside / "y.txt")  # a dangling link under the upload's own name
    (outside / "z.txt").write_text("same bytes", encoding="utf-8")
    (seeds / "z.txt").symlink_to(outside / "z.txt")  # a link to a file with the upload's bytes
    assert store_upload(seeds, "x.txt", "первый".encode(), 1000) == ("x.txt", True)
    assert store_upload(seeds, "y.txt", "второй".encode(), 1000) == ("y-2.txt", True)
    assert store_upload(seeds, "z.txt", b"same bytes", 1000) == ("z-2.txt", True)
    assert sorted(p.name for p in outside.iterdir()) == ["z.txt"]
    assert (seeds / "x.txt").read_text(encoding="utf-8") == "первый" and not (seeds / "x.txt").is_symlink()
    assert sorted(p.name for p in seeds.iterdir() if p.name.endswith(".part")) == [".x.txt.part"]


def test_two_uploads_of_one_name_at_once_keep_both(tmp_path):
    import threading

    from qa.documents import store_upload

    for round_ in range(10):
        seeds = tmp_path / f"seeds{round_}"
        seeds.mkdir()
        start = threading.Barrier(2)
        results = {}

        def upload(text, start=start, results=results, seeds=seeds):
            data = (text * 200_000).encode()  # ~1 MB: long enough a write for the two to overlap
            start.wait()
            results[text] = store_upload(seeds, "same.txt", data, 10_000_000)

        threads = [threading.Thread(target=upload, args=(t,)) for t in ("первый ", "второй ")]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(n for n, _ in results.values()) == ["same-2.txt", "same.txt"]
        for text, (name, stored) in results.items():
            assert stored and (seeds / name).read_text(encoding="utf-8").startswith(text)
        assert sorted(p.name for p in seeds.iterdir()) == ["same-2.txt", "same.txt"]


def test_a_batch_upload_reports_every_file(tmp_path):
    from qa.documents import Upload, store_uploads
    from tests import hostile_files

    seeds = tmp_path / "seeds"
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2000)
    out = store_uploads(
        seeds,
        [
            ("good1.txt", "Первый хороший документ.".encode()),
            ("broken.docx", b"not a zip at all"),
            ("good2.txt", "Второй хороший документ.".encode()),
            ("loop.pdf", hostile_files.pdf_page_loop()),
            ("bomb.pdf", hostile_files.pdf_flate_bomb()),
            ("entities.docx", hostile_files.docx_entity_bomb()),
            ("big.txt", big),
            ("good1.txt", "Первый хороший документ.".encode()),
        ],
        1000,
    )
    assert [(u.name, u.stored) for u in out] == [
        ("good1.txt", True),
        ("broken.docx", False),
        ("good2.txt", True),
        ("loop.pdf", False),
        ("bomb.pdf", False),
        ("entities.docx", False),
        ("big.txt", False),
        ("good1.txt", False),
    ]
    assert out[1].reason.startswith("not a valid DOCX file: it is not a ZIP archive")
    assert out[3].reason.startswith("damaged or unsupported PDF (PdfReadError: Detected cyclic page")
    assert "limit" in out[6].reason
    assert out[7] == Upload("good1.txt", False)
    assert sorted(p.name for p in seeds.iterdir()) == ["good1.txt", "good2.txt"]
