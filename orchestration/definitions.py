"""The Dagster definitions: landing → raw (ingestion) → dbt (staging, intermediate, marts) → quality checks →
published copy for BI. Loaded by `dagster dev` (pyproject `[tool.dagster]`) and by `nps run`."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration.assets.dbt import nps_dbt_assets
from orchestration.assets.ingestion import ingestion_assets, ingestion_log, landing_specs
from orchestration.assets.publish import published_marts
from orchestration.checks import build_quality_checks
from orchestration.resources import NpsSettings, dbt_resource
from orchestration.schedules import build_daily_schedule
from orchestration.sensors import build_landing_sensor
from orchestration.settings import Settings

JOB_NAME = "nps_pipeline"

# Steps that touch the DuckDB file must never overlap (one writer): the whole job runs in one process, step by step.
nps_pipeline = define_asset_job(
    JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest new landing files, dbt build, data-quality suites, publish the marts for BI.",
)

defs = Definitions(
    assets=[*landing_specs(), *ingestion_assets, ingestion_log, nps_dbt_assets, published_marts],
    asset_checks=build_quality_checks(nps_dbt_assets),
    jobs=[nps_pipeline],
    schedules=[build_daily_schedule(nps_pipeline, Settings.from_env())],
    sensors=[build_landing_sensor(nps_pipeline)],
    resources={"dbt": dbt_resource(), "nps": NpsSettings()},
)
