"""Benchmark: every step of the pipeline and the whole `nps run` at a given scale, against hand-written DuckDB.

    python bench/run.py --scale large        # `make bench` (after medium): 10M invitations, 1M customers, 20M calls

Each measurement runs in a fresh child process (`python bench/run.py --step NAME ...`) that reports its wall
time and peak RSS (its own and its children's, e.g. the dbt subprocess). The data are generated once per
scale and seed under `bench/data/` (clean exports, so the baseline reads the same files), with the last day
held back as a separate landing delta for the incremental run, which judges follow-ups one day after the full run
(a new `NPS_AS_OF`, as every scheduled run has). Results go to `bench/results/<date>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nps.process_exit import exit_now  # noqa: E402  (the project root is on the path only now)
from nps.settings import DEFAULT_MEMORY_LIMIT  # noqa: E402

END = date(2026, 6, 30)
AS_OF = "2026-07-01T00:00:00+00:00"
# the incremental run judges follow-ups a day after the full run: a new moment, as each scheduled daily run has
# (dbt must not parse anything again for it: docs/performance.md). Not earlier for the full run: its landing
# holds responses of the held-back day to invitations sent before it, and no response may come after NPS_AS_OF.
INCREMENTAL_AS_OF = "2026-07-02T00:00:00+00:00"
SOURCES = {"surveys": "sent_at", "crm": "updated_at", "calls": "started_at"}
MEMORY_LIMIT = DEFAULT_MEMORY_LIMIT  # as `nps run` by default (NPS_DUCKDB_MEMORY_LIMIT)
# issue 21: a one-day incremental `nps run` at most the baseline at large (2x at medium), a full run at most 3x it
TARGETS = {
    "pipeline_vs_baseline": {"large": 3.0},
    "incremental_vs_baseline": {"large": 1.0, "medium": 2.0},
    "peak_rss_gib": {"large": 4.0},
    "tiny_pipeline_s": {"tiny": 15.0},
}


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def children_cpu_seconds() -> tuple[float, float]:
    """User and system CPU seconds of every child process this one has waited for, and of theirs (each step's
    child waits for its own, e.g. dbt), since this process started."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


# --------------------------------------------------------------------------------------------------
# Steps (each runs inside its own child process)


def step_generate(work: Path, scale: str, seed: int) -> dict:
    """Clean exports, then the last day of every source moved out into `delta/` (the incremental run)."""
    import duckdb

    from generator.sample_exports import generate_exports

    full = work / "generated"
    manifest = generate_exports(full, scale=scale, seed=seed, clean=True, end_date=END)
    rows = sum(e["rows_in_files"] for e in manifest["expected"].values())
    cut = datetime.combine(END, datetime.min.time(), UTC).isoformat()
    con = duckdb.connect()
    con.execute("set threads to 2")
    for source, column in SOURCES.items():
        for part, condition in (("landing", f"{column} < '{cut}'"), ("delta", f"{column} >= '{cut}'")):
            folder = work / part / source
            folder.mkdir(parents=True, exist_ok=True)
            con.execute(f"""copy (select * from read_csv('{full / source}/*.csv', header = true, all_varchar = true,
                            delim = ',', quote = '"') where {condition}) to '{folder / f"{source}_{part}.csv"}'
                            (header, quote '"')""")
    con.close()
    shutil.rmtree(full)
    return {"rows": rows}


def _settings(work: Path, warehouse: str, as_of: str = AS_OF):
    from nps.settings import Settings

    return Settings.from_env(env={}, landing_dir=work / "landing", warehouse_path=work / warehouse, as_of=as_of)


def step_ingest(work: Path) -> dict:
    from ingestion.loader import ingest

    report = ingest(work / "landing", work / "steps" / "nps.duckdb", memory_limit=MEMORY_LIMIT)
    return {"rows": report.totals()["rows_loaded"]}


def dbt_target(work: Path) -> Path:
    """The dbt target folder of the `dbt_build` step: its manifest is the one the `publish` step reads."""
    return work / "dbt_target"


def step_dbt(work: Path) -> dict:
    """`dbt build` as the pipeline runs it: the settings as `--vars`, the profile's values in dbt's env."""
    from dataclasses import replace

    from orchestration.resources import dbt_build_args, dbt_env, dbt_workdir

    project = ROOT / "dbt_project"
    dbt = Path(sys.executable).parent / "dbt"
    settings = replace(_settings(work, "steps/nps.duckdb"), duckdb_memory_limit=MEMORY_LIMIT)
    env = {
        **os.environ,
        **dbt_env(settings),
        "DBT_TARGET_PATH": str(dbt_target(work)),
        "DBT_LOG_PATH": str(work / "dbt_logs"),
    }
    subprocess.run(
        [str(dbt), *dbt_build_args(settings), "--quiet", "--project-dir", str(project), "--profiles-dir", str(project)],
        env=env,
        cwd=dbt_workdir(settings),
        check=True,
    )
    return {"rows": _count(work / "steps" / "nps.duckdb", "marts.fct_survey_responses")}


def step_quality(work: Path) -> dict:
    from data_quality.runner import validate_warehouse

    report = validate_warehouse(work / "steps" / "nps.duckdb", datetime.fromisoformat(AS_OF))
    return {
        "rows": _count(work / "steps" / "nps.duckdb", "marts.fct_survey_responses"),
        "failed_blocking": [o.line() for o in report.failed_blocking],
    }


def step_publish(work: Path) -> dict:
    from publishing.publish import mart_keys, marts_without_parquet, publish_marts

    # the manifest of the build whose warehouse is published (the project's own target folder has none in a fresh
    # clone), read as `nps run` reads its run's
    manifest = json.loads((dbt_target(work) / "manifest.json").read_text())
    result = publish_marts(
        work / "steps" / "nps.duckdb",
        work / "steps" / "published" / "nps_published.duckdb",
        memory_limit=MEMORY_LIMIT,
        parquet_excluded=marts_without_parquet(manifest),
        keys=mart_keys(manifest),
    )
    return {"rows": sum(result.tables.values())}


def _run(work: Path, as_of: str = AS_OF) -> dict:
    from nps.startup import libraries_loaded
    from orchestration.dbt_warm import dbt_started_early

    with dbt_started_early():  # as `nps run` starts (nps.cli.run)
        with libraries_loaded():
            import orchestration.definitions  # noqa: F401
            from orchestration.pipeline import run_pipeline

        settings = _settings(work, "pipeline/nps.duckdb", as_of)
        summary = run_pipeline(settings, log_level="WARNING", dagster_home_dir=settings.data_dir / "dagster_home")
    return {
        "rows": summary.rows_loaded,
        "exit_code": summary.exit_code,
        "blocking_failed": summary.blocking_failed,
        "failed_steps": summary.failed_steps,
    }


def step_pipeline(work: Path) -> dict:
    shutil.rmtree(work / "pipeline", ignore_errors=True)
    return _run(work)


def step_incremental(work: Path) -> dict:
    """One more day of files lands, then `nps run` again on the same warehouse."""
    for source in SOURCES:
        shutil.copy2(work / "delta" / source / f"{source}_delta.csv", work / "landing" / source / f"{source}_day.csv")
    try:
        return _run(work, as_of=INCREMENTAL_AS_OF)
    finally:
        for source in SOURCES:
            (work / "landing" / source / f"{source}_day.csv").unlink()


def step_baseline(work: Path) -> dict:
    import duckdb

    from bench.baseline import run_baseline

    con = duckdb.connect()
    run_baseline(con, work / "landing", "UTC", datetime.fromisoformat(AS_OF), 24)
    rows = con.execute("select count(*) from baseline.responses").fetchall()[0][0]
    con.close()
    return {"rows": rows}


def _count(warehouse: Path, table: str) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]


MEASURED = ("ingest", "dbt_build", "quality", "publish", "baseline", "pipeline", "incremental")  # in this order
STEPS = {
    "generate": lambda work, args: step_generate(work, args.scale, args.seed),
    "ingest": lambda work, args: step_ingest(work),
    "dbt_build": lambda work, args: step_dbt(work),
    "quality": lambda work, args: step_quality(work),
    "publish": lambda work, args: step_publish(work),
    "baseline": lambda work, args: step_baseline(work),
    "pipeline": lambda work, args: step_pipeline(work),
    "incremental": lambda work, args: step_incremental(work),
}


# --------------------------------------------------------------------------------------------------
# Driver


def measure(step: str, work: Path, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--step",
        step,
        "--scale",
        args.scale,
        "--seed",
        str(args.seed),
        "--work",
        str(work),
    ]
    started, (user_before, system_before) = time.perf_counter(), children_cpu_seconds()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - started
    user_after, system_after = children_cpu_seconds()
    # the CPU seconds of the step's processes beside its wall time: a change that moves work between the two cores,
    # or overlaps it, shows in one and not in the other; the targets stay on wall time
    user, system = user_after - user_before, system_after - system_before
    if done.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    problem = failed_run(report)
    if problem:  # a failed `nps run` is no measure of the pipeline (an out-of-memory ingest took 9 s)
        raise RuntimeError(f"step {step}: {problem}")
    rows = report.get("rows") or 0
    result = {
        "wall_s": round(wall, 2),
        "peak_rss_mib": round(report["peak_rss_mib"], 1),
        "rows": rows,
        "rows_per_s": round(rows / wall) if wall else None,
        "cpu_s": round(user + system, 2),
        "cpu_system_s": round(system, 2),
    }
    result.update({k: v for k, v in report.items() if k not in ("rows", "peak_rss_mib")})
    print(
        f"  {step:12s} {wall:8.1f} s  {user + system:8.1f} s CPU  {result['peak_rss_mib']:8.0f} MiB  {rows:>12,} rows",
        flush=True,
    )
    return result


def failed_run(report: dict) -> str | None:
    """What went wrong in a measured `nps run` (its exit code, failed steps and blocking checks), None when it
    passed or the step is not a run."""
    if report.get("exit_code", 0) == 0:
        return None
    details = [*report.get("failed_steps", []), *report.get("blocking_failed", [])]
    return f"nps run exited {report['exit_code']}" + "".join(f"\n  {d}" for d in details)


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "versions": {
            p: version(p)
            for p in ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great-expectations", "numpy")
        },
    }


def ratios(steps: dict, scale: str) -> dict:
    """The issue's measures that the measured steps give (a run of some steps only gives some of them)."""
    wall = {name: step["wall_s"] for name, step in steps.items()}
    summary: dict[str, float] = {}
    if "baseline" in wall and "pipeline" in wall:
        summary["pipeline_vs_baseline"] = round(wall["pipeline"] / wall["baseline"], 2)
    if "baseline" in wall and "incremental" in wall:
        summary["incremental_vs_baseline"] = round(wall["incremental"] / wall["baseline"], 2)
    if "pipeline" in wall and "incremental" in wall:
        summary["incremental_vs_full"] = round(wall["incremental"] / wall["pipeline"], 3)
    # the pipeline's own peak (the target); the generator and the hand-written baseline are not the product
    peaks = [s["peak_rss_mib"] for name, s in steps.items() if name not in ("generate", "baseline")]
    if peaks:
        summary["peak_rss_gib"] = round(max(peaks) / 1024, 2)
    if "baseline" in steps:
        summary["baseline_peak_rss_gib"] = round(steps["baseline"]["peak_rss_mib"] / 1024, 2)
    if scale == "tiny" and "pipeline" in wall:
        summary["tiny_pipeline_s"] = wall["pipeline"]
    return summary


def verdicts(summary: dict, scale: str) -> dict[str, dict]:
    """Each target that applies at `scale`: the measured value, the target and whether it is met."""
    return {
        name: {"measured": summary[name], "target": by_scale[scale], "met": summary[name] <= by_scale[scale]}
        for name, by_scale in TARGETS.items()
        if scale in by_scale and name in summary
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=None, help="data folder (default bench/data/<scale>-<seed>)")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--only",
        type=lambda text: [step.strip() for step in text.split(",") if step.strip()],
        default=None,
        help=f"comma-separated steps to measure, in the usual order (default: all of {','.join(MEASURED)});"
        " `incremental` alone needs the warehouse of an earlier full `pipeline` step",
    )
    args = parser.parse_args()
    work = args.work or ROOT / "bench" / "data" / f"{args.scale}-{args.seed}"
    if args.step:
        out = STEPS[args.step](work, args)
        print(json.dumps({**out, "peak_rss_mib": peak_rss_mib()}))
        exit_now(0)  # as `nps run` ends (nps.cli.main): without Python's teardown of the libraries imported

    print(f"benchmark at scale {args.scale} in {work}")
    steps: dict[str, dict] = {}
    if not (work / "landing").exists():
        work.mkdir(parents=True, exist_ok=True)
        steps["generate"] = measure("generate", work, args)
    selected = args.only or list(MEASURED)
    unknown = sorted(set(selected) - set(MEASURED))
    if unknown:
        parser.error(f"unknown steps {unknown}: choose among {', '.join(MEASURED)}")
    if "ingest" in selected:
        shutil.rmtree(work / "steps", ignore_errors=True)
    for step in (s for s in MEASURED if s in selected):
        steps[step] = measure(step, work, args)
    summary = ratios(steps, args.scale)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "seed": args.seed,
        "machine": machine(),
        "steps": steps,
        "measured": [s for s in MEASURED if s in steps],
        "ratios": summary,
        "targets": verdicts(summary, args.scale),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    part = "" if args.only is None else "-" + "-".join(s for s in MEASURED if s in steps)  # never over a full run
    out = args.results / f"{date.today().isoformat()}-{args.scale}{part}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, value in summary.items():
        verdict = result["targets"].get(name)
        target = f"   target ≤ {verdict['target']}: {'met' if verdict['met'] else 'MISSED'}" if verdict else ""
        print(f"{name:24s} {value}{target}")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
