"""Comparing two builds' marts row by row: same rows, values equal to 1e-9 (issue 22)."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

import duckdb

TOLERANCE = 1e-9


def _value(value: object) -> object:
    """A cell in a form both engines' results compare in: instants in UTC, decimals as floats."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.timestamp()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, round(v, 6) if isinstance(v, float) else str(v)) for v in row)


def sorted_rows(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> list[tuple]:
    selected = ", ".join(f'"{c}"' for c in columns)
    return sorted(
        (tuple(_value(v) for v in row) for row in con.execute(f"select {selected} from {relation}").fetchall()),
        key=_sort_key,
    )


def differences(left: list[tuple], right: list[tuple], columns: list[str]) -> list[str]:
    if len(left) != len(right):
        return [f"{len(left)} rows on DuckDB, {len(right)} on Spark"]
    found = []
    for number, (a, b) in enumerate(zip(left, right, strict=True)):
        for column, x, y in zip(columns, a, b, strict=True):
            same = (
                math.isclose(x, y, rel_tol=0, abs_tol=TOLERANCE)
                if isinstance(x, float | int) and isinstance(y, float | int) and not isinstance(x, bool)
                else x == y
            )
            if not same:
                found.append(f"row {number} {column}: DuckDB {x!r}, Spark {y!r}")
    return found[:20]
