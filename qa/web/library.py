"""The documents panel: what the index in use holds (each document's title, type, size, date and
passages; the files skipped and why), and the changes people make to it: add files, delete one,
update the index. Every change ends in one call of `rebuild`, the web's only way to build."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from .. import background, guard
from ..build import index_status
from ..documents import remove_document, store_uploads
from ..embedding import describe
from ..errors import IndexNotFound, QAError, one_line
from ..retrieve import LiveRetriever
from ..settings import Settings
from ..types import BuildReport
from .i18n import count, size, t
from .render import attr, verbatim

log = logging.getLogger(__name__)

MAX_ROWS = 500  # documents listed; a longer list says how many more there are


def rebuild(settings: Settings, progress: Callable[[float, str], None] | None = None) -> BuildReport:
    """Bring the index up to date with the documents folder (the web's one way to build): in a
    lower-priority process with its own model, so questions are answered meanwhile."""
    return background.build(settings, progress)


def _built(report: BuildReport, lang: str) -> str:
    if not report.written:
        return t(lang, "unchanged")
    return t(lang, "updated", documents=count(lang, report.documents, "document"))


def update(settings: Settings, lang: str, progress: Callable[[float, str], None] | None = None) -> str:
    """Update the index; one line saying what happened (any failure too; details in the log)."""
    try:
        return _built(rebuild(settings, progress), lang)
    except Exception as e:  # noqa: BLE001 - one line on the page, whatever failed
        if not isinstance(e, QAError):
            log.error("update failed", exc_info=e)
        return f"⚠ {one_line(e)}"


def add_files(settings: Settings, paths: list[Path], lang: str) -> list[str]:
    """Store each uploaded file in the documents folder (one line per file: added, already there,
    or not added and why), then update the index when any was added. Gradio's copies are
    deleted once read."""
    try:
        guard.require_write(settings)
        results = store_uploads(
            settings.seeds, [(p.name, p) for p in paths], settings.max_upload_mb * 1_000_000, settings
        )
    except QAError as e:
        return [f"⚠ {e}"]
    finally:
        for p in paths:
            p.unlink(missing_ok=True)
    notes = [
        t(lang, "rejected", name=u.name, why=u.reason)
        if u.reason
        else t(lang, "added" if u.stored else "exists", name=u.name)
        for u in results
    ]
    return [*notes, update(settings, lang)] if any(u.stored for u in results) else notes


def delete(settings: Settings, source: str, lang: str) -> str:
    """Remove one document from the folder and the index in one step."""
    try:
        guard.require_write(settings)
        remove_document(settings.seeds, source)
    except (QAError, ValueError, OSError) as e:
        return f"⚠ {e}"
    return f"{t(lang, 'deleted', name=source)} {update(settings, lang)}"


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(stamp))


def _row(seeds: Path, source: str, info: dict, lang: str, writable: bool) -> str:
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
    delete = (
        f"<button class='qa-docdel' data-act='delete' data-src='{src}' title='{delete_label}'"
        f" aria-label='{delete_label}: {attr(title)}'>✕</button>"
        if writable
        else ""
    )
    return (
        f"<li class='qa-docrow'><div class='qa-docmain'>"
        f"<a href='#' class='qa-docopen' data-act='open' data-src='{src}' title='{attr(t(lang, 'open'))}'>"
        f"{verbatim(title)}</a><div class='qa-docmeta'>{verbatim(' · '.join(meta))}</div></div>{delete}</li>"
    )


def documents_html(settings: Settings, live: LiveRetriever, lang: str) -> str:
    """The list of documents of the index version in use, with what was skipped and whether the
    folder changed since; the version id only in the details line."""
    try:
        retriever = live.get()
        stored = retriever.stored
    except IndexNotFound:
        return f"<div class='qa-docs'><p class='qa-docsum'>{verbatim(t(lang, 'no_index'))}</p></div>"
    except Exception as e:  # noqa: BLE001 - a damaged or tampered index is one line; the page still loads
        if not isinstance(e, QAError):
            log.error("index not loadable", exc_info=e)
        return f"<div class='qa-docs'><p class='qa-docsum'>⚠ {verbatim(one_line(e))}</p></div>"
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
    writable = not guard.read_only(settings)
    out += [_row(settings.seeds, s, info, lang, writable) for s, info in rows[:MAX_ROWS]]
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
    run = describe(retriever.embedder)  # the query path this machine chose, and why (qa status)
    if "query path" in run:
        info += f" · {run['query path']}"
    why = " · ".join(run[k] for k in ("runtime", "why", "cpu") if k in run)
    out.append(f"<p class='qa-details' title='{attr(why)}'>{verbatim(info)}</p></div>")
    return "".join(out)
