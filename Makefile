# The front door: `make run` and `make test` work from a fresh clone.
# torch is pinned and installed first: an unpinned torch (directly or through detoxify) would
# pull a multi-GB CUDA build; 2.13.0 resolves to the CPU wheel on these machines.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0

.PHONY: install run test test-fast lint bench bench-deps browser-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/moderator run

# Browser tests drive Debian's Chromium (Playwright's own download does not work offline).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser-deps bench-deps
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not browser and not slow"

lint: install
	$(VENV)/bin/ruff check moderator tests bench
	$(VENV)/bin/ruff format --check moderator tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The benchmark suite (docs/benchmarks.md); BENCH="scoring ingest" runs a subset. wrk is the
# ingest benchmark's load generator, from Debian. Full-size checkpoints are built once into
# bench/.cache/ with their ONNX exports (about 3.5 GB, gitignored).
bench: install bench-deps
	$(PY) -m bench $(BENCH)

bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the ingest benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
