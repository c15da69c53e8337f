"""The CLI's own checks before anything runs, and `nps inspect` (contract section 1)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from nps.cli import app

RETAILER_SOURCES = """version: 1
surveys:
  - files: "*.csv"
    columns: {response_id: id, nps_score: nps, nps_comment: explication}
    constants: {sent_at: "2022-02-01", responded_at: "2022-02-01"}
"""


def _retailer_landing(tmp_path: Path, sources: str = RETAILER_SOURCES) -> Path:
    landing = tmp_path / "landing"
    (landing / "surveys").mkdir(parents=True)
    (landing / "surveys" / "botanic.csv").write_text(
        "id,nps,explication,store\nA1,9,Très bien,Lyon\nA2,3,NA,Paris\nA3,12,,Lyon\n", encoding="utf-8"
    )
    (landing / "sources.yml").write_text(sources, encoding="utf-8")
    return landing


def test_nps_inspect_shows_the_mapping_the_attributes_and_each_row_that_would_be_rejected(tmp_path):
    landing = _retailer_landing(tmp_path)
    result = CliRunner().invoke(app, ["inspect", str(landing / "surveys" / "botanic.csv")])
    assert result.exit_code == 0, result.output
    assert "id             → response_id" in result.output
    assert "= '2022-02-01' → sent_at" in result.output
    assert "kept as attributes: store" in result.output
    assert 'line 4: score_out_of_range (nps_score): nps_score "12" is outside 0–10' in result.output
    assert not list(tmp_path.rglob("*.duckdb")), "inspect writes nothing"


def test_nps_inspect_exits_non_zero_and_names_the_sources_key_when_a_mapped_column_is_missing(tmp_path):
    landing = _retailer_landing(tmp_path, RETAILER_SOURCES.replace("nps_score: nps", "nps_score: score"))
    result = CliRunner().invoke(app, ["inspect", str(landing / "surveys")])
    assert result.exit_code == 1
    assert "ERROR:" in result.output and "columns.nps_score" in result.output


def test_nps_run_refuses_a_landing_folder_that_does_not_exist(tmp_path):
    result = CliRunner().invoke(
        app, ["run", "--landing", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert not (tmp_path / "w.duckdb").exists()


def test_nps_run_refuses_an_invalid_sources_file_naming_the_entry_and_key(tmp_path):
    landing = _retailer_landing(tmp_path, RETAILER_SOURCES.replace("columns:", "colums:"))
    result = CliRunner().invoke(app, ["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "surveys[0]" in result.output and "colums" in result.output
