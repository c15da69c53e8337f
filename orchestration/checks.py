"""The Great Expectations suites of `data_quality` as Dagster asset checks.

One step runs every suite once (GE does the scanning inside DuckDB) and reports, for each validated table,
a blocking check (`contract_expectations`: a failure stops downstream assets and the publish) and a warning
check (`warning_expectations`). Tables map to assets by rule: raw tables to the ingestion asset of their dbt
source, dbt relations to their model's asset, `quality.*` bookkeeping to the ingestion log asset.
"""

import json
from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    MetadataValue,
    multi_asset_check,
)
from dagster_dbt import get_asset_key_for_model

from data_quality.runner import BLOCKING, ExpectationOutcome, validate_warehouse
from data_quality.suites import suite_names
from orchestration.assets.ingestion import INGESTION_LOG, ingestion_asset_key
from orchestration.resources import NpsSettings, dbt_project

CHECK_NAMES = {True: "contract_expectations", False: "warning_expectations"}


def raw_table_sources() -> dict[str, str]:
    """raw table name → dbt source name (from the manifest)."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    return {s["name"]: s["source_name"] for s in manifest["sources"].values() if s["schema"] == "raw"}


def table_asset_key(suite: str, dbt_assets: AssetsDefinition) -> AssetKey:
    schema, table = suite.split(".", 1)
    if schema == "raw":
        return ingestion_asset_key(raw_table_sources()[table])
    if schema == "quality":
        return INGESTION_LOG
    return get_asset_key_for_model([dbt_assets], table)


def check_results(
    outcomes_by_suite: dict[str, list[ExpectationOutcome]], keys: dict[str, AssetKey]
) -> Iterator[AssetCheckResult]:
    """Fold the expectation outcomes of each table into its blocking and warning checks."""
    for suite, key in keys.items():
        outcomes = outcomes_by_suite.get(suite, [])
        for blocking, name in CHECK_NAMES.items():
            chosen = [o for o in outcomes if (o.severity == BLOCKING) == blocking]
            failed = [o for o in chosen if not o.success]
            yield AssetCheckResult(
                asset_key=key,
                check_name=name,
                passed=not failed,
                severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
                metadata={
                    "expectations": len(chosen),
                    "failed": len(failed),
                    "failures": MetadataValue.md("\n".join(f"- {o.line()}" for o in failed) or "none"),
                },
            )


def check_step_of(suite: str) -> str:
    """Each check step runs right after the step producing its tables, so that its blocking checks can stop
    what follows: raw tables before dbt, the ingestion log before the publish, dbt relations before the publish."""
    return {"raw": "raw_quality_suites", "quality": "ingestion_log_quality_suites"}.get(
        suite.split(".")[0], "warehouse_quality_suites"
    )


def build_quality_checks(dbt_assets: AssetsDefinition) -> list[AssetsDefinition]:
    steps: dict[str, dict[str, AssetKey]] = {}
    for suite in suite_names():
        steps.setdefault(check_step_of(suite), {})[suite] = table_asset_key(suite, dbt_assets)
    return [_quality_check_step(name, keys) for name, keys in steps.items()]


def _quality_check_step(name: str, keys: dict[str, AssetKey]) -> AssetsDefinition:
    specs = [
        AssetCheckSpec(
            check,
            asset=key,
            blocking=blocking,
            description=f"Great Expectations suite {suite}: {'blocking' if blocking else 'warning'} expectations",
        )
        for suite, key in keys.items()
        for blocking, check in CHECK_NAMES.items()
    ]

    @multi_asset_check(specs=specs, name=name, can_subset=False)
    def _suites(context: AssetCheckExecutionContext, nps: NpsSettings) -> Iterator[AssetCheckResult]:
        settings = nps.get()
        report = validate_warehouse(
            settings.warehouse_path,
            settings.as_of_or_now(),
            orphan_max_share=settings.orphan_max_share,
            suites=list(keys),
            data_docs_dir=settings.data_dir / "gx" / "data_docs",
        )
        for outcome in report.results:
            if not outcome.success:
                context.log.warning(outcome.line())
        yield from check_results({suite: report.for_suite(suite) for suite in keys}, keys)

    return _suites
