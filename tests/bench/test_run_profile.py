"""`bench/run_profile.py`: where the time of the last run went, read from dbt's run results."""

import json
from pathlib import Path

from bench.run_profile import Timed, node_times, node_totals


def test_dbt_nodes_are_listed_slowest_first_and_summed_by_kind(tmp_path: Path) -> None:
    results = tmp_path / "run_results.json"
    results.write_text(
        json.dumps(
            {
                "results": [
                    {"unique_id": "model.nps.stg_calls", "execution_time": 1.5},
                    {"unique_id": "test.nps.not_null_stg_calls_call_id.ab12", "execution_time": 0.25},
                    {"unique_id": "model.nps.fct_calls", "execution_time": 3.0},
                ]
            }
        )
    )

    nodes = node_times(results)

    assert nodes == [
        Timed("model.nps.fct_calls", 3.0),
        Timed("model.nps.stg_calls", 1.5),
        Timed("test.nps.not_null_stg_calls_call_id.ab12", 0.25),
    ]
    assert node_totals(nodes) == {"model": 4.5, "test": 0.25}
