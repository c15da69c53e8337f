"""The expectation suites, as code: one GE suite per warehouse table, every expectation with a severity.

Severity lives in each expectation's `meta["severity"]` (`blocking` or `warning`) and is mirrored in GE's
own `severity` field (`critical` / `warning`). `meta["check"]` is a short, stable name for the rule and
`meta["column"]` the column it is about (for the SQL rules that GE does not tie to a column).

All the work runs in DuckDB: column expectations compile to SQL through GE's SQLAlchemy engine, and the
cross-column / cross-table rules are `UnexpectedRowsExpectation` queries that return the offending rows.

One place per rule (issue 21). What a dbt model promises is a dbt test of that model (`_<dir>__models.yml`:
keys not null and unique, accepted values, `responses_add_up`, `nps_in_range`, the category of a score) and
runs in the same `nps run`, before these suites; the enforced contracts give the marts' column types. The
suites hold what dbt does not test: the raw tables as loaded (the dbt sources have no tests), the ingestion
bookkeeping and its reconciliation with raw, and the marts' rules across columns, tables and time (the NPS
and margin-of-error formulas, timestamps' order and NPS_AS_OF, orphan share, daily volume). So there are no
staging suites: staging's keys and sets are dbt tests. `tests/data_quality/test_one_place_per_rule.py`
fails when a suite repeats a dbt test.

What changed, not everything (issue 21). A suite's `expectations` are judged on the whole table. Its
`changed_rows` expectations are row-level (a row passes or fails on its own values) and are judged only on
the rows added since the last validation that passed them, where the table says exactly which rows those are:
`changed_rows_column` (the raw tables' `_file_id`, which increases in load order and whose rows are never
rewritten once loaded) above the stored watermark (`data_quality.scope`). Everything else stays on the
whole table, because restricting it would not be exact:
- reconciliation, shares and volumes are about the whole table (a new row can shift the share of, or
  unbalance the counts of, rows validated long ago);
- mart tables are rebuilt (or merged) by dbt: a row can change without any new file (a new dbt release, a
  CRM change reaching old responses, a late response), and no column tells exactly which rows did, so their
  row-level rules run on the whole table. The period marts are small (periods × groups, not rows) and the
  fact table's row-level rules are single cheap scans in DuckDB; the whole-table rules are written to read
  only what they need (e.g. the volume rule its window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

from ingestion.columns import CALLS, CRM, SURVEYS

Severity = Literal["blocking", "warning"]
BLOCKING: Final[Severity] = "blocking"
WARNING: Final[Severity] = "warning"

SAMPLE_SIZE: Final[int] = 5


INGESTION_STATUSES: Final[tuple[str, ...]] = ("loaded", "skipped_duplicate", "deferred", "failed")
# Type names as GE reports them through duckdb-engine's reflection (SQLAlchemy class names) or DuckDB.
INTEGER_TYPES: Final[list[str]] = [
    "Integer",
    "BigInteger",
    "SmallInteger",
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
]

_GE_SEVERITY: Final[dict[Severity, FailureSeverity]] = {
    BLOCKING: FailureSeverity.CRITICAL,
    WARNING: FailureSeverity.WARNING,
}


class ExpectNoUnexpectedRows(gxe.UnexpectedRowsExpectation):
    """`UnexpectedRowsExpectation` that also keeps a few offending rows in its result, whatever the format.

    GE already fetches up to 200 of the query's rows to count them; this keeps the first `SAMPLE_SIZE`
    (as text) under `result.details.unexpected_rows` so the runner can show the bad values.
    """

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> Any:
        validated = super()._validate(
            metrics=metrics, runtime_configuration=runtime_configuration, execution_engine=execution_engine
        )
        if isinstance(validated, dict) and "result" in validated:
            rows = metrics.get("unexpected_rows_query.table") or []
            sample = [{key: _as_text(value) for key, value in row.items()} for row in rows[:SAMPLE_SIZE]]
            validated["result"]["details"] = {"unexpected_rows": sample}
        return validated


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class SuiteOptions:
    """What the rules are judged against."""

    as_of: datetime
    orphan_max_share: float = 0.05
    volume_band: float = 0.5  # the last day's rows within ±50 % of the trailing daily average
    volume_window_days: int = 28

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware")
        if not 0.0 <= self.orphan_max_share <= 1.0:
            raise ValueError(f"orphan_max_share must be in 0..1, got {self.orphan_max_share}")
        if self.volume_band < 0 or self.volume_window_days < 1:
            raise ValueError("volume_band must be >= 0 and volume_window_days >= 1")

    @property
    def as_of_sql(self) -> str:
        return f"timestamptz '{self.as_of.astimezone(UTC).isoformat(sep=' ')}'"


@dataclass(frozen=True)
class TableSuite:
    """The expectations for one table; the GE suite is named `schema.table`.

    `expectations` are judged on the whole table; `changed_rows` (row-level rules only) on the rows whose
    `changed_rows_column` is above the last validated value (module docstring), all rows on a first run."""

    schema_name: str
    table_name: str
    expectations: tuple[gxe.Expectation, ...] = field(default_factory=tuple)
    changed_rows: tuple[gxe.Expectation, ...] = field(default_factory=tuple)
    changed_rows_column: str | None = None

    def __post_init__(self) -> None:
        if self.changed_rows and self.changed_rows_column is None:
            raise ValueError(f"{self.name}: changed_rows expectations need a changed_rows_column")

    @property
    def name(self) -> str:
        return f"{self.schema_name}.{self.table_name}"

    @property
    def changed_rows_name(self) -> str:
        """The GE suite of the changed-rows expectations (its results are reported under `name`)."""
        return f"{self.name} (new rows)"

    @property
    def all_expectations(self) -> tuple[gxe.Expectation, ...]:
        return (*self.expectations, *self.changed_rows)


# ---------------------------------------------------------------------------------------------------
# Small constructors: every expectation gets a check name, a column, a severity and a description.


def _meta(check: str, column: str | None, severity: Severity) -> dict[str, Any]:
    return {"check": check, "column": column, "severity": severity}


def _common(check: str, column: str | None, severity: Severity, description: str) -> dict[str, Any]:
    return {
        "meta": _meta(check, column, severity),
        "severity": _GE_SEVERITY[severity],
        "description": description,
    }


def not_null(column: str, severity: Severity = BLOCKING) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToNotBeNull(
        column=column, **_common(f"{column}_not_null", column, severity, f"`{column}` is never null")
    )


def between(column: str, low: float | None, high: float | None, severity: Severity = BLOCKING) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=low,
        max_value=high,
        **_common(f"{column}_between", column, severity, f"`{column}` within {low}..{high} (nulls allowed)"),
    )


def in_set(column: str, values: Sequence[str], severity: Severity = BLOCKING) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(
        column=column,
        value_set=list(values),
        **_common(f"{column}_in_set", column, severity, f"`{column}` in {{{', '.join(values)}}}"),
    )


def integer_typed(column: str, severity: Severity = BLOCKING) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInTypeList(
        column=column,
        type_list=INTEGER_TYPES,
        **_common(f"{column}_is_integer", column, severity, f"`{column}` is stored as an integer"),
    )


def no_rows(
    check: str, query: str, description: str, column: str | None = None, severity: Severity = BLOCKING
) -> gxe.Expectation:
    """The rule holds when `query` (with `{batch}` for the table under test) returns no rows."""
    return ExpectNoUnexpectedRows(unexpected_rows_query=query, **_common(check, column, severity, description))


# ---------------------------------------------------------------------------------------------------
# Reusable rules.


SCORE_RANGES: Final[tuple[tuple[str, int, int], ...]] = (
    ("nps_score", 0, 10),
    ("csat_score", 1, 5),
    ("ces_score", 1, 7),
)


def responded_after_sent(key: str = "response_id") -> gxe.Expectation:
    return no_rows(
        "responded_at_not_before_sent_at",
        f"select {key}, sent_at, responded_at from {{batch}} where responded_at < sent_at",
        "`responded_at >= sent_at` for every answered invitation",
        column="responded_at",
    )


def not_in_future(key: str, column: str, options: SuiteOptions) -> gxe.Expectation:
    return no_rows(
        f"{column}_not_after_as_of",
        f"select {key}, {column} from {{batch}} where {column} > {options.as_of_sql}",
        f"no `{column}` after NPS_AS_OF ({options.as_of.isoformat()})",
        column=column,
    )


def survey_times(options: SuiteOptions) -> tuple[gxe.Expectation, ...]:
    """The survey timestamps' rules, on raw and on the fact table: answered after sent, nothing after NPS_AS_OF."""
    return (
        responded_after_sent(),
        not_in_future("response_id", "sent_at", options),
        not_in_future("response_id", "responded_at", options),
    )


def daily_volume(key: str, column: str, options: SuiteOptions, check: str) -> gxe.Expectation:
    """The last day's count of distinct `key`s (by `column`, UTC day, up to NPS_AS_OF) within the band of the trailing
    daily average over up to `volume_window_days` days before it (days without rows count as zero).
    The band is never narrower than 3 * sqrt(average), so tiny daily counts do not warn on noise."""
    window = options.volume_window_days
    band = options.volume_band
    # Only the last day and the `window` days before it are counted (the first day of the table matters only
    # when it falls inside that window): the same answer as counting every day, without a distinct count over
    # the whole table.
    query = f"""
        with bounds as (
            select cast(max({column}) as date) as day, cast(min({column}) as date) as first_day
            from {{batch}}
            where {column} <= {options.as_of_sql}
        ),
        daily as (
            select cast({column} as date) as day, count(distinct {key}) as row_count
            from {{batch}}
            where {column} <= {options.as_of_sql}
                and {column} >= (select cast(day - {window} as timestamptz) from bounds)
            group by 1
        ),
        last_day as (
            select day, first_day from bounds
        ),
        trailing_days as (
            select
                sum(daily.row_count) as row_count,
                last_day.day - greatest(last_day.first_day, last_day.day - {window}) as days
            from last_day
            left join daily on daily.day < last_day.day and daily.day >= last_day.day - {window}
            group by last_day.day, last_day.first_day
        ),
        expected as (
            select
                1.0 * coalesce(trailing_days.row_count, 0) / trailing_days.days as average,
                -- the band, but never tighter than 3 Poisson standard deviations (small daily counts are noisy)
                greatest({band} * coalesce(trailing_days.row_count, 0) / trailing_days.days,
                    3 * sqrt(1.0 * coalesce(trailing_days.row_count, 0) / trailing_days.days)) as tolerance
            from trailing_days
            where trailing_days.days > 0
        )
        select
            last_day.day as last_day,
            daily.row_count as last_day_rows,
            round(expected.average, 2) as trailing_daily_average,
            round(expected.tolerance, 2) as tolerance
        from last_day
        join daily on daily.day = last_day.day
        cross join expected
        where abs(daily.row_count - expected.average) > expected.tolerance
    """
    return no_rows(
        check,
        query,
        f"rows on the last day (by `{column}`) within ±{band:.0%} (at least 3 standard deviations of a Poisson "
        f"count) of the daily average of the {window} days before",
        column=column,
        severity=WARNING,
    )


def period_metrics() -> list[gxe.Expectation]:
    """The rules of every `nps_by_*` period table that its dbt tests do not check (the keys' nulls and
    uniqueness, the grains, `responses_add_up` and `nps_in_range` are dbt tests of the same build): counts never
    negative, the NPS and its margin of error as the formulas give them."""
    return [
        *(between(column, 0, None) for column in ("responses", "promoters", "passives", "detractors")),
        no_rows(
            "nps_matches_formula",
            "select period_grain, period_start, nps, promoters, detractors, responses from {batch}"
            " where (responses > 0 and (nps is null"
            " or abs(nps - 100.0 * (promoters - detractors) / responses) > 1e-6))"
            " or (responses = 0 and nps is not null)",
            "`nps = 100 * (promoters - detractors) / responses` (null when there are no responses)",
            column="nps",
        ),
        no_rows(
            "nps_moe_95_matches_formula",
            "select period_grain, period_start, nps_moe_95, promoters, detractors, responses from {batch}"
            " where (responses > 0 and (nps_moe_95 is null or abs(nps_moe_95 - 196.0 * sqrt(("
            "1.0 * promoters / responses + 1.0 * detractors / responses"
            " - power(1.0 * promoters / responses - 1.0 * detractors / responses, 2)) / responses)) > 1e-6))"
            " or (responses = 0 and nps_moe_95 is not null)",
            "`nps_moe_95 = 196 * sqrt((pP + pD - (pP - pD)^2) / responses)` (null when there are no responses)",
            column="nps_moe_95",
        ),
    ]


# ---------------------------------------------------------------------------------------------------
# The suites.


FILE_ID: Final[str] = "_file_id"


def raw_suites(options: SuiteOptions) -> list[TableSuite]:
    """Raw tables are append-only by file: every row-level rule runs on the rows of the files loaded since the
    last validation that passed (`_file_id` above the watermark). The column types are the table's (no scan);
    the calls' daily volume compares the last day with the days before it: whole table."""
    return [
        TableSuite(
            "raw",
            "surveys",
            (*(integer_typed(column) for column in ("nps_score", "csat_score", "ces_score")),),
            changed_rows=(
                not_null("response_id"),
                not_null("sent_at"),
                *(between(column, low, high) for column, low, high in SCORE_RANGES),
                *survey_times(options),
            ),
            changed_rows_column=FILE_ID,
        ),
        TableSuite(
            "raw",
            "crm_customers",
            changed_rows=(
                not_null("customer_id"),
                not_null("updated_at"),
                not_in_future("customer_id", "updated_at", options),
            ),
            changed_rows_column=FILE_ID,
        ),
        TableSuite(
            "raw",
            "calls",
            (daily_volume("call_id", "started_at", options, "calls_daily_volume_in_band"),),
            changed_rows=(
                not_null("call_id"),
                not_null("started_at"),
                not_in_future("call_id", "started_at", options),
                *(
                    between(column, 0, None)
                    for column in ("wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds")
                ),
            ),
            changed_rows_column=FILE_ID,
        ),
    ]


def _reconciliation(logged: str, counted_by_file: str, counted_as: str) -> str:
    """SQL: the loaded files of the ingestion log whose `logged` count differs from the rows `counted_by_file`
    (a query of `file_id, row_count`) finds for them, and the file ids counted there that no loaded file has."""
    return f"""
    with loaded as (
        select file_id, source, file_name, {logged} from {{batch}} where status = 'loaded'
    ),
    counted as (
        {counted_by_file}
    )
    select
        coalesce(loaded.file_id, counted.file_id) as file_id,
        loaded.source,
        loaded.file_name,
        loaded.{logged},
        coalesce(counted.row_count, 0) as {counted_as}
    from loaded
    full outer join counted on counted.file_id = loaded.file_id
    where coalesce(loaded.{logged}, 0) <> coalesce(counted.row_count, 0)
"""


_RAW_ROWS_BY_FILE: Final[str] = " union all ".join(
    f"select _file_id as file_id, count(*) as row_count from raw.{source.table} group by 1"
    for source in (SURVEYS, CRM, CALLS)
)
_RAW_RECONCILIATION: Final[str] = _reconciliation(
    "rows_loaded",
    f"select file_id, sum(row_count) as row_count from ({_RAW_ROWS_BY_FILE}) as raw_rows group by 1",
    "rows_in_raw",
)
_REJECTED_RECONCILIATION: Final[str] = _reconciliation(
    "rows_rejected",
    "select file_id, count(*) as row_count from quality.rejected_rows group by 1",
    "rows_in_rejected_rows",
)


def quality_suites(options: SuiteOptions) -> list[TableSuite]:
    return [
        TableSuite(
            "quality",
            "ingestion_log",
            (
                not_null("file_name"),
                in_set("status", INGESTION_STATUSES),
                *(between(column, 0, None) for column in ("rows_in_file", "rows_loaded", "rows_rejected")),
                no_rows(
                    "ingestion_reconciles",
                    "select source, file_name, rows_in_file, rows_loaded, rows_rejected from {batch}"
                    " where status = 'loaded'"
                    " and rows_in_file is distinct from rows_loaded + rows_rejected",
                    "every loaded file: `rows_in_file = rows_loaded + rows_rejected`",
                    column="rows_in_file",
                ),
                no_rows(
                    "loaded_rows_match_raw",
                    _RAW_RECONCILIATION,
                    "every loaded file's `rows_loaded` equals its rows in the raw tables (by `_file_id`), and every"
                    " raw row belongs to a loaded file",
                    column="rows_loaded",
                ),
                no_rows(
                    "rejected_rows_match_log",
                    _REJECTED_RECONCILIATION,
                    "every loaded file's `rows_rejected` equals its rows in `quality.rejected_rows`",
                    column="rows_rejected",
                ),
                no_rows(
                    "no_failed_files",
                    "select source, file_name, reason from {batch} where status = 'failed'",
                    "no landed file failed to load (a failed file is not in the warehouse)",
                    column="status",
                    severity=WARNING,
                ),
            ),
        ),
    ]


def mart_suites(options: SuiteOptions) -> list[TableSuite]:
    orphans = f"""
        with responses as (
            select response_id, customer_id
            from {{batch}}
            where responded_at is not null
        ),
        flagged as (
            select
                responses.response_id,
                responses.customer_id,
                dim_customers.customer_id is null as is_orphan
            from responses
            left join marts.dim_customers as dim_customers
                on dim_customers.customer_id = responses.customer_id
        ),
        share as (
            select count(*) filter (where is_orphan) * 1.0 / nullif(count(*), 0) as orphan_share from flagged
        )
        select flagged.response_id, flagged.customer_id, round(share.orphan_share, 4) as orphan_share
        from flagged
        cross join share
        where flagged.is_orphan and share.orphan_share > {options.orphan_max_share}
    """
    return [
        TableSuite(
            "marts",
            "fct_survey_responses",
            (
                # NPS scores' values are a dbt test (accepted_values 0–10); CSAT and CES ranges are checked here
                between("csat_score", 1, 5),
                between("ces_score", 1, 7),
                *survey_times(options),
                no_rows(
                    "orphan_share_within_limit",
                    orphans,
                    f"responses whose customer is not in the CRM (`marts.dim_customers`) are at most "
                    f"{options.orphan_max_share:.1%} of responses (NPS_ORPHAN_MAX_SHARE; a warning, never blocking: "
                    "a survey-only deployment has only orphans)",
                    column="customer_id",
                    severity=WARNING,
                ),
                daily_volume("response_id", "sent_at", options, "invitations_daily_volume_in_band"),
            ),
        ),
        TableSuite(
            "marts",
            "nps_by_period",
            (
                *period_metrics(),
                between("invitations", 0, None),
                between("response_rate", 0, 1),
            ),
        ),
        TableSuite(
            "marts",
            "nps_by_segment",
            (*period_metrics(),),
        ),
        TableSuite(
            "marts",
            "nps_by_channel",
            (*period_metrics(),),
        ),
    ]


def build_suites(options: SuiteOptions) -> list[TableSuite]:
    """Every suite, in pipeline order: raw and ingestion bookkeeping, marts."""
    return [*raw_suites(options), *quality_suites(options), *mart_suites(options)]


def suite_names() -> list[str]:
    """The `schema.table` name of every suite (for declaring Dagster asset checks without running anything)."""
    return [suite.name for suite in build_suites(SuiteOptions(as_of=datetime(2000, 1, 1, tzinfo=UTC)))]
