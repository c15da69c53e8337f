"""The mart columns the dashboard reads beside the contract ones: nps_by_period.is_partial_period and
close_the_loop.status_judged_at / is_due_today, judged at the build's NPS_AS_OF (conftest.AS_OF, UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from dashboard.labels import period_end
from tests.dashboard.conftest import AS_OF

JUDGED = datetime.fromisoformat(AS_OF)


def sql(path, text):
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(text).fetchall()


def test_a_period_is_partial_exactly_when_it_had_not_ended_on_the_as_of_day(published):
    rows = sql(published, "select period_grain, period_start, is_partial_period from marts.nps_by_period")
    assert rows
    for grain, start, partial in rows:
        assert partial == (period_end(start, grain) > JUDGED.date()), (grain, start)
    partial = {(g, s) for g, s, p in rows if p}
    assert ("month", date(2026, 6, 1)) in partial and ("month", date(2026, 5, 1)) not in partial
    assert ("week", date(2026, 6, 22)) in partial and ("quarter", date(2026, 4, 1)) in partial


def test_follow_ups_carry_the_moment_they_are_judged_at_and_whether_they_fall_due_that_day(published):
    rows = sql(
        published, "select status_judged_at, followup_due_at, is_due_today, loop_status from marts.close_the_loop"
    )
    assert {judged for judged, *_ in rows} == {JUDGED}
    for _, due, due_today, _ in rows:
        assert due_today == (due.astimezone(UTC).date() == JUDGED.date())
    assert any(due_today and status == "open" for _, _, due_today, status in rows)
