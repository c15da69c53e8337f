"""The pure helpers behind the Dagster decorators."""

from __future__ import annotations

from dagster import AssetCheckSeverity, AssetKey

from data_quality.runner import ExpectationOutcome
from ingestion.loader import FileResult, IngestReport
from orchestration.assets.ingestion import FILES_READABLE, REJECTED_SHARE, ingestion_result
from orchestration.checks import check_results, check_step_of
from orchestration.translator import NpsDbtTranslator


def outcome(suite: str, severity: str, success: bool) -> ExpectationOutcome:
    return ExpectationOutcome(
        suite=suite,
        expectation="expect_x",
        check_name="rule",
        column_name="c",
        severity=severity,
        success=success,
        unexpected_count=0 if success else 2,
        sample_bad_values=None if success else '[{"c": 12}]',
        description="d",
    )


def test_an_unreadable_file_fails_the_ingestion_check_and_names_the_file():
    report = IngestReport(
        run_id="r",
        files=[
            FileResult("surveys", "surveys/a.csv", "loaded", rows_in_file=3, rows_loaded=2, rows_rejected=1),
            FileResult("surveys", "surveys/b.csv", "failed", reason="the file is empty: no header line"),
            FileResult("calls", "calls/c.csv", "failed", reason="not a text file"),
        ],
    )
    result = ingestion_result("surveys", report)
    checks = {c.check_name: c for c in result.check_results}
    check = checks[FILES_READABLE]
    assert not check.passed
    assert checks[REJECTED_SHARE].passed  # no file was refused for its share of rejected rows
    assert "surveys/b.csv: the file is empty" in check.metadata["failed_files"].value
    assert "calls/c.csv" not in check.metadata["failed_files"].value
    assert result.metadata["rows_loaded"] == 2 and result.metadata["files_failed"] == 1


def test_outcomes_fold_into_one_blocking_and_one_warning_check_per_table():
    keys = {"marts.nps_by_period": AssetKey(["marts", "nps_by_period"])}
    outcomes = {
        "marts.nps_by_period": [
            outcome("marts.nps_by_period", "blocking", True),
            outcome("marts.nps_by_period", "blocking", False),
            outcome("marts.nps_by_period", "warning", True),
        ]
    }
    results = {r.check_name: r for r in check_results(outcomes, keys)}
    assert not results["contract_expectations"].passed
    assert results["contract_expectations"].severity == AssetCheckSeverity.ERROR
    assert results["warning_expectations"].passed
    assert results["warning_expectations"].severity == AssetCheckSeverity.WARN
    assert "2 unexpected" in results["contract_expectations"].metadata["failures"].value


def test_each_table_is_checked_right_after_the_step_that_writes_it():
    assert check_step_of("raw.surveys") == "raw_quality_suites"
    assert check_step_of("quality.ingestion_log") == "warehouse_quality_suites"  # blocks the publish
    assert check_step_of("staging.stg_calls__calls") == check_step_of("marts.nps_by_period")


def test_a_dbt_source_is_its_ingestion_asset():
    source = {"resource_type": "source", "source_name": "crm", "name": "crm_customers", "fqn": ["x", "crm", "crm"]}
    assert NpsDbtTranslator().get_asset_key(source) == AssetKey("raw_crm")
