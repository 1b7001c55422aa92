"""The server process of `qa serve` and app.py: one FastAPI app with the REST API under /api,
its OpenAPI docs at /docs, the MCP tools at /mcp (streamable HTTP) and the Gradio chat mounted
at /, all on one LiveRetriever, run by uvicorn. REST and MCP calls run in the thread pool side
by side; only the chat goes through Gradio's queue."""

from __future__ import annotations

import contextlib
import logging

from .errors import QAError
from .llm import chat_from
from .retrieve import LiveRetriever
from .settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings, live: LiveRetriever | None = None):
    """The whole server as an ASGI app (no socket opened)."""
    import gradio as gr
    from fastapi import FastAPI

    from . import rest, web
    from .mcp_server import mcp_server
    from .service import Service

    live = live or LiveRetriever(settings.index, settings)
    service = Service(settings, live, chat_from(settings))
    mcp = mcp_server(service)
    # Stateless: every MCP request stands alone, so any number of agents share no session state.
    mcp_http = mcp.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, host=settings.host)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        async with mcp.session_manager.run():
            yield

    app = FastAPI(
        title="qa",
        summary="Answers from your documents, quoted word for word",
        description="REST API of qa. MCP tools (search, ask, list_documents) are at /mcp; the chat is at /.",
        version="1",
        lifespan=lifespan,
    )
    rest.install_errors(app)
    app.include_router(rest.router(service))
    app.router.routes.extend(mcp_http.routes)  # /mcp, before the chat takes every other path
    blocks = web.build_app(settings, live).queue(default_concurrency_limit=web.CONCURRENCY)
    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        max_file_size=f"{settings.max_upload_mb}mb",
        server_name=settings.host,
        server_port=settings.port,
        **web.page_options(),
    )


def serve(settings: Settings) -> None:
    import uvicorn

    live = LiveRetriever(settings.index, settings)
    try:  # load the model and index now, so the first question does not wait for them
        live.get()
    except QAError as e:
        log.warning("%s", e)
    # uvicorn's "running on http://..." line says where; the chat is at /, the rest as above.
    uvicorn.run(
        create_app(settings, live), host=settings.host, port=settings.port, log_level="info", access_log=False
    )
