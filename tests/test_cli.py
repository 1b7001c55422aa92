import json
import logging
import subprocess
import sys

import pytest

import qa
from qa.cli import main


def test_index_then_ask_json(tmp_path, seeds, monkeypatch, capsys):
    monkeypatch.setenv("QA_MODEL", "hash-64")
    idx = str(tmp_path / "idx")
    assert main(["index", "--seeds", str(seeds), "--index", idx]) == 0
    assert "2 documents, 2 chunks, 2 embedded" in capsys.readouterr().out
    assert main(["ask", "Сколько книг хранится в библиотеке?", "--index", idx, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["found"] is True
    q = out["quotes"][0]
    assert set(q) == {
        "text",
        "source",
        "start",
        "end",
        "line_start",
        "line_end",
        "score",
        "date",
        "section",
        "page",
        "answer_start",
        "answer_end",
    }
    text = (seeds / q["source"]).read_text(encoding="utf-8")
    assert text[q["start"] : q["end"]] == q["text"]
    # The span that answers "сколько книг" sits inside the quote.
    assert q["start"] <= q["answer_start"] < q["answer_end"] <= q["end"]
    assert text[q["answer_start"] : q["answer_end"]] == "сорок тысяч книг"
    # As text, the answer span is marked inside the verbatim quote.
    assert main(["ask", "Сколько книг хранится в библиотеке?", "--index", idx]) == 0
    assert "> Весной в городе открыли новую библиотеку. В ней хранится **сорок тысяч книг**. [1]" in (
        capsys.readouterr().out
    )
    assert main(["search", "museum", "-k", "1", "--index", idx, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["source"] == "en.md"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["index", "--seeds", "{tmp}/missing", "--index", "{tmp}/i"],
            "documents folder {tmp}/missing does not exist",
        ),
        (["ask", "question", "--index", "{tmp}/none"], "no index in {tmp}/none; build one with `qa index"),
        (["search", "   ", "--index", "{idx}"], "the question is empty"),
    ],
)
def test_user_mistakes_are_one_line(tmp_path, index, monkeypatch, capsys, argv, message):
    monkeypatch.setenv("QA_MODEL", "hash-64")
    fill = {"tmp": str(tmp_path), "idx": str(index)}
    assert main([a.format(**fill) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message.format(**fill) in err


def test_python_dash_m_runs_without_traceback(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "x", "--index", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert r.stderr.startswith("qa: no index in") and "Traceback" not in r.stderr


def test_ray_address_comes_from_the_flag_or_the_environment(monkeypatch):
    from qa.cli import parser

    assert parser().parse_args(["index"]).ray is None  # absent: a local build
    assert parser().parse_args(["index", "--ray"]).ray == "local"
    assert parser().parse_args(["index", "--ray", "auto"]).ray == "auto"
    monkeypatch.setenv("QA_RAY_ADDRESS", "head.example:6379")
    assert qa.load_settings().ray_address == "head.example:6379"
    assert qa.load_settings(ray_address="auto").ray_address == "auto"


def test_a_tampered_index_is_one_line(tmp_path, index):
    (index / "CURRENT").unlink()
    (index / "CURRENT").mkdir()
    argv = [sys.executable, "-m", "qa", "ask", "вопрос", "--index", str(index)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert r.returncode in (1, 2) and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("qa: ") and "CURRENT" in r.stderr


def test_an_unexpected_failure_is_one_line_with_details_on_request(monkeypatch, capsys, caplog):
    import qa.cli

    def broken(args):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(qa.cli, "run", broken)
    assert main(["ask", "x"]) == 1
    assert (
        capsys.readouterr().err
        == "qa: unexpected error (RuntimeError: disk on fire); run with -v for the details\n"
    )
    caplog.set_level(logging.INFO, logger="qa")  # what -v sets up in a real run
    assert main(["-v", "ask", "x"]) == 1
    assert "Traceback" in caplog.text and "disk on fire" in capsys.readouterr().err


def test_serve_flags_reach_the_settings(monkeypatch, tmp_path):
    import qa.server

    got = []
    monkeypatch.setattr(qa.server, "serve", got.append)
    argv = ["serve", "--host", "0.0.0.0", "--auth", "a:b", "--api-key", "k", "--no-read-only"]
    assert main([*argv, "--allowed-hosts", "qa.example,proxy.example"]) == 0
    s = got[0]
    assert (s.host, s.auth, s.api_key, s.read_only, s.allowed_hosts) == (
        "0.0.0.0",
        "a:b",
        "k",
        False,
        "qa.example,proxy.example",
    )
    monkeypatch.setenv("QA_READ_ONLY", "yes")
    assert main(["serve"]) == 0 and got[1].read_only is True
    monkeypatch.setenv("QA_READ_ONLY", "maybe")
    assert main(["serve"]) == 2


def test_status_shows_the_index_and_the_model(tmp_path, seeds, index, capsys):
    assert main(["status", "--index", str(index), "--seeds", str(seeds), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["documents"], out["chunks"], out["stale"], out["model"]) == (2, 2, False, "hash-64")
    assert main(["status", "--index", str(tmp_path / "none"), "--model", "hash-64"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "version: not built yet (qa index)"
