"""The server's door, served for real (in this process, on a free loopback port, with the fast
hash model): Host allow-list, logins and API keys, read-only mode checked on the server (not
just hidden buttons), request and upload limits, "busy" instead of a long queue, batch uploads
with one result per file, and a tampered index that still lets the app start."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

import qa
from bench.load import call
from qa import guard
from qa.server import create_app
from qa.web import library
from tests import hostile_files
from tests.conftest import EN, RU, running

QUESTION = "Сколько книг хранится в библиотеке?"
READ_ONLY = "this server is read-only: uploads, rebuilds and deletions are turned off"


@contextlib.contextmanager
def serving(tmp_path, fake, **kw):
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    if not seeds.exists():
        seeds.mkdir()
        (seeds / "ru.txt").write_text(RU, encoding="utf-8")
        (seeds / "en.md").write_text(EN, encoding="utf-8")
        qa.build_index(seeds, index, embedder=fake)
    settings = qa.load_settings(seeds=seeds, index=index, model=fake.name, build_nice=0, **kw)
    with running(create_app(settings)) as url:
        yield url


def upload(url: str, files: dict[str, bytes], **headers) -> tuple[int, object]:
    r = httpx.post(
        f"{url}/gradio_api/upload",
        files=[("files", (name, data)) for name, data in files.items()],
        headers=headers,
        timeout=30,
    )
    return r.status_code, r.json()


def file_data(paths: list[str]) -> list[dict]:
    return [{"path": p, "meta": {"_type": "gradio.FileData"}} for p in paths]


def test_a_dns_rebinding_page_is_refused(tmp_path, fake):
    with serving(tmp_path, fake) as url:
        port = url.rsplit(":", 1)[1]
        hostile = {
            "Host": f"rebind.attacker.example:{port}",
            "Origin": f"http://rebind.attacker.example:{port}",
        }
        status, out = call(url, "ask", [QUESTION], hostile)
        assert status == 400 and "unknown Host 'rebind.attacker.example" in out["error"]
        assert call(url, "ask", [QUESTION], {"Origin": "http://evil.example"})[0] == 403
        assert httpx.get(f"{url}/", headers={"Host": f"localhost:{port}"}).status_code == 200
        status, out = call(url, "ask", [QUESTION])
        assert status == 200 and out[0]["found"] is True


def test_logins_when_auth_is_set(tmp_path, fake):
    from gradio_client import Client

    users = tmp_path / "users.txt"
    users.write_text("# people who may log in\nalice:correct horse\nbob:battery:staple\n", encoding="utf-8")
    with serving(tmp_path, fake, auth=str(users)) as url:
        assert call(url, "ask", [QUESTION])[0] == 401
        client = Client(url, auth=("bob", "battery:staple"), verbose=False)
        assert client.predict(QUESTION, api_name="/ask")["found"]
        client.close()  # its heartbeat stream would hold the server's shutdown
        with pytest.raises(Exception, match="(?i)login|credentials|401"):
            Client(url, auth=("alice", "wrong"), verbose=False)


def test_an_api_key_guards_every_route_when_no_one_logs_in(tmp_path, fake):
    from gradio_client import Client

    with serving(tmp_path, fake, api_key="s3cret") as url:
        assert call(url, "ask", [QUESTION])[0] == 401
        assert call(url, "ask", [QUESTION], {"Authorization": "Bearer wrong"})[0] == 401
        assert call(url, "ask", [QUESTION], {"Authorization": "Bearer s3cret"})[0] == 200
        client = Client(url, headers={"X-API-Key": "s3cret"}, verbose=False)
        assert client.predict(QUESTION, api_name="/ask")["found"]
        client.close()


def test_read_only_refuses_uploads_and_rebuilds_on_the_server(tmp_path, fake):
    with serving(tmp_path, fake, read_only=True) as url:
        before = qa.Retriever.load(tmp_path / "index", embedder=fake).version
        assert upload(url, {"new.txt": "Новый документ.".encode()})[0] == 403
        (tmp_path / "seeds" / "new.txt").write_text("Новый документ.", encoding="utf-8")
        status, out = call(url, "update", ["en"])
        assert status == 200 and out[0] == f"⚠ {READ_ONLY}"
        assert qa.Retriever.load(tmp_path / "index", embedder=fake).version == before
    locked = qa.load_settings(seeds=tmp_path / "seeds", index=tmp_path / "index", read_only=True)
    assert library.delete(locked, "ru.txt", "en") == f"⚠ {READ_ONLY}"
    assert library.add_files(locked, [], "en") == [f"⚠ {READ_ONLY}"]
    assert (tmp_path / "seeds" / "ru.txt").exists()


def test_the_default_access_rules():
    local, anywhere = qa.load_settings(), qa.load_settings(host="0.0.0.0")
    assert guard.resolve(local).read_only is False
    assert guard.resolve(anywhere).read_only is True
    assert guard.resolve(dataclasses.replace(anywhere, auth="a:b")).read_only is False
    assert guard.resolve(dataclasses.replace(anywhere, api_key="k")).read_only is True
    assert guard.resolve(dataclasses.replace(anywhere, api_key="k", read_only=False)).read_only is False
    with pytest.raises(
        qa.QAError, match="to the network with uploads and rebuilds needs --auth or --api-key"
    ):
        guard.resolve(dataclasses.replace(anywhere, read_only=False))
    with pytest.raises(qa.QAError, match="must be user:password"):
        guard.resolve(dataclasses.replace(local, auth="nopassword"))


def test_request_limits_are_enforced_before_reading(tmp_path, fake):
    with serving(tmp_path, fake, max_request_kb=64) as url:
        big = "вопрос " * 20_000  # ~250 KB of JSON
        status, out = call(url, "ask", [big])
        assert status == 413 and "64 KB limit (QA_MAX_REQUEST_KB)" in out["error"]

        def chunked():  # no Content-Length: counted as it arrives
            yield b'{"data": ["'
            for _ in range(100):
                yield b"x" * 1000
            yield b'"]}'

        r = httpx.post(
            f"{url}/gradio_api/call/ask", content=chunked(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413
        status, out = upload(url, {"good.txt": b"text", "evil.sh": b"#!/bin/sh"})
        assert status == 415 and "'evil.sh': only .txt" in out["error"]


def test_a_full_queue_answers_busy(tmp_path, fake, monkeypatch):
    slow_ask = qa.Assistant.ask

    def ask(self, *args, **kwargs):
        time.sleep(2)
        return slow_ask(self, *args, **kwargs)

    monkeypatch.setattr(qa.Assistant, "ask", ask)
    with serving(tmp_path, fake, max_queue=1) as url:
        statuses = []

        def join():
            r = httpx.post(f"{url}/gradio_api/call/ask", json={"data": [QUESTION]}, timeout=30)
            statuses.append((r.status_code, r.json()))

        threads = [threading.Thread(target=join) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    busy = [out for status, out in statuses if status == 503]
    assert busy and busy[0]["error"] == guard.BUSY
    assert any(status == 200 for status, _ in statuses)


def test_a_batch_upload_reports_each_file_and_indexes_the_good_ones(tmp_path, fake):
    files = {
        "good1.txt": "Первый документ: в порту стоят семь кораблей.".encode(),
        "broken.docx": b"this is not a zip",
        "good2.txt": "Второй документ: на складе девять контейнеров.".encode(),
        "loop.pdf": hostile_files.pdf_page_loop(),
    }
    with serving(tmp_path, fake) as url:
        status, paths = upload(url, files)
        assert status == 200
        assert all("/qa-uploads-" in p for p in paths)  # the server's own upload cache
        status, out = call(url, "add", [file_data(paths), "en"])
    assert status == 200 and not any(Path(p).exists() for p in paths)  # deleted once read
    lines = out[0].split("<br>")
    assert lines[0] == "good1.txt: added" and lines[2] == "good2.txt: added"
    assert lines[1].startswith("broken.docx: not added (not a valid DOCX file: it is not a ZIP archive")
    assert lines[3].startswith("loop.pdf: not added (damaged or unsupported PDF (PdfReadError")
    assert lines[4] == "Index updated: 4 documents."
    assert {"good1.txt", "good2.txt"} <= set(
        qa.Retriever.load(tmp_path / "index", embedder=fake).stored.documents
    )


def test_a_tampered_index_does_not_stop_the_app(tmp_path, fake):
    with serving(tmp_path, fake):
        pass  # built
    index = tmp_path / "index"
    (index / "CURRENT").unlink()
    (index / "CURRENT").mkdir()
    with serving(tmp_path, fake) as url:
        assert httpx.get(url).status_code == 200
        status, out = call(url, "ask", [QUESTION])
        assert status == 200 and "CURRENT" in out[0]["error"]
        assert "\n" not in out[0]["error"] and "Traceback" not in out[0]["error"]
    shutil.rmtree(index / "CURRENT")
