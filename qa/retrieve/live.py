"""Stage 6 for long-running surfaces (web, REST, MCP): the Retriever of the index's current
version, swapped for the next one when a build finishes, without stopping questions in flight."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .. import store
from ..embedding import Embedder
from ..errors import IndexMismatch, IndexNotFound, QAError
from ..settings import Settings, load_settings
from .retriever import Retriever

log = logging.getLogger(__name__)


class LiveRetriever:
    """The Retriever of the index's current version, reloaded when a build switches versions.
    Each question takes one Retriever and keeps it, so a question in flight finishes on the
    version it started with while the next one sees the new version. A new version is loaded by
    one background thread, outside any lock the questions take: the question that noticed it
    waits up to RELOAD_WAIT for it, then answers from the version it has (loading a version
    verifies every file's checksum: seconds for a large index)."""

    RELOAD_WAIT = 1.0  # seconds a question waits for a new version before using the previous one

    def __init__(self, index: str | Path, settings: Settings | None = None, embedder: Embedder | None = None):
        self.index, self.settings, self.embedder = (
            Path(index),
            settings or load_settings(index=index),
            embedder,
        )
        self._lock = threading.Lock()  # held only to start a loader, never while loading
        self._current: Retriever | None = None
        self._loader: threading.Thread | None = None
        self._failed: dict[str | None, Exception] = {}  # versions that did not load, and why

    def _version(self) -> str | None:
        try:
            return store.current_version(self.index)
        except OSError:  # an unreadable CURRENT (a tampered index): Retriever.load says why
            return None

    def _load(self) -> None:
        for attempt in range(3):
            version = self._version()
            try:
                self._current = Retriever.load(self.index, embedder=self.embedder, settings=self.settings)
                log.info("loaded index version %s", self._current.version)
                return
            except (IndexMismatch, OSError) as e:
                # A build that finished while we read may have pruned this version: look again.
                # With nothing newer loadable, keep answering from the version we have.
                log.warning("index version %s not loadable yet (%s)", version, e)
                if attempt == 2:
                    self._failed[version] = e
            except Exception as e:  # noqa: BLE001 - kept and raised to the question that waits for it
                self._failed[version] = e
                return

    def get(self) -> Retriever:
        """The current version's Retriever (raises IndexNotFound when there is no index yet)."""
        current, version = self._current, self._version()
        if current is not None and (current.version == version or version in self._failed):
            return current
        with self._lock:
            if self._loader is None or not self._loader.is_alive():
                self._failed.pop(version, None)  # nothing to answer from, or a new version: try it
                self._loader = threading.Thread(target=self._load, name="qa-index-loader", daemon=True)
                self._loader.start()
            loader = self._loader
        loader.join(None if current is None else self.RELOAD_WAIT)
        if self._current is None:
            error = self._failed.get(version)
            if isinstance(error, QAError):
                raise error
            if error is not None:  # a tampered index can fail in ways no check foresaw
                raise IndexMismatch(
                    f"index {self.index} cannot be loaded ({type(error).__name__}: {error}); "
                    "rebuild it with `qa index`"
                ) from error
            raise IndexNotFound(f"no loadable index in {self.index}; build one with `qa index`")
        return self._current
