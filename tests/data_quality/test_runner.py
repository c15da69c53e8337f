"""The suites against a tiny warehouse: clean passes everything; each planted violation fails the right rule."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from data_quality.runner import ValidationReport, validate_command, validate_warehouse
from nps.settings import Settings
from tests.builds import rows
from tests.data_quality.tiny_warehouse import AS_OF, build_tiny_warehouse, execute


def _results(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select run_id, suite, expectation, check_name, column_name, severity, success, unexpected_count,"
            " sample_bad_values from quality.validation_results order by suite, check_name"
        ).fetchall()


def _failed(report: ValidationReport) -> dict[tuple[str, str], object]:
    return {(r.suite, r.check_name): r for r in report.results if not r.success}


def test_clean_warehouse_passes_every_expectation(gx_context, warehouse: Path) -> None:
    report = validate_warehouse(warehouse, AS_OF, context=gx_context)

    assert [r.line() for r in report.results if not r.success] == []
    assert report.success and report.failed_blocking == []
    assert set(report.suites()) == {
        "raw.surveys",
        "raw.crm_customers",
        "raw.calls",
        "quality.ingestion_log",
        "marts.fct_survey_responses",
        "marts.nps_by_period",
        "marts.nps_by_segment",
        "marts.nps_by_channel",
    }
    assert {r.severity for r in report.results} == {"blocking", "warning"}
    stored = _results(warehouse)
    assert len(stored) == len(report.results)
    assert {row[0] for row in stored} == {report.run_id}
    assert all(row[6] for row in stored)


def test_data_docs_are_written_beside_the_warehouse_by_default(gx_context, warehouse: Path) -> None:
    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"quality.ingestion_log"})

    assert report.data_docs_index == warehouse.parent / "gx" / "data_docs" / "index.html"
    assert report.data_docs_index.is_file()
    run_pages = warehouse.parent / "gx" / "data_docs" / "validations" / "quality" / "ingestion_log" / report.run_id
    pages = list(run_pages.rglob("*.html"))
    assert len(pages) == 1
    assert "rows_in_file = rows_loaded + rows_rejected" in pages[0].read_text()
    assert report.run_id in report.data_docs_index.read_text()


def test_data_docs_show_the_latest_run_of_every_table_across_separate_calls(warehouse: Path) -> None:
    docs = warehouse.parent / "gx" / "data_docs"
    first_calls = validate_warehouse(warehouse, AS_OF, suites={"raw.calls"})  # a fresh context each call,
    log = validate_warehouse(warehouse, AS_OF, suites={"quality.ingestion_log"})  # like one Dagster step each
    latest_calls = validate_warehouse(warehouse, AS_OF, suites={"raw.calls"})

    index = docs.joinpath("index.html").read_text()
    assert latest_calls.run_id in index and log.run_id in index
    assert first_calls.run_id not in index
    assert [p.name for p in (docs / "validations" / "raw" / "calls").iterdir()] == [latest_calls.run_id]
    assert (warehouse.parent / "gx" / "validation_results").is_dir()


@dataclass(frozen=True)
class Violation:
    plant: str
    suite: str
    check: str
    column: str | None
    unexpected: int | None
    sample_has: str
    severity: str = "blocking"


VIOLATIONS = {
    "score_of_12": Violation(
        "update raw.surveys set nps_score = 12 where response_id = 'r004'",
        "raw.surveys",
        "nps_score_between",
        "nps_score",
        1,
        "12",
    ),
    "csat_of_6": Violation(
        "update marts.fct_survey_responses set csat_score = 6 where response_id = 'r004'",
        "marts.fct_survey_responses",
        "csat_score_between",
        "csat_score",
        1,
        "6",
    ),
    "unreconciled_file": Violation(
        "update quality.ingestion_log set rows_in_file = rows_in_file + 2 where file_id = 1",
        "quality.ingestion_log",
        "ingestion_reconciles",
        "rows_in_file",
        1,
        "surveys/export_1.csv",
    ),
    "raw_rows_missing_for_a_loaded_file": Violation(
        "delete from raw.surveys where response_id = 'r005'",
        "quality.ingestion_log",
        "loaded_rows_match_raw",
        "rows_loaded",
        1,
        "surveys/export_1.csv",
    ),
    "raw_rows_of_a_file_not_in_the_log": Violation(
        "update raw.calls set _file_id = 99 where call_id = 'k001'",
        "quality.ingestion_log",
        "loaded_rows_match_raw",
        "rows_loaded",
        2,
        "99",
    ),
    "rejected_rows_missing": Violation(
        "delete from quality.rejected_rows",
        "quality.ingestion_log",
        "rejected_rows_match_log",
        "rows_rejected",
        1,
        "surveys/export_1.csv",
    ),
    "failed_file_is_a_warning": Violation(
        "insert into quality.ingestion_log values (5, 'run-3', 'calls', 'calls/broken.csv', 'sha-5',"
        " timestamptz '2025-02-13 00:00:00+00', 'failed', 0, 0, 0, 'not a CSV file',"
        " timestamptz '2025-02-13 01:00:00+00')",
        "quality.ingestion_log",
        "no_failed_files",
        "status",
        1,
        "calls/broken.csv",
        severity="warning",
    ),
    "nps_not_equal_to_formula": Violation(
        "update marts.nps_by_period set nps = nps + 5"
        " where period_grain = 'month' and period_start = date '2025-02-01'",
        "marts.nps_by_period",
        "nps_matches_formula",
        "nps",
        1,
        "2025-02-01",
    ),
    "response_rate_above_one": Violation(
        "update marts.nps_by_period set response_rate = 1.5 where period_grain = 'month'",
        "marts.nps_by_period",
        "response_rate_between",
        "response_rate",
        1,
        "1.5",
    ),
    "responded_before_sent": Violation(
        "update marts.fct_survey_responses set responded_at = sent_at - interval 1 hour where response_id = 'r007'",
        "marts.fct_survey_responses",
        "responded_at_not_before_sent_at",
        "responded_at",
        1,
        "r007",
    ),
    "future_timestamp": Violation(
        "update raw.surveys set responded_at = timestamptz '2025-03-02 00:00:00+00' where response_id = 'r008'",
        "raw.surveys",
        "responded_at_not_after_as_of",
        "responded_at",
        1,
        "2025-03-02",
    ),
    "orphan_share_over_limit_is_a_warning": Violation(
        "update marts.fct_survey_responses set customer_id = 'ghost' || response_id"
        " where response_id in ('r000', 'r001', 'r002')",
        "marts.fct_survey_responses",
        "orphan_share_within_limit",
        "customer_id",
        3,
        "ghostr000",
        severity="warning",
    ),
    "calls_volume_spike_is_a_warning": Violation(
        "insert into raw.calls select c.* replace (c.call_id || '-' || t.i as call_id)"
        " from raw.calls as c, range(10) as t(i) where c.started_at >= timestamptz '2025-02-10 00:00:00+00'",
        "raw.calls",
        "calls_daily_volume_in_band",
        "started_at",
        1,
        "2025-02-10",
        severity="warning",
    ),
    "volume_spike_is_a_warning": Violation(
        "insert into marts.fct_survey_responses"
        " select f.* replace ('x' || t.i || f.response_id as response_id)"
        " from marts.fct_survey_responses as f, range(3) as t(i)"
        " where f.sent_at >= timestamptz '2025-02-10 00:00:00+00'",
        "marts.fct_survey_responses",
        "invitations_daily_volume_in_band",
        "sent_at",
        1,
        "2025-02-10",
        severity="warning",
    ),
}


@pytest.mark.parametrize("name", list(VIOLATIONS))
def test_planted_violation_fails_the_right_expectation(gx_context, warehouse: Path, name: str) -> None:
    violation = VIOLATIONS[name]
    execute(warehouse, violation.plant)

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={violation.suite})

    failed = _failed(report)
    assert (violation.suite, violation.check) in failed, [r.line() for r in report.results]
    outcome = failed[(violation.suite, violation.check)]
    assert outcome.severity == violation.severity
    assert outcome.column_name == violation.column
    assert outcome.unexpected_count == violation.unexpected
    assert violation.sample_has in (outcome.sample_bad_values or "")
    assert outcome.error is None
    assert (outcome in report.failed_blocking) == (violation.severity == "blocking")


def test_bad_rows_are_sampled_with_their_key(gx_context, warehouse: Path) -> None:
    execute(warehouse, VIOLATIONS["responded_before_sent"].plant)

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"marts.fct_survey_responses"})

    [failed] = report.failed_blocking
    [sample] = json.loads(failed.sample_bad_values or "[]")
    assert sample.keys() == {"response_id", "sent_at", "responded_at"}
    assert sample["response_id"] == "r007"


def test_calls_resent_in_an_overlapping_export_do_not_move_the_volume(gx_context, warehouse: Path) -> None:
    execute(
        warehouse,
        "insert into raw.calls select c.* replace (4 + t.i as _file_id) from raw.calls as c, range(10) as t(i)"
        " where c.started_at >= timestamptz '2025-02-10 00:00:00+00'",  # the last day re-sent in 10 exports
    )

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"raw.calls"}, record_results=False)

    assert [r.line() for r in report.results if not r.success] == []


def test_orphan_share_limit_is_configurable(gx_context, warehouse: Path) -> None:
    execute(warehouse, VIOLATIONS["orphan_share_over_limit_is_a_warning"].plant)  # 3 of 25 responses: 12 %

    lenient = validate_warehouse(
        warehouse, AS_OF, context=gx_context, suites={"marts.fct_survey_responses"}, orphan_max_share=0.15
    )
    strict = validate_warehouse(
        warehouse, AS_OF, context=gx_context, suites={"marts.fct_survey_responses"}, orphan_max_share=0.10
    )

    assert lenient.success and lenient.failed_warnings == []
    assert strict.success  # a warning, never blocking
    assert [r.check_name for r in strict.failed_warnings] == ["orphan_share_within_limit"]


def test_a_table_not_built_yet_is_reported_not_crashed_on(gx_context, warehouse: Path) -> None:
    execute(warehouse, "drop table marts.nps_by_channel")

    report = validate_warehouse(
        warehouse, AS_OF, context=gx_context, suites={"marts.nps_by_channel", "marts.nps_by_period"}
    )

    assert [(r.suite, r.check_name) for r in report.failed_blocking] == [("marts.nps_by_channel", "table_exists")]
    assert "does not exist" in (report.failed_blocking[0].error or "")
    assert all(r.success for r in report.for_suite("marts.nps_by_period"))


def test_a_missing_column_fails_with_the_error(gx_context, warehouse: Path) -> None:
    execute(warehouse, "alter table marts.fct_survey_responses drop column csat_score")

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"marts.fct_survey_responses"})

    failed = _failed(report)
    assert failed[("marts.fct_survey_responses", "csat_score_between")].error is not None
    assert not report.success


def test_results_are_appended_for_every_run(gx_context, warehouse: Path) -> None:
    first = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"quality.ingestion_log"})
    execute(warehouse, VIOLATIONS["unreconciled_file"].plant)
    second = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"quality.ingestion_log"})

    stored = _results(warehouse)
    assert {row[0] for row in stored} == {first.run_id, second.run_id}
    failed = [row for row in stored if not row[6]]
    assert [(row[0], row[1], row[3], row[5], row[7]) for row in failed] == [
        (second.run_id, "quality.ingestion_log", "ingestion_reconciles", "blocking", 1)
    ]
    assert "surveys/export_1.csv" in failed[0][8]


def test_validation_alone_leaves_the_warehouse_file_untouched(gx_context, warehouse: Path) -> None:
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()

    validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"raw.surveys"}, record_results=False)

    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before


def _settings(warehouse: Path) -> Settings:
    return Settings.from_env(env={}, warehouse_path=warehouse, as_of=AS_OF.isoformat())


def test_validate_command_exits_0_on_a_clean_warehouse(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = validate_command(_settings(warehouse))

    out, err = capsys.readouterr()
    assert code == 0
    assert "PASS [blocking] marts.fct_survey_responses.responded_at: responded_at_not_before_sent_at" in out
    assert "0 blocking" in out
    assert err == ""
    assert (warehouse.parent / "gx" / "data_docs" / "index.html").is_file()


def test_validate_command_exits_1_naming_each_failed_blocking_expectation(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(warehouse, VIOLATIONS["responded_before_sent"].plant)
    execute(warehouse, VIOLATIONS["score_of_12"].plant)
    execute(warehouse, VIOLATIONS["unreconciled_file"].plant)

    code = validate_command(_settings(warehouse))

    out, err = capsys.readouterr()
    assert code == 1
    failed = {(row[1], row[3]) for row in _results(warehouse) if not row[6]}
    assert failed == {  # nothing else than what was planted
        ("marts.fct_survey_responses", "responded_at_not_before_sent_at"),
        ("raw.surveys", "nps_score_between"),
        ("quality.ingestion_log", "ingestion_reconciles"),
    }
    assert "FAIL [blocking] marts.fct_survey_responses.responded_at: responded_at_not_before_sent_at" in out
    assert "blocking expectation(s) failed" in err
    named = [line for line in err.splitlines() if line.startswith("  FAIL")]
    assert any("marts.fct_survey_responses.responded_at: responded_at_not_before_sent_at" in line for line in named)
    assert any("raw.surveys.nps_score: nps_score_between" in line and "1 unexpected" in line for line in named)
    assert any(
        "quality.ingestion_log.rows_in_file: ingestion_reconciles" in line and "surveys/export_1.csv" in line
        for line in named
    )
    assert all("[blocking]" in line for line in named)


def test_validate_command_reports_a_missing_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = validate_command(_settings(tmp_path / "absent.duckdb"))

    assert code == 2
    assert "warehouse file not found" in capsys.readouterr().err


def test_validate_command_reports_a_warehouse_locked_by_a_writer(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(  # another process holding the write lock, as a running load would
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(warehouse)!r}); print('ok', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        code = validate_command(_settings(warehouse))
    finally:
        holder.communicate("")

    assert code == 2
    assert f"cannot validate {warehouse}" in capsys.readouterr().err


def test_crm_segment_names_of_any_spelling_pass_every_expectation(gx_context, tmp_path: Path) -> None:
    warehouse = build_tiny_warehouse(
        tmp_path / "nps.duckdb", segments=("Grands comptes", "PME", "Particuliers", "PME", "Free / Self-serve")
    )

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, record_results=False)

    assert [r.line() for r in report.results if not r.success] == []
    segments = {row[0] for row in rows(warehouse, "select distinct segment from marts.nps_by_segment")}
    assert segments == {"Grands comptes", "PME", "Particuliers", "Free / Self-serve"}


def test_a_survey_only_warehouse_passes_every_blocking_expectation(gx_context, tmp_path: Path) -> None:
    warehouse = build_tiny_warehouse(tmp_path / "nps.duckdb", survey_only=True)
    assert rows(warehouse, "select count(*) from raw.crm_customers union all select count(*) from raw.calls") == [
        (0,),
        (0,),
    ]

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, record_results=False)

    assert [r.line() for r in report.failed_blocking] == []
    assert report.success
    assert [(r.suite, r.check_name) for r in report.failed_warnings] == [
        ("marts.fct_survey_responses", "orphan_share_within_limit")  # every response is an orphan
    ]
    assert rows(warehouse, "select distinct segment from marts.fct_survey_responses") == [("unknown",)]
