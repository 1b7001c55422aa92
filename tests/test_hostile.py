"""A messy documents folder, hostile questions and a damaged index: the build finishes and
reports what it skipped, questions get an answer or one clear message, nothing is lost."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qa
from qa import store
from tests.conftest import assert_exact


def _build(seeds: Path, index: Path, fake, **kw):
    return qa.build_index(seeds, index, embedder=fake, settings=qa.load_settings(**kw))


def test_messy_folder_builds_and_reports_every_skip(tmp_path, fake, monkeypatch):
    seeds = tmp_path / "seeds"
    deep = seeds.joinpath(*[f"d{i}" for i in range(40)])
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("Глубоко вложенный документ о шахтах.", encoding="utf-8")
    (seeds / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (seeds / "zero.txt").write_bytes(b"")
    with (seeds / "huge.txt").open("wb") as f:  # 100 MB, sparse: skipped by size before reading
        f.truncate(100_000_000)
    good = "Текст в UTF-8 с одной битой последовательностью "
    (seeds / "broken.txt").write_bytes(good.encode() + b"\xff\xfe" + " и продолжением.".encode())
    (seeds / "crlf.txt").write_bytes("Первая строка.\r\nВторая строка про реки.\nТретья строка.\r\n".encode())
    (seeds / "utf16.md").write_bytes("# Заголовок\n\nТекст в UTF-16 про озёра.".encode("utf-16"))
    (seeds / "koi8.txt").write_bytes("Документ в кодировке КОИ-8 о старых вокзалах города.".encode("koi8_r"))
    (seeds / "locked.txt").write_text("secret", encoding="utf-8")
    (seeds / ".~lock.report.txt#").write_text("lock", encoding="utf-8")
    (seeds / "draft.txt.swp").write_text("swap", encoding="utf-8")
    (seeds / ".hidden.txt").write_text("hidden", encoding="utf-8")
    os.close(os.open(bytes(seeds) + b"/name-\xff\xfe.txt", os.O_CREAT | os.O_WRONLY))
    real_read = Path.read_bytes

    def read_bytes(self):  # tests run as root, so "no permission" is simulated
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    r = _build(seeds, tmp_path / "index", fake)
    assert sorted((s.source, s.reason) for s in r.skipped) == [
        ("binary.txt", "binary file (NUL bytes)"),
        ("huge.txt", "100 MB is over the 50 MB limit (QA_MAX_FILE_MB)"),
        ("locked.txt", "Permission denied"),
        ("name-\ufffd\ufffd.txt", "file name is not valid UTF-8; rename the file"),
        ("zero.txt", "empty"),
    ]
    ret = qa.Retriever.load(tmp_path / "index", embedder=fake)
    assert set(ret.stored.documents) == {
        "broken.txt",
        "crlf.txt",
        "utf16.md",
        "koi8.txt",
        "/".join([f"d{i}" for i in range(40)] + ["deep.txt"]),
    }
    assert "\ufffd" in ret.document("broken.txt").text
    assert ret.document("koi8.txt").text.startswith("Документ в кодировке КОИ-8")
    hit = ret.search("реки", k=1)[0]
    assert hit.source == "crlf.txt" and hit.line_start == 1 and hit.line_end == 3
    assert_exact(qa.Assistant(ret).ask("Вторая строка про реки").quotes[0], ret)


def test_a_folder_with_nothing_readable_keeps_the_previous_index(index, seeds, fake):
    before = store.current_version(index)
    for p in seeds.iterdir():
        p.write_bytes(b"\x00\x00")
    with pytest.raises(qa.QAError, match="no readable"):
        qa.build_index(seeds, index, embedder=fake)
    assert store.current_version(index) == before
    assert len(qa.Retriever.load(index, embedder=fake).chunks) == 2


def test_one_5mb_line_and_10000_tiny_files(tmp_path, fake):
    seeds = tmp_path / "seeds"
    (seeds / "many").mkdir(parents=True)
    (seeds / "line.txt").write_text(
        ("слово за словом идёт строка без конца. " * 130_000)[:5_000_000], encoding="utf-8"
    )
    for i in range(10_000):
        (seeds / "many" / f"{i:05d}.txt").write_text(f"Заметка {i}.", encoding="utf-8")
    t = time.perf_counter()
    r = _build(seeds, tmp_path / "index", fake)
    assert r.documents == 10_001 and not r.skipped
    ret = qa.Retriever.load(tmp_path / "index", embedder=fake)
    assert max(c.end - c.start for c in ret.chunks if c.source == "line.txt") <= 1000
    assert ret.search("Заметка 4242", k=1)[0].source == "many/04242.txt"
    assert time.perf_counter() - t < 300


@pytest.mark.parametrize(
    "question",
    [
        "вопрос " * 15_000,  # ~100 KB
        "\x07\x1b[31mкнига\x1b[0m\x00",
        "'; DROP TABLE chunks; --",
        "<script>alert(1)</script> мост?",
        "Сколько paintings в museum?",
        "博物馆里有多少幅画？",
        "Πόσοι πίνακες υπάρχουν;",
        "🙂🙂🙂 книги?",
    ],
)
def test_hostile_questions_get_an_answer_in_bounded_time(retriever, question):
    t = time.perf_counter()
    a = qa.Assistant(retriever).ask(question)
    assert isinstance(a.found, bool) and a.text
    for q in a.quotes:
        assert_exact(q, retriever)
    assert time.perf_counter() - t < 5


TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]) | st.sampled_from(list("\n .!?")),
    min_size=1,
    max_size=600,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, words=st.lists(st.integers(0, 50), min_size=1, max_size=4))
def test_every_quote_maps_back_and_builds_are_deterministic(tmp_path_factory, fake, text, words):
    if not any(ch.isalnum() for ch in text):
        return
    base = tmp_path_factory.mktemp("prop")
    (base / "s").mkdir()
    (base / "s" / "doc.txt").write_text(text, encoding="utf-8", newline="")
    a = _build(base / "s", base / "i1", fake, chunk_size=120)
    b = _build(base / "s", base / "i2", fake, chunk_size=120)
    r1, r2 = (qa.Retriever.load(base / n, embedder=fake) for n in ("i1", "i2"))
    assert r1.chunks == r2.chunks and a.chunks == b.chunks
    assert (r1.stored.sentence_spans == r2.stored.sentence_spans).all()
    tokens = [w for w in text.split() if any(ch.isalnum() for ch in w)] or ["x"]
    question = " ".join(tokens[i % len(tokens)] for i in words)
    if not any(ch.isalnum() for ch in question):
        return
    assert r1.search(question, k=3) == r2.search(question, k=3)
    answer = qa.Assistant(r1).ask(question)
    for q in [*answer.quotes, *([answer.closest] if answer.closest else [])]:
        assert_exact(q, r1)
        doc = r1.document(q.source).text
        assert q.line_start == doc.count("\n", 0, q.start) + 1
