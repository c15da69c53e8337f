"""dbt keeps its partial parsing across runs of `nps run`, each of which sets a new NPS_AS_OF."""

import json
from pathlib import Path

from nps.settings import Settings
from orchestration.resources import dbt_env, dbt_vars, dbt_workdir
from tests.builds import dbt


def compiled_close_the_loop(work: Path) -> str:
    return next((work / "target" / "compiled").rglob("close_the_loop.sql")).read_text()


def last_invocation_log(work: Path) -> str:
    """The debug log (dbt.log) of the last dbt command run with `work`."""
    return (work / "logs" / "dbt.log").read_text().rsplit("Running with dbt=", 1)[-1]


def test_a_new_as_of_parses_no_model_again_and_reaches_the_compiled_sql(tmp_path: Path) -> None:
    warehouse = tmp_path / "nps.duckdb"
    dbt(warehouse, tmp_path, "compile", "--select", "close_the_loop", as_of="2026-07-01T00:00:00+00:00")
    assert "2026-07-01T00:00:00+00:00" in compiled_close_the_loop(tmp_path)

    output = dbt(warehouse, tmp_path, "compile", "--select", "close_the_loop", as_of="2026-07-02T06:00:00+00:00")
    assert "Unable to do partial parsing" not in output
    # not a single model parsed again: dbt parses again every model that read NPS_AS_OF while it parsed (2 s)
    assert "no changes found, skipping parsing" in last_invocation_log(tmp_path)
    assert "Partial parsing: updated file" not in last_invocation_log(tmp_path)
    compiled = compiled_close_the_loop(tmp_path)
    assert "2026-07-02T06:00:00+00:00" in compiled
    assert "2026-07-01T00:00:00+00:00" not in compiled


def test_runs_at_different_moments_give_dbt_the_same_vars_and_keep_partial_parsing(tmp_path: Path) -> None:
    # `nps run` passed as_of in --vars: a new moment each run, so dbt parsed the whole project every run
    warehouse = tmp_path / "nps.duckdb"
    outputs = []
    for moment in ("2026-07-01T00:00:00+00:00", "2026-07-02T06:00:00+00:00"):
        settings = Settings.from_env({}, warehouse_path=warehouse, as_of=moment)
        arguments = ["compile", "--select", "close_the_loop", "--vars", json.dumps(dbt_vars(settings))]
        outputs.append(dbt(warehouse, tmp_path, *arguments, extra_env=dbt_env(settings), cwd=dbt_workdir(settings)))
    assert "Unable to do partial parsing" not in outputs[1]
    compiled = compiled_close_the_loop(tmp_path)
    assert "2026-07-02T06:00:00+00:00" in compiled
    assert "2026-07-01T00:00:00+00:00" not in compiled
