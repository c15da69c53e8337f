"""The read-only copy for BI: schema `marts` in a new DuckDB file (1.x-readable) plus Parquet, swapped in."""

import json

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from orchestration.assets.dbt import mart_asset_keys
from orchestration.assets.ingestion import INGESTION_LOG
from orchestration.assets.themes import EMERGING_TOPICS
from orchestration.resources import NpsSettings, dbt_project
from publishing.publish import mart_keys, marts_without_parquet, publish_marts


@asset(
    deps=[*mart_asset_keys(), EMERGING_TOPICS, INGESTION_LOG],
    group_name="published",
    kinds={"duckdb", "parquet"},
    description="Schema marts copied to NPS_PUBLISHED_PATH (DuckDB 1.x-readable) and marts/<table>.parquet beside "
    "it, each written to a new file and renamed over the old one: readers never see a half-written file. Only marts "
    "whose content fingerprint changed are written again (a mart with a unique key by key); a mart whose dbt config "
    "says meta parquet: false gets no Parquet file.",
)
def published_marts(context: AssetExecutionContext, nps: NpsSettings) -> MaterializeResult:
    settings = nps.get()
    manifest = json.loads(dbt_project().manifest_path.read_text())
    result = publish_marts(
        settings.warehouse_path,
        settings.published_path,
        memory_limit=settings.duckdb_memory_limit,
        parquet_excluded=marts_without_parquet(manifest),
        keys=mart_keys(manifest),
    )
    context.log.info(
        f"published {len(result.tables)} marts to {settings.published_path}: {len(result.rewritten)} written again "
        f"({', '.join(result.rewritten) or 'none'}), {len(result.parquet_rewritten)} Parquet files written"
    )
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(settings.published_path)),
            "tables": MetadataValue.json(dict(result.tables)),
            "rewritten": MetadataValue.json(list(result.rewritten)),
            "parquet_rewritten": MetadataValue.json(list(result.parquet_rewritten)),
        }
    )
