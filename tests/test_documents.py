import codecs

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
