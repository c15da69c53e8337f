"""What a long-running deployment accumulates stays bounded (issue 19): Dagster run history (records, event-log
files, compute logs) is pruned to NPS_KEEP_RUNS, the instance config purges schedule/sensor ticks, the dbt
target folder holds one command's per-node files, and dbt.log rolls over at a fixed size."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus, job, op

from nps.settings import Settings
from orchestration.pipeline import dagster_home, dagster_yaml, prune_runs, run_pipeline
from orchestration.resources import DBT_LOG_FILE_MAX_BYTES, clear_node_artifacts
from tests.builds import AS_OF

DBT_LOG_FILES_KEPT = 6  # dbt.log and 5 rolled files (dbt_common's RotatingFileHandler backupCount)


@op
def say_something() -> None:
    print("a line of compute log")


@job
def tiny_job() -> None:
    say_something()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_prune_runs_keeps_the_newest_finished_runs_and_deletes_the_rest_with_their_files(tmp_path):
    home = dagster_home(Settings.from_env({}), tmp_path / "dagster_home")
    with DagsterInstance.from_config(str(home)) as instance:
        run_ids = [tiny_job.execute_in_process(instance=instance).run_id for _ in range(5)]
        pending = instance.create_run_for_job(job_def=tiny_job).run_id  # not finished: never pruned
        assert {p.name for p in (home / "storage").iterdir()} >= set(run_ids)  # compute logs, one folder a run
        deleted = prune_runs(instance, keep=2)
        assert deleted == list(reversed(run_ids[:3]))
        kept = {r.dagster_run.run_id for r in instance.get_run_records()}
        assert kept == {*run_ids[3:], pending}
        assert instance.get_run_by_id(pending).status == DagsterRunStatus.NOT_STARTED
        shards = {p.stem for p in (home / "history" / "runs").glob("*.db")} - {"index"}
        assert not shards & set(run_ids[:3])
        assert not set(_files(home / "storage")) & set(run_ids[:3])
        assert prune_runs(instance, keep=2) == []  # idempotent


def test_keep_runs_is_a_setting_read_from_the_environment_and_checked():
    assert Settings.from_env({}).keep_runs == 20
    assert Settings.from_env({"NPS_KEEP_RUNS": "3"}).keep_runs == 3
    with pytest.raises(ValueError, match="NPS_KEEP_RUNS"):
        Settings.from_env({"NPS_KEEP_RUNS": "0"})


def test_the_instance_config_purges_ticks_and_an_older_generated_one_is_rewritten(tmp_path):
    config = yaml.safe_load(dagster_yaml(tmp_path / "home"))
    assert config["retention"]["schedule"]["purge_after_days"] > 0
    assert all(days > 0 for days in config["retention"]["sensor"]["purge_after_days"].values())
    old = tmp_path / "old"
    old.mkdir()
    (old / "dagster.yaml").write_text("# written by `nps run`: telemetry off\ntelemetry:\n  enabled: false\n")
    assert (dagster_home(Settings.from_env({}), old) / "dagster.yaml").read_text() == dagster_yaml(old)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "dagster.yaml").write_text("# my own\ntelemetry:\n  enabled: false\n")
    assert (dagster_home(Settings.from_env({}), mine) / "dagster.yaml").read_text().startswith("# my own")


def test_clearing_node_artifacts_keeps_what_partial_parsing_and_the_log_need(tmp_path):
    for name in ("compiled/nps_warehouse/models/gone.sql", "run/nps_warehouse/models/gone.sql"):
        (tmp_path / name).parent.mkdir(parents=True)
        (tmp_path / name).write_text("select 1")
    for name in ("partial_parse.msgpack", "manifest.json", "dbt.log"):
        (tmp_path / name).write_text("x")
    clear_node_artifacts(tmp_path)
    assert _files(tmp_path) == ["dbt.log", "manifest.json", "partial_parse.msgpack"]


def test_after_runs_the_history_the_dbt_target_and_the_dbt_log_stay_bounded(messy_landing, tmp_path):
    """One real run on tiny data, into a data folder that already holds what earlier runs left: older Dagster
    runs, a dbt.log near its cap and the compiled SQL of a model since removed."""
    landing, _ = messy_landing
    shutil.copytree(landing, tmp_path / "landing")
    settings = Settings.from_env(
        {"NPS_KEEP_RUNS": "3"},
        landing_dir=tmp_path / "landing",
        warehouse_path=tmp_path / "wh" / "nps.duckdb",
        as_of=AS_OF,
    )
    home = dagster_home(settings, tmp_path / "dagster_home")
    with DagsterInstance.from_config(str(home)) as instance:
        earlier = [tiny_job.execute_in_process(instance=instance).run_id for _ in range(4)]
    target = settings.data_dir / "dbt_target"
    gone = target / "compiled" / "nps_warehouse" / "models" / "marts" / "a_removed_mart.sql"
    gone.parent.mkdir(parents=True)
    gone.write_text("select 1")
    (target / "dbt.log").write_bytes(b"{}\n" * (DBT_LOG_FILE_MAX_BYTES // 3 - 10))

    summary = run_pipeline(settings, log_level="WARNING", dagster_home_dir=home)
    assert summary.published, summary.failed_steps

    with DagsterInstance.from_config(str(home)) as instance:
        kept = [r.dagster_run.run_id for r in instance.get_run_records()]
    assert len(kept) == 3 and kept[1:] == list(reversed(earlier[-2:]))
    assert len([p for p in (home / "history" / "runs").glob("*.db") if p.stem != "index"]) <= 3
    assert len(_files(home / "storage")) <= 3
    assert not gone.exists()
    assert (target / "compiled" / "nps_warehouse").is_dir()  # this run's SQL is there
    logs = sorted(target.glob("dbt.log*"))
    assert [p.name for p in logs][:2] == ["dbt.log", "dbt.log.1"]  # rolled over instead of growing
    assert len(logs) <= DBT_LOG_FILES_KEPT
    assert all(p.stat().st_size <= DBT_LOG_FILE_MAX_BYTES for p in logs)
