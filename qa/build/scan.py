"""What a build must read. Every file under seeds/ is hashed (its raw bytes: cheap next to
extraction), and a file whose bytes the previous version already holds under the same name is
taken from it, never read and extracted again; so is a file the previous build skipped, with
the same reason. Files that cannot be indexed whatever they contain (a name that is not UTF-8,
over the size limit, unreadable) are skipped here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..documents import list_files, printable
from ..errors import SeedsNotFound
from ..store import sha256
from ..types import Skipped


@dataclass(frozen=True)
class Entry:
    source: str  # path relative to seeds/, "/" separators
    path: Path
    sha256: str  # of the raw bytes
    size: int
    reuse: int | None = None  # the previous version's document with this name and these bytes
    skip: str | None = None  # why the previous build skipped this name with these bytes


def scan(
    seeds: Path,
    max_bytes: int,
    indexed: dict[str, tuple[int, str]],
    skipped: dict[str, str],
    skipped_sha256: dict[str, str],
) -> tuple[list[Entry], list[Skipped]]:
    """Entries for the files under seeds (in order), and the files skipped before reading.
    `indexed`: source -> (document number, sha256) in the previous version; `skipped` and
    `skipped_sha256`: its manifest's skipped files, source -> reason and source -> sha256."""
    if not seeds.is_dir():
        raise SeedsNotFound(f"documents folder {seeds} does not exist; create it and put documents in it")
    entries, early = [], []
    for path in list_files(seeds):
        source = path.relative_to(seeds).as_posix()
        if printable(source) != source:
            early.append(Skipped(printable(source), "file name is not valid UTF-8; rename the file"))
            continue
        try:
            size = path.stat().st_size
            if size > max_bytes:
                early.append(
                    Skipped(
                        source,
                        f"{size // 1_000_000} MB is over the {max_bytes // 1_000_000} MB limit (QA_MAX_FILE_MB)",
                    )
                )
                continue
            digest = sha256(path)
        except OSError as e:
            early.append(Skipped(source, e.strerror or str(e)))
            continue
        doc, old = indexed.get(source, (None, None))
        entries.append(
            Entry(
                source,
                path,
                digest,
                size,
                reuse=doc if old == digest else None,
                skip=skipped.get(source) if skipped_sha256.get(source) == digest else None,
            )
        )
    return entries, early
