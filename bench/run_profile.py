"""Where the time of the last `nps run` on a warehouse went: Dagster's step times, then dbt's slowest nodes.

    python bench/run_profile.py bench/data/large-42/pipeline            # the bench's full or incremental run
    python bench/run_profile.py data --nodes 30                          # a warehouse's data folder

Reads what the run left behind: the Dagster instance in `<data folder>/dagster_home` (step start and end
times of its newest run) and dbt's `<data folder>/dbt_target/run_results.json` (each node's execution time).
Nothing is run again; the figures are those of the run itself.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Timed:
    name: str
    seconds: float


def step_times(dagster_home: Path) -> tuple[float, list[Timed]]:
    """The newest run's wall time (its start to its end) and each step's, in the order the steps started."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records(limit=1)
        if not records:
            raise SystemExit(f"no Dagster run in {dagster_home}")
        record = records[0]
        stats = sorted(instance.get_run_step_stats(record.dagster_run.run_id), key=lambda s: s.start_time or 0)
    wall = (record.end_time or 0) - (record.start_time or 0)
    return wall, [Timed(s.step_key, (s.end_time or 0) - (s.start_time or 0)) for s in stats]


def node_times(run_results: Path) -> list[Timed]:
    """dbt's nodes of the last invocation (by unique id: `model.<project>.<name>`, …), slowest first."""
    results = json.loads(run_results.read_text())["results"]
    timed = [Timed(r["unique_id"], float(r["execution_time"])) for r in results]
    return sorted(timed, key=lambda t: t.seconds, reverse=True)


def node_totals(nodes: list[Timed]) -> dict[str, float]:
    """Execution time by kind of node (model, test, seed, …), from the node ids' prefixes."""
    totals: dict[str, float] = {}
    for node in nodes:
        kind = node.name.split(".", 1)[0]
        totals[kind] = totals.get(kind, 0.0) + node.seconds
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path, help="the warehouse's data folder (holds dagster_home, dbt_target)")
    parser.add_argument("--nodes", type=int, default=20, help="how many of dbt's slowest nodes to list")
    args = parser.parse_args()
    wall, steps = step_times(args.data_dir / "dagster_home")
    print(f"run: {wall:.1f} s in Dagster, {sum(s.seconds for s in steps):.1f} s in steps")
    for step in steps:
        print(f"  {step.seconds:8.1f} s  {step.name}")
    run_results = args.data_dir / "dbt_target" / "run_results.json"
    if run_results.is_file():
        nodes = node_times(run_results)
        totals = ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in node_totals(nodes).items())
        print(f"dbt: {len(nodes)} nodes, {sum(n.seconds for n in nodes):.1f} s of node time ({totals})")
        for node in nodes[: args.nodes]:
            print(f"  {node.seconds:8.2f} s  {node.name.split('.', 2)[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
