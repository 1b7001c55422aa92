"""The REST API (FastAPI, OpenAPI docs at /docs): /api/ask, /api/search, /api/status,
/api/documents and /api/index, thin HTTP over qa.service. Handlers are plain functions, so
FastAPI runs them in its thread pool side by side (no one-at-a-time queue). Errors are JSON
{"error": message} with the status that says whose fault it is."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import BadQuestion, IndexLocked, IndexMismatch, IndexNotFound, QAError, ReadOnly
from .service import (
    AskResult,
    DocumentList,
    History,
    K,
    Question,
    SearchResult,
    Service,
    Status,
)
from .types import BuildReport

STATUS = {BadQuestion: 400, IndexNotFound: 503, IndexMismatch: 503, IndexLocked: 409, ReadOnly: 403}


class ErrorOut(BaseModel):
    error: str  # what went wrong and what to do


ERROR = {"model": ErrorOut}


class AskIn(BaseModel):
    question: Question
    k: K = None
    history: History = []


class SearchIn(BaseModel):
    question: Question
    k: K = None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def install_errors(app: FastAPI) -> None:
    """QAError -> its status; a malformed request body is a bad question (400); HTTPException
    keeps its status. All of them as {"error": message}."""

    async def qa_error(_: Request, e: QAError):
        return _error(next((s for t, s in STATUS.items() if isinstance(e, t)), 500), str(e))

    async def invalid(_: Request, e: RequestValidationError):
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"] if x != "body")
        return _error(400, f'{where or "body"}: {first["msg"]}; send JSON like {{"question": "..."}}')

    async def http_error(_: Request, e: StarletteHTTPException):
        return _error(e.status_code, str(e.detail))

    app.add_exception_handler(QAError, qa_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["qa"], responses={400: ERROR, 503: ERROR})

    def may_rebuild() -> None:
        """The REST gate for calls that change the index (read-only mode is the service's check:
        ReadOnly is a 403 like this)."""
        if not service.settings.api_index:
            raise HTTPException(403, "rebuilding over the API is off; start the server with QA_API_INDEX=1")

    @api.post("/ask", response_model=AskResult)
    def ask(body: AskIn) -> AskResult:
        """Answer with verbatim quotes (and, when the server has an LLM, its checked reply)."""
        return service.ask(body.question, body.k, body.history)

    @api.post("/search", response_model=SearchResult)
    def search(body: SearchIn) -> SearchResult:
        """The passages that best match the question."""
        return service.search(body.question, body.k)

    @api.get("/status", response_model=Status)
    def status() -> Status:
        """The index in use: version, documents, model, and whether the documents changed since."""
        return service.status()

    @api.get("/documents", response_model=DocumentList)
    def documents() -> DocumentList:
        """The documents in the index in use."""
        return service.documents()

    @api.post(
        "/index", response_model=BuildReport, dependencies=[Depends(may_rebuild)], responses={403: ERROR}
    )
    def index() -> BuildReport:
        """Rebuild the index from the documents folder (refused unless the server allows it)."""
        return service.rebuild()

    return api
