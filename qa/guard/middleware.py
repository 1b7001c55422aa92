"""The ASGI middleware in front of every route: which Host names and origins are served (a
DNS-rebinding page names its own), the API key or login, the request size (refused before it
is read), the upload's file types, and "busy, try again" instead of an unbounded queue."""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
from urllib.parse import urlsplit

from ..formats import SUFFIXES
from ..settings import Settings
from .access import LOOPBACK, WILDCARD, login_ok, same, users
from .uploads import GRADIO_PREFIX, UPLOAD_FILES, UPLOAD_PATH, UploadNames

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/mcp")  # programs' routes: the API key or HTTP Basic with a user's password
BUSY = "the server is busy; try again in a moment"


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Guard:
    """ASGI middleware: install it outermost in front of the server's app."""

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings
        extra = {h.strip().lower().rstrip(".") for h in settings.allowed_hosts.split(",") if h.strip()}
        self.hosts = LOOPBACK | extra | ({settings.host.lower()} - WILDCARD)
        # Bound to every interface: people reach it by the machine's address. An address in the
        # Host header cannot come from DNS rebinding (the attacker's page names its own domain).
        self.any_address = settings.host in WILDCARD
        self.users, self.key = users(settings), settings.api_key
        self.api_busy = 0

    def _host_ok(self, value: str) -> bool:
        name = value.split("]")[0].lstrip("[") if value.startswith("[") else value.rsplit(":", 1)[0]
        name = name.lower().rstrip(".")
        if name in self.hosts:
            return True
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            return False
        return ip.is_loopback or self.any_address

    def _authorized(self, path: str, headers: dict[str, str]) -> bool:
        if not (self.key or self.users):
            return True
        api = path.startswith(API_PREFIXES)
        if self.users and not api:
            return True  # Gradio's own login guards its routes
        if self.key:
            given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
            if same(self.key, given):
                return True
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if api and self.users and scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
            except ValueError:  # not base64, or not UTF-8
                return False
            return login_ok(self.users, user, password)
        return False

    def _check(self, scope, headers: dict[str, str]) -> None:
        path = scope["path"]
        host = headers.get("host", "")
        if not self._host_ok(host):
            raise _Refused(400, f"unknown Host {host!r}; add it to QA_ALLOWED_HOSTS to serve it")
        origin = headers.get("origin")
        if origin and not self._host_ok(urlsplit(origin).netloc or origin):
            raise _Refused(
                403, f"requests from pages at {origin} are refused; add its host to QA_ALLOWED_HOSTS"
            )
        if not self._authorized(path, headers):
            raise _Refused(401, "this server needs an API key (Authorization: Bearer KEY) or a login")
        if path == UPLOAD_PATH and self.settings.read_only:
            raise _Refused(403, "this server is read-only: uploads are turned off")
        size = headers.get("content-length", "")
        if size.isdigit() and int(size) > self._limit(path):
            raise _Refused(413, self._too_large(path))

    def _limit(self, path: str) -> int:
        if path == UPLOAD_PATH:
            return UPLOAD_FILES * self.settings.max_upload_mb * 1_000_000
        return self.settings.max_request_kb * 1000

    def _too_large(self, path: str) -> str:
        if path == UPLOAD_PATH:
            return f"uploads are limited to {UPLOAD_FILES} files of {self.settings.max_upload_mb} MB (QA_MAX_UPLOAD_MB)"
        return f"the request is over the {self.settings.max_request_kb} KB limit (QA_MAX_REQUEST_KB)"

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            self._check(scope, headers)
        except _Refused as r:
            log.info("refused %s %s: %s", scope.get("method", "WS"), scope["path"], r.message)
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await _reply(send, r.status, r.message)
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        await self._serve(scope, receive, send, headers)

    async def _serve(self, scope, receive, send, headers):
        path, limit, seen = scope["path"], self._limit(scope["path"]), 0
        gradio = path.startswith(GRADIO_PREFIX)
        names = UploadNames(headers.get("content-type", "")) if path == UPLOAD_PATH else None
        refused: _Refused | None = None
        started = replaced = False

        async def counted():
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if names is not None:
                    names.feed(message.get("body", b""))
                if seen > limit:
                    refused = _Refused(413, self._too_large(path))
                elif names is not None and names.bad is not None:
                    refused = _Refused(415, f"{names.bad!r}: only {', '.join(SUFFIXES)} files are accepted")
                if refused:  # the app may turn this into its own error: checked_send answers instead
                    raise refused
            return message

        async def checked_send(message):
            nonlocal started, replaced
            if message["type"] == "http.response.start":
                started = True
                if refused or (message["status"] == 503 and gradio):  # Gradio's queue is full
                    replaced = True
                    r = refused or _Refused(503, BUSY)
                    return await _reply(send, r.status, r.message)
            if not replaced:
                await send(message)

        api = path.startswith(API_PREFIXES)
        if api and self.api_busy >= self.settings.max_queue:
            return await _reply(send, 503, BUSY)
        self.api_busy += api
        try:
            await self.app(scope, counted, checked_send)
        except _Refused as r:
            log.info("refused %s %s: %s", scope.get("method"), path, r.message)
            if not started:
                await _reply(send, r.status, r.message)
        finally:
            self.api_busy -= api


async def _reply(send, status: int, message: str) -> None:
    body = json.dumps({"error": message, "detail": message}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
