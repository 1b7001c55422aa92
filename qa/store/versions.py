"""The index folder's versions: a build writes a complete version aside in tmp/, finish() gives
it a manifest with the size and checksum of each file, and commit() moves it into versions/ and
switches CURRENT with one atomic rename, under the build lock, keeping KEEP_VERSIONS versions.
CURRENT carries the manifest's checksum, so an edited manifest is caught when a version loads."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

from ..errors import IndexLocked, IndexMismatch

# 2: memory-mapped tables and text blob (1: JSON lines read into objects, 47 s to load 1M chunks)
FORMAT_VERSION = 2
KEEP_VERSIONS = 2  # the current one and its predecessor, which questions in flight may still read
_REBUILD = "rebuild it with `qa index` (or qa.build_index)"
_VERSION_NAME = re.compile(r"[0-9A-Za-z][\w.-]*")  # what new_version_dir makes


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout: float):
    """Exclusive lock for builds; a second build waits up to `timeout` seconds, then gives up."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a+") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLocked(
                        f"another build of {index_dir} is running; wait for it or remove the stale process"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def clean_tmp(index_dir: Path) -> None:
    """Remove what builds that crashed or hit a full disk left in tmp/ (call under the lock)."""
    shutil.rmtree(index_dir / "tmp", ignore_errors=True)


def new_version_dir(index_dir: Path) -> Path:
    path = index_dir / "tmp" / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def finish(path: Path, manifest: dict) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name != "manifest.json")
    rel = {p: p.relative_to(path).as_posix() for p in files}
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "sizes": {rel[p]: p.stat().st_size for p in files},
        "checksums": {rel[p]: sha256(p) for p in files},
    }
    (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for p in [*files, path / "manifest.json"]:
        with p.open("rb") as f:
            os.fsync(f.fileno())


def commit(index_dir: Path, path: Path) -> str:
    """Move a finished version into place and point CURRENT at it (atomic on POSIX)."""
    versions = index_dir / "versions"
    versions.mkdir(exist_ok=True)
    final = versions / path.name
    os.replace(path, final)
    _fsync_dir(versions)
    tmp = index_dir / f".CURRENT.{uuid.uuid4().hex[:8]}"
    # The pointer carries the manifest's own checksum, so an edited manifest is caught on load.
    tmp.write_text(f"{path.name}\n{sha256(final / 'manifest.json')}\n", encoding="utf-8")
    current = index_dir / "CURRENT"
    if current.is_dir() and not current.is_symlink():  # a tampered pointer cannot be renamed over
        shutil.rmtree(current)
    os.replace(tmp, current)
    _fsync_dir(index_dir)
    _prune(index_dir, path.name)
    return path.name


def _prune(index_dir: Path, current: str) -> None:
    """Drop half-written builds and all but the newest KEEP_VERSIONS versions."""
    clean_tmp(index_dir)
    old = sorted((p for p in (index_dir / "versions").iterdir() if p.name != current), reverse=True)
    for p in old[KEEP_VERSIONS - 1 :]:
        shutil.rmtree(p, ignore_errors=True)


def _pointer(index_dir: Path) -> tuple[str, str]:
    """(version name, manifest checksum) from CURRENT; ("", "") when there is none. A CURRENT
    that names anything but a folder of index/versions is refused: it was not written by qa."""
    f = index_dir / "CURRENT"
    try:
        lines = f.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        return "", ""
    except (OSError, UnicodeDecodeError) as e:
        raise IndexMismatch(f"{f} is not an index pointer ({type(e).__name__}); {_REBUILD}") from None
    name, digest = (lines + ["", ""])[:2]
    versions = index_dir / "versions"
    if not _VERSION_NAME.fullmatch(name) or (versions / name).resolve().parent != versions.resolve():
        raise IndexMismatch(f"{f} names {name[:100]!r}, which is not a version inside {versions}; {_REBUILD}")
    return name, digest


def current_version(index_dir: str | Path) -> str | None:
    name = _pointer(Path(index_dir))[0]
    return name if name and (Path(index_dir) / "versions" / name / "manifest.json").is_file() else None


def read_manifest(index_dir: str | Path) -> dict | None:
    name = current_version(index_dir)
    return None if name is None else _manifest(Path(index_dir) / "versions" / name / "manifest.json")


def _manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexMismatch(f"index manifest {path} is unreadable ({e}); {_REBUILD}") from e
    if not isinstance(manifest, dict):
        raise IndexMismatch(f"index manifest {path} is not a manifest; {_REBUILD}")
    return manifest
