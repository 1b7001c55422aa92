"""Assembles the web chat (Gradio Blocks): the chat with its question box and examples, the source
panel and the documents panel, and the events between them. qa.server mounts it beside the REST
API, with `page_options` (theme, CSS, translations). No `from __future__ import annotations`
here: Gradio reads the handlers' gr.Request / gr.EventData annotations at run time."""

import itertools
import logging
from pathlib import Path

from .. import guard
from ..answer import Assistant, answer_dict
from ..documents import decode
from ..errors import QAError, one_line
from ..formats import SUFFIXES
from ..llm import Chat, grounded
from ..retrieve import LiveRetriever
from ..settings import Settings
from . import library
from .assets import ASK_JS, CSS, DOCS_JS, QUESTION_JS, SCROLL_JS, VIEWER_JS
from .chat import Conversation, answer_loop, askable, messages
from .i18n import UI, browser_language, t
from .render import verbatim
from .sources import document_view, empty_view, quote_view

log = logging.getLogger(__name__)

CONCURRENCY = 8  # questions answered at once across all sessions


def examples(seeds: Path) -> list[str]:
    """Example questions kept beside the documents in seeds/.questions.txt (hidden, so never
    indexed), decoded like any seed file; an unreadable one gives no examples, never a failed start."""
    try:
        text = decode((seeds / ".questions.txt").read_bytes())
    except (OSError, ValueError) as e:
        if not isinstance(e, FileNotFoundError):
            log.warning("no example questions: %s/.questions.txt: %s", seeds, e)
        return []
    return [line.strip() for line in text.splitlines() if line.strip()][:6]


def page_options() -> dict:
    """Keyword arguments for Blocks.launch() or gr.mount_gradio_app(): theme, CSS, translations."""
    import gradio as gr

    return {
        "css": CSS,
        "i18n": gr.I18n(**UI),
        # Local fonts only: the default theme fetches Google Fonts, which an offline page cannot reach.
        "theme": gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]),
    }


def build_app(settings: Settings, live: LiveRetriever | None = None, llm: Chat | None = None):
    """The chat; `llm` writes answers from its quotes when an LLM server is set (the server's one
    client, shared with the REST and MCP routes)."""
    import gradio as gr

    live = live or LiveRetriever(settings.index, settings)
    write = None if llm is None else (lambda a: grounded(a, llm, settings.llm_timeout))
    i18n = gr.I18n(**UI)
    ticks = itertools.count(1)
    private = {"api_visibility": "private"}

    def on_load(request: gr.Request):
        lang = browser_language(request.headers.get("accept-language") if request else None)
        return lang, empty_view(lang), library.documents_html(settings, live, lang)

    def take_question(question, conv, lang):  # not "ask": that name is the public /ask endpoint
        if not askable(question or ""):
            return gr.skip(), f"<p>{verbatim(t(lang, 'empty_question'))}</p>"
        conv.ask(question)
        return messages(conv), ""

    def respond(conv):
        # Streams ticks, not the chat: Gradio sends a stream's later values as diffs against its
        # own earlier ones, which a question added meanwhile by another event would garble. Each
        # tick makes `show` send the whole chat, always rendered from the one conversation.
        for finished in answer_loop(conv, live, write):
            if finished is not None:
                conv.finished(finished)
            yield next(ticks)

    def show(conv, lang):
        turn = conv.take_finished()
        if turn is None:
            return messages(conv), gr.skip()
        first = turn.cited[0]
        return messages(conv), quote_view(first.quote, first.document, lang, turn.version)

    def clear(conv, lang):
        conv.clear()
        return empty_view(lang), ""

    def open_citation(conv, lang, evt: gr.EventData):
        turn_id, _, n = str(evt._data.get("cite", "")).partition("-")
        found = conv.cited(int(turn_id), int(n)) if turn_id.isdigit() and n.isdigit() else None
        if found is None:
            return gr.skip()
        turn, c = found
        return quote_view(c.quote, c.document, lang, turn.version)

    def on_documents(lang, evt: gr.EventData):
        act, source = evt._data.get("act"), str(evt._data.get("src", ""))
        try:
            retriever = live.get()
            doc = retriever.document(source)
        except (QAError, KeyError):  # gone from the index since the list was drawn
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if act == "open":
            return document_view(doc, lang, retriever.version), gr.skip(), gr.skip(), gr.skip()
        if act != "delete":
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        name = source.rsplit("/", 1)[-1]
        ask_text = t(lang, "confirm_delete", title=doc.title or name, name=source)
        return gr.skip(), gr.update(visible=True), f"<p>{verbatim(ask_text)}</p>", source

    def confirm_delete(source, lang, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio injects it)
        note = library.delete(settings, source, lang) if source else ""
        return verbatim(note), library.documents_html(settings, live, lang), gr.update(visible=False), None

    def add(files, lang, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
        paths = [Path(f if isinstance(f, str) else f.name) for f in files or []]
        notes = library.add_files(settings, paths, lang)
        return "<br>".join(verbatim(n) for n in notes), library.documents_html(settings, live, lang)

    def update(lang, progress=gr.Progress()):  # noqa: B008
        note = library.update(settings, lang, lambda done, what: progress(done, desc=what))
        return verbatim(note), library.documents_html(settings, live, lang)

    def api_ask(question: str) -> dict:
        """Answer a question: the JSON of `qa ask --json`, plus the index version that answered."""
        try:
            retriever = live.get()
            return {**answer_dict(Assistant(retriever).ask(question)), "version": retriever.version}
        except Exception as e:  # noqa: BLE001 - one line, whatever failed; details in the log
            if not isinstance(e, QAError):
                log.error("question failed", exc_info=e)
            return {"error": one_line(e)}

    writable = not guard.read_only(settings)  # the buttons show it; the handlers check it again
    with gr.Blocks(title="qa", analytics_enabled=False) as app:
        conv = gr.State(Conversation)  # a callable: each session gets its own conversation
        lang = gr.State("en")  # the browser's language, for what the server writes into panels
        pending = gr.State(None)  # the document waiting for its delete confirmation
        tick = gr.Number(visible="hidden")  # changes whenever the answering loop changed the chat
        gr.Markdown(f"### {i18n('title')}", elem_id="qa-title")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    label=i18n("chat"),
                    show_label=False,
                    elem_id="qa-chat",
                    height=540,
                    # Messages are HTML built from escaped text: no Markdown, no LaTeX, no autolinks.
                    render_markdown=False,
                    latex_delimiters=[],
                    sanitize_html=True,
                    allow_tags=False,
                    autoscroll=False,
                    buttons=[],  # Gradio's copy buttons would copy the messages' HTML source
                    feedback_options=None,
                    placeholder=i18n("chat_placeholder"),
                )
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        placeholder=i18n("ask_placeholder"),
                        show_label=False,
                        elem_id="qa-q",
                        scale=5,
                        max_lines=6,
                        autofocus=True,
                    )
                    send = gr.Button(i18n("ask"), variant="primary", elem_id="qa-send", scale=1, min_width=80)
                hint = gr.HTML("", elem_id="qa-hint", js_on_load=QUESTION_JS)
                ex = examples(settings.seeds)
                if ex:
                    gr.Examples(ex, inputs=box, label=i18n("examples"))
            with gr.Column(scale=2, min_width=320):
                viewer = gr.HTML(empty_view("en"), elem_id="qa-viewer", js_on_load=VIEWER_JS)
                with gr.Accordion(i18n("documents"), open=True, elem_id="qa-docs-panel"):
                    docs = gr.HTML("", elem_id="qa-docs", js_on_load=DOCS_JS)
                    with gr.Group(visible=False) as confirm:
                        confirm_text = gr.HTML("", padding=True, elem_id="qa-confirm")
                        with gr.Row():
                            yes = gr.Button(i18n("delete"), variant="stop", elem_id="qa-confirm-yes")
                            no = gr.Button(i18n("cancel"), elem_id="qa-confirm-no")
                    with gr.Row():
                        upload = gr.UploadButton(
                            i18n("add"),
                            file_count="multiple",
                            file_types=list(SUFFIXES),
                            elem_id="qa-upload",
                            visible=writable,
                        )
                        update_btn = gr.Button(i18n("update"), elem_id="qa-update", visible=writable)
                    note = gr.HTML("", elem_id="qa-note")

        for trigger in (box.submit, send.click):
            trigger(
                take_question,
                [box, conv, lang],
                [chat, hint],
                js=ASK_JS,
                queue=False,
                trigger_mode="multiple",
                show_progress="hidden",
                **private,
            ).then(None, js=SCROLL_JS, **private).then(
                respond,
                conv,
                tick,
                trigger_mode="multiple",
                concurrency_limit=CONCURRENCY,
                concurrency_id="answer",
                show_progress="hidden",
                **private,
            )
        tick.change(show, [conv, lang], [chat, viewer], queue=False, show_progress="hidden", **private).then(
            None, js=SCROLL_JS, **private
        )
        chat.clear(clear, [conv, lang], [viewer, hint], **private)
        viewer.click(open_citation, [conv, lang], viewer, trigger_mode="multiple", **private)
        docs.click(on_documents, [lang], [viewer, confirm, confirm_text, pending], **private)
        yes.click(confirm_delete, [pending, lang], [note, docs, confirm, pending], **private)
        no.click(lambda: (gr.update(visible=False), None), None, [confirm, pending], **private)
        upload.upload(add, [upload, lang], [note, docs], **private)
        update_btn.click(update, [lang], [note, docs], **private)
        gr.api(api_ask, api_name="ask", concurrency_limit=CONCURRENCY)
        app.load(on_load, None, [lang, viewer, docs], **private)
    return app
