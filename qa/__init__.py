"""qa: question answering over a folder of documents, with verbatim quoted sources.

import qa
report = qa.build_index("seeds", "index")
retriever = qa.Retriever.load("index")
hits = retriever.search("вопрос", k=5)
answer = qa.Assistant(retriever).ask("вопрос")
"""

from .answer import Assistant
from .build import build_index
from .embedding import Embedder, HashEmbedder, load_embedder
from .errors import (
    BadQuestion,
    DiskFull,
    IndexLocked,
    IndexMismatch,
    IndexNotFound,
    LLMUnavailable,
    ModelLoadError,
    QAError,
    ReadOnly,
    SeedsNotFound,
)
from .retrieve import Retriever
from .settings import Settings, load_settings
from .types import Answer, BuildReport, Chunk, Document, Hit, Quote, Skipped

__all__ = [
    "Answer",
    "Assistant",
    "BadQuestion",
    "BuildReport",
    "Chunk",
    "DiskFull",
    "Document",
    "Embedder",
    "HashEmbedder",
    "Hit",
    "IndexLocked",
    "IndexMismatch",
    "IndexNotFound",
    "LLMUnavailable",
    "ModelLoadError",
    "QAError",
    "Quote",
    "ReadOnly",
    "Retriever",
    "SeedsNotFound",
    "Settings",
    "Skipped",
    "build_index",
    "load_embedder",
    "load_settings",
]
