"""Run every suite against a warehouse, record the results and build GE Data Docs.

`validate_warehouse` opens the warehouse read-only (one DuckDB connection for GE, see `gx_duckdb`), runs one
GE checkpoint over every table's suite, closes it, then appends the results to
`quality.validation_results` (and moves the watermarks of `data_quality.scope`) with a short read-write
connection. `validate_command` is `nps validate`.

A suite's whole-table expectations run on the table; its changed-rows expectations on the rows its scope
selects (`data_quality.scope`: the rows loaded since the last passing validation, every row the first time),
as a second GE suite, `<schema.table> (new rows)`, whose results are reported under the table's name.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sys
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import duckdb

from data_quality.gx_duckdb import WarehouseConnection, add_duckdb_datasource, add_table_asset, warehouse_read_only
from data_quality.scope import (
    WATERMARKS_TABLE,
    Scope,
    Watermark,
    read_watermarks,
    scope_of,
    suite_fingerprint,
    write_watermarks,
)
from data_quality.suites import BLOCKING, SAMPLE_SIZE, WARNING, Severity, SuiteOptions, TableSuite, build_suites

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.data_context import AbstractDataContext

    from nps.settings import Settings

DATASOURCE_NAME: Final[str] = "nps_warehouse"
DATA_DOCS_SITE: Final[str] = "nps_data_docs"
CHECKPOINT_NAME: Final[str] = "nps_warehouse_suites"
RESULTS_TABLE: Final[str] = "quality.validation_results"
FINGERPRINT_AS_OF: Final[datetime] = datetime(2000, 1, 1, tzinfo=UTC)

RESULTS_DDL: Final[str] = f"""
create table if not exists {RESULTS_TABLE} (
    run_id varchar not null,
    suite varchar not null,
    expectation varchar not null,
    check_name varchar not null,
    column_name varchar,
    severity varchar not null,
    success boolean not null,
    unexpected_count bigint,
    sample_bad_values varchar,
    description varchar,
    error varchar,
    as_of timestamptz not null,
    validated_at timestamptz not null
)
"""
RESULT_COLUMNS: Final[tuple[str, ...]] = (
    "run_id",
    "suite",
    "expectation",
    "check_name",
    "column_name",
    "severity",
    "success",
    "unexpected_count",
    "sample_bad_values",
    "description",
    "error",
    "as_of",
    "validated_at",
)


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result, in the shape of a `quality.validation_results` row."""

    suite: str  # `schema.table`
    expectation: str  # GE expectation type, e.g. `expect_column_values_to_be_between`
    check_name: str  # the short rule name from the suite's meta
    column_name: str | None
    severity: Severity
    success: bool
    unexpected_count: int | None
    sample_bad_values: str | None  # JSON text
    description: str
    error: str | None = None
    rows: str | None = None  # the rows judged, for a changed-rows expectation (e.g. `rows with _file_id > 3`)

    @property
    def status(self) -> str:
        if self.success:
            return "PASS"
        return "FAIL" if self.severity == BLOCKING else "WARN"

    def line(self) -> str:
        where = f"{self.suite}.{self.column_name}" if self.column_name else self.suite
        text = f"{self.status:4} [{self.severity}] {where}: {self.check_name} ({self.expectation})"
        if self.rows:
            text += f" on {self.rows}"
        if not self.success:
            if self.unexpected_count is not None:
                text += f", {self.unexpected_count} unexpected"
            if self.sample_bad_values:
                text += f", sample {self.sample_bad_values}"
            if self.error:
                text += f", error: {self.error}"
        return text


@dataclass
class ValidationReport:
    run_id: str
    as_of: datetime
    validated_at: datetime
    results: list[ExpectationOutcome] = field(default_factory=list)
    data_docs_index: Path | None = None
    scopes: dict[str, Scope] = field(default_factory=dict)  # suite → the rows its changed-rows rules judged
    watermarks: list[Watermark] = field(default_factory=list)  # to store: suites whose changed-rows rules passed

    @property
    def failed_blocking(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.severity == BLOCKING]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.severity == WARNING]

    @property
    def success(self) -> bool:
        return not self.failed_blocking

    def for_suite(self, suite: str) -> list[ExpectationOutcome]:
        """The results of one table (`schema.table`), e.g. for a Dagster asset check."""
        return [r for r in self.results if r.suite == suite]

    def suites(self) -> list[str]:
        return list(dict.fromkeys(r.suite for r in self.results))


# ---------------------------------------------------------------------------------------------------
# GE context


def create_context(results_dir: Path | None = None) -> AbstractDataContext:
    """An ephemeral GE context: analytics (by its config, not the environment) and progress bars off, suites and
    definitions in memory.

    With `results_dir`, GE's validation results are kept there as JSON (the runner keeps only the latest
    result of each suite), so the Data Docs site shows every table's latest validation even when suites
    are run by separate calls or processes (e.g. one Dagster step per layer). Without it they stay in memory.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults()
    if results_dir is not None:
        defaults.stores[defaults.validation_results_store_name]["store_backend"] = {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(Path(results_dir).resolve()),  # GE refuses a relative one
        }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={},
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _ge_suite_names(suite: TableSuite) -> list[str]:
    """The GE suites of one table: its whole-table expectations and its changed-rows expectations."""
    return [name for name, rules in ((suite.name, True), (suite.changed_rows_name, bool(suite.changed_rows))) if rules]


def _keep_latest_results(context: AbstractDataContext, suites: Iterable[TableSuite], current: set[Any]) -> None:
    """Drop the stored results of these suites from earlier runs: Data Docs show each table's latest run."""
    names = {name for suite in suites for name in _ge_suite_names(suite)}
    store = context.validation_results_store
    for key in store.list_keys():
        if key.expectation_suite_identifier.name in names and key not in current:
            store.remove_key(key)


def _use_data_docs_dir(context: AbstractDataContext, data_docs_dir: Path) -> None:
    if DATA_DOCS_SITE in (context.get_config().data_docs_sites or {}):
        context.delete_data_docs_site(DATA_DOCS_SITE)
    context.add_data_docs_site(
        site_name=DATA_DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(data_docs_dir.resolve()),
            },
        },
    )


def _forget(context: AbstractDataContext, suites: Iterable[TableSuite]) -> None:
    """Drop what a run registered (checkpoint, validation definitions, suites, datasource), so a reused
    context starts clean. Validation definitions go before the datasource they point at."""
    for remove in (
        lambda: context.checkpoints.delete(CHECKPOINT_NAME),
        *(lambda n=name: context.validation_definitions.delete(n) for s in suites for name in _ge_suite_names(s)),
        *(lambda n=name: context.suites.delete(n) for s in suites for name in _ge_suite_names(s)),
        lambda: context.data_sources.delete(DATASOURCE_NAME),
    ):
        with contextlib.suppress(Exception):
            remove()


# ---------------------------------------------------------------------------------------------------
# Results


@contextlib.contextmanager
def _quiet_type_reflection() -> Iterator[None]:
    """GE warns once per type check that it has no DuckDB type module and uses SQLAlchemy's generic types,
    which is what the integer type checks expect (`Integer`, `BigInteger`, ...): keep that line out of
    the output."""
    logger = logging.getLogger("great_expectations.expectations.type_comparison")
    quiet = _DropMessage("No sqlalchemy dialect found")
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


class _DropMessage(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefix)


def _first_line(message: object, limit: int = 300) -> str | None:
    """The first line of an error (SQLAlchemy appends the whole statement), at most `limit` characters."""
    if not message:
        return None
    line = str(message).strip().splitlines()[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _sample(values: Any) -> str | None:
    if values is None or values == []:
        return None
    if isinstance(values, list):
        values = values[:SAMPLE_SIZE]
    return json.dumps(values, default=str, ensure_ascii=False)


def _outcome(suite: str, result: ExpectationValidationResult, rows: str | None = None) -> ExpectationOutcome:
    config = result.expectation_config
    meta: Mapping[str, Any] = (config.meta if config is not None else None) or {}
    body: Mapping[str, Any] = result.result or {}
    exception = result.exception_info or {}
    error = None
    if exception.get("raised_exception"):
        error = _first_line(exception.get("exception_message"))
    else:  # metric errors come keyed by metric id
        messages = {_first_line(v.get("exception_message")) for v in exception.values() if isinstance(v, dict)}
        error = "; ".join(sorted(m for m in messages if m)) or None
    unexpected = body.get("unexpected_count")
    sample: Any = body.get("partial_unexpected_list")
    if "details" in body and isinstance(body["details"], Mapping) and "unexpected_rows" in body["details"]:
        unexpected = body.get("observed_value")
        sample = body["details"]["unexpected_rows"]
    elif unexpected is None and not result.success and "observed_value" in body:
        sample = [body["observed_value"]]
    expectation_type = config.type if config is not None else "unknown"
    return ExpectationOutcome(
        suite=suite,
        expectation=expectation_type,
        check_name=str(meta.get("check") or expectation_type),
        column_name=meta.get("column"),
        severity=meta.get("severity", BLOCKING),
        success=bool(result.success),
        unexpected_count=int(unexpected) if isinstance(unexpected, int | float) else None,
        sample_bad_values=None if result.success else _sample(sample),
        description=str(config.description or "") if config is not None else "",
        error=error,
        rows=rows,
    )


def _missing_table(suite: TableSuite) -> ExpectationOutcome:
    return ExpectationOutcome(
        suite=suite.name,
        expectation="table_exists",
        check_name="table_exists",
        column_name=None,
        severity=BLOCKING,
        success=False,
        unexpected_count=None,
        sample_bad_values=None,
        description=f"table {suite.name} exists",
        error=f"{suite.name} does not exist in the warehouse (not loaded or not built yet)",
    )


def _run_suites(
    context: AbstractDataContext,
    warehouse: WarehouseConnection,
    suites: list[TableSuite],
    data_docs_dir: Path,
    run_id: str,
    scopes: dict[str, Scope],
) -> tuple[list[ExpectationOutcome], Path | None]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    _forget(context, suites)
    _use_data_docs_dir(context, data_docs_dir)
    datasource = add_duckdb_datasource(context, DATASOURCE_NAME, warehouse)
    relations = warehouse.existing_relations()
    outcomes: dict[str, list[ExpectationOutcome]] = {}
    table_of: dict[str, tuple[str, str | None]] = {}  # GE suite → (table suite, rows judged)
    definitions = []
    for suite in suites:
        if suite.name not in relations:
            outcomes[suite.name] = [_missing_table(suite)]
            continue
        ge_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=list(suite.expectations)))
        batch_definition = add_table_asset(
            datasource, suite.schema_name, suite.table_name
        ).add_batch_definition_whole_table("whole_table")
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=ge_suite)
            )
        )
        table_of[suite.name] = (suite.name, None)
        if suite.changed_rows:
            scope = scopes[suite.name]
            name = suite.changed_rows_name
            changed_suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=list(suite.changed_rows)))
            query = f"select * from {suite.name} where {scope.where()}"
            changed_batch = datasource.add_query_asset(name=name, query=query).add_batch_definition_whole_table(
                "changed_rows"
            )
            definitions.append(
                context.validation_definitions.add(
                    gx.ValidationDefinition(name=name, data=changed_batch, suite=changed_suite)
                )
            )
            table_of[name] = (suite.name, scope.describe())
    current: set[Any] = set()
    if definitions:
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=CHECKPOINT_NAME,
                validation_definitions=definitions,
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
            )
        )
        checkpoint_result = checkpoint.run(run_id=RunIdentifier(run_name=run_id))
        for suite_result in checkpoint_result.run_results.values():
            table, rows = table_of[_suite_name(suite_result)]
            outcomes.setdefault(table, []).extend(_outcome(table, r, rows) for r in suite_result.results)
        current = set(checkpoint_result.run_results)
    # Data Docs show the latest result of every table; the history is in quality.validation_results
    _keep_latest_results(context, suites, current)
    for suite in suites:  # this run's tables get their page again; the other tables keep theirs
        for name in _ge_suite_names(suite):
            shutil.rmtree(data_docs_dir / "validations" / Path(*name.split(".")), ignore_errors=True)
    # once for the whole run (GE's UpdateDataDocsAction would rebuild the site after every table), rendering
    # only this run's results beside the pages already there
    context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=sorted(current, key=str) or None)
    index = data_docs_dir / "index.html"
    ordered = [outcome for suite in suites for outcome in outcomes.get(suite.name, [])]
    return ordered, index if index.is_file() else None


def _suite_name(suite_result: ExpectationSuiteValidationResult) -> str:
    return str(suite_result.suite_name)


def write_results(warehouse_path: Path, report: ValidationReport) -> None:
    """Append the report to `quality.validation_results` in one short read-write transaction."""
    rows = [
        (
            report.run_id,
            r.suite,
            r.expectation,
            r.check_name,
            r.column_name,
            r.severity,
            r.success,
            r.unexpected_count,
            r.sample_bad_values,
            r.description,
            r.error,
            report.as_of,
            report.validated_at,
        )
        for r in report.results
    ]
    placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
    connection = duckdb.connect(str(warehouse_path))
    try:
        connection.execute("begin")
        connection.execute("create schema if not exists quality")
        connection.execute(RESULTS_DDL)
        if rows:
            connection.executemany(
                f"insert into {RESULTS_TABLE} ({', '.join(RESULT_COLUMNS)}) values ({placeholders})", rows
            )
        write_watermarks(connection, report.watermarks, report.run_id, report.validated_at)
        connection.execute("commit")
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------------
# Entry points


def validate_warehouse(
    warehouse_path: Path,
    as_of: datetime,
    data_docs_dir: Path | None = None,
    orphan_max_share: float = 0.05,
    *,
    suites: Collection[str] | None = None,
    context: AbstractDataContext | None = None,
    record_results: bool = True,
    all_rows: bool = False,
) -> ValidationReport:
    """Run the suites (all, or only the `schema.table` names in `suites`) against the warehouse.

    Results are appended to `quality.validation_results` (unless `record_results` is false) and rendered
    as GE Data Docs under `data_docs_dir` (default `<warehouse dir>/gx/data_docs`), which show the latest
    result of every table (GE's JSON results are kept beside it in `validation_results/`). Pass a `context`
    from `create_context()` to reuse one GE context across calls (its own results store is used then).

    Changed-rows expectations judge the rows their scope selects (`data_quality.scope`), or every row with
    `all_rows`; the watermarks move only when the results are recorded.
    """
    warehouse_path = Path(warehouse_path)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    docs_dir = (data_docs_dir or warehouse_path.parent / "gx" / "data_docs").resolve()  # GE wants it absolute
    selected = [
        suite
        for suite in build_suites(SuiteOptions(as_of=as_of, orphan_max_share=orphan_max_share))
        if suites is None or suite.name in suites
    ]
    if suites is not None and (unknown := set(suites) - {suite.name for suite in selected}):
        raise ValueError(f"unknown suites: {', '.join(sorted(unknown))}")
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    context = context or create_context(results_dir=docs_dir.parent / "validation_results")
    with warehouse_read_only(warehouse_path) as warehouse:
        scopes = _scopes(warehouse, selected, orphan_max_share, as_of, all_rows)
        try:
            with _quiet_type_reflection():
                results, index = _run_suites(context, warehouse, selected, docs_dir, run_id, scopes)
        finally:
            _forget(context, selected)
    report = ValidationReport(
        run_id=run_id,
        as_of=as_of,
        validated_at=datetime.now(UTC),
        results=results,
        data_docs_index=index,
        scopes=scopes,
        watermarks=_passed_watermarks(scopes, results, as_of),
    )
    if record_results:
        write_results(warehouse_path, report)
    return report


def _scopes(
    warehouse: WarehouseConnection,
    suites: list[TableSuite],
    orphan_max_share: float,
    as_of: datetime,
    all_rows: bool,
) -> dict[str, Scope]:
    """The scope of every selected suite that has changed-rows expectations and whose table exists."""
    relations = warehouse.existing_relations()
    scoped = [suite for suite in suites if suite.changed_rows and suite.name in relations]
    if not scoped:
        return {}
    # fingerprints from suites built at a fixed moment: as_of is compared on its own (data_quality.scope)
    fixed = {s.name: s for s in build_suites(SuiteOptions(as_of=FINGERPRINT_AS_OF, orphan_max_share=orphan_max_share))}
    stored = {} if all_rows else read_watermarks(warehouse.connection, WATERMARKS_TABLE in relations)
    return {
        suite.name: scope_of(
            warehouse.connection, suite, suite_fingerprint(fixed[suite.name]), stored.get(suite.name), as_of
        )
        for suite in scoped
    }


def _passed_watermarks(scopes: dict[str, Scope], results: list[ExpectationOutcome], as_of: datetime) -> list[Watermark]:
    """The new watermark of each scoped suite whose changed-rows expectations all passed (warnings included)."""
    failed = {r.suite for r in results if r.rows is not None and not r.success}
    marks = [scope.watermark(as_of) for name, scope in scopes.items() if name not in failed]
    return [mark for mark in marks if mark is not None]


def failure_message(report: ValidationReport) -> str:
    """Names each failed blocking expectation: table, column, rule, unexpected count, sample."""
    lines = [f"validation failed: {len(report.failed_blocking)} blocking expectation(s) failed (run {report.run_id})"]
    lines += [f"  {outcome.line()}" for outcome in report.failed_blocking]
    return "\n".join(lines)


def validate_command(settings: Settings) -> int:
    """`nps validate`: print every result; exit 1 naming each failed blocking expectation, else 0."""
    if not settings.warehouse_path.is_file():
        print(f"error: warehouse file not found: {settings.warehouse_path}", file=sys.stderr)
        return 2
    try:
        report = validate_warehouse(
            settings.warehouse_path,
            settings.as_of_or_now(),
            data_docs_dir=settings.data_dir / "gx" / "data_docs",
            orphan_max_share=settings.orphan_max_share,
        )
    except duckdb.Error as exc:  # e.g. another process holds the warehouse's write lock
        print(f"error: cannot validate {settings.warehouse_path}: {_first_line(exc)}", file=sys.stderr)
        return 2
    for outcome in report.results:
        print(outcome.line())
    passed = sum(outcome.success for outcome in report.results)
    print(
        f"{passed}/{len(report.results)} expectations passed, {len(report.failed_blocking)} blocking and "
        f"{len(report.failed_warnings)} warning failures; results in {RESULTS_TABLE} (run {report.run_id})"
    )
    if report.data_docs_index is not None:
        print(f"Data Docs: {report.data_docs_index}")
    if report.failed_blocking:
        print(failure_message(report), file=sys.stderr)
        return 1
    return 0
