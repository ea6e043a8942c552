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
# `make pdf`: the single-page build it prints, and the PDF (also copied into $(HTML)).
SINGLE := _build/singlehtml
PDF    := _build/pdf/bplib.pdf
CHROMIUM := $(or $(BPLIB_CHROMIUM),/usr/bin/chromium)
PORT   ?= 8000
# `make lab`: JupyterLab's port (it takes the next free one if this is busy) and
# extra arguments, e.g. LAB_ARGS=--no-browser. Jupyter refuses to run as root
# unless told to, as in containers; the server listens on 127.0.0.1 only.
LAB_PORT ?= 8888
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
export PATH := $(BIN):$(PATH)
# Keep matplotlib's cache inside the venv so a fresh machine builds it once, at setup.
export MPLCONFIGDIR := $(abspath $(VENV))/mplconfig
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup book pdf test check mutants lint export execute lab serve clean lock bench

help:
	@echo "make book     set up .venv, execute the notebooks, build the HTML book into $(HTML)"
	@echo "make test     set up .venv and run every check (what CI runs)"
	@echo "make check    the fast loop: lint, types, export check, unit tests (no notebooks, no book)"
	@echo "make mutants  the mutation tier: every math mutant must fail the tests, 90 % a notebook"
	@echo "make pdf      build the book, then the whole book as one PDF, $(PDF) (offline, no LaTeX)"
	@echo "make export   regenerate bplib/ from the notebooks' '#| export' cells"
	@echo "make execute  re-execute every notebook in place, top to bottom"
	@echo "make lab      open the notebooks in JupyterLab (book/, http://127.0.0.1:$(LAB_PORT))"
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

# MathJax: only the files the book loads, 2 MB of the 24 MB es5 distribution.
# Found by loading every built page in headless Chromium and recording what it
# fetched from _static/mathjax: the combined component tex-chtml.js (TeX input,
# CommonHTML output, the menu and the assistive MathML for screen readers), the
# woff fonts it draws with, and the TeX extensions its autoload fetches the
# first time a page uses their macros (today only boldsymbol; all 35, 0.5 MB,
# are shipped, so a new macro cannot break a page offline). Not shipped: the
# other combined components, SVG output, MathML input, and the context menu's
# optional accessibility explorer with its speech rules (a11y/, sre/).
# The browser test fails on any request the book makes for a file not here.
MATHJAX_FILES := tex-chtml.js input/tex/extensions output/chtml/fonts/woff-v2

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Re-copied when the Makefile changes (the file list above lives here); the
# built books' copies go too (Sphinx adds static files, never removes them).
$(MATHJAX)/tex-chtml.js: node_modules/.package-lock.json Makefile
	rm -rf $(MATHJAX) _static $(HTML)/_static/mathjax $(SINGLE)/_static/mathjax
	mkdir -p $(MATHJAX)
	for f in $(MATHJAX_FILES); do \
	  mkdir -p "$(MATHJAX)/$$(dirname $$f)" && cp -R "node_modules/mathjax/es5/$$f" "$(MATHJAX)/$$f"; \
	done
	cp node_modules/mathjax/LICENSE $(MATHJAX)/LICENSE
	touch $@

book: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is built. Open $(abspath $(HTML))/index.html (or run 'make serve')."

# The whole book as one PDF, offline and without LaTeX (tools/pdf.py says how):
# the single-page HTML build, printed by the browser test's Chromium once
# MathJax has typeset every formula. Copied into $(HTML), where the
# introduction links to it.
pdf: book
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(PY) tools/pdf.py --html $(SINGLE) --out $(PDF) --copy-to $(HTML)

lint: setup
	$(BIN)/ruff check bplib tools tests benchmarks book
	$(BIN)/ruff format --check bplib tools tests benchmarks book
	$(BIN)/mypy

# For the edit loop: everything but the notebooks, the book and the browser.
check: lint
	$(PY) tools/export.py --check
	$(PY) -m pytest -m "not browser and not pdf and not slow" -p no:cacheprovider -q

export: setup
	$(PY) tools/export.py

execute: setup
	$(PY) tools/execute.py $(NB)

test: setup lint
	$(PY) tools/export.py --check
	$(PY) -m pytest -m "not browser and not pdf" -p no:cacheprovider
	@# Outputs are stored from runs with the default BLAS threads; nbval re-runs
	@# them single-threaded, so passing also shows they don't depend on threads.
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(PY) -m pytest --nbval book -p no:cacheprovider --nbval-sanitize-with tests/nbval_sanitize.cfg
	$(MAKE) --no-print-directory book
	@# The PDF is printed by the browser test's Chromium: where there is none, the
	@# PDF is neither built nor tested (and the browser test skips, saying why).
	$(if $(wildcard $(CHROMIUM)),$(MAKE) --no-print-directory pdf,@echo "no Chromium at $(CHROMIUM): no PDF built")
	$(if $(wildcard $(CHROMIUM)),BPLIB_REQUIRE_PDF=1 $(PY) -m pytest -m pdf -p no:cacheprovider)
	$(PY) -m pytest -m browser -p no:cacheprovider

# CI runs it after `make test` (about 10 minutes on 2 cores): each mutant is
# applied to a scratch copy, never to this checkout.
mutants: setup
	$(PY) tools/mutants.py

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=book --ip=127.0.0.1 --port=$(LAB_PORT) $(LAB_ARGS)

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
