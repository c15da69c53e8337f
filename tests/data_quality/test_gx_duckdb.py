"""The adapter alone: GE expectations on DuckDB tables give real, schema-correct results."""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations.expectations as gxe
import pytest

from data_quality.gx_duckdb import add_duckdb_datasource, add_table_asset, warehouse_read_only


@pytest.fixture
def two_schemas(tmp_path: Path) -> Path:
    """`raw.scores` holds 3 values above 10; `main.scores`, same name in another schema, holds none."""
    path = tmp_path / "two_schemas.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.scores as select cast(i % 13 as integer) as score from range(26) t(i)")
        con.execute("create table main.scores as select cast(i % 11 as integer) as score from range(40) t(i)")
        con.execute("create schema staging")
    # a view created through the `warehouse` alias, as dbt-duckdb does
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{path}' as warehouse")
        con.execute(
            "create view warehouse.staging.high_scores as select score from warehouse.raw.scores where score > 8"
        )
    return path


def _validate(gx_context, path: Path, schema: str, table: str, expectation: gxe.Expectation):
    with warehouse_read_only(path) as warehouse:
        datasource = add_duckdb_datasource(gx_context, f"adapter_{schema}_{table}", warehouse)
        try:
            batch = add_table_asset(datasource, schema, table).add_batch_definition_whole_table("all").get_batch()
            return batch.validate(expectation)
        finally:
            gx_context.data_sources.delete(datasource.name)


def test_expectation_on_schema_qualified_table_counts_unexpected_values(gx_context, two_schemas: Path) -> None:
    result = _validate(
        gx_context,
        two_schemas,
        "raw",
        "scores",
        gxe.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=10),
    )

    assert result.exception_info.get("raised_exception") is False
    assert result.success is False
    assert result.result["element_count"] == 26
    assert result.result["unexpected_count"] == 4  # 11, 12, 11, 12
    assert sorted(set(result.result["partial_unexpected_list"])) == [11, 12]


def test_same_table_name_in_another_schema_is_validated_separately(gx_context, two_schemas: Path) -> None:
    result = _validate(
        gx_context,
        two_schemas,
        "main",
        "scores",
        gxe.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=10),
    )

    assert result.success is True
    assert result.result["element_count"] == 40


def test_unexpected_rows_query_runs_in_duckdb_against_the_batch(gx_context, two_schemas: Path) -> None:
    result = _validate(
        gx_context,
        two_schemas,
        "raw",
        "scores",
        gxe.UnexpectedRowsExpectation(unexpected_rows_query="select score from {batch} where score = 12"),
    )

    assert result.success is False
    assert result.result["observed_value"] == 2


def test_views_defined_through_the_dbt_warehouse_alias_resolve(gx_context, two_schemas: Path) -> None:
    result = _validate(
        gx_context,
        two_schemas,
        "staging",
        "high_scores",
        gxe.ExpectColumnValuesToBeBetween(column="score", min_value=9),
    )

    assert result.success is True
    assert result.result["element_count"] == 8  # 9, 10, 11, 12 twice


def test_warehouse_is_attached_read_only(two_schemas: Path) -> None:
    with warehouse_read_only(two_schemas) as warehouse:
        assert warehouse.existing_relations() >= {"raw.scores", "main.scores", "staging.high_scores"}
        with pytest.raises(duckdb.Error, match="read-only"):
            warehouse.connection.execute("create table raw.oops as select 1 as x")


def test_warehouse_is_released_after_validation(gx_context, two_schemas: Path) -> None:
    _validate(gx_context, two_schemas, "raw", "scores", gxe.ExpectColumnValuesToNotBeNull(column="score"))

    with duckdb.connect(str(two_schemas)) as writer:  # a writer can open the file again
        writer.execute("create table raw.after as select 1 as x")


def test_missing_warehouse_file_is_a_clear_error(tmp_path: Path) -> None:
    with (
        pytest.raises(FileNotFoundError, match="warehouse file not found"),
        warehouse_read_only(tmp_path / "nope.duckdb"),
    ):
        pass
