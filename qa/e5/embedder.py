"""Part of stage 3 (embedding): the default model as an Embedder. Documents in fp32; questions
on this machine's query path (choice.py); ONNX Runtime on CPU (runtime.py: no torch, so a
question's cold start stays short), torch on CUDA."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..embedding import Batcher, embed_in_batches
from ..settings import DEFAULT_MODEL
from . import convert
from .choice import QueryPath, cpu
from .choice import query_path as choose
from .runtime import PROMPTS, OnnxModel, TorchModel


class E5Embedder:
    """`model` is the ONNX Runtime model on CPU (questions run concurrently, one call each) or
    the torch one on CUDA (questions that arrive together share a call)."""

    def __init__(self, model, query_path, batch_tokens: int):
        self.model, self.query_path, self.batch_tokens = model, query_path, batch_tokens
        self.name, self.dim = DEFAULT_MODEL, 384

        def embed(texts: list[str]) -> np.ndarray:
            return self.model.embed(texts, "query", self.query_path.name)

        self._queries = Batcher(embed) if model.batch_queries else embed

    def token_counts(self, texts: list[str]) -> list[int]:
        return self.model.token_counts([PROMPTS["document"] + t for t in texts])

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        def encode(batch: list[str]) -> np.ndarray:
            return self.model.embed(batch, "document", "fp32")

        return embed_in_batches(list(texts), self.token_counts, encode, self.batch_tokens, self.dim, progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._queries(list(texts))

    def info(self) -> dict[str, str]:
        """What runs the model here, for `qa status` and the web index panel."""
        return {
            "model": self.name,
            "runtime": self.model.runtime(),
            "query path": self.query_path.name,
            "why": self.query_path.reason,
            "cpu": cpu(),
        }


def load(device: str, cache: Path, query_path: str, threads: int, batch_tokens: int) -> E5Embedder:
    """The default model, converted first if this machine has not yet: ONNX Runtime on CPU (no
    torch: importing it and sentence-transformers took 6 s of a 6.7 s `qa ask`), torch on CUDA."""
    if device == "cpu":
        model = OnnxModel(convert.ensure(cache), threads)
        path = choose(model, query_path, cache, threads)
        model.warm(path.name)
        return E5Embedder(model, path, batch_tokens)
    model = TorchModel(convert.ensure(cache, torch=True), device)
    return E5Embedder(model, QueryPath("fp32", f"torch on {device}"), batch_tokens)
