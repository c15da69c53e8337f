"""One raw asset per landing source, all ingested by one step calling the `ingestion` library once; landing
folders as external assets."""

from collections.abc import Container, Iterator

import duckdb
from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from ingestion.columns import SOURCES
from ingestion.loader import IngestReport, ingest
from ingestion.sources_file import SourcesFileError
from orchestration.resources import NpsSettings
from orchestration.translator import ingestion_asset_key

FILES_READABLE = "all_landed_files_readable"
REJECTED_SHARE = "rejected_share_within_limit"
INGESTION_LOG = AssetKey("ingestion_log")
INGESTION_STEP = "raw_sources"  # the one step that loads every raw asset


def landing_asset_key(source: str) -> AssetKey:
    return AssetKey(f"landing_{source}")


def landing_specs() -> list[AssetSpec]:
    """The landing folders, outside Dagster's control: the start of the lineage graph."""
    return [
        AssetSpec(
            landing_asset_key(source),
            group_name="landing",
            kinds={"file"},
            description=f"Export files dropped into <NPS_LANDING_DIR>/{source}/ (csv, csv.gz, jsonl, parquet).",
        )
        for source in SOURCES
    ]


def ingestion_result(
    source: str, report: IngestReport, selected_checks: Container[AssetCheckKey] | None = None
) -> MaterializeResult:
    """Materialization metadata and the checks of one source's ingestion (its files only); only the checks in
    `selected_checks` when given (a run that selects some checks only)."""
    totals = report.totals(source)
    failed = [f"{f.file_name}: {f.reason}" for f in report.failed if f.source == source and not f.too_many_rejected]
    refused = [
        f"{t.file_name}: {t.share:.0%} of its rows rejected, most common reason {t.most_common_reason}"
        for t in report.too_many_rejected()
        if t.file_name.split("/", 1)[0] == source
    ]
    key = ingestion_asset_key(source)
    checks = [
        AssetCheckResult(
            asset_key=key,
            check_name=FILES_READABLE,
            passed=not failed,
            severity=AssetCheckSeverity.ERROR,
            description="Every landed file could be read (failed files are logged in quality.ingestion_log).",
            metadata={"failed_files": MetadataValue.md("\n".join(f"- {f}" for f in failed) or "none")},
        ),
        AssetCheckResult(
            asset_key=key,
            check_name=REJECTED_SHARE,
            passed=not refused,
            severity=AssetCheckSeverity.ERROR,
            description="No landed file has more than NPS_MAX_REJECTED_SHARE of its rows rejected (such a "
            "file is refused whole and blocks the run, so nothing is published, until it loads).",
            metadata={"failures": MetadataValue.md("\n".join(f"- {f}" for f in refused) or "none")},
        ),
    ]
    if selected_checks is not None:
        checks = [c for c in checks if AssetCheckKey(key, c.check_name) in selected_checks]
    return MaterializeResult(
        asset_key=key,
        metadata={
            **totals,
            "run_id": report.run_id,
            "files": MetadataValue.md("\n".join(f"- {line}" for line in report.lines(source)) or "no new files"),
        },
        check_results=checks,
    )


def ingestion_specs() -> list[AssetSpec]:
    """One raw asset per landing source (keys `raw_<source>`, the dbt sources' assets)."""
    return [
        AssetSpec(
            ingestion_asset_key(source),
            deps=[landing_asset_key(source)],
            group_name="raw",
            kinds={"duckdb", "python"},
            description=f"raw.{SOURCES[source].table}: every new {source} file, typed, with lineage; bad rows in "
            "quality.rejected_rows, every file reconciled in quality.ingestion_log.",
        )
        for source in SOURCES
    ]


def ingestion_check_specs() -> list[AssetCheckSpec]:
    return [
        spec
        for source in SOURCES
        for spec in (
            AssetCheckSpec(FILES_READABLE, asset=ingestion_asset_key(source)),
            AssetCheckSpec(REJECTED_SHARE, asset=ingestion_asset_key(source), blocking=True),
        )
    ]


def selected_sources(selected: set[AssetKey]) -> list[str]:
    """The landing sources whose raw asset is selected, in load order."""
    return [source for source in SOURCES if ingestion_asset_key(source) in selected]


@multi_asset(name=INGESTION_STEP, specs=ingestion_specs(), check_specs=ingestion_check_specs(), can_subset=True)
def raw_sources(context: AssetExecutionContext, nps: NpsSettings) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Every selected source in one ingestion: one connection, one transaction, one superseded-rows refresh and
    one lake export; one materialization (metadata and checks) per source, as if each had its own step."""
    settings = nps.get()
    assets, checks = set(context.selected_asset_keys), set(context.selected_asset_check_keys)
    sources = selected_sources(assets | {check.asset_key for check in checks})
    if not sources:
        return
    try:
        report = ingest(
            settings.landing_dir,
            settings.warehouse_path,
            settings.source_tz,
            # by name, as the one-step-per-source release ran them (raw_calls, raw_crm, raw_surveys): file ids, the
            # load order, stay assigned as before across sources
            sources=sorted(sources),
            sources_file=settings.sources_file,
            as_of=settings.as_of_or_now(),
            max_rejected_share=settings.max_rejected_share,
            settle_seconds=settings.file_settle_seconds,
            memory_limit=settings.duckdb_memory_limit,
            lake_dir=settings.lake_dir,
            on_file_done=lambda f: context.log.info(
                f"{f.status} {f.file_name}: {f.rows_loaded} rows, {f.rows_rejected} rejected"
            ),
        )
    except SourcesFileError as exc:  # nothing was read: the run stops here, naming the entry and key
        raise Failure(description=str(exc)) from exc
    for source in sources:
        result = ingestion_result(source, report, checks)
        if ingestion_asset_key(source) in assets:
            yield result
        else:  # only its checks were selected
            yield from result.check_results


ingestion_assets = [raw_sources]


@asset(
    key=INGESTION_LOG,
    deps=[ingestion_asset_key(source) for source in SOURCES],
    group_name="raw",
    kinds={"duckdb"},
    description="quality.ingestion_log and quality.rejected_rows as the ingestion assets left them: one row per "
    "landed file (loaded, skipped_duplicate, failed) reconciling rows_in_file = rows_loaded + rows_rejected.",
)
def ingestion_log(nps: NpsSettings) -> MaterializeResult:
    settings = nps.get()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(ingestion_log_summary_sql()).fetchall()
    return MaterializeResult(metadata={f"{status}_{source}": files for source, status, files in rows})


def ingestion_log_summary_sql() -> str:
    return "select source, status, count(*) from quality.ingestion_log group by all order by all"
