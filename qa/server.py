"""The server process of `qa serve` and app.py: one FastAPI app with the REST API under /api,
its OpenAPI docs at /docs, the MCP tools at /mcp (streamable HTTP) and the Gradio chat mounted
at /, all on one LiveRetriever, run by uvicorn, behind guard.Guard (hosts, logins and keys,
limits, busy). REST and MCP calls run in the thread pool side by side; only the chat goes
through Gradio's queue."""

from __future__ import annotations

import contextlib
import logging
import os

from . import guard
from .errors import one_line
from .llm import chat_from
from .retrieve import LiveRetriever
from .settings import Settings, no_telemetry

log = logging.getLogger(__name__)


def create_app(settings: Settings, live: LiveRetriever | None = None):
    """The whole server as an ASGI app (no socket opened), with the access rules of guard.resolve."""
    import gradio as gr
    from fastapi import FastAPI

    from . import rest, web
    from .mcp_server import mcp_server
    from .service import Service

    settings = guard.resolve(settings)
    os.environ["GRADIO_TEMP_DIR"] = str(guard.upload_cache())  # before any Gradio component exists
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
    app.add_middleware(guard.Guard, settings=settings)  # outermost: before any route sees the request
    rest.install_errors(app)
    app.include_router(rest.router(service))
    app.router.routes.extend(mcp_http.routes)  # /mcp, before the chat takes every other path
    blocks = web.build_app(settings, live, service.chat).queue(
        default_concurrency_limit=web.CONCURRENCY, max_size=settings.max_queue
    )
    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth=guard.check_password(settings),
        max_file_size=f"{settings.max_upload_mb}mb",
        server_name=settings.host,
        server_port=settings.port,
        **web.page_options(),
    )


def serve(settings: Settings) -> None:
    no_telemetry()  # before gradio and huggingface_hub are imported: they read it at import
    import uvicorn

    live = LiveRetriever(settings.index, settings)
    try:  # load the model and index now, so the first question does not wait for them
        live.get()
    except Exception as e:  # noqa: BLE001 - a missing or tampered index: start anyway, the page says why
        log.warning("index not loaded: %s", one_line(e))
    # uvicorn's "running on http://..." line says where; the chat is at /, the rest as above.
    uvicorn.run(
        create_app(settings, live), host=settings.host, port=settings.port, log_level="info", access_log=False
    )
