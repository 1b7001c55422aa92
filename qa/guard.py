"""The server's door, in front of every route (Gradio's and any REST route beside it): which Host
names are served (a DNS-rebinding page names its own), who may come in (an API key; Gradio's
login page for people), how large a request may be (refused before it is read), which files
Gradio's upload route takes, and "busy, try again" instead of an unbounded queue. `resolve`
settles the access rules once at start: read-only unless someone can be held to account."""

from __future__ import annotations

import atexit
import base64
import dataclasses
import hmac
import ipaddress
import json
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from .errors import QAError, ReadOnly
from .formats import SUFFIXES
from .settings import Settings

log = logging.getLogger(__name__)

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
WILDCARD = {"0.0.0.0", "::", ""}
GRADIO_PREFIX = "/gradio_api/"
UPLOAD_PATH = GRADIO_PREFIX + "upload"
API_PREFIXES = ("/api/", "/mcp")  # programs' routes: the API key or HTTP Basic with a user's password
UPLOAD_FILES = 10  # files one upload request may carry at settings.max_upload_mb each
BUSY = "the server is busy; try again in a moment"
# Gradio's upload cache: swept every 5 minutes of files older than 10 (an upload is read and
# deleted by its handler within seconds; what stays is what Gradio or this guard refused).
UPLOAD_SWEEP, UPLOAD_MAX_AGE = 300, 600


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def users(settings: Settings) -> dict[str, str]:
    """{user: password} from settings.auth: "user:password", or a file of such lines."""
    if not settings.auth:
        return {}
    path = Path(settings.auth)
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else [settings.auth]
    except OSError as e:
        raise QAError(f"cannot read the users file {path} ({e.strerror}); fix QA_AUTH / --auth") from None
    pairs = [line.strip().split(":", 1) for line in lines if line.strip() and not line.startswith("#")]
    if not pairs or any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
        raise QAError("--auth / QA_AUTH must be user:password, or a file with one user:password per line")
    return dict(pairs)


def read_only(settings: Settings) -> bool:
    """settings.read_only, or when unset: read-only when no one logs in and the host is not loopback."""
    if settings.read_only is not None:
        return settings.read_only
    return not is_loopback(settings.host) and not settings.auth


def resolve(settings: Settings) -> Settings:
    """The settings a server runs with: read_only decided (see read_only()), and a writable
    server open to the network without a login or a key refused."""
    users(settings)  # a malformed --auth stops the start with its message
    local = is_loopback(settings.host)
    locked = read_only(settings)
    if locked and settings.read_only is None:
        log.warning(
            "serving %s read-only: no --auth given (uploads, rebuilds and deletions are off)", settings.host
        )
    if not locked and not local and not (settings.auth or settings.api_key):
        raise QAError(
            f"serving {settings.host} to the network with uploads and rebuilds needs --auth or --api-key; "
            "without them it can only be read-only (drop --no-read-only)"
        )
    return dataclasses.replace(settings, read_only=locked)


def upload_cache() -> Path:
    """A folder of this server's own for Gradio's upload cache (GRADIO_TEMP_DIR), swept of old
    files and removed at exit. Gradio's own expiry (delete_cache) knows only the uploads it
    accepted: the partial files of refused ones (too large, wrong type) would stay forever."""
    folder = Path(tempfile.mkdtemp(prefix="qa-uploads-"))

    def sweep() -> None:
        while folder.is_dir():
            time.sleep(UPLOAD_SWEEP)
            cutoff = time.time() - UPLOAD_MAX_AGE
            for p in folder.rglob("*"):
                try:
                    if not p.is_dir() and p.lstat().st_mtime < cutoff:
                        p.unlink()
                except OSError:  # gone meanwhile
                    pass

    threading.Thread(target=sweep, name="qa-upload-sweep", daemon=True).start()
    atexit.register(shutil.rmtree, folder, True)
    return folder


def require_write(settings: Settings) -> None:
    """Server-side check behind every upload, rebuild and deletion, whatever the page shows."""
    if read_only(settings):
        raise ReadOnly("this server is read-only: uploads, rebuilds and deletions are turned off")


def check_password(settings: Settings):
    """Gradio's auth callable, or None when no one needs to log in."""
    known = users(settings)
    if not known:
        return None
    return lambda user, password: _login_ok(known, user, password)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _login_ok(known: dict[str, str], user: str, password: str) -> bool:
    """One check for Gradio's login page and HTTP Basic on the API (constant time per password)."""
    return _same(known.get(user, ""), password) and user in known


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class _UploadNames:
    """Streams a multipart body's part headers and refuses a file name that is not a document."""

    def __init__(self, content_type: str):
        from python_multipart.multipart import MultipartParser, parse_options_header

        self._options = parse_options_header
        _, params = parse_options_header(content_type)
        self.bad: str | None = None
        self._field = self._value = b""
        callbacks = {
            "on_header_field": lambda d, a, b: self._add("_field", d[a:b]),
            "on_header_value": lambda d, a, b: self._add("_value", d[a:b]),
            "on_header_end": self._header,
        }
        self._parser = MultipartParser(params.get(b"boundary", b"-"), callbacks)

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _header(self) -> None:
        if self._field.lower() == b"content-disposition":
            name = self._options(self._value)[1].get(b"filename")
            if name is not None and not name.decode("utf-8", "replace").lower().endswith(SUFFIXES):
                self.bad = name.decode("utf-8", "replace")
        self._field = self._value = b""

    def feed(self, chunk: bytes) -> None:
        from python_multipart.exceptions import MultipartParseError

        if self._parser is not None:
            try:
                self._parser.write(chunk)
            except MultipartParseError:  # not ours to judge: Gradio refuses a malformed body itself
                self._parser = None


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
            if _same(self.key, given):
                return True
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if api and self.users and scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
            except ValueError:  # not base64, or not UTF-8
                return False
            return _login_ok(self.users, user, password)
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
        names = _UploadNames(headers.get("content-type", "")) if path == UPLOAD_PATH else None
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
