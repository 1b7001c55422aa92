"""Builds on a Ray cluster (`qa index --ray [ADDRESS]`, QA_RAY_ADDRESS). Only the documents that
are new or changed go to the cluster, through Ray Data stages: read and extract (a file's bytes
travel with its task, so workers need no shared folder), chunk and split into sentences, and
embed in a pool of actors that each load the model once (one GPU per actor when the cluster has
GPUs). Sentences with a vector in the previous version or the resume cache are not embedded.
Results come back in order and are written here by the same Assembly as a local build: one
ordinary version, same format, lock and switch. Ray retries failed tasks and restarts dead
actors; the vectors are saved to the resume cache as they arrive."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..embedding import Embedder, load_embedder
from ..errors import QAError
from ..settings import Settings
from ..store.tables import CHUNK_ROW, KEY, document_meta, encode, make_document
from ..store.writer import Prepared
from ..types import Skipped
from .scan import Entry
from .stages import extract, prepare, to_embed

log = logging.getLogger(__name__)

DOCS_PER_CALL = 16  # documents per call of an embedding actor (it batches their sentences by tokens)
_ARRAYS = {"rows": CHUNK_ROW, "counts": np.int64, "spans": np.int64, "keys": KEY, "todo": np.int64}


def connect(address: str) -> None:
    """Join the cluster at `address` ("auto": the running one) or, for "local", start Ray here."""
    try:
        import ray
    except ImportError:
        raise QAError("building on Ray needs the ray extra: pip install 'qa[ray]'") from None
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its progress lines would flood the console
    if ray.is_initialized():
        return
    extra = {"include_dashboard": False} if address == "local" else {}
    try:
        ray.init(address=address, logging_level=logging.WARNING, **extra)
    except (ConnectionError, ValueError, RuntimeError) as e:
        raise QAError(
            f"cannot reach the Ray cluster at {address!r} ({e}); start one with `ray start --head`"
        ) from e


def _read(row: dict, settings: Settings) -> dict:
    """Stage 1: a file's bytes -> its document (metadata and text) or why it is skipped, under
    the parsers' limits of the build's settings."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / row["name"]  # the real name: its suffix says how to extract it
        path.write_bytes(row["data"])
        got = extract(row["source"], path, settings)
    if isinstance(got, Skipped):
        return {"source": got.source, "skip": got.reason, "meta": "{}", "text": ""}
    meta = json.dumps(document_meta(got), ensure_ascii=False)
    return {"source": got.source, "skip": "", "meta": meta, "text": got.text}


def _chunk(row: dict, size: int, overlap: int, known) -> dict:
    """Stage 2: chunks, sentences and their keys; `todo`: the sentences the model must see."""
    import ray

    out = {**row, **{k: b"" for k in _ARRAYS}}
    if not row["skip"]:
        doc = prepare(make_document(json.loads(row["meta"]), row["text"]), size, overlap)
        todo = to_embed(doc.keys, ray.get(known))
        out.update(rows=doc.rows, counts=doc.counts, spans=doc.spans, keys=doc.keys, todo=todo)
        out.update({k: np.ascontiguousarray(out[k]).tobytes() for k in _ARRAYS})
    return out


def _array(row, name: str) -> np.ndarray:
    return np.frombuffer(row[name], _ARRAYS[name])


class _Embed:
    """Stage 3, an actor: loads the model once and embeds the `todo` sentences of each batch of
    documents in one call."""

    def __init__(self, name: str, device: str | None, batch_tokens: int, embedder: Embedder | None):
        self.embedder = embedder or load_embedder(name, device, batch_tokens)

    def __call__(self, batch: dict) -> dict:
        texts, counts = [], []
        for text, spans, todo in zip(batch["text"], batch["spans"], batch["todo"], strict=True):
            at = np.frombuffer(todo, np.int64)
            pairs = np.frombuffer(spans, np.int64).reshape(-1, 2)[at].tolist()
            texts += [text[a:b] for a, b in pairs]
            counts.append(len(at))
        dim = self.embedder.dim
        vectors = self.embedder.embed_documents(texts) if texts else np.zeros((0, dim), np.float32)
        parts = np.split(np.asarray(vectors, np.float16), np.cumsum(counts)[:-1])
        return {**batch, "vectors": [p.tobytes() for p in parts], "dim": [dim] * len(counts)}


def _result(row) -> tuple:
    if row["skip"]:
        return row["source"], Skipped(row["source"], row["skip"]), None, None, None
    meta, text = json.loads(row["meta"]), row["text"]
    doc = Prepared(
        meta,
        encode(text),
        _array(row, "rows").copy(),
        _array(row, "counts"),
        _array(row, "spans").reshape(-1, 2),
        _array(row, "keys"),
    )
    dim = int(row["dim"])
    vectors = np.frombuffer(row["vectors"], np.float16).reshape(-1, dim)
    return row["source"], make_document(meta, text), doc, (_array(row, "todo"), vectors), dim


def process(
    entries: list[Entry],
    settings: Settings,
    name: str,
    embedder: Embedder | None,
    known: np.ndarray,
    progress: bool = False,
) -> Iterator[tuple]:
    """A build.Result per entry, in order."""
    if not entries:
        return
    import ray
    import ray.data

    connect(settings.ray_address)
    ctx = ray.data.DataContext.get_current()
    order, ctx.execution_options.preserve_order = ctx.execution_options.preserve_order, True
    bars, ctx.enable_progress_bars = ctx.enable_progress_bars, progress
    try:
        items = [{"source": e.source, "name": e.path.name, "data": e.path.read_bytes()} for e in entries]
        gpus = int(ray.cluster_resources().get("GPU", 0))
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        # On GPUs one actor per GPU; on CPUs the pool grows to one per core, each with one thread.
        pool = (
            {"compute": ray.data.ActorPoolStrategy(size=gpus), "num_gpus": 1}
            if gpus
            else {"compute": ray.data.ActorPoolStrategy(min_size=1, max_size=cpus), "num_cpus": 1}
        )
        ds = (
            ray.data.from_items(items, override_num_blocks=min(len(items), 4 * cpus))
            .map(_read, fn_kwargs={"settings": settings})
            .map(
                _chunk,
                fn_kwargs={
                    "size": settings.chunk_size,
                    "overlap": settings.chunk_overlap,
                    "known": ray.put(known),
                },
            )
            .map_batches(
                _Embed,
                fn_constructor_kwargs={
                    "name": name,
                    "device": settings.device,
                    "batch_tokens": settings.batch_tokens,
                    "embedder": embedder,
                },
                batch_size=DOCS_PER_CALL,
                batch_format="numpy",
                **pool,
            )
        )
        del items
        for row in ds.iter_rows():
            yield _result(row)
    finally:
        ctx.execution_options.preserve_order, ctx.enable_progress_bars = order, bars
