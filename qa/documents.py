"""Stage 1: read the seeds folder into Documents. Decoding is robust (UTF-8 with or without BOM,
UTF-16 with BOM, legacy Cyrillic via charset-normalizer) and the decoded text is kept exactly
as later offsets refer to it. A file that cannot be read is skipped with a reason, never fatal;
PDF, DOCX and HTML are parsed in a worker process with limits (extractor.py). Uploads are
written without following symlinks and never replace a file."""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import extractor
from .errors import SeedsNotFound
from .formats import SUFFIXES, Extracted, Limits, extract
from .settings import Settings
from .types import Document, Skipped

log = logging.getLogger(__name__)

# Editor and office leftovers that are never documents.
_TEMP = re.compile(r"(^\.~lock\.|^~\$|\.swp$|\.swo$|~$|\.tmp$|^#.*#$)")
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{2})\.(\d{2})\.(\d{4})\b")
# Parsed in-process: their parsers are linear (markdown() included), and a folder of 10,000
# notes should not pay a round trip to the worker each.
IN_PROCESS = (".txt", ".md", ".markdown")


def decode(data: bytes) -> str:
    """Bytes -> text. Raises ValueError when the bytes are not text in any encoding we accept."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise ValueError("binary file (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # A few broken bytes in UTF-8 text (a bad copy, a cut multi-byte character) are replaced
    # with U+FFFD; a legacy 8-bit file breaks on nearly every Cyrillic letter instead.
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") <= max(3, len(text) // 1000):
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp1251", "koi8_r", "utf_8", "latin_1"]).best()
    if best is None or best.encoding.startswith("utf"):
        raise ValueError("not valid UTF-8 and no legacy encoding fits")
    return str(best)


def find_date(text: str) -> str | None:
    """The first date stated near the top of a document ("date 2017-08-08" in the seed)."""
    m = _DATE.search(text[:300])
    if not m:
        return None
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(6), m.group(5), m.group(4))
    return f"{y}-{mo}-{d}" if 1 <= int(mo) <= 12 and 1 <= int(d) <= 31 else None


def list_files(seeds: Path) -> list[Path]:
    """Candidate files under seeds (recursive, sorted), skipping hidden and temp files and
    symlinks that lead outside the folder."""
    root = seeds.resolve()
    out = []
    for dirpath, dirnames, filenames in os.walk(seeds, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or _TEMP.search(name) or not name.lower().endswith(SUFFIXES):
                continue
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                log.warning("skipped %s: symlink points outside %s", path, seeds)
                continue
            out.append(path)
    return out


def limits(settings: Settings) -> Limits:
    return Limits(settings.pdf_max_pages, settings.docx_max_paragraphs, settings.extract_timeout)


def parse(name: str, data: bytes, settings: Settings | None = None) -> Extracted:
    """The text of one file; raises ValueError with a plain reason when it cannot be read or is
    over a limit. PDF, DOCX and HTML go through the worker, with its time limit."""
    lim = limits(settings or Settings())
    if not name.lower().endswith(IN_PROCESS):
        return extractor.run(name, data, lim)
    return extract(name, data, decode, lim)


def read_document(path: Path, source: str, settings: Settings | None = None) -> Document:
    data = path.read_bytes()
    ex = parse(path.name, data, settings)
    return Document(
        source, ex.text, hashlib.sha256(data).hexdigest(), find_date(ex.text), ex.sections, ex.pages, ex.title
    )


def printable(name: str) -> str:
    """A file name as it can be shown: bytes that are not UTF-8 become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load_documents(
    seeds: str | Path, max_bytes: int = 50_000_000, settings: Settings | None = None
) -> tuple[list[Document], list[Skipped]]:
    """Every readable document under seeds, plus the files skipped and why."""
    seeds = Path(seeds)
    if not seeds.is_dir():
        raise SeedsNotFound(f"documents folder {seeds} does not exist; create it and put documents in it")
    docs, skipped = [], []

    def skip(source: str, reason: str) -> None:
        log.warning("skipped %s: %s", source, reason)
        skipped.append(Skipped(source, reason))

    for path in list_files(seeds):
        source = path.relative_to(seeds).as_posix()
        if printable(source) != source:
            skip(printable(source), "file name is not valid UTF-8; rename the file")
            continue
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ValueError(
                    f"{size // 1_000_000} MB is over the {max_bytes // 1_000_000} MB limit (QA_MAX_FILE_MB)"
                )
            doc = read_document(path, source, settings)
        except (OSError, ValueError) as e:
            skip(source, e.strerror if isinstance(e, OSError) and e.strerror else str(e))
            continue
        if not doc.text.strip():
            skip(source, "empty")
            continue
        docs.append(doc)
    return docs, skipped


def safe_name(name: str) -> str:
    """A file name that stays inside the seeds folder: the last path part only, no leading dots,
    only letters, digits, spaces, dots, dashes and underscores, at most 120 characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")[-120:].lstrip(".")
    if not base or not base.lower().endswith(SUFFIXES):
        raise ValueError(f"{name!r}: only {', '.join(SUFFIXES)} files are accepted")
    return base


@dataclass(frozen=True)
class Upload:
    """What happened to one uploaded file."""

    name: str  # the name it was stored under, or the name it came with when rejected
    stored: bool  # False: rejected, or the same bytes were already in seeds
    reason: str | None = None  # why it was rejected (None when it was not)


def _same_file(path: Path, data: bytes) -> bool:
    """Whether path is a regular file holding exactly data; a symlink never is."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        return os.fstat(fd).st_size == len(data) and f.read() == data


def store_upload(
    seeds: Path, name: str, data: bytes, max_bytes: int, settings: Settings | None = None
) -> tuple[str, bool]:
    """Save an uploaded document into seeds under a safe name; returns (name, stored). A file
    whose bytes are already in seeds under that name is not stored twice; a different file with
    the same name gets a numbered name. The bytes go to a temp file of their own (O_EXCL, no
    symlink followed) which is then hard-linked to a name that does not exist yet, so two
    uploads of one name never overwrite each other and a planted symlink is never written through."""
    if len(data) > max_bytes:
        raise ValueError(f"{name!r} is {len(data) // 1_000_000} MB; the limit is {max_bytes // 1_000_000} MB")
    base = safe_name(name)
    parse(base, data, settings)  # refuse what the build would skip anyway
    seeds.mkdir(parents=True, exist_ok=True)
    stem, suffix = base.rsplit(".", 1)
    fd, tmp = tempfile.mkstemp(dir=seeds, prefix=f".{base}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        target, n = base, 1
        while True:
            try:
                os.link(tmp, seeds / target, follow_symlinks=False)
                return target, True
            except FileExistsError:
                if _same_file(seeds / target, data):
                    return target, False
                n += 1
                target = f"{stem}-{n}.{suffix}"
    finally:
        os.unlink(tmp)


def store_uploads(
    seeds: Path, files: list[tuple[str, bytes | Path]], max_bytes: int, settings: Settings | None = None
) -> list[Upload]:
    """store_upload for each (name, bytes or file) of a batch: one result per file, whatever
    the others did. A file is not read when its size is already over the limit."""
    out = []
    for name, data in files:
        try:
            if isinstance(data, Path):
                if data.stat().st_size > max_bytes:
                    raise ValueError(f"over the {max_bytes // 1_000_000} MB limit")
                data = data.read_bytes()
            stored_as, stored = store_upload(seeds, name, data, max_bytes, settings)
            out.append(Upload(stored_as, stored))
        except (ValueError, OSError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            log.warning("upload %s rejected: %s", name, reason)
            out.append(Upload(name, False, reason))
    return out


def remove_document(seeds: Path, source: str) -> None:
    """Delete seeds/<source> (a path relative to seeds, "/"-separated, as the index names it).
    Refuses anything that would reach outside the folder: absolute paths, "..", hidden parts, a
    directory on the way that is a symlink; a symlinked file is removed as a link, never its target."""
    parts = source.split("/")
    if not source or source.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise ValueError(f"{source!r} is not a document name inside {seeds}")
    root = seeds.resolve()
    path = seeds.joinpath(*parts)
    if path.parent.resolve() != root.joinpath(*parts[:-1]):
        raise ValueError(f"{source!r}: a folder on its way is a link; remove it by hand")
    if not (path.is_file() or path.is_symlink()):
        raise ValueError(f"{source!r} is not in {seeds} (already removed?)")
    path.unlink()
