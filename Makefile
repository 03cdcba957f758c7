# Two entry points for a fresh machine: `make demo` (set up + main job) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
QUESTION ?= What did Khwaja Asif write on X?
export HF_HUB_OFFLINE := 1
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
# llama.cpp is built for a fixed instruction set (AVX2/FMA/F16C), not -march=native: a native build on a Xeon with
# AMX faults in `ldtilecfg` where the VM does not grant AMX state (seen here: every generation segfaulted), and one
# code path on every x86-64 CPU keeps greedy answers closer across machines (README "The gate and its noise band").
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF

.PHONY: setup demo serve test test-fast eval quality lint postgresql

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# Built from source with the flags above, never from a wheel cached by an earlier (native) build.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --no-cache-dir --no-binary llama-cpp-python \
	  'llama-cpp-python[server]>=0.3'
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Headless Chromium opens the HTML eval report in the tests (Debian package; root or sudo installs it).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$$(command -v sudo) apt-get install -y -q chromium || ($$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q chromium)

# PostgreSQL for the database tests, which start a throwaway server of their own (Debian package; root or sudo).
postgresql:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  $$(command -v sudo) apt-get install -y -q postgresql || ($$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q postgresql)

setup: $(BIN)/.installed $(CHROMIUM) postgresql

demo: setup
	$(BIN)/rag ingest corpus/seeds
	$(BIN)/rag search "$(QUESTION)" --k 3
	$(BIN)/rag ask "$(QUESTION)"
	$(BIN)/rag check "Pakistan's Foreign Office said the country does not respect Afghanistan's sovereignty."
	$(BIN)/rag brief --out reports/briefing.md
	@echo "briefing written to reports/briefing.md; start the web chat with: make serve"

# The service: API, OpenAI-compatible facade and the chat page at http://127.0.0.1:8000/ (ingests the seeds first).
HOST ?= 127.0.0.1
PORT ?= 8000
serve: setup
	$(BIN)/rag ingest corpus/seeds
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q

# The working loop's tier: no model, no browser, no kill trials (under 3 minutes); `make test` stays the full suite.
test-fast: setup
	$(BIN)/python -m pytest -q -m "not model and not slow"

lint: setup
	$(BIN)/ruff check rag api evals tests

# The gates CI runs inside `make test`, with reports: the seed eval, retrieval on RGB noise, news2 questions and briefing.
NEWS2 ?= ../shared/benchmarks/news2/news2_dev.jsonl
eval: setup
	$(BIN)/rag eval --split test --gate evals/baseline.json --report reports/seed.html --out reports/seed.json
	$(BIN)/rag eval --format rgb --setting noise --stage retrieval --gate evals/retrieval_baseline.json
	$(BIN)/rag ingest $(NEWS2) --data-dir .rag/news2 --json > reports/news2-ingest.json
	$(BIN)/rag eval --dataset evals/datasets/news2_golden.jsonl --corpus $(NEWS2) --data-dir .rag/news2 --split test \
	  --boilerplate evals/datasets/news2_boilerplate.json --gate evals/news2_baseline.json --report reports/news2.html
	$(BIN)/rag eval --format briefing --dataset evals/datasets/news2_briefing_golden.json --data-dir .rag/news2 \
	  --split test --gate evals/news2_briefing_baseline.json --out reports/news2-briefing.json

# Every figure in the README's Quality table: both local models, the LlamaIndex peer, RGB noise and conflict.
quality: setup
	$(BIN)/pip install --quiet -e '.[dev,qwen15]'
	$(BIN)/rag eval --pipeline ours --pipeline llamaindex-baseline --out reports/seed-0.5b.json
	$(BIN)/rag eval --model qwen2.5-coder-1.5b --out reports/seed-1.5b.json
	$(BIN)/rag eval --format rgb --setting noise --out reports/rgb-noise.json
	$(BIN)/rag eval --format rgb --setting conflict --out reports/rgb-conflict.json
	$(BIN)/rag eval --from reports/seed-0.5b.json --from reports/seed-1.5b.json --from reports/rgb-noise.json \
	  --from reports/rgb-conflict.json --report reports/quality.md

