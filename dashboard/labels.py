"""Human labels and units for everything the dashboard shows: one place for column names, statuses, periods and
number formats (NPS points, percentages, minutes, local times). Pure functions, no Streamlit."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd

COLUMNS = {
    "period_start": "Period",
    "segment": "Segment",
    "channel": "Channel",
    "responses": "Responses",
    "promoters": "Promoters",
    "passives": "Passives",
    "detractors": "Detractors",
    "nps": "NPS",
    "nps_ci_low_95": "95 % interval from",
    "nps_ci_high_95": "95 % interval to",
    "sample": "Sample",
    "agent_id": "Agent id",
    "agent_name": "Agent",
    "team": "Team",
    "queue": "Queue",
    "calls_handled": "Calls handled",
    "aht_minutes": "Avg handle time (min)",
    "repeat_contact_pct": "Repeat contacts (%)",
    "theme": "Theme",
    "theme_label": "Theme",
    "mentions": "Mentions",
    "detractor_share_pct": "Share of detractors (%)",
    "nps_with_theme": "NPS with the theme",
    "nps_without_theme": "NPS without it",
    "nps_points_lost": "NPS impact (points)",
    "nps_points_lost_ci_low_95": "Impact, 95 % low",
    "nps_points_lost_ci_high_95": "Impact, 95 % high",
    "loop_status": "Status",
    "due": "Due",
    "customer": "Customer",
    "company": "Company",
    "phone": "Phone",
    "email": "Email",
    "nps_score": "Score",
    "nps_comment": "Comment",
    "responded_at": "Responded",
    "followup_due_at": "Follow-up due",
    "overdue_by": "Overdue by",
    "age_days": "Age (days)",
    "responded_date": "Day",
}
STATUSES = {
    "open": "Open",
    "overdue": "Overdue",
    "closed_within_sla": "Closed within SLA",
    "closed_late": "Closed late",
}
VALUES = {"in_app": "in-app", "sms": "SMS"}  # data values whose plain spelling differs (others: _ → space)
GRAINS = {"day": "Day", "week": "Week", "month": "Month", "quarter": "Quarter", "year": "Year"}
NUMBER_FORMATS = {  # printf formats of st.column_config.NumberColumn, by column
    "nps": "%+.1f",
    "nps_ci_low_95": "%+.1f",
    "nps_ci_high_95": "%+.1f",
    "nps_with_theme": "%+.1f",
    "nps_without_theme": "%+.1f",
    "nps_points_lost": "%+.1f",
    "nps_points_lost_ci_low_95": "%+.1f",
    "nps_points_lost_ci_high_95": "%+.1f",
    "aht_minutes": "%.1f",
    "repeat_contact_pct": "%.1f",
    "detractor_share_pct": "%.1f",
    "responses": "%d",
    "promoters": "%d",
    "passives": "%d",
    "detractors": "%d",
    "calls_handled": "%d",
    "mentions": "%d",
    "nps_score": "%d",
    "age_days": "%d",
}
DASH = "–"


def value(text: object) -> str:
    """A data value (channel, theme, queue) as people write it: `in-app`, `wait time`."""
    if missing(text):
        return ""
    return VALUES.get(str(text), str(text).replace("_", " "))


def values(column: pd.Series) -> pd.Series:
    return column.map(value)


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def nps(value: float | None) -> str:
    """An NPS as signed points, `+12.3`; a dash when there is none."""
    return DASH if missing(value) else f"{float(value):+.1f}"


def change(value: float | None) -> str:
    """A change in NPS points, `-9.6 points` (ASCII sign: Streamlit colours a delta by it)."""
    if missing(value):
        return DASH
    return f"{float(value):+.1f} points"


def interval(low: float | None, high: float | None) -> str:
    """The 95 % interval, `−48.5 to +98.5`."""
    return DASH if missing(low) or missing(high) else f"{float(low):+.1f} to {float(high):+.1f}"


def percent(share: float | None) -> str:
    """A share in 0–1 as a percentage, `42.0 %`."""
    return DASH if missing(share) else f"{100 * float(share):.1f} %"


def count(value: int | None) -> str:
    return DASH if missing(value) else f"{int(value):,}"


def hours(value: float | None) -> str:
    """A duration in hours as a person says it: `5 h`, `3 days`."""
    if missing(value):
        return ""
    total = float(value)
    if total < 48:
        return f"{total:.0f} h"
    return f"{total / 24:.0f} days"


def period_end(start: date, grain: str) -> date:
    """The first day after the period that starts on `start`."""
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def period(start: date, grain: str) -> str:
    """A period as people name it: `June 2026`, `Q2 2026`, `2026`, `week of 29 Jun 2026`, `Tue 30 Jun 2026`."""
    if grain == "year":
        return f"{start:%Y}"
    if grain == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start:%Y}"
    if grain == "month":
        return f"{start:%B %Y}"
    if grain == "week":
        return f"week of {start.day} {start:%b %Y}"
    return f"{start:%a} {start.day} {start:%b %Y}"


def significance(is_significant: bool | None, has_change: bool) -> str:
    """The label of the marts' `nps_change_is_significant`: null with a change means a period was low-sample."""
    if missing(is_significant):
        return "not tested: too few responses in one of the two periods" if has_change else "no previous period"
    return "significant (95 %)" if is_significant else "not significant: within the noise"


def sample(is_low_sample: pd.Series, threshold: int) -> pd.Series:
    """The sample mark of each row: `low sample (< 30)` or empty."""
    return is_low_sample.map({True: f"low sample (< {threshold})", False: ""}).fillna("")


def local_naive(values: pd.Series, tz: str) -> pd.Series:
    """Timestamps with a time zone as wall-clock times of `tz`, without the `+00:00` suffix."""
    stamps = pd.to_datetime(values, utc=True)
    return stamps.dt.tz_convert(tz).dt.tz_localize(None)


def humanise(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The chosen columns of `frame` under their human labels, in that order."""
    return frame[columns].rename(columns={c: COLUMNS.get(c, c) for c in columns})
