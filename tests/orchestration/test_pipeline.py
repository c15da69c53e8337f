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
    parquet = {p.stem for p in settings.published_marts_dir.glob("*.parquet")}
    assert parquet == set(summary.published) - {"fct_calls"}  # published in the DuckDB copy only (meta parquet)


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
    with duckdb.connect(str(settings.warehouse_path)) as con:  # a newly loaded file with one bad row
        [(file_id,)] = con.execute("select max(file_id) + 1 from quality.ingestion_log").fetchall()
        con.execute(
            "insert into quality.ingestion_log select * replace (? as file_id, 'surveys/late.csv' as file_name,"
            " 1 as rows_in_file, 1 as rows_loaded, 0 as rows_rejected)"
            " from quality.ingestion_log where status = 'loaded' and source = 'surveys' limit 1",
            [file_id],
        )
        con.execute(
            "insert into raw.surveys select * replace (? as _file_id, 'late-' || response_id as response_id,"
            " 12 as nps_score) from raw.surveys where nps_score is not null limit 1",
            [file_id],
        )
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))  # read (never written) by `nps run`
    code = run_command(settings)
    err = capsys.readouterr().err
    assert code == 1
    assert "blocking check failed: raw_surveys: contract_expectations" in err
    assert settings.published_path.read_bytes() == before
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        assert con.execute("select count(*) from marts.nps_by_period").fetchall()[0][0] > 0


def test_an_incremental_run_uses_one_gx_context_and_publishes_a_copy_equal_to_the_marts(
    pipeline_run, tmp_path, monkeypatch
):
    import orchestration.checks

    good, _ = pipeline_run
    settings = replace(settings_for(tmp_path, good.landing_dir), published_path=tmp_path / "wh" / "published.duckdb")
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copy2(good.warehouse_path, settings.warehouse_path)
    shutil.copy2(good.published_path, settings.published_path)
    shutil.copytree(good.published_marts_dir, settings.published_marts_dir)
    parquet = {p.name: p.stat().st_ino for p in settings.published_marts_dir.glob("*.parquet")}
    created = []
    real = orchestration.checks.create_context
    monkeypatch.setattr(orchestration.checks, "create_context", lambda **kw: created.append(kw) or real(**kw))

    summary = run_in(settings)  # nothing new landed

    assert summary.exit_code == 0, summary.lines()
    assert len(created) == 1  # both quality steps of the run share one GE context
    assert {p.name: p.stat().st_ino for p in settings.published_marts_dir.glob("*.parquet")} == parquet
    with duckdb.connect() as con:
        con.execute(f"attach '{settings.warehouse_path}' as wh (read_only)")
        con.execute(f"attach '{settings.published_path}' as pub (read_only)")
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'pub' and schema_name = 'marts'"
            ).fetchall()
        ]
        assert set(tables) == set(summary.published)
        for table in tables:
            diff = con.execute(
                f"select count(*) from ((select * from wh.marts.{table} except all select * from pub.marts.{table})"
                f" union all (select * from pub.marts.{table} except all select * from wh.marts.{table}))"
            ).fetchall()
            assert diff == [(0,)], table


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
