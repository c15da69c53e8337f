"""Issue 15, upgrade in place: a warehouse built by the previous release (v1) is migrated by the next run.

tests/fixtures/v1_warehouse holds the warehouse that release's `nps run` built on `landing/` (its README says
how). It is imported into a new DuckDB file, and the current pipeline runs on the same landing folder plus one
file the v1 run never saw. A second warehouse is built fresh by the current pipeline on the same files. The
upgraded warehouse has every v2 column and table, has neither lost nor reloaded a raw row, and gives the
same marts as the fresh build.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.columns import SOURCES
from nps.settings import Settings
from orchestration.pipeline import RunSummary, run_pipeline
from tests.builds import AS_OF, rows
from tests.ingestion.v1_warehouse import V1_EXPORT, V1_LANDING, V1_NEW_FILE, import_v1_warehouse

pytestmark = pytest.mark.slow

NEW_FILE = "surveys/surveys_06_standard.csv"


def v1_file_mtimes() -> dict[str, float]:
    """Each landed file's modification time as the v1 run logged it (git does not keep mtimes)."""
    with duckdb.connect() as con:
        found = con.execute(
            "select file_name, epoch(file_mtime) from read_parquet(?)",
            [str(V1_EXPORT / "quality_ingestion_log.parquet")],
        ).fetchall()
    return dict(found)


def landing_as_v1_saw_it(root: Path) -> Path:
    """The v1 landing files with their logged mtimes, plus the new file (modified an hour after the last)."""
    landing = root / "landing"
    shutil.copytree(V1_LANDING, landing)
    mtimes = v1_file_mtimes()
    for name, mtime in mtimes.items():
        os.utime(landing / name, (mtime, mtime))
    new = landing / NEW_FILE
    shutil.copyfile(V1_NEW_FILE / NEW_FILE, new)
    later = max(mtimes.values()) + 3600
    os.utime(new, (later, later))
    return landing


def run(root: Path, landing: Path) -> tuple[Path, RunSummary]:
    warehouse = root / "wh" / "nps.duckdb"
    settings = Settings.from_env(env={"DAGSTER_HOME": ""}, landing_dir=landing, warehouse_path=warehouse, as_of=AS_OF)
    return warehouse, run_pipeline(settings, log_level="WARNING", dagster_home_dir=root / "dagster_home")


def counts(warehouse: Path, sql: str) -> dict:
    return dict(rows(warehouse, sql))


RAW_COUNTS = " union all ".join(f"select '{s.name}', count(*) from raw.{s.table}" for s in SOURCES.values())
LOGGED_COUNTS = "select source, sum(rows_loaded) from quality.ingestion_log where status = 'loaded' group by 1"


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory) -> tuple[Path, RunSummary, dict]:
    root = tmp_path_factory.mktemp("upgraded")
    landing = landing_as_v1_saw_it(root)
    import_v1_warehouse(root / "wh" / "nps.duckdb")
    before = {
        "raw": counts(root / "wh" / "nps.duckdb", RAW_COUNTS),
        "log": rows(root / "wh" / "nps.duckdb", "select file_id, file_name, rows_loaded from quality.ingestion_log"),
    }
    warehouse, summary = run(root, landing)
    return warehouse, summary, before


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> tuple[Path, RunSummary]:
    root = tmp_path_factory.mktemp("fresh")
    return run(root, landing_as_v1_saw_it(root))


def test_the_fixture_is_the_v1_warehouse_of_its_landing_folder(upgraded) -> None:
    _, _, before = upgraded
    assert before["raw"] == {"surveys": 201, "crm": 53, "calls": 315}
    assert len(before["log"]) == 17 and NEW_FILE not in {name for _, name, _ in before["log"]}
    assert sum(loaded for _, _, loaded in before["log"]) == sum(before["raw"].values())


def test_the_next_run_on_a_v1_warehouse_is_green(upgraded) -> None:
    _, summary, _ = upgraded
    assert summary.exit_code == 0, summary.lines()
    assert summary.failed_steps == [] and summary.blocking_failed == []
    assert summary.files == {"files_loaded": 1, "files_skipped": 0, "files_failed": 0}  # only the new file


def test_a_v1_warehouse_gets_the_v2_columns_and_tables(upgraded) -> None:
    warehouse, _, _ = upgraded
    columns = set(
        rows(warehouse, "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns()")
    )
    expected = {
        *(f"raw.{s.table}.{c}" for s in SOURCES.values() for c in ("attributes", "_file_mtime", "source_profile")),
        "raw.surveys.is_invitation",
        "quality.ingestion_log.encoding",
        "quality.ingestion_log.profile",
        "quality.ingestion_log.invitations",
        "quality.rejected_values.reason_code",
        "quality.superseded_rows.replaced_by_file",
        "marts.fct_survey_responses.attributes",
        "marts.fct_survey_responses.source_profile",
        "marts.fct_survey_responses.is_invitation",
    }
    assert expected - {c[0] for c in columns} == set()


def test_no_raw_row_of_a_v1_warehouse_is_lost_or_loaded_twice(upgraded) -> None:
    warehouse, _, before = upgraded
    after = counts(warehouse, RAW_COUNTS)
    assert after == counts(warehouse, LOGGED_COUNTS)
    new_rows = rows(warehouse, f"select count(*) from raw.surveys where _file_name = '{NEW_FILE}'")[0][0]
    assert new_rows > 0
    assert after == {**before["raw"], "surveys": before["raw"]["surveys"] + new_rows}
    old_log = rows(warehouse, "select file_id, file_name, rows_loaded from quality.ingestion_log where file_id <= 17")
    assert sorted(old_log) == sorted(before["log"])
    assert rows(warehouse, "select count(*) from quality.ingestion_log where file_id > 17") == [(1,)]
    assert rows(warehouse, "select count(*) from raw.surveys where _file_mtime is null or source_profile is null") == [
        (0,)
    ]


def test_the_incremental_fact_carries_the_new_columns_for_old_and_new_rows(upgraded) -> None:
    warehouse, _, _ = upgraded
    by_file = rows(
        warehouse,
        """select _file_id > 17 as is_new, source_profile, is_invitation, count(*), count(attributes)
        from marts.fct_survey_responses group by all order by all""",
    )
    new_rows = rows(warehouse, f"select count(*) from raw.surveys where _file_name = '{NEW_FILE}'")[0][0]
    assert by_file == [(False, "canonical", True, 201, 0), (True, "canonical", True, new_rows, new_rows)]
    stores = rows(
        warehouse, "select distinct attributes ->> 'store' from marts.fct_survey_responses where _file_id > 17"
    )
    assert sorted(stores) == [("Lyon",), ("Paris",)]


def mart_tables(warehouse: Path) -> list[str]:
    return [r[0] for r in rows(warehouse, "select table_name from duckdb_tables() where schema_name = 'marts'")]


# The previous release kept no unmapped columns, so the rows it loaded have no record of them: their
# `attributes` stay NULL ("not recorded") where a fresh load of the same file writes '{}' ("none").
NOT_RECORDED_BY_V1 = {"fct_survey_responses": {"attributes": "case when _file_id > 17 then attributes end"}}


def comparable(warehouse: Path, table: str, columns: list[str]) -> list[tuple]:
    expressions = NOT_RECORDED_BY_V1.get(table, {})
    listed = ", ".join(expressions.get(c, f'"{c}"') for c in columns)
    return rows(warehouse, f"select {listed} from marts.{table} order by all")


def test_an_upgraded_v1_warehouse_gives_the_same_marts_as_a_fresh_build(upgraded, fresh) -> None:
    warehouse, _, _ = upgraded
    fresh_warehouse, fresh_summary = fresh
    assert fresh_summary.exit_code == 0, fresh_summary.lines()
    assert sorted(mart_tables(warehouse)) == sorted(mart_tables(fresh_warehouse))
    for table in mart_tables(fresh_warehouse):
        names = f"select column_name from duckdb_columns() where schema_name = 'marts' and table_name = '{table}'"
        fresh_columns = [r[0] for r in rows(fresh_warehouse, names)]
        assert sorted(r[0] for r in rows(warehouse, names)) == sorted(fresh_columns), table
        # lineage of the build (which build wrote a row) is not content
        content = [c for c in fresh_columns if c != "_built_through_file_id"]
        assert comparable(warehouse, table, content) == comparable(fresh_warehouse, table, content), table


def test_rows_loaded_by_v1_have_no_recorded_attributes_where_a_fresh_load_records_none(upgraded, fresh) -> None:
    sql = "select distinct attributes from {} where _file_id <= 17"
    for table in ("raw.surveys", "marts.fct_survey_responses"):
        assert rows(upgraded[0], sql.format(table)) == [(None,)]
        assert rows(fresh[0], sql.format(table)) == [("{}",)]
