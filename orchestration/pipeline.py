"""`nps run` and `nps demo`: the Dagster job executed in process, with a summary a person can act on."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import duckdb
import yaml

from nps.settings import DEFAULT_LOW_SAMPLE_THRESHOLD, Settings
from publishing.nps_metrics import is_low_sample, pooled_interval, pooled_nps

if TYPE_CHECKING:
    from dagster import DagsterInstance

DAGSTER_YAML_HEADER = "# written by `nps run`"
DAGSTER_YAML_TEMPLATE = f"""{DAGSTER_YAML_HEADER}: telemetry off, local storage under the data folder, bounded history.
# Runs: `nps run` keeps the newest NPS_KEEP_RUNS finished runs (records, event logs, compute logs) and deletes
# the rest (`prune_runs`). Ticks of the schedule and the sensor are purged by the daemon (`dagster dev`) after
# the days below. The event log is Dagster's SQLite one with its connections kept open and write-ahead logging
# (`orchestration/event_log.py`: about 800 events a run, 20 ms each otherwise). Edit this file freely: once its
# first line is changed, `nps run` never rewrites it.
telemetry:
  enabled: false
retention:
  schedule:
    purge_after_days: 30
  sensor:
    purge_after_days:
      skipped: 1
      started: 30
      success: 30
      failure: 30
"""


def dagster_yaml(home: Path) -> str:
    """The dagster.yaml `nps run` writes into instance folder `home` (its event log's folder is absolute)."""
    from orchestration.event_log import event_log_config  # Dagster's storage: imported only for a run

    storage = yaml.safe_dump({"event_log_storage": event_log_config(home)}, sort_keys=False)
    return DAGSTER_YAML_TEMPLATE + storage


@dataclass
class RunSummary:
    success: bool
    files: dict[str, int] = field(default_factory=dict)  # files_loaded, files_skipped, files_failed
    rows_loaded: int = 0
    rows_rejected: int = 0
    failed_files: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)  # "asset: check (severity)"
    blocking_failed: list[str] = field(default_factory=list)
    published: dict[str, int] = field(default_factory=dict)
    failed_steps: list[str] = field(default_factory=list)
    as_of: datetime | None = None  # the moment the run judged follow-ups against

    @property
    def exit_code(self) -> int:
        return 0 if self.success and not self.blocking_failed and not self.failed_files else 1

    def lines(self) -> list[str]:
        out = [
            f"files:   {self.files.get('files_loaded', 0)} loaded, {self.files.get('files_skipped', 0)} skipped "
            f"(already loaded), {self.files.get('files_failed', 0)} failed",
            f"rows:    {self.rows_loaded:,} loaded, {self.rows_rejected:,} rejected (see quality.rejected_rows)",
            f"checks:  {self.checks_passed} passed, {len(self.checks_failed)} failed",
        ]
        out += [f"  FAILED {c}" for c in self.checks_failed]
        if self.published:
            out.append(f"published: {len(self.published)} marts ({', '.join(sorted(self.published))})")
        else:
            out.append("published: nothing (the previous published copy is untouched)")
        return out


def dagster_home(settings: Settings, home: Path | None = None) -> Path:
    """The Dagster instance folder: `home`, else DAGSTER_HOME, else `<data dir>/dagster_home`; a new one
    gets a dagster.yaml with telemetry off."""
    home = Path(home or os.environ.get("DAGSTER_HOME") or settings.data_dir.resolve() / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = dagster_yaml(home)
    if not config.exists() or is_stale_generated_config(config.read_text(), wanted):
        config.write_text(wanted)
    return home


def is_stale_generated_config(text: str, wanted: str) -> bool:
    """A dagster.yaml an older `nps run` wrote (its header line, other content, e.g. the folder moved): rewritten
    with the current settings. One whose first line a person changed is theirs and never rewritten."""
    return text.startswith(DAGSTER_YAML_HEADER) and text != wanted


def prune_runs(instance: DagsterInstance, keep: int) -> list[str]:
    """Delete all but the newest `keep` finished runs of `instance`: the run record and its events (Dagster's
    `delete_run`), the per-run event-log file SQLite storage keeps (which `delete_run` empties but leaves), and
    the run's compute logs. Runs not finished (another process may be executing them) are never touched.
    Returns the deleted run ids."""
    from dagster import RunsFilter
    from dagster._core.storage.dagster_run import FINISHED_STATUSES
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
    from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager

    old = instance.get_run_records(filters=RunsFilter(statuses=FINISHED_STATUSES), order_by="create_timestamp")[keep:]
    deleted = []
    for record in old:
        run_id = record.dagster_run.run_id
        instance.delete_run(run_id)
        if isinstance(instance.event_log_storage, SqliteEventLogStorage):
            shard = Path(instance.event_log_storage.path_for_shard(run_id))
            for path in (shard, shard.with_name(shard.name + "-wal"), shard.with_name(shard.name + "-shm")):
                path.unlink(missing_ok=True)
        if isinstance(instance.compute_log_manager, LocalComputeLogManager):
            instance.compute_log_manager.delete_logs(prefix=[run_id])
        deleted.append(run_id)
    return deleted


def summarise(result, as_of: datetime | None = None) -> RunSummary:
    """Fold the events of an in-process run into a RunSummary."""
    summary = RunSummary(success=result.success, as_of=as_of)
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        name = materialization.asset_key.to_user_string()
        meta = {k: v.value for k, v in materialization.metadata.items()}
        if name.startswith("raw_"):
            for key in ("files_loaded", "files_skipped", "files_failed"):
                summary.files[key] = summary.files.get(key, 0) + int(meta.get(key, 0))
            summary.rows_loaded += int(meta.get("rows_loaded", 0))
            summary.rows_rejected += int(meta.get("rows_rejected", 0))
        if name == "published_marts":
            summary.published = dict(meta.get("tables", {}))
    for evaluation in result.get_asset_check_evaluations():
        label = f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name} ({evaluation.severity.value})"
        if evaluation.passed:
            summary.checks_passed += 1
            continue
        failures = evaluation.metadata.get("failures") or evaluation.metadata.get("failed_files")
        detail = f"\n      {failures.value.strip()}".replace("\n- ", "\n      ") if failures else ""
        summary.checks_failed.append(label + detail)
        if evaluation.check_name == "all_landed_files_readable":
            summary.failed_files.append(label)
        elif evaluation.severity.value == "ERROR" and evaluation.blocking:
            summary.blocking_failed.append(label + detail)
    summary.failed_steps = [step_failure_line(e) for e in result.all_events if e.is_step_failure]
    return summary


def step_failure_line(event) -> str:
    """`step: message` (the user's message of a `Failure`, else the error's first line)."""
    data = event.step_failure_data
    message = ""
    if data is not None:
        description = data.user_failure_data.description if data.user_failure_data else None
        message = description or (data.error.message.strip().splitlines()[-1] if data.error else "")
    return f"{event.step_key}: {message}" if message else event.step_key


def run_pipeline(settings: Settings, log_level: str = "INFO", dagster_home_dir: Path | None = None) -> RunSummary:
    """Execute the `nps_pipeline` job of the project's Dagster definitions in this process, with `settings`
    (as_of fixed once, now if not given) as the run config of the `nps` resource, on the Dagster instance in
    `dagster_home_dir` (default: DAGSTER_HOME, else `<data dir>/dagster_home`)."""
    settings = settings.pinned()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    from dagster import DagsterInstance

    from orchestration.definitions import JOB_NAME, defs
    from orchestration.resources import config_of

    job = defs.resolve_job_def(JOB_NAME)
    run_config = {
        "loggers": {"console": {"config": {"log_level": log_level}}},
        "resources": {"nps": {"config": config_of(settings)}},
    }
    with DagsterInstance.from_config(str(dagster_home(settings, dagster_home_dir))) as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)
        summary = summarise(result, settings.as_of)
        prune_runs(instance, settings.keep_runs)
    return summary


def run_command(settings: Settings) -> int:
    return report(run_pipeline(settings))


def report(summary: RunSummary) -> int:
    print("\n".join(summary.lines()))
    if summary.exit_code:
        for line in summary.blocking_failed:
            print(f"error: blocking check failed: {line}", file=sys.stderr)
        for line in summary.failed_files:
            print(f"error: some landed files could not be read: {line}", file=sys.stderr)
        for step in summary.failed_steps:
            print(f"error: step failed: {step}", file=sys.stderr)
    return summary.exit_code


def nps_line(nps: float, moe: float | None, low: float, high: float, responses: int, is_low_sample: bool) -> str:
    """`+12.3 ± 4.5 (95 %) on 1,234 responses`; for a low sample the adjusted-Wald interval instead of the margin
    of error, which collapses at a handful of responses (0 at one)."""
    if is_low_sample or moe is None:
        return f"{nps:+.1f}, 95 % interval {low:+.1f} to {high:+.1f} on {responses:,} responses (low sample)"
    return f"{nps:+.1f} ± {moe:.1f} (95 %) on {responses:,} responses"


def headline(
    published_path: Path,
    as_of: datetime,
    reporting_tz: str = "UTC",
    low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD,
) -> list[str]:
    """Overall NPS, the last month complete at `as_of` by segment and channel, open detractor follow-ups
    (as the run judged them at `as_of`). Segment and channel rows are the marts' own (their interval and
    low-sample mark included); the all-time figure is pooled from counts by `publishing.nps_metrics`."""
    this_month = as_of.astimezone(ZoneInfo(reporting_tz)).date().replace(day=1)
    with duckdb.connect(str(published_path), read_only=True) as con:
        overall = con.execute("""
            select sum(promoters), sum(passives), sum(detractors), sum(responses)
            from marts.nps_by_period where period_grain = 'year'""").fetchall()[0]
        month = con.execute(
            "select max(period_start) from marts.nps_by_period where period_grain = 'month' and period_start < ?",
            [this_month],
        ).fetchall()[0][0]
        by = {
            dim: con.execute(
                f"""select {dim}, nps, nps_moe_95, nps_ci_low_95, nps_ci_high_95, responses, is_low_sample
                                 from marts.nps_by_{dim}
                                 where period_grain = 'month' and period_start = ? order by responses desc""",
                [month],
            ).fetchall()
            for dim in ("segment", "channel")
        }
        loop = dict(con.execute("select loop_status, count(*) from marts.close_the_loop group by 1").fetchall())
    promoters, _, detractors, responses = overall
    nps, moe = pooled_nps(promoters or 0, detractors or 0, responses or 0)
    if nps is None:
        lines = ["Overall NPS: no responses yet"]
    else:
        low, high = pooled_interval(promoters, detractors, responses)
        low_sample = bool(is_low_sample(responses, low_sample_threshold))
        lines = ["Overall NPS: " + nps_line(nps, moe, low, high, responses, low_sample)]
    for dim, rows in by.items() if month is not None else ():  # no complete month yet: no breakdown
        lines.append(f"{month:%B %Y} by {dim}:")
        lines += [
            f"  {name:12s} {value:+6.1f} ± {margin:4.1f}  (n={n})"
            if not low_sample
            else f"  {name:12s} {value:+6.1f}, 95 % interval {ci_low:+.1f} to {ci_high:+.1f}  (n={n}, low sample)"
            for name, value, margin, ci_low, ci_high, n, low_sample in rows
            if value is not None
        ]
    lines.append(
        f"Detractor follow-ups at {as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {loop.get('open', 0)} open, "
        f"{loop.get('overdue', 0)} overdue (`nps loop` lists them)"
    )
    return lines


def demo_command(settings: Settings) -> int:
    landing = settings.landing_dir
    if not landing.exists() or not any(p.is_file() for p in landing.rglob("*")):
        from generator.sample_exports import generate_exports

        print(f"generating sample exports (scale small) into {landing} …")
        generate_exports(landing, scale="small")
    summary = run_pipeline(settings)
    code = report(summary)
    if settings.published_path.exists() and summary.as_of is not None:
        print()
        print(
            "\n".join(
                headline(settings.published_path, summary.as_of, settings.reporting_tz, settings.low_sample_threshold)
            )
        )
        print(f"Rows rejected at ingestion: {summary.rows_rejected:,} (quality.rejected_rows says which and why)")
        print(
            f'\nQuery the marts: duckdb {settings.published_path} -c "select * from marts.nps_by_period '
            "where period_grain = 'month' order by period_start desc limit 12\""
        )
        print("Open the dashboard: nps dashboard")
    return code
