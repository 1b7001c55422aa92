"""The web chat (Gradio), at the top of the pipeline: it formats what the qa package returns and
calls nothing below its public functions. Modules, each importing only those above it:
i18n (words) -> render (escaped HTML pieces) -> chat, sources, library (documents panel) -> app."""

from .app import CONCURRENCY, build_app, page_options

__all__ = ["CONCURRENCY", "build_app", "page_options"]
