"""The Great Expectations suites of `data_quality` as Dagster asset checks.

Two steps run the suites (GE does the scanning inside DuckDB) and report, for each validated table, a blocking
check (`contract_expectations`: a failure stops downstream assets and the publish) and a warning check
(`warning_expectations`). Tables map to assets by rule: raw tables to the ingestion asset of their dbt source,
dbt relations to their model's asset, `quality.*` bookkeeping to the ingestion log asset.

`raw_quality_suites` runs after ingestion (raw tables: blocks dbt and the publish), `warehouse_quality_suites`
after dbt (the ingestion log and the marts: blocks the publish). The ingestion log cannot join the raw step:
it is downstream of the raw assets, whose blocking checks that step carries (a cycle), and only the publish
depends on it. Both steps use the run's one GE context (`GxContext`, a resource: created on first use, once per
run with the in-process executor).
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    ConfigurableResource,
    MetadataValue,
    multi_asset_check,
)
from dagster_dbt import get_asset_key_for_model
from pydantic import PrivateAttr

from data_quality.runner import BLOCKING, ExpectationOutcome, create_context, validate_warehouse
from data_quality.suites import suite_names
from orchestration.assets.ingestion import INGESTION_LOG, ingestion_asset_key
from orchestration.resources import NpsSettings, dbt_project

CHECK_NAMES = {True: "contract_expectations", False: "warning_expectations"}
RAW_STEP = "raw_quality_suites"
WAREHOUSE_STEP = "warehouse_quality_suites"


class GxContext(ConfigurableResource):
    """The run's Great Expectations context, shared by the check steps (no global state: the resource lives
    as long as the run's resources). Created on first use, with its results store in `results_dir`."""

    _context: Any = PrivateAttr(default=None)
    _created: int = PrivateAttr(default=0)

    def get(self, results_dir: Path) -> Any:
        if self._context is None:
            self._context = create_context(results_dir=results_dir)
            self._created += 1
        return self._context

    @property
    def contexts_created(self) -> int:
        return self._created


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
    """Each check step runs right after the steps producing its tables, so that its blocking checks can stop
    what follows: raw tables before dbt (and the publish); the ingestion log and dbt relations before the
    publish. Two steps, not one per schema: each step pays GE's set-up and its Data Docs pages."""
    return RAW_STEP if suite.split(".")[0] == "raw" else WAREHOUSE_STEP


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
    def _suites(context: AssetCheckExecutionContext, nps: NpsSettings, gx: GxContext) -> Iterator[AssetCheckResult]:
        settings = nps.get()
        docs = settings.data_dir / "gx" / "data_docs"
        report = validate_warehouse(
            settings.warehouse_path,
            settings.as_of_or_now(),
            orphan_max_share=settings.orphan_max_share,
            suites=list(keys),
            data_docs_dir=docs,
            context=gx.get(docs.parent / "validation_results"),
        )
        for suite, scope in report.scopes.items():
            context.log.info(f"{suite}: row-level expectations on {scope.describe()}")
        for outcome in report.results:
            if not outcome.success:
                context.log.warning(outcome.line())
        yield from check_results({suite: report.for_suite(suite) for suite in keys}, keys)

    return _suites
