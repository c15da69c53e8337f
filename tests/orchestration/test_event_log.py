"""The event log `nps run` configures (orchestration/event_log.py): Dagster's SQLite files, written through
engines kept open, readable by a stock Dagster instance (`dagster dev`) and pruned like before."""

from __future__ import annotations

import yaml
from dagster import DagsterInstance, asset, materialize

from nps.settings import Settings
from orchestration.event_log import PooledSqliteEventLogStorage
from orchestration.pipeline import dagster_home, dagster_yaml, prune_runs


@asset
def counted(context) -> int:
    for i in range(5):
        context.log.info(f"line {i}")
    return 1


def test_the_instance_nps_run_writes_uses_the_pooled_event_log_under_its_own_folder(tmp_path):
    home = dagster_home(Settings.from_env({}), tmp_path / "home")
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["event_log_storage"]["config"]["base_dir"] == str(home / "history" / "runs")
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)


def test_events_written_through_the_pooled_log_are_read_by_a_stock_dagster_instance(tmp_path):
    home = dagster_home(Settings.from_env({}), tmp_path / "home")
    with DagsterInstance.from_config(str(home)) as instance:
        run_id = materialize([counted], instance=instance).run_id
        written = len(instance.all_logs(run_id))
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # Dagster's defaults, as `dagster dev`
    with DagsterInstance.from_config(str(home)) as stock:
        assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert len(stock.all_logs(run_id)) == written > 5
        materialized = stock.fetch_materializations(counted.key, limit=10).records
        assert [r.run_id for r in materialized] == [run_id]


def test_pruning_a_run_closes_its_pooled_connections_and_removes_its_files(tmp_path):
    home = dagster_home(Settings.from_env({}), tmp_path / "home")
    with DagsterInstance.from_config(str(home)) as instance:
        first, second = (materialize([counted], instance=instance).run_id for _ in range(2))
        assert prune_runs(instance, keep=1) == [first]
        left = {p.name for p in (home / "history" / "runs").iterdir()}
        assert not any(name.startswith(first) for name in left)
        assert first not in instance.event_log_storage._engines
        assert instance.all_logs(second)


def test_a_generated_config_of_a_moved_folder_is_rewritten_for_its_new_place(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    new.mkdir()
    (new / "dagster.yaml").write_text(dagster_yaml(old))
    dagster_home(Settings.from_env({}), new)
    assert (new / "dagster.yaml").read_text() == dagster_yaml(new)
