"""What a build must read. Every file under seeds/ is hashed (its raw bytes: cheap next to
extraction), and a file whose bytes the previous version already holds under the same name is
taken from it, never read and extracted again; so is a file the previous build skipped, with
the same reason. Files that cannot be indexed whatever they contain (a name that is not UTF-8,
over the size limit, unreadable) are skipped here. Which previous version can lend its vectors
(previous), and what changed against it for the report (diff), are decided here too."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import store
from ..documents import list_files, printable
from ..errors import IndexMismatch, SeedsNotFound
from ..settings import Settings
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


def old_files(index_dir: Path) -> dict[str, str]:
    """{source: sha256} of the current version, whatever its format (for the report)."""
    try:
        return {s: f["sha256"] for s, f in (store.read_manifest(index_dir) or {}).get("files", {}).items()}
    except (IndexMismatch, TypeError, KeyError, AttributeError):
        return {}


def scan_against(
    seeds: Path, settings: Settings, prev: store.Stored | None
) -> tuple[list[Entry], list[Skipped], dict]:
    """scan() against the previous version's documents (source -> (number, sha256)), also returned."""
    indexed = {r["source"]: (i, r["sha256"]) for i, r in enumerate(prev.documents.rows)} if prev else {}
    m = prev.manifest if prev else {}
    limit = settings.max_file_mb * 1_000_000
    return (*scan(seeds, limit, indexed, m.get("skipped", {}), m.get("skipped_sha256", {})), indexed)


def previous(index_dir: Path, model: str, chunker: dict) -> tuple[store.Stored | None, str | None]:
    """The current version when its vectors can be reused, else (None, why everything is rebuilt)."""
    try:
        manifest = store.read_manifest(index_dir)
    except IndexMismatch as e:
        return None, f"previous index unusable ({e})"
    if manifest is None:
        return None, None
    if manifest.get("format_version") != store.FORMAT_VERSION:
        return None, f"index format {manifest.get('format_version')} -> {store.FORMAT_VERSION}"
    if manifest.get("model") != model:
        return None, f"model changed: {manifest.get('model')} -> {model}"
    if manifest.get("chunker") != chunker:
        return None, f"chunker settings changed: {manifest.get('chunker')} -> {chunker}"
    try:
        return store.load(index_dir), None
    except IndexMismatch as e:
        return None, f"previous index unusable ({e})"


def diff(old: dict[str, str], new: list[tuple[str, str]]):
    """Classify files by content hash against the previous version's {source: sha256}."""
    new_by_src = dict(new)
    old_by_hash = {}
    for src, h in old.items():
        if src not in new_by_src:
            old_by_hash.setdefault(h, []).append(src)
    added, changed, unchanged, renamed = [], [], [], []
    for src, h in new_by_src.items():
        if src in old:
            (unchanged if old[src] == h else changed).append(src)
        elif old_by_hash.get(h):
            renamed.append((old_by_hash[h].pop(0), src))
        else:
            added.append(src)
    gone = {o for o, _ in renamed}
    removed = [s for s in old if s not in new_by_src and s not in gone]
    return added, changed, removed, renamed, unchanged
