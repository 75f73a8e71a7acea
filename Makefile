# Two commands a new user needs: `make serve` (or `make demo`) and `make test`. Both set up what they need first.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)

.PHONY: serve demo test setup lint bench clean fonts browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs the LRS, its test tools and every plugin under plugins/ (each its own package).
$(VENV)/.installed: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/pip install --quiet -e '.[test]' $(foreach p,$(dir $(PLUGINS)),-e ./$(p))
	touch $@

setup: $(VENV)/.installed
	-@$(MAKE) --no-print-directory fonts

# Fonts for the CPD log's PDF, so names in every script print (Latin incl. Welsh and Polish, Urdu/Arabic,
# Bengali, Chinese) and emoji in colour: installed from Debian when missing; setup only warns if that fails, CI
# (.ci/run) fails. The render module (plugins/lrs-cpd-log/src/lrs_cpd_log/render.py) names the same files.
FONT_PACKAGES := fonts-noto-core fonts-droid-fallback fonts-noto-color-emoji
FONT_FILES := /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

fonts:
	@for f in $(FONT_FILES); do [ -e $$f ] || missing=1; done; [ -z "$$missing" ] || { \
	  echo "Installing $(FONT_PACKAGES) for the CPD log's PDF"; \
	  $(SUDO) apt-get install -y --no-install-recommends $(FONT_PACKAGES) || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $(FONT_PACKAGES); }; }

# The browser tests of the pages (tests/web) drive Debian's Chromium through Playwright: installed when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get install -y --no-install-recommends chromium || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium; }; }

serve: setup
	$(BIN)/lrs serve

# A realistic programme in a separate database (var/demo.sqlite3, made afresh each time), served with its accounts.
demo: setup
	$(BIN)/lrs demo

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
