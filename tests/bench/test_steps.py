"""The benchmark's measured steps, on a tiny warehouse of their own."""

import json
from pathlib import Path

import duckdb
import pytest

import bench.run


def test_the_publish_step_reads_the_manifest_of_the_build_it_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a fresh clone: the project's own target folder holds no manifest; the bench's dbt step wrote one in its own
    monkeypatch.setattr(bench.run, "ROOT", tmp_path / "fresh_clone")
    work = tmp_path / "work"
    (work / "steps").mkdir(parents=True)
    with duckdb.connect(str(work / "steps" / "nps.duckdb")) as con:
        con.execute("create schema marts; create table marts.nps_by_day as select 1 as n")
    target = bench.run.dbt_target(work)
    target.mkdir()
    config = {"schema": "marts", "meta": {"parquet": False}}
    mart = {"resource_type": "model", "name": "nps_by_day", "config": config}
    (target / "manifest.json").write_text(json.dumps({"nodes": {"model.nps_warehouse.nps_by_day": mart}}))

    assert bench.run.step_publish(work) == {"rows": 1}
    assert not (work / "steps" / "published" / "marts" / "nps_by_day.parquet").exists()  # as that manifest says
