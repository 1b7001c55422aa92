"""guard.Guard in front of a small ASGI app of routes like the REST ones that sit beside Gradio:
HTTP Basic or the API key on /api, bodies counted as they arrive, "busy" past the queue size."""

from __future__ import annotations

import asyncio
import base64
import threading
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import qa
from qa.guard import BUSY, Guard


async def echo(request: Request):
    body = await request.body()
    await asyncio.sleep(float(request.query_params.get("wait", 0)))
    return JSONResponse({"bytes": len(body)})


def client(**kw) -> TestClient:
    app = Starlette(
        routes=[Route("/api/echo", echo, methods=["POST"]), Route("/page", echo, methods=["POST"])]
    )
    return TestClient(Guard(app, qa.load_settings(**kw)), base_url="http://127.0.0.1:7860")


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_api_routes_take_the_key_or_a_users_password():
    c = client(auth="alice:pw", api_key="k")
    assert c.post("/api/echo").status_code == 401
    assert c.post("/api/echo", headers=basic("alice", "nope")).status_code == 401
    assert c.post("/api/echo", headers={"Authorization": "Basic %%%"}).status_code == 401
    assert c.post("/api/echo", headers=basic("alice", "pw")).json() == {"bytes": 0}
    assert c.post("/api/echo", headers={"X-API-Key": "k"}).status_code == 200
    assert c.post("/page").status_code == 200  # Gradio's login page guards its own routes


def test_bodies_are_counted_as_they_arrive():
    c = client(max_request_kb=1)
    assert c.post("/page", content=b"x" * 1000).json() == {"bytes": 1000}
    assert c.post("/page", content=b"x" * 1001).status_code == 413
    r = c.post("/page", content=iter([b"x" * 600, b"x" * 600]))  # chunked: no Content-Length
    assert r.status_code == 413 and "QA_MAX_REQUEST_KB" in r.json()["error"]


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example:7860"])
def test_unknown_hosts_get_400(host):
    assert client().post("/page", headers={"Host": host}).status_code == 400


def test_known_hosts_pass():
    c = client(host="0.0.0.0", allowed_hosts="qa.example, Proxy.Example.", auth="a:b")
    for host in ["qa.example", "proxy.example:443", "[::1]:7860", "192.0.2.7:7860", "localhost"]:
        assert c.post("/page", headers={"Host": host}).status_code == 200, host


def test_api_requests_past_the_queue_size_are_busy():
    c, statuses = client(max_queue=1), []
    slow = threading.Thread(target=lambda: statuses.append(c.post("/api/echo?wait=2").status_code))
    slow.start()
    time.sleep(0.5)
    r = c.post("/api/echo")
    slow.join()
    assert (r.status_code, r.json()["error"], statuses) == (503, BUSY, [200])
    assert c.post("/api/echo").status_code == 200


def test_the_upload_cache_is_swept_of_old_files(monkeypatch):
    import os

    from qa.guard import uploads

    monkeypatch.setattr(uploads, "UPLOAD_SWEEP", 0.1)
    folder = uploads.upload_cache()
    (folder / "sub").mkdir()
    old, new = folder / "sub" / "refused.part", folder / "fresh.txt"
    old.write_bytes(b"left by a refused upload")
    new.write_bytes(b"being read")
    os.utime(old, (time.time() - uploads.UPLOAD_MAX_AGE - 1,) * 2)
    deadline = time.monotonic() + 10
    while old.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not old.exists() and new.exists()
