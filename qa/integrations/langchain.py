"""qa as a LangChain retriever: `QARetriever(retriever=qa.Retriever.load("index"), k=4)` is a
langchain-core BaseRetriever; `.invoke(question)` returns Documents whose page_content is the
passage and whose metadata says where it is (source, start, end, lines, page, section, score)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from . import hit_metadata


class QARetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # a qa.Retriever (or LiveRetriever's .get()): dense + BM25 over the index
    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(page_content=h.text, metadata=hit_metadata(h), id=h.chunk_id)
            for h in self.retriever.search(query, self.k)
        ]
