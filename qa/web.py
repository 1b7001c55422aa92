"""The web chat (Gradio): formats what the qa package returns. Answers stream in as block quotes
with numbered citations; a source viewer shows the cited document with the quote highlighted;
a side panel shows the index status, rebuilds the index and takes uploads. Document text is
always escaped: it is data, never markup. The named endpoint /ask returns `qa ask --json`."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from .answer import Assistant, answer_dict, cite
from .build import build_index, index_status
from .documents import store_upload
from .errors import QAError
from .formats import SUFFIXES
from .retrieve import LiveRetriever
from .settings import Settings
from .types import Answer, Document, Quote

log = logging.getLogger(__name__)

VIEW_CHARS = 4000  # document text shown on each side of a quote in the source viewer
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
SCROLL_JS = (
    "() => { const m = document.getElementById('qa-hl'); if (m) m.scrollIntoView({block: 'center'}); }"
)
CSS = """
.qa-doc { white-space: pre-wrap; max-height: 480px; overflow-y: auto; font-size: 14px; line-height: 1.5;
          padding: 8px; border: 1px solid #ddd; border-radius: 6px; }
.qa-doc mark { background: #ffe066; padding: 1px 0; }
"""


def md_text(text: str) -> str:
    """Document text as inert Markdown: HTML characters become entities and every Markdown
    punctuation mark is backslash-escaped, so no tag, image or link can form."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _ref(i: int, q: Quote) -> str:
    return f"[{i}] {cite(q)}"


def format_answer(a: Answer) -> str:
    if not a.found:
        out = f"**⚠ Not found.** {md_text(a.text.split(chr(10))[0])}"
        if a.closest:
            out += f"\n\n*Closest passage, not an answer* ({md_text(cite(a.closest))}):\n\n> {md_text(a.closest.text)}"
        return out
    body = "\n\n".join(f"> {md_text(q.text)} **[{i}]**" for i, q in enumerate(a.quotes, 1))
    refs = "\n".join(f"{i}. {md_text(cite(q))} · score {q.score:.2f}" for i, q in enumerate(a.quotes, 1))
    return f"{body}\n\n**Sources**\n\n{refs}"


def source_html(doc: Document | None, q: Quote | None) -> str:
    """The document around the quote (for a PDF: the quote's page), escaped, with the quote in
    <mark id="qa-hl">."""
    if q is None or doc is None:
        return "<div class='qa-doc'>Choose a citation to see it in its document.</div>"
    text = doc.text
    if q.page:  # the whole page, as pypdf extracted it
        ends = [*doc.pages[1:], len(text)]
        a, b = doc.pages[q.page - 1], max(q.end, ends[q.page - 1])
    else:
        a, b = max(0, q.start - VIEW_CHARS), min(len(text), q.end + VIEW_CHARS)
    head = html.escape(cite(q))
    return (
        f"<div class='qa-doc-head'><b>{head}</b></div><div class='qa-doc'>"
        f"{'…' if a else ''}{html.escape(text[a : q.start])}<mark id='qa-hl'>{html.escape(q.text)}</mark>"
        f"{html.escape(text[q.end : b])}{'…' if b < len(text) else ''}</div>"
    )


def status_md(settings: Settings, live: LiveRetriever) -> str:
    st = index_status(settings.seeds, settings.index)
    if not st["built"]:
        return "**Index:** not built yet. Press *Rebuild index*."
    try:
        in_use = live.get().version  # the version answers come from (reloads if a build finished)
    except QAError:
        in_use = None
    lines = [
        f"**Index** version in use: `{in_use}`",
        f"- documents: {st['documents']}, chunks: {st['chunks']}",
        f"- model: `{st['model']}`",
        f"- built at: {st['built_at']} (latest version `{st['version']}`)",
        f"- {'⚠ stale: seeds/ changed since the build' if st['stale'] else 'up to date with seeds/'}",
    ]
    lines += [f"- skipped {md_text(s)}: {md_text(r)}" for s, r in st["skipped"].items()]
    return "\n".join(lines)


def examples(seeds: Path) -> list[str]:
    """Example questions kept beside the documents in seeds/.questions.txt (hidden, so never indexed)."""
    f = seeds / ".questions.txt"
    if not f.is_file():
        return []
    return [line.strip() for line in f.read_text(encoding="utf-8").splitlines() if line.strip()][:6]


def build_app(settings: Settings, live: LiveRetriever | None = None):
    import gradio as gr

    live = live or LiveRetriever(settings.index, settings)

    def respond(question, history, sources):
        history = list(history or [])
        user = {"role": "user", "content": question}
        previous = [m["content"] for m in history if m["role"] == "user" and isinstance(m["content"], str)]
        try:
            retriever = live.get()  # this question stays on this version, even if a build lands meanwhile
            a = Assistant(retriever).ask(question, previous)
        except QAError as e:
            yield (
                [*history, user, {"role": "assistant", "content": f"**⚠** {md_text(str(e))}"}],
                sources,
                gr.update(),
            )
            return
        text, shown = format_answer(a), ""
        # Stream the answer in by paragraphs, the way chat users expect to see it arrive.
        for part in text.split("\n\n"):
            shown = f"{shown}\n\n{part}" if shown else part
            yield [*history, user, {"role": "assistant", "content": shown}], sources, gr.update()
        quotes = list(a.quotes) or ([a.closest] if a.closest else [])
        labels = [_ref(i, q) for i, q in enumerate(quotes, 1)]
        # Each citation keeps the document text it was cut from, so the viewer matches the quote
        # even after a rebuild changed the file.
        sources = {label: (q, retriever.document(q.source)) for label, q in zip(labels, quotes, strict=True)}
        yield (
            [*history, user, {"role": "assistant", "content": shown}],
            sources,
            gr.update(choices=labels, value=labels[0] if labels else None),
        )

    def show(label, sources):
        q, doc = (sources or {}).get(label, (None, None))
        return source_html(doc, q)

    def rebuild(progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio injects it)
        progress(0, desc="Indexing seeds/")
        return _rebuild()

    def _rebuild():
        try:
            r = build_index(settings.seeds, settings.index, settings.model, settings=settings, progress=True)
            msg = f"Indexed {r.documents} documents ({r.embedded} chunks embedded)."
        except QAError as e:
            msg = f"⚠ {e}"
        return md_text(msg), status_md(settings, live)

    def upload(files):
        notes = []
        for f in files or []:
            path = Path(f if isinstance(f, str) else f.name)
            try:
                if path.stat().st_size > settings.max_upload_mb * 1_000_000:
                    raise ValueError(f"over the {settings.max_upload_mb} MB limit")
                name, stored = store_upload(
                    settings.seeds, path.name, path.read_bytes(), settings.max_upload_mb * 1_000_000
                )
                notes.append(f"{name}: {'added' if stored else 'already in seeds/'}")
            except (ValueError, OSError) as e:
                notes.append(f"{path.name}: rejected ({e})")
        msg, status = _rebuild()
        return md_text("; ".join(notes)) + "\n\n" + msg, status

    def api_ask(question: str) -> dict:
        """Answer a question: the JSON of `qa ask --json`, plus the index version that answered."""
        try:
            retriever = live.get()
            return {**answer_dict(Assistant(retriever).ask(question)), "version": retriever.version}
        except QAError as e:
            return {"error": str(e)}

    with gr.Blocks(title="qa: answers quoted from your documents") as app:
        sources = gr.State({})
        gr.Markdown("## qa: answers quoted word for word from your documents")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="Chat", height=460, sanitize_html=True, allow_tags=False, elem_id="qa-chat"
                )
                box = gr.Textbox(
                    placeholder="Ask a question (Russian or English)…", show_label=False, elem_id="qa-q"
                )
                send = gr.Button("Ask", variant="primary", elem_id="qa-send")
                ex = examples(settings.seeds)
                if ex:
                    gr.Examples(ex, inputs=box, label="Examples")
            with gr.Column(scale=2):
                cites = gr.Radio(
                    choices=[], label="Citations: choose one to see it in its document", elem_id="qa-cites"
                )
                viewer = gr.HTML(source_html(None, None), elem_id="qa-viewer")
                with gr.Accordion("Index", open=False):
                    status = gr.Markdown(status_md(settings, live), elem_id="qa-status")
                    rebuild_btn = gr.Button("Rebuild index", elem_id="qa-rebuild")
                    note = gr.Markdown()
                    files = gr.File(
                        label=f"Add documents ({', '.join(SUFFIXES)}; up to {settings.max_upload_mb} MB)",
                        file_count="multiple",
                        file_types=list(SUFFIXES),
                    )
        ask_event = dict(
            fn=respond,
            inputs=[box, chat, sources],
            outputs=[chat, sources, cites],
            api_visibility="private",
            concurrency_limit=8,
        )
        send.click(**ask_event).then(lambda: "", outputs=box, api_visibility="private")
        box.submit(**ask_event).then(lambda: "", outputs=box, api_visibility="private")
        cites.change(show, [cites, sources], viewer, api_visibility="private").then(
            None, js=SCROLL_JS, api_visibility="private"
        )
        rebuild_btn.click(rebuild, outputs=[note, status], api_visibility="private")
        files.upload(upload, inputs=files, outputs=[note, status], api_visibility="private")
        gr.api(api_ask, api_name="ask", concurrency_limit=8)
        app.load(lambda: status_md(settings, live), outputs=status, api_visibility="private")
    return app


def serve(settings: Settings, **launch) -> None:
    import gradio as gr

    live = LiveRetriever(settings.index, settings)
    try:  # load the model and index now, so the first question does not wait for them
        live.get()
    except QAError as e:
        log.warning("%s", e)
    app = build_app(settings, live)
    app.queue(default_concurrency_limit=8).launch(
        server_name=settings.host,
        server_port=settings.port,
        css=CSS,
        max_file_size=f"{settings.max_upload_mb}mb",
        # Local fonts only: the default theme fetches Google Fonts, which an offline page cannot reach.
        theme=gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]),
        **launch,
    )
