"""Who may use the server and what they may change: the users file, the API key, and whether
a server is read-only. `resolve` settles these once at start (read-only unless someone can be
held to account); `require_write` is the server-side check behind every change."""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import logging
from pathlib import Path

from ..errors import QAError, ReadOnly
from ..settings import Settings

log = logging.getLogger(__name__)

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
WILDCARD = {"0.0.0.0", "::", ""}


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


def require_write(settings: Settings) -> None:
    """Server-side check behind every upload, rebuild and deletion, whatever the page shows."""
    if read_only(settings):
        raise ReadOnly("this server is read-only: uploads, rebuilds and deletions are turned off")


def check_password(settings: Settings):
    """Gradio's auth callable, or None when no one needs to log in."""
    known = users(settings)
    if not known:
        return None
    return lambda user, password: login_ok(known, user, password)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def login_ok(known: dict[str, str], user: str, password: str) -> bool:
    """One check for Gradio's login page and HTTP Basic on the API (constant time per password)."""
    return same(known.get(user, ""), password) and user in known
