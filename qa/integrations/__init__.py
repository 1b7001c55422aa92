"""Adapters for pipelines already built on LangChain (qa.integrations.langchain) or LlamaIndex
(qa.integrations.llamaindex): a qa.Retriever as each library's retriever. Each module imports
its library, installed by the extra of the same name (pip install 'qa[langchain]')."""

from __future__ import annotations

from ..types import Hit

METADATA = ("source", "start", "end", "line_start", "line_end", "page", "section", "date", "score")


def hit_metadata(hit: Hit) -> dict:
    """Where the passage is: the same fields a qa Quote carries (offsets into the document text)."""
    return {k: getattr(hit, k) for k in METADATA}
