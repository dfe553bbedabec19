# Two commands work on a fresh machine: `make demo` and `make test`. Both create .venv when missing
# and are safe to run twice (the install step is skipped while setup.cfg is unchanged).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
TORCH_VERSION ?= 2.13.0

.PHONY: demo test lint notebooks bench clean setup

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e '.[test,crawl]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

# The CPU build of PyTorch, for the GPU-backend identity test on CPU (skipped when absent).
$(VENV)/.torch: $(STAMP)
	-$(BIN)/pip install -q torch==$(TORCH_VERSION) && touch $(VENV)/.torch

demo: $(STAMP)
	$(BIN)/kazcorpus run
	$(BIN)/kazcorpus verify out/demo
	@echo "output: $$(pwd)/out/demo  (data/, rejected/, manifest.json, README.md)"

test: $(STAMP) $(VENV)/.torch
	$(BIN)/ruff check pipeline filters sources tests benchmarks
	$(BIN)/python -m pytest

notebooks: $(STAMP)
	$(BIN)/pip install -q -e '.[notebooks]'
	KAZCORPUS_OUTPUT=$${KAZCORPUS_OUTPUT:-$$(pwd)/out/demo} $(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/lid_eval.py
	$(BIN)/python benchmarks/pii_bench.py
	$(BIN)/python benchmarks/dedup_quality.py
	$(BIN)/python benchmarks/dedup_speed.py
	$(BIN)/python benchmarks/e2e.py

clean:
	rm -rf out build *.egg-info .pytest_cache
