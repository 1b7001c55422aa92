# Two commands on a fresh machine: `make run` and `make test`. Everything they need is installed here.
VENV    := .venv
BIN     := $(VENV)/bin
PIP     := $(BIN)/pip install -q -c constraints.txt
PYTHON  ?= python3

.PHONY: run test bench bench-large install index chromium compiler lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first and pinned: the CPU build on this machine's disk, never the multi-GB CUDA one.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) torch==2.13.0
	$(PIP) -e .
	touch $@

# The test extras include llama-cpp-python's server (the real LLM server of the LLM-answer tests),
# built from source (~9-15 min on 2 cores) once per machine into $(WHEELS). Its kernels are pinned
# to AVX2 rather than -march=native: the tiny test model's greedy reply changes with the kernels
# (the same commit's LLM tests passed on an AVX-512 machine and failed 4 of 7 on an AVX2-only EPYC,
# each with its native build), and these tests need the same reply on every x86-64 machine. Their
# prompts pass 7 of 7 on this AVX2 build and on an AVX-only one (-DGGML_AVX2=OFF -DGGML_FMA=OFF).
# pip's own wheel cache keys on the version, not on these flags, so it is not used for this build.
LLAMA       := $(shell grep '^llama-cpp-python==' constraints.txt)
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
WHEELS      := $(HOME)/.cache/qa-build/llama-avx2
$(VENV)/.installed-test: $(VENV)/.installed | compiler
	@ls $(WHEELS)/$(subst ==,-,$(subst -,_,$(LLAMA)))-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel -q --no-deps --no-cache-dir -w $(WHEELS) $(LLAMA)
	$(PIP) --find-links $(WHEELS) -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed

# Builds the index when it is missing or stale; a no-op when seeds/ did not change.
index: $(VENV)/.installed
	$(BIN)/qa index

run: index
	$(BIN)/python app.py

# A C++ compiler for that source build (cmake and ninja come from PyPI when the machine lacks them).
compiler:
	@command -v g++ >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q g++; }

# Debian's chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@{ command -v chromium && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; } >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(VENV)/.installed-test chromium lint
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

# Quality, speed on two CPU kinds, sync, scale (10k and 100k chunks), load (Gradio and REST), Ray; writes
# bench/results.md (~12 min before the per-kind speed sections, which took 25 min more on 2 shared cores).
bench: $(VENV)/.installed-bench
	HF_HUB_OFFLINE=1 $(BIN)/python bench/run.py

# The 1M-chunk tier on its own (bench/results-large.md; ~20 min, ~12 GB of memory, ~9 GB of disk).
bench-large: $(VENV)/.installed-bench
	HF_HUB_OFFLINE=1 $(BIN)/python bench/run.py scale-1m

clean:
	rm -rf $(VENV) index/CURRENT index/versions index/tmp index/.lock
