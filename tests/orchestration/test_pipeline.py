"""The whole Dagster job in process on tiny data: publish, blocking failures, readers of the published copy."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime

import duckdb

from orchestration.pipeline import headline, run_command
from tests.orchestration.conftest import run_in, settings_for


def test_the_whole_job_materialises_and_publishes_every_mart(pipeline_run, messy_landing):
    settings, summary = pipeline_run
    _, manifest = messy_landing
    assert summary.exit_code == 0, summary.lines()
    assert summary.rows_rejected == sum(e["rows_rejected"] for e in manifest["expected"].values())
    assert summary.files["files_skipped"] == len(manifest["planted"]["duplicate_files"])
    assert summary.blocking_failed == [] and summary.checks_passed > 100  # dbt tests and GE suites
    assert all("(WARN)" in failed for failed in summary.checks_failed)  # e.g. the volume band on tiny data
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        published = dict(
            con.execute("select table_name, estimated_size from duckdb_tables() where schema_name = 'marts'").fetchall()
        )
        responses = con.execute("select count(*) from marts.fct_survey_responses").fetchall()[0][0]
    assert (
        set(published)
        == set(summary.published)
        >= {"nps_by_period", "nps_by_segment", "nps_by_channel", "close_the_loop", "agent_performance"}
    )
    assert responses == manifest["expected"]["surveys"]["unique_response_ids"]
    for table in summary.published:
        assert (settings.published_marts_dir / f"{table}.parquet").exists()


def test_the_published_file_is_written_for_duckdb_1x_readers(pipeline_run):
    settings, _ = pipeline_run
    header = settings.published_path.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:20], "little") <= 65  # 65 = storage of DuckDB 1.2; 2.0 writes 69


def test_a_blocking_failure_stops_the_publish_and_keeps_the_previous_copy(pipeline_run, tmp_path, capsys, monkeypatch):
    good, _ = pipeline_run
    settings = replace(settings_for(tmp_path, good.landing_dir), published_path=tmp_path / "wh" / "published.duckdb")
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copy2(good.warehouse_path, settings.warehouse_path)
    shutil.copy2(good.published_path, settings.published_path)
    before = settings.published_path.read_bytes()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "update raw.surveys set nps_score = 12 "
            "where response_id = (select min(response_id) from raw.surveys where nps_score is not null)"
        )
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))  # read (never written) by `nps run`
    code = run_command(settings)
    err = capsys.readouterr().err
    assert code == 1
    assert "blocking check failed: raw_surveys: contract_expectations" in err
    assert settings.published_path.read_bytes() == before
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        assert con.execute("select count(*) from marts.nps_by_period").fetchall()[0][0] > 0


def test_a_reader_holding_the_published_file_keeps_working_during_a_run(pipeline_run):
    settings, _ = pipeline_run
    reader = duckdb.connect(str(settings.published_path), read_only=True)
    before = reader.execute("select sum(responses) from marts.nps_by_period").fetchall()
    second = run_in(settings)  # nothing new landed: an incremental run that publishes again
    assert second.exit_code == 0, second.lines()
    assert reader.execute("select sum(responses) from marts.nps_by_period").fetchall() == before
    reader.close()
    with duckdb.connect(str(settings.published_path), read_only=True) as fresh:
        assert fresh.execute("select sum(responses) from marts.nps_by_period").fetchall() == before


def test_the_demo_headline_reports_nps_with_margin_segments_channels_and_followups(pipeline_run):
    settings, _ = pipeline_run
    lines = headline(settings.published_path, datetime(2026, 7, 1, tzinfo=UTC))
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        p, d, n = con.execute(
            "select sum(promoters), sum(detractors), sum(responses) from marts.nps_by_period "
            "where period_grain = 'year'"
        ).fetchall()[0]
        loop = dict(con.execute("select loop_status, count(*) from marts.close_the_loop group by 1").fetchall())
    assert lines[0].startswith(f"Overall NPS: {100.0 * (p - d) / n:+.1f} ± ")
    assert any(line.endswith("by segment:") for line in lines) and any(line.endswith("by channel:") for line in lines)
    assert f"{loop.get('open', 0)} open, {loop.get('overdue', 0)} overdue" in lines[-1]
    assert lines[-1].startswith("Detractor follow-ups at 2026-07-01 00:00 UTC:")
    assert "June 2026 by segment:" in lines
