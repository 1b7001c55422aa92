"""The documents panel: what the index in use holds (each document's title, type, size, date and
passages; the files skipped and why), and the changes people make to it: add files, delete one,
update the index. Every change ends in one call of `rebuild`, the web's only way to build."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from .. import store
from ..build import build_index, index_status
from ..documents import remove_document, store_upload
from ..errors import QAError
from ..retrieve import LiveRetriever
from ..settings import Settings
from ..types import BuildReport
from .i18n import count, size, t
from .render import attr, verbatim

log = logging.getLogger(__name__)

MAX_ROWS = 500  # documents listed; a longer list says how many more there are


def rebuild(settings: Settings) -> BuildReport:
    """Bring the index up to date with the documents folder (the web's one way to build)."""
    return build_index(settings.seeds, settings.index, settings.model, settings=settings, progress=True)


def _built(report: BuildReport, lang: str) -> str:
    if not report.written:
        return t(lang, "unchanged")
    return t(lang, "updated", documents=count(lang, report.documents, "document"))


def update(settings: Settings, lang: str) -> str:
    """Update the index; one line saying what happened."""
    try:
        return _built(rebuild(settings), lang)
    except QAError as e:
        return f"⚠ {e}"


def add_files(settings: Settings, paths: list[Path], lang: str) -> list[str]:
    """Store each uploaded file in the documents folder (one line per file), then update the index."""
    notes = []
    limit = settings.max_upload_mb * 1_000_000
    for path in paths:
        try:
            if path.stat().st_size > limit:
                raise ValueError(f"over the {settings.max_upload_mb} MB limit")
            name, stored = store_upload(settings.seeds, path.name, path.read_bytes(), limit)
            notes.append(t(lang, "added" if stored else "exists", name=name))
        except (ValueError, OSError) as e:
            notes.append(t(lang, "rejected", name=path.name, why=str(e)))
    return [*notes, update(settings, lang)]


def delete(settings: Settings, source: str, lang: str) -> str:
    """Remove one document from the folder and the index in one step."""
    try:
        remove_document(settings.seeds, source)
    except (ValueError, OSError) as e:
        return f"⚠ {e}"
    return f"{t(lang, 'deleted', name=source)} {update(settings, lang)}"


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(stamp))


def _row(seeds: Path, source: str, info: dict, lang: str) -> str:
    name = source.rsplit("/", 1)[-1]
    title = info.get("title") or name
    suffix = name.rsplit(".", 1)[-1].lower()
    meta = [t(lang, "types").get(suffix, suffix.upper())]
    try:
        st = (seeds / source).stat()
        meta += [size(lang, st.st_size), _when(st.st_mtime)]
    except OSError:
        pass
    if info.get("chunks") is not None:
        meta.append(count(lang, info["chunks"], "passage"))
    if title != source:  # the file name, where the title does not already say it
        meta.append(source)
    src, delete_label = attr(source), attr(t(lang, "delete_doc"))
    return (
        f"<li class='qa-docrow'><div class='qa-docmain'>"
        f"<a href='#' class='qa-docopen' data-act='open' data-src='{src}' title='{attr(t(lang, 'open'))}'>"
        f"{verbatim(title)}</a><div class='qa-docmeta'>{verbatim(' · '.join(meta))}</div></div>"
        f"<button class='qa-docdel' data-act='delete' data-src='{src}' title='{delete_label}'"
        f" aria-label='{delete_label}: {attr(title)}'>✕</button></li>"
    )


def documents_html(settings: Settings, live: LiveRetriever, lang: str) -> str:
    """The list of documents of the index version in use, with what was skipped and whether the
    folder changed since; the version id only in the details line."""
    try:
        stored = live.get().stored
    except QAError as e:
        msg = t(lang, "no_index") if store.current_version(settings.index) is None else str(e)
        return f"<div class='qa-docs'><p class='qa-docsum'>{verbatim(msg)}</p></div>"
    m = stored.manifest
    files = m.get("files", {})
    if not files:
        return f"<div class='qa-docs'><p class='qa-docsum'>{verbatim(t(lang, 'no_documents'))}</p></div>"
    when = m.get("built_at", "")[:16].replace("T", " ")
    head = t(
        lang,
        "summary",
        documents=count(lang, len(files), "document"),
        passages=count(lang, m["counts"]["chunks"], "passage"),
        when=when,
    )
    rows = sorted(files.items(), key=lambda kv: ((kv[1].get("title") or kv[0]).lower(), kv[0]))
    out = [f"<div class='qa-docs'><p class='qa-docsum'>{verbatim(head)}</p>"]
    if index_status(settings.seeds, settings.index)["stale"]:
        out.append(f"<p class='qa-stale'>⚠ {verbatim(t(lang, 'stale'))}</p>")
    out.append("<ul class='qa-doclist'>")
    out += [_row(settings.seeds, s, info, lang) for s, info in rows[:MAX_ROWS]]
    out.append("</ul>")
    if len(rows) > MAX_ROWS:
        out.append(f"<p class='qa-docsum'>… +{len(rows) - MAX_ROWS}</p>")
    skipped = m.get("skipped", {})
    if skipped:
        items = "".join(f"<li>{verbatim(s)}: {verbatim(r)}</li>" for s, r in sorted(skipped.items()))
        out.append(
            f"<details class='qa-skipped'><summary>{verbatim(t(lang, 'skipped'))} ({len(skipped)})</summary>"
        )
        out.append(f"<ul>{items}</ul></details>")
    info = t(lang, "details", version=stored.version, model=m.get("model", "?"))
    out.append(f"<p class='qa-details'>{verbatim(info)}</p></div>")
    return "".join(out)
