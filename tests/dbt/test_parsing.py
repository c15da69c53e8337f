"""dbt keeps its partial parsing across runs of `nps run`, each of which sets a new NPS_AS_OF."""

from pathlib import Path

from tests.builds import dbt


def compiled_close_the_loop(work: Path) -> str:
    return next((work / "target" / "compiled").rglob("close_the_loop.sql")).read_text()


def test_a_new_as_of_keeps_partial_parsing_and_reaches_the_compiled_sql(tmp_path: Path) -> None:
    warehouse = tmp_path / "nps.duckdb"
    dbt(warehouse, tmp_path, "compile", "--select", "close_the_loop", as_of="2026-07-01T00:00:00+00:00")
    assert "2026-07-01T00:00:00+00:00" in compiled_close_the_loop(tmp_path)

    output = dbt(warehouse, tmp_path, "compile", "--select", "close_the_loop", as_of="2026-07-02T06:00:00+00:00")
    assert "Unable to do partial parsing" not in output
    compiled = compiled_close_the_loop(tmp_path)
    assert "2026-07-02T06:00:00+00:00" in compiled
    assert "2026-07-01T00:00:00+00:00" not in compiled
