"""Changed-rows expectations judge the rows loaded since the last passing validation; the rest stays exact."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from data_quality.runner import validate_warehouse
from tests.builds import rows
from tests.data_quality.tiny_warehouse import AS_OF, execute

NEW_FILE = """
insert into quality.ingestion_log values (5, 'run-3', 'surveys', 'surveys/export_2.csv', 'sha-5',
    timestamptz '2025-02-12 00:00:00+00', 'loaded', 2, 2, 0, null, timestamptz '2025-02-12 01:00:00+00');
insert into raw.surveys
select s.* replace (
    'n' || s.response_id as response_id, {score} as nps_score, 5::bigint as _file_id,
    'surveys/export_2.csv' as _file_name)
from raw.surveys as s where s.response_id in ('r000', 'r001');
"""


def _watermarks(warehouse: Path) -> list[tuple]:
    return rows(warehouse, "select suite, validated_through from quality.validation_watermarks order by suite")


def _raw_rows_judged(report) -> set[str | None]:
    return {r.rows for r in report.results if r.suite.startswith("raw.") and r.rows is not None}


def test_the_first_validation_judges_every_row_and_stores_a_watermark(gx_context, warehouse: Path) -> None:
    report = validate_warehouse(warehouse, AS_OF, context=gx_context)

    assert report.success
    assert _raw_rows_judged(report) == {"all rows (first validation)"}
    assert _watermarks(warehouse) == [("raw.calls", 3), ("raw.crm_customers", 2), ("raw.surveys", 1)]


def test_the_next_validation_judges_only_the_rows_of_newly_loaded_files(gx_context, warehouse: Path) -> None:
    validate_warehouse(warehouse, AS_OF, context=gx_context)
    execute(warehouse, NEW_FILE.format(score="s.nps_score"))

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"raw.surveys"})

    assert report.success
    assert report.scopes["raw.surveys"].after == 1
    assert _raw_rows_judged(report) == {"rows with _file_id > 1"}
    assert ("raw.surveys", 5) in _watermarks(warehouse)


def test_a_bad_row_in_a_newly_loaded_file_fails_and_keeps_being_judged_until_fixed(gx_context, warehouse: Path) -> None:
    validate_warehouse(warehouse, AS_OF, context=gx_context)
    execute(warehouse, NEW_FILE.format(score="12"))

    failed = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"raw.surveys"})
    again = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"raw.surveys"})

    for report in (failed, again):
        [outcome] = report.failed_blocking
        assert (outcome.check_name, outcome.unexpected_count) == ("nps_score_between", 2)
        assert outcome.rows == "rows with _file_id > 1"
        assert "on rows with _file_id > 1" in outcome.line()
    assert ("raw.surveys", 1) in _watermarks(warehouse)  # the watermark did not pass the bad file


def test_rows_below_the_watermark_are_not_judged_again(gx_context, warehouse: Path) -> None:
    validate_warehouse(warehouse, AS_OF, context=gx_context)
    # a value no load writes (raw rows are never rewritten): proves the old rows were not scanned again
    execute(warehouse, "update raw.calls set talk_seconds = -1 where call_id = 'k000'")

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"raw.calls"})

    assert report.success and report.scopes["raw.calls"].after == 3


def test_removed_rows_below_the_watermark_make_every_row_judged_again(gx_context, warehouse: Path) -> None:
    validate_warehouse(warehouse, AS_OF, context=gx_context)
    execute(warehouse, "delete from raw.calls where call_id = 'k000'")
    execute(warehouse, "update raw.calls set talk_seconds = -1 where call_id = 'k001'")

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"raw.calls"})

    assert report.scopes["raw.calls"].after is None
    assert [r.check_name for r in report.failed_blocking] == ["talk_seconds_between"]


def test_an_earlier_as_of_makes_every_row_judged_again(gx_context, warehouse: Path) -> None:
    validate_warehouse(warehouse, AS_OF, context=gx_context)

    earlier = AS_OF - timedelta(days=25)  # before some responses: they are now in the future
    report = validate_warehouse(warehouse, earlier, context=gx_context, suites={"raw.surveys"})

    assert report.scopes["raw.surveys"].after is None
    assert "responded_at_not_after_as_of" in {r.check_name for r in report.failed_blocking}


def test_all_rows_judges_every_row_whatever_the_watermark(gx_context, warehouse: Path) -> None:
    validate_warehouse(warehouse, AS_OF, context=gx_context)
    execute(warehouse, "update raw.calls set talk_seconds = -1 where call_id = 'k000'")

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"raw.calls"}, all_rows=True)

    assert [r.check_name for r in report.failed_blocking] == ["talk_seconds_between"]


def test_a_bad_row_in_a_changed_mart_fails_in_an_incremental_validation(gx_context, warehouse: Path) -> None:
    validate_warehouse(warehouse, AS_OF, context=gx_context)
    execute(
        warehouse,
        "update marts.fct_survey_responses set responded_at = sent_at - interval 1 hour where response_id = 'r003'",
    )
    execute(warehouse, "update marts.nps_by_segment set nps = nps + 5 where period_grain = 'month'")

    report = validate_warehouse(warehouse, AS_OF, context=gx_context)

    assert {(r.suite, r.check_name) for r in report.failed_blocking} >= {
        ("marts.fct_survey_responses", "responded_at_not_before_sent_at"),
        ("marts.nps_by_segment", "nps_matches_formula"),
    }


def test_rows_moved_across_old_and_new_files_are_caught_by_the_whole_table_reconciliation(
    gx_context, warehouse: Path
) -> None:
    validate_warehouse(warehouse, AS_OF, context=gx_context)
    execute(warehouse, "update raw.calls set _file_id = 6 where call_id = 'k001'")
    execute(
        warehouse,
        "insert into raw.calls select * replace (7::bigint as _file_id) from raw.calls where call_id = 'k002'",
    )

    report = validate_warehouse(warehouse, AS_OF, context=gx_context, suites={"quality.ingestion_log", "raw.calls"})

    failed = {(r.suite, r.check_name) for r in report.failed_blocking}
    assert failed == {("quality.ingestion_log", "loaded_rows_match_raw")}  # reconciliation: whole table


def test_a_relative_results_folder_is_accepted_for_the_context(tmp_path, monkeypatch):
    """`nps run --warehouse data/nps.duckdb` gives a relative data folder; GE refuses relative store folders."""
    from data_quality.runner import create_context

    monkeypatch.chdir(tmp_path)
    context = create_context(results_dir=Path("data") / "gx" / "validation_results")
    assert context is not None


def test_a_warehouse_given_by_a_relative_path_is_validated_with_its_data_docs(warehouse: Path, monkeypatch) -> None:
    """`nps run --warehouse data/nps.duckdb`: the Data Docs folder beside it is relative too."""
    monkeypatch.chdir(warehouse.parent)
    report = validate_warehouse(Path(warehouse.name), AS_OF)
    assert report.results
    assert (warehouse.parent / "gx" / "data_docs" / "index.html").exists()
