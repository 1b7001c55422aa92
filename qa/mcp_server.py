"""MCP tools for agents (the official `mcp` SDK): `search`, `ask` and `list_documents`, typed
in and out (the output schemas are qa.service's models). `qa serve` serves them over streamable
HTTP at /mcp beside the chat; `qa mcp` over stdio for desktop and IDE agents. `ask` returns the
quotes without an LLM's reply: the agent is the LLM, and it reads the sources itself."""

from __future__ import annotations

import functools

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from .errors import QAError
from .retrieve import LiveRetriever
from .service import AskResult, DocumentList, History, K, Question, SearchResult, Service
from .settings import Settings

INSTRUCTIONS = (
    "Answers questions from the user's documents (Russian or English) with verbatim quotes and their "
    "file, lines, page or section. Use `ask` for a question, `search` to browse passages, "
    "`list_documents` to see what is indexed. A quote is exact document text: cite it as it stands. "
    "found=false means the documents do not say; do not answer from `closest`."
)
READ_ONLY = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)


def _tool_errors(fn):
    """A QAError reaches the agent as the tool's error message (one line, what to do)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except QAError as e:
            raise ToolError(str(e)) from None

    return wrapper


def mcp_server(service: Service) -> MCPServer:
    # log_level: MCPServer configures the root logger when nothing has; INFO would be every request.
    server = MCPServer("qa", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    @_tool_errors
    def ask(question: Question, history: History | None = None) -> AskResult:
        """Answer a question from the documents with verbatim quotes and their sources, or say
        that the documents do not answer it (found=false)."""
        return service.ask(question, history=history, llm=False)

    @server.tool(annotations=READ_ONLY)
    @_tool_errors
    def search(question: Question, k: K = None) -> SearchResult:
        """The passages of the documents that best match a question or keywords, best first."""
        return service.search(question, k)

    @server.tool(annotations=READ_ONLY)
    @_tool_errors
    def list_documents() -> DocumentList:
        """The documents in the index: file, length, date."""
        return service.documents()

    return server


def run_stdio(settings: Settings) -> None:
    """`qa mcp`: the tools over stdin/stdout for one agent."""
    mcp_server(Service(settings, LiveRetriever(settings.index, settings))).run("stdio")
