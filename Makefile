# The two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export UV_LINK_MODE := copy

.PHONY: setup demo test lint bench browser-deps clean

setup:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@$$(command -v uv || echo "$(HOME)/.local/bin/uv") sync --frozen --quiet

demo: setup
	.venv/bin/nps demo

lint: setup
	.venv/bin/ruff check .

browser-deps:
	@bash scripts/ensure_chromium.sh

test: setup lint browser-deps
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/run.py --scale large

clean:
	rm -rf data/ .pytest_cache .ruff_cache dbt_project/target dbt_project/logs dbt_project/dbt_packages
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
