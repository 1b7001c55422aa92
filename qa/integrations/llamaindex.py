"""qa as a LlamaIndex retriever: `QARetriever(retriever=qa.Retriever.load("index"), k=4)` is a
llama-index-core BaseRetriever returning NodeWithScore: TextNodes holding the passage, with
metadata saying where it is (source, start, end, lines, page, section), scored by qa's fusion."""

from __future__ import annotations

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from . import hit_metadata


class QARetriever(BaseRetriever):
    def __init__(self, retriever, k: int = 4, **kwargs):
        self.retriever, self.k = retriever, k  # a qa.Retriever; k passages per query
        super().__init__(**kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [
            NodeWithScore(node=TextNode(id_=h.chunk_id, text=h.text, metadata=hit_metadata(h)), score=h.score)
            for h in self.retriever.search(query_bundle.query_str, self.k)
        ]
