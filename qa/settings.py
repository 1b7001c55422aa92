"""The one settings object. Precedence: the defaults below, then QA_* environment variables,
then explicit overrides (CLI flags, keyword arguments). This is the only module that reads
os.environ."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import QAError

DEFAULT_MODEL = "multilingual-e5-small-q4"
QUERY_PATHS = ("auto", "fp32", "int8")


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"


@dataclass(frozen=True)
class Settings:
    seeds: Path = Path("seeds")  # folder of documents to index (searched recursively)
    index: Path = Path("index")  # folder where built index versions live
    model: str = (
        DEFAULT_MODEL  # embedding model: the bundled default, a sentence-transformers name, or a path
    )
    chunk_size: int = 1000  # max characters per chunk; 1000 kept XQuAD paragraphs whole (see bench/)
    chunk_overlap: int = 0  # characters shared by neighbouring chunks of one paragraph
    k: int = 5  # hits returned by search
    # Passages read, fitting part, right first quotes XQuAD ru / en / en-on-ru / ru-on-en / natural
    # ru / en: 2 .863/.885/.826/.823/.804/.818; 3 .863/.894/.832/.829/.804/.828; 5 .863/.894/.832/
    # .835/.800/.833, with answer precision near-absent en .745 -> .727 (2026-12-01)
    passages: int = 3  # passages the assistant reads for quotes
    batch_tokens: int = 0  # tokens per model call while indexing; 0: 2,048 on CPU, 32,768 on CUDA
    device: str | None = None  # torch device for sentence-transformers models; None picks cuda when present
    host: str = "127.0.0.1"  # web chat address; loopback unless told otherwise
    port: int = 7860  # web chat port
    auth: str | None = None  # "user:password", or a file of such lines: people log in (Gradio's login page)
    api_key: str | None = None  # programs send "Authorization: Bearer KEY"; alone, it guards every route
    read_only: bool | None = None  # no uploads, rebuilds, deletions; None: on without --auth off loopback
    allowed_hosts: str = ""  # Host names served besides loopback and host, comma-separated (DNS rebinding)
    max_request_kb: int = 1024  # larger request bodies (uploads aside) get 413 before they are read
    max_queue: int = 64  # requests waiting for a worker beyond this get 503 "busy, try again"
    max_upload_mb: int = 20  # largest document accepted by the web chat upload
    max_file_mb: int = 50  # larger files in seeds/ are skipped with a reason (a 50 MB text is ~60k chunks)
    pdf_max_pages: int = 2000  # PDFs with more pages are skipped (pypdf reads ~55 full pages/s here)
    docx_max_paragraphs: int = 50_000  # DOCX files with more are skipped (~20k paragraphs/s read here)
    extract_timeout: float = 60.0  # seconds one PDF, DOCX or HTML file may take to read before it is skipped
    lock_timeout: float = 600.0  # seconds a build waits for another build's lock
    build_nice: int = 10  # CPU priority (nice) of builds the server starts; questions keep 0
    api_index: int = 0  # 1: POST /api/index may rebuild the index (off: the REST API only reads)
    llm_url: str = ""  # OpenAI-compatible server for LLM answers (e.g. http://127.0.0.1:11434/v1); empty: off
    llm_model: str = ""  # model name the LLM server knows (Ollama and vLLM need one)
    llm_api_key: str = ""  # bearer token for the LLM server, when it wants one
    llm_timeout: float = 60.0  # seconds an LLM reply may take in all; past it the quotes alone are shown
    llm_max_tokens: int = 400  # longest LLM reply, in tokens ("briefly" is asked; this is enforced)
    ray_address: str = ""  # build on Ray: "local" starts it here, "auto" joins a running cluster, or host:port; "" builds in this process
    cache: Path = dataclasses.field(default_factory=_cache_dir)  # converted model, per-machine choices
    query_path: str = "auto"  # questions' model: fp32, int8, or auto (faster here, measured once)
    threads: int = 0  # ONNX Runtime threads per model call; 0: 1 for int8 questions, one per core for fp32 (measured: bench/results.md)


def _coerce(name: str, raw: str, kind: type):
    try:
        if kind is bool:
            if raw.lower() not in _BOOLS:
                raise ValueError(raw)
            return _BOOLS[raw.lower()]
        if kind is Path:
            return Path(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        return raw
    except ValueError:
        raise QAError(f"QA_{name.upper()}={raw!r} is not a valid {kind.__name__}; fix or unset it") from None


_KINDS = {
    "seeds": Path,
    "index": Path,
    "model": str,
    "device": str,
    "host": str,
    "auth": str,
    "api_key": str,
    "read_only": bool,
    "ray_address": str,
    "cache": Path,
}
_BOOLS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def load_settings(**overrides) -> Settings:
    """Defaults, then QA_* environment variables, then the non-None keyword overrides."""
    values = {}
    for f in fields(Settings):
        raw = os.environ.get(f"QA_{f.name.upper()}")
        if raw:
            kind = _KINDS.get(f.name) or type(f.default)
            values[f.name] = _coerce(f.name, raw, kind)
    unknown = set(overrides) - {f.name for f in fields(Settings)}
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    for key, value in overrides.items():
        if value is not None:
            values[key] = Path(value) if _KINDS.get(key) is Path else value
    settings = dataclasses.replace(Settings(), **values)
    if settings.query_path not in QUERY_PATHS:
        raise QAError(f"query_path={settings.query_path!r}: use one of {', '.join(QUERY_PATHS)}")
    if settings.chunk_size < 50 or not 0 <= settings.chunk_overlap < settings.chunk_size:
        raise QAError(
            f"chunk_size={settings.chunk_size}, chunk_overlap={settings.chunk_overlap}: "
            "need chunk_size >= 50 and 0 <= overlap < chunk_size"
        )
    return settings


def gradio_env() -> tuple[str | None, int | None]:
    """GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, the variables Gradio users already know."""
    port = os.environ.get("GRADIO_SERVER_PORT")
    return os.environ.get("GRADIO_SERVER_NAME"), int(port) if port and port.isdigit() else None


# Telemetry switched off unless the user set these: qa makes no network calls of its own, and
# Gradio's analytics (api.gradio.app) and huggingface_hub's telemetry (huggingface.co) would.
_NO_TELEMETRY = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
}


def no_telemetry() -> None:
    """Set the variables above (where unset) for this process and the processes it starts."""
    for name, value in _NO_TELEMETRY.items():
        os.environ.setdefault(name, value)
