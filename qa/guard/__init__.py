"""The server's door, in front of every route (Gradio's and any REST route beside it): which Host
names are served (a DNS-rebinding page names its own), who may come in (an API key; Gradio's
login page for people), how large a request may be (refused before it is read), which files
Gradio's upload route takes, and "busy, try again" instead of an unbounded queue. `resolve`
settles the access rules once at start: read-only unless someone can be held to account."""

from .access import check_password, is_loopback, read_only, require_write, resolve, users
from .middleware import BUSY, Guard
from .uploads import upload_cache

__all__ = [
    "BUSY",
    "Guard",
    "check_password",
    "is_loopback",
    "read_only",
    "require_write",
    "resolve",
    "upload_cache",
    "users",
]
