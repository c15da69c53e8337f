# The two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export UV_LINK_MODE := copy

.PHONY: setup demo test lint bench browser-deps clean

# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as on our CI machines) nothing would ever cache
# .pyc files, and every process (`nps run`, each dbt subprocess) would recompile the libraries it imports:
# 7 s of a 34 s tiny `nps run` (docs/performance.md).
UV_SYNC := sync --frozen --quiet --compile-bytecode --extra spark

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@if command -v uv >/dev/null 2>&1; then uv $(UV_SYNC); else python3 -m uv $(UV_SYNC); fi

demo: setup
	.venv/bin/nps demo

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

browser-deps:
	@bash scripts/ensure_chromium.sh

test: setup lint browser-deps
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/run.py --scale medium
	.venv/bin/python bench/run.py --scale large

clean:
	rm -rf data/ .pytest_cache .ruff_cache dbt_project/target dbt_project/logs dbt_project/dbt_packages
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
