# bplib: the two commands are `make book` and `make test`; both set up .venv first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
# Not under a top-level _static/: Jupyter Book 1.x adds every .js found there to
# every page (MathJax's latest.js among them, which fetches from a CDN).
MATHJAX := _vendor/mathjax
HTML   := _build/html
PORT   ?= 8000
export PATH := $(BIN):$(PATH)
# Keep matplotlib's cache inside the venv so a fresh machine builds it once, at setup.
export MPLCONFIGDIR := $(abspath $(VENV))/mplconfig
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup book test lint export execute serve clean lock bench

help:
	@echo "make book     set up .venv, execute the notebooks, build the HTML book into $(HTML)"
	@echo "make test     set up .venv and run every check (what CI runs)"
	@echo "make export   regenerate bplib/ from the notebooks' '#| export' cells"
	@echo "make execute  re-execute every notebook in place, top to bottom"
	@echo "make serve    serve $(HTML) on http://localhost:$(PORT)"
	@echo "make bench    run the benchmarks in benchmarks/"
	@echo "make clean    remove build outputs (keeps .venv; 'make clean-all' removes it too)"

setup: $(STAMP) $(MATHJAX)/tex-chtml.js

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@# Build matplotlib's font cache now, so no notebook prints the first-run notice.
	$(PY) -c "import matplotlib.pyplot"
	touch $@

$(MATHJAX)/tex-chtml.js: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf $(MATHJAX) _static && mkdir -p _vendor && cp -r node_modules/mathjax/es5 $(MATHJAX)
	touch $@

book: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is built. Open $(abspath $(HTML))/index.html (or run 'make serve')."

lint: setup
	$(BIN)/ruff check bplib tools tests benchmarks book
	$(BIN)/ruff format --check bplib tools tests benchmarks book

export: setup
	$(PY) tools/export.py

execute: setup
	$(PY) tools/execute.py $(NB)

test: setup lint
	$(PY) tools/export.py --check
	$(PY) -m pytest -m "not browser" -p no:cacheprovider
	@# Outputs are stored from runs with the default BLAS threads; nbval re-runs
	@# them single-threaded, so passing also shows they don't depend on threads.
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(PY) -m pytest --nbval book -p no:cacheprovider --nbval-sanitize-with tests/nbval_sanitize.cfg
	$(MAKE) --no-print-directory book
	$(PY) -m pytest -m browser -p no:cacheprovider

serve: book
	cd $(HTML) && $(PY) -m http.server $(PORT) --bind 127.0.0.1

bench: setup
	for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f; done

lock:
	rm -rf /tmp/bplib-lock && $(PYTHON) -m venv /tmp/bplib-lock
	/tmp/bplib-lock/bin/pip install --quiet -e ".[dev]"
	( sed -n 1,2p requirements/constraints.txt; /tmp/bplib-lock/bin/pip freeze --exclude-editable ) > requirements/constraints.new
	mv requirements/constraints.new requirements/constraints.txt

clean:
	rm -rf _build _vendor _static .pytest_cache .hypothesis tests/artifacts
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

clean-all: clean
	rm -rf $(VENV) node_modules
