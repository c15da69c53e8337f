"""The dashboard's human labels and units (dashboard.labels)."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from dashboard import labels as lb


def test_periods_are_named_as_people_name_them():
    assert lb.period(date(2026, 6, 1), "month") == "June 2026"
    assert lb.period(date(2026, 4, 1), "quarter") == "Q2 2026"
    assert lb.period(date(2026, 1, 1), "year") == "2026"
    assert lb.period(date(2026, 6, 29), "week") == "week of 29 Jun 2026"
    assert lb.period(date(2026, 6, 30), "day") == "Tue 30 Jun 2026"


def test_a_period_ends_where_the_next_one_starts():
    assert lb.period_end(date(2026, 12, 1), "month") == date(2027, 1, 1)
    assert lb.period_end(date(2026, 10, 1), "quarter") == date(2027, 1, 1)
    assert lb.period_end(date(2026, 6, 29), "week") == date(2026, 7, 6)
    assert lb.period_end(date(2026, 1, 1), "year") == date(2027, 1, 1)


def test_nps_changes_and_intervals_are_signed_points_and_missing_values_a_dash():
    assert lb.nps(12.345) == "+12.3" and lb.nps(None) == "–" and lb.nps(math.nan) == "–"
    assert lb.change(-9.64) == "-9.6 points"
    assert lb.interval(-48.46, 98.5) == "-48.5 to +98.5" and lb.interval(None, 3.0) == "–"
    assert lb.percent(0.254) == "25.4 %" and lb.percent(None) == "–"


def test_hours_overdue_read_as_hours_then_days():
    assert lb.hours(5.4321) == "5 h"
    assert lb.hours(13_104.0) == "546 days"
    assert lb.hours(None) == ""


def test_the_significance_label_explains_a_null():
    assert lb.significance(True, has_change=True) == "significant (95 %)"
    assert lb.significance(False, has_change=True).startswith("not significant")
    assert lb.significance(None, has_change=True).startswith("not tested: too few responses")
    assert lb.significance(None, has_change=False) == "no previous period"


def test_data_values_are_written_plainly_and_timestamps_lose_their_offset():
    assert lb.value("in_app") == "in-app" and lb.value("wait_time") == "wait time" and lb.value(None) == ""
    stamps = pd.Series(pd.to_datetime(["2026-06-25 03:00:00+00:00"]))
    assert str(lb.local_naive(stamps, "America/New_York").iloc[0]) == "2026-06-24 23:00:00"
