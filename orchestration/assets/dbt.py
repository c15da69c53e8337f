"""The dbt project as Dagster assets; dbt tests appear as asset checks."""

import json
from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from orchestration.resources import NpsSettings, dbt_build_args, dbt_cli_for_run, dbt_project
from orchestration.translator import NpsDbtTranslator
from publishing.spark_tables import import_spark_tables


@dbt_assets(manifest=dbt_project().manifest_path, project=dbt_project(), dagster_dbt_translator=NpsDbtTranslator())
def nps_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, nps: NpsSettings) -> Iterator[Any]:
    """`dbt build`: seeds, models and data tests (no unit tests: `dbt_build_args`), in DAG order, with the run's
    settings as `--vars`. dbt's artefacts go to one folder in the data directory (not a new folder in the project
    for every run)."""
    settings = nps.get()
    target = (settings.data_dir / "dbt_target").resolve()
    cli = dbt_cli_for_run(dbt, settings)
    yield from cli.cli(dbt_build_args(settings), context=context, target_path=target).stream()
    if settings.engine == "spark":  # what Spark built, into the warehouse the quality suites and publish read
        tables = import_spark_tables(
            settings.warehouse_path, settings.spark_dir, memory_limit=settings.duckdb_memory_limit
        )
        context.log.info(f"read {len(tables)} Spark tables into {settings.warehouse_path}")


def models_in_folder(folder: str) -> list[str]:
    """Names of the dbt models under `models/<folder>/` (from the manifest, never a hand-written list)."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and len(node["fqn"]) > 2 and node["fqn"][1] == folder
    )


def mart_asset_keys() -> list[AssetKey]:
    return [get_asset_key_for_model([nps_dbt_assets], name) for name in models_in_folder("marts")]
