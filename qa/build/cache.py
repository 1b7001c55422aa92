"""The embedding cache of a build: sentence vectors found by the hash of their text, in the
previous version, in the parts that an interrupted build saved, or earlier in this build. Keys
live in sorted numpy arrays, not in a dict of Python objects (1M chunks have 7M sentences).
Resume parts are named by a checksum of their content and model: a part cut short, damaged or
not written by a build of this model is discarded, and its sentences are embedded again."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import uuid
from pathlib import Path

import numpy as np

from ..store.tables import KEY, encode

log = logging.getLogger(__name__)


def text_keys(texts) -> np.ndarray:
    return np.array([hashlib.sha1(encode(t)).digest()[:12] for t in texts], dtype=KEY)


class KeyMap:
    """key -> int64 value, in sorted runs merged as they grow (a small log-structured map):
    adding n keys in batches costs O(n log^2 n), a lookup one binary search per run."""

    def __init__(self):
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(k) for k, _ in self._runs)

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        self._runs.append((np.asarray(keys, KEY)[order], np.asarray(values, np.int64)[order]))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (k1, v1), (k2, v2) = self._runs.pop(), self._runs.pop()
            k, v = np.concatenate([k2, k1]), np.concatenate([v2, v1])
            order = np.argsort(k, kind="stable")
            self._runs.append((k[order], v[order]))

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key, -1 where absent (the oldest value of a key added twice)."""
        out = np.full(len(keys), -1, np.int64)
        for k, v in self._runs:
            todo = np.flatnonzero(out < 0)
            if not len(todo) or not len(k):
                continue
            i = np.minimum(np.searchsorted(k, keys[todo]), len(k) - 1)
            hit = k[i] == keys[todo]
            out[todo[hit]] = v[i[hit]]
        return out

    def keys(self) -> np.ndarray:
        """Every key, sorted (for membership tests elsewhere)."""
        return np.unique(np.concatenate([k for k, _ in self._runs])) if self._runs else np.zeros(0, KEY)


def contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(keys), bool)
    i = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[i] == keys


class Resume:
    """Parts of (keys, vectors) in index/cache/<model>/, one per embedded batch."""

    def __init__(self, index_dir: Path, model: str):
        self.folder = index_dir / "cache" / re.sub(r"[^\w.-]+", "_", model)
        self.model = model
        self.parts: list[Path] = []

    def _digest(self, data: bytes) -> str:
        return hashlib.sha256(f"{self.model}\0".encode() + data).hexdigest()

    def _read(self, part: Path) -> tuple[np.ndarray, np.ndarray] | None:
        try:
            data = part.read_bytes()
            if part.name != f"part-{self._digest(data)}.npz":
                raise ValueError("checksum mismatch")
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                keys, vectors = z["keys"], z["vectors"]
            if keys.dtype != KEY or vectors.dtype != np.float16 or vectors.shape[:1] != keys.shape:
                raise ValueError("unexpected arrays")
            return keys, vectors
        except Exception as e:  # noqa: BLE001 - BadZipFile, EOFError, ...: whatever a damaged part raises
            log.warning("discarding damaged embedding cache part %s (%s: %s)", part, type(e).__name__, e)
            part.unlink(missing_ok=True)
            return None

    def load(self) -> KeyMap:
        """What interrupted builds embedded: key -> part number << 32 | row."""
        found = KeyMap()
        for part in sorted(self.folder.glob("part-*")):
            got = self._read(part)
            if got is not None:
                found.add(got[0], (len(self.parts) << 32) + np.arange(len(got[0]), dtype=np.int64))
                self.parts.append(part)
        return found

    def vectors(self, part: int) -> np.ndarray | None:
        got = self._read(self.parts[part])
        return None if got is None else got[1]

    def save(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        buf = io.BytesIO()
        np.savez(buf, keys=np.asarray(keys, KEY), vectors=np.asarray(vectors, np.float16))
        data = buf.getvalue()
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".part-{uuid.uuid4().hex}.tmp"
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.folder / f"part-{self._digest(data)}.npz")
