"""The Dagster definitions load, form one lineage graph, and carry dbt tests and GE suites as checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from orchestration.assets.ingestion import INGESTION_STEP, raw_sources
from orchestration.definitions import JOB_NAME, defs
from orchestration.schedules import DEFAULT_CRON


def test_definitions_load_and_the_job_has_every_step():
    job = defs.resolve_job_def(JOB_NAME)
    steps = {node.name for node in job.graph.node_defs}
    assert {INGESTION_STEP, "nps_dbt_assets", "published_marts"} <= steps
    assert {"raw_quality_suites", "warehouse_quality_suites"} <= steps
    assert not {name for name in steps if name.endswith("_quality_suites")} - {
        "raw_quality_suites",
        "warehouse_quality_suites",
    }


def test_one_step_ingests_every_source_with_each_raw_asset_and_its_checks():
    assert raw_sources.node_def.name == INGESTION_STEP
    assert raw_sources.keys == {AssetKey("raw_surveys"), AssetKey("raw_crm"), AssetKey("raw_calls")}
    checks = {(k.asset_key.to_user_string(), k.name) for k in raw_sources.check_keys}
    for source in ("surveys", "crm", "calls"):
        assert (f"raw_{source}", "all_landed_files_readable") in checks
        assert (f"raw_{source}", "rejected_share_within_limit") in checks
    graph = defs.resolve_asset_graph()
    assert all(graph.get(AssetKey(f"raw_{s}")).group_name == "raw" for s in ("surveys", "crm", "calls"))


def test_lineage_runs_from_landing_through_raw_and_dbt_to_the_published_copy():
    graph = defs.resolve_asset_graph()
    upstream_of_published = graph.get(AssetKey("published_marts")).parent_keys
    assert AssetKey(["marts", "nps_by_period"]) in upstream_of_published
    staging = graph.get(AssetKey(["staging", "stg_surveys__responses"]))
    assert AssetKey("raw_surveys") in staging.parent_keys  # dbt source → ingestion asset, one graph
    assert AssetKey("landing_surveys") in graph.get(AssetKey("raw_surveys")).parent_keys


def test_groups_follow_the_dbt_folders():
    graph = defs.resolve_asset_graph()
    assert graph.get(AssetKey(["staging", "stg_calls__calls"])).group_name == "staging"
    assert graph.get(AssetKey(["intermediate", "int_customer_history"])).group_name == "intermediate"
    assert graph.get(AssetKey(["marts", "close_the_loop"])).group_name == "marts"


def test_dbt_tests_and_quality_suites_are_asset_checks():
    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert ("marts/fct_survey_responses", "responses_categorised_consistently_fct_survey_responses_") in checks
    assert ("marts/close_the_loop", "unique_close_the_loop_response_id") in checks
    assert ("marts/nps_by_period", "contract_expectations") in checks
    assert ("raw_surveys", "contract_expectations") in checks
    assert ("raw_surveys", "all_landed_files_readable") in checks


def test_the_daily_schedule_runs_at_six_in_the_reporting_time_zone():
    schedule = defs.resolve_schedule_def("daily_nps_pipeline")
    assert schedule.cron_schedule == DEFAULT_CRON
    assert schedule.job_name == JOB_NAME


def test_dagster_loads_the_same_definitions_from_the_project_root(tmp_path):
    """What `dagster dev` loads: pyproject's [tool.dagster] module, validated by Dagster's own CLI."""
    root = Path(__file__).parents[2]
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate"],
        cwd=root,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Validation successful for code location nps_warehouse" in done.stderr + done.stdout
