"""The published copy opens in a DuckDB 1.x client (BI drivers lag behind DuckDB 2.0's storage format)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DUCKDB_1X = "duckdb==1.2.2"


@pytest.fixture(scope="session")
def duckdb_1x(tmp_path_factory) -> Path:
    """DuckDB 1.2.2 installed with uv into a folder of its own (the project's environment keeps 2.0)."""
    target = tmp_path_factory.mktemp("duckdb1x")
    uv = [shutil.which("uv")] if shutil.which("uv") else [sys.executable, "-m", "uv"]
    subprocess.run(
        [*uv, "pip", "install", "--quiet", "--target", str(target), DUCKDB_1X, "--python", sys.executable], check=True
    )
    return target


def test_a_duckdb_1x_client_reads_every_published_mart(published, duckdb_1x):
    script = f"""
import duckdb
assert duckdb.__version__.startswith("1."), duckdb.__version__
con = duckdb.connect({str(published)!r}, read_only=True)
tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()]
rows = sum(con.execute(f"select count(*) from marts.{{t}}").fetchone()[0] for t in tables)
print(duckdb.__version__, len(tables), rows)
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(duckdb_1x)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    version, tables, rows = done.stdout.split()
    assert version == "1.2.2" and int(tables) >= 10 and int(rows) > 0
