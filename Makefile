# Two commands a new user needs: `make serve` and `make test`. Both set up what they need first.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)

.PHONY: serve test setup lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs the LRS, its test tools and every plugin under plugins/ (each its own package).
$(VENV)/.installed: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/pip install --quiet -e '.[test]' $(foreach p,$(dir $(PLUGINS)),-e ./$(p))
	touch $@

setup: $(VENV)/.installed

serve: setup
	$(BIN)/lrs serve

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
