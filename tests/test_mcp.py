"""The MCP tools through the official `mcp` client, as an agent uses them: list the tools, call
`ask`, read the quotes. Over streamable HTTP (the server `qa serve` assembles, at /mcp) and over
stdio (`qa mcp` as a subprocess, launched from the README's agent configuration)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from mcp import Client
from mcp.client.stdio import StdioServerParameters

import qa
from tests.conftest import SEED, readme_block

Q = "Сколько предприятий модернизировано?"


async def agent(server) -> dict:
    """What an agent does: discover the tools, ask, search, list; returns what it saw."""
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        ask = await client.call_tool("ask", {"question": Q})
        search = await client.call_tool("search", {"question": "модернизация предприятий", "k": 2})
        docs = await client.call_tool("list_documents", {})
        empty = await client.call_tool("ask", {"question": "?!"})
    return {"tools": tools, "ask": ask, "search": search, "docs": docs, "empty": empty}


def check(seen: dict, index: Path) -> None:
    tools = seen["tools"]
    assert set(tools) == {"ask", "search", "list_documents"}
    assert tools["ask"].input_schema["required"] == ["question"]
    assert "quotes" in tools["ask"].output_schema["properties"]
    assert tools["search"].annotations.read_only_hint is True
    ask = seen["ask"]
    assert not ask.is_error and ask.structured_content["found"] is True
    quote = ask.structured_content["quotes"][0]
    assert "10 предприятий" in quote["text"] and quote["source"] == SEED.name
    assert SEED.read_text(encoding="utf-8")[quote["start"] : quote["end"]] == quote["text"]
    assert json.loads(ask.content[0].text) == ask.structured_content  # the text form is the same JSON
    hits = seen["search"].structured_content["hits"]
    assert len(hits) == 2 and hits[0]["source"] == SEED.name
    docs = seen["docs"].structured_content["documents"]
    assert SEED.name in [d["source"] for d in docs]
    version = qa.Retriever.load(index, embedder=qa.HashEmbedder(64)).version
    assert ask.structured_content["version"] == seen["docs"].structured_content["version"] == version
    empty = seen["empty"]
    assert empty.is_error and "the question is empty" in empty.content[0].text


def test_mcp_over_streamable_http(api):
    check(asyncio.run(agent(f"{api.url}/mcp")), api.index)


def test_mcp_over_stdio_from_the_readme_config(api):
    """The agent configuration in the README, run as written (with this index and this venv's qa)."""
    config = json.loads(readme_block('"mcpServers"', "json"))["mcpServers"]["qa"]
    qa_bin = str(Path(sys.executable).parent / "qa")
    args = [str(api.index) if a == "/path/to/index" else a for a in config["args"]]
    assert config["command"] == "qa" and str(api.index) in args
    check(asyncio.run(agent(StdioServerParameters(command=qa_bin, args=args))), api.index)


def test_readme_mcp_client_example(api, capsys):
    code = readme_block("from mcp import Client").replace("http://127.0.0.1:7860", api.url)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "['ask', 'search', 'list_documents']" in out and "10 предприятий" in out
