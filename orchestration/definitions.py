"""The Dagster definitions: landing → raw (ingestion) → dbt (staging, intermediate, marts) → quality checks →
published copy for BI. `defs` is what `dagster dev` loads (pyproject `[tool.dagster]`); `nps run` executes the
same job with its own settings as run config (`orchestration.pipeline.run_pipeline`)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from nps.settings import Settings
from orchestration.assets.dbt import nps_dbt_assets
from orchestration.assets.ingestion import ingestion_assets, ingestion_log, landing_specs
from orchestration.assets.publish import published_marts
from orchestration.assets.themes import emerging_topics, theme_inputs
from orchestration.checks import GxContext, build_quality_checks
from orchestration.resources import NpsSettings, dbt_resource
from orchestration.schedules import build_daily_schedule
from orchestration.sensors import build_landing_sensor

JOB_NAME = "nps_pipeline"

# Steps that touch the DuckDB file must never overlap (one writer): the whole job runs in one process, step by step.
nps_pipeline = define_asset_job(
    JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest new landing files, dbt build, data-quality suites, publish the marts for BI.",
)


def build_definitions(settings: Settings) -> Definitions:
    """The definitions with `settings` as the defaults of the `nps` resource (a run may still override
    them through run config, as `nps run` does)."""
    return Definitions(
        assets=[
            *landing_specs(),
            *ingestion_assets,
            ingestion_log,
            theme_inputs,
            nps_dbt_assets,
            emerging_topics,
            published_marts,
        ],
        asset_checks=build_quality_checks(nps_dbt_assets),
        jobs=[nps_pipeline],
        schedules=[build_daily_schedule(nps_pipeline, settings)],
        sensors=[build_landing_sensor(nps_pipeline)],
        resources={"dbt": dbt_resource(), "nps": NpsSettings.of(settings), "gx": GxContext()},
    )


# What `dagster dev` loads: the environment is read once, here, when the code location loads.
defs = build_definitions(Settings.from_env())
