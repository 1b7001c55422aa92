"""Gradio's upload route, guarded: the cache folder it writes into (swept of what refused
uploads leave) and a streaming reader of a multipart body's file names, so a file that is not a
document is refused before it is stored."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import time
from pathlib import Path

from ..formats import SUFFIXES

GRADIO_PREFIX = "/gradio_api/"
UPLOAD_PATH = GRADIO_PREFIX + "upload"
UPLOAD_FILES = 10  # files one upload request may carry at settings.max_upload_mb each
# Gradio's upload cache: swept every 5 minutes of files older than 10 (an upload is read and
# deleted by its handler within seconds; what stays is what Gradio or this guard refused).
UPLOAD_SWEEP, UPLOAD_MAX_AGE = 300, 600


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


class UploadNames:
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
