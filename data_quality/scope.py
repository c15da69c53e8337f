"""Which rows a suite's changed-rows expectations judge in this validation (issue 21).

A suite's `changed_rows` expectations are row-level rules on a table whose rows, once there, never change, and
whose `changed_rows_column` grows with every load (the raw tables' `_file_id`). After a validation in which
every changed-rows expectation of a suite passed, its watermark is stored in `quality.validation_watermarks`:
the highest value of the column then present, the number of rows at or below it, the suite's fingerprint and
the moment (`as_of`) the rows were judged against. The next validation judges only the rows above the
watermark, unless one of these says the rows at or below it may no longer pass, in which case it judges every
row again:
- no watermark: the first validation of this warehouse (or of this suite);
- the suite's changed-rows expectations are not the ones that passed (a new release changed a rule);
- `as_of` moved back (a row passed "not after as_of" at a later moment than the one judged now);
- the number of rows at or below the watermark is not the stored one (rows were removed or rewritten).
A failed expectation leaves the watermark where it was, so the failing rows are judged again in every run
until they are fixed (a warning too: it is reported until the rows change).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import duckdb

from data_quality.suites import TableSuite

WATERMARKS_TABLE: Final[str] = "quality.validation_watermarks"
WATERMARKS_DDL: Final[str] = f"""
create table if not exists {WATERMARKS_TABLE} (
    suite varchar not null,
    column_name varchar not null,
    validated_through bigint not null,
    rows_through bigint not null,
    suite_fingerprint varchar not null,
    as_of timestamptz not null,
    run_id varchar not null,
    validated_at timestamptz not null
)
"""


@dataclass(frozen=True)
class Watermark:
    """What the last passing validation of a suite's changed-rows expectations covered."""

    suite: str
    column_name: str
    validated_through: int
    rows_through: int
    suite_fingerprint: str
    as_of: datetime


@dataclass(frozen=True)
class Scope:
    """The rows the changed-rows expectations of `suite` judge: `column > after`, or every row (`after` None)."""

    suite: str
    column_name: str
    after: int | None
    through: int | None  # the highest value present now (None: the table is empty)
    rows_through: int  # rows at or below `through`
    suite_fingerprint: str
    reason: str

    def where(self) -> str:
        return "true" if self.after is None else f"{_ident(self.column_name)} > {int(self.after)}"

    def describe(self) -> str:
        if self.after is None:
            return f"all rows ({self.reason})"
        return f"rows with {self.column_name} > {self.after}"

    def watermark(self, as_of: datetime) -> Watermark | None:
        """The watermark to store once every changed-rows expectation passed (None: nothing to cover)."""
        if self.through is None:
            return None
        return Watermark(self.suite, self.column_name, self.through, self.rows_through, self.suite_fingerprint, as_of)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def suite_fingerprint(suite: TableSuite) -> str:
    """A digest of the changed-rows expectations' configurations. Build the suite with a fixed `as_of` for it
    (the runner does), since rules naming `as_of` are compared through the `as_of` rule above, not by text."""
    configs = [expectation.configuration.to_json_dict() for expectation in suite.changed_rows]
    text = json.dumps(configs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_watermarks(connection: duckdb.DuckDBPyConnection, table_exists: bool) -> dict[str, Watermark]:
    if not table_exists:
        return {}
    rows = connection.execute(
        f"select suite, column_name, validated_through, rows_through, suite_fingerprint, as_of from {WATERMARKS_TABLE}"
    ).fetchall()
    return {row[0]: Watermark(row[0], row[1], int(row[2]), int(row[3]), row[4], _aware(row[5])) for row in rows}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def scope_of(
    connection: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    fingerprint: str,
    previous: Watermark | None,
    as_of: datetime,
) -> Scope:
    """The scope of `suite`'s changed-rows expectations now (module docstring). One scan of one column."""
    column = suite.changed_rows_column
    if column is None:
        raise ValueError(f"{suite.name} has no changed_rows_column")
    table = f"{_ident(suite.schema_name)}.{_ident(suite.table_name)}"
    below = previous.validated_through if previous is not None else None
    through, count, rows_at_or_below = connection.execute(
        f"select max({_ident(column)}), count(*), count(*) filter (where {_ident(column)} <= ?) from {table}",
        [below],
    ).fetchall()[0]
    through = None if through is None else int(through)
    rows_through = int(count)  # every row is at or below the highest value
    reason = None
    if previous is None:
        reason = "first validation"
    elif previous.column_name != column or previous.suite_fingerprint != fingerprint:
        reason = "the expectations changed"
    elif as_of < previous.as_of:
        reason = f"as_of moved back from {previous.as_of.isoformat()}"
    elif int(rows_at_or_below or 0) != previous.rows_through:
        reason = f"rows at or below {column} {previous.validated_through} changed"
    return Scope(
        suite=suite.name,
        column_name=column,
        after=None if reason else below,
        through=through,
        rows_through=rows_through,
        suite_fingerprint=fingerprint,
        reason=reason or "new rows",
    )


def write_watermarks(
    connection: duckdb.DuckDBPyConnection, watermarks: Iterable[Watermark], run_id: str, validated_at: datetime
) -> None:
    """Replace the stored watermark of each suite given (in the caller's transaction)."""
    connection.execute(WATERMARKS_DDL)
    for mark in watermarks:
        connection.execute(f"delete from {WATERMARKS_TABLE} where suite = ?", [mark.suite])
        connection.execute(
            f"insert into {WATERMARKS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                mark.suite,
                mark.column_name,
                mark.validated_through,
                mark.rows_through,
                mark.suite_fingerprint,
                mark.as_of,
                run_id,
                validated_at,
            ],
        )
