# Two entry points for a fresh machine: `make demo` (set up + main job) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
QUESTION ?= What did Khwaja Asif write on X?
export HF_HUB_OFFLINE := 1
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

.PHONY: setup demo test eval lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Headless Chromium opens the HTML eval report in the tests (Debian package; root or sudo installs it).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$$(command -v sudo) apt-get install -y -q chromium || ($$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q chromium)

setup: $(BIN)/.installed $(CHROMIUM)

demo: setup
	$(BIN)/rag ingest corpus/seeds
	$(BIN)/rag search "$(QUESTION)" --k 3
	$(BIN)/rag ask "$(QUESTION)"

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check rag api evals tests
