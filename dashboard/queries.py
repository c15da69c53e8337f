"""The dashboard's figures, computed from the published copy only (never the warehouse being written).

Every function opens a short read-only DuckDB connection, runs one query and closes it, so a pipeline
publishing a new copy (a rename over the old file) never waits on the dashboard. Filters that pool groups
recompute NPS from the counts (promoters, detractors, responses) with `publishing.nps_metrics`, never by
averaging NPS values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from nps.settings import DEFAULT_LOW_SAMPLE_THRESHOLD
from publishing.nps_metrics import is_low_sample, nps_and_moe, nps_interval, pooled_interval, pooled_nps

GRAINS = ("day", "week", "month", "quarter", "year")
LABELS = {"agent_performance": ("agent_name", "team")}  # descriptive columns, not part of the grouping


class PublishedCopyUnavailable(Exception):
    """The published file is missing or being replaced."""


@dataclass(frozen=True)
class Filters:
    grain: str = "month"
    start: date | None = None
    end: date | None = None
    segments: tuple[str, ...] = field(default=())
    channels: tuple[str, ...] = field(default=())

    def where(self, date_column: str) -> tuple[str, list]:
        clauses, params = ["true"], []
        if self.start is not None:
            clauses.append(f"{date_column} >= ?")
            params.append(self.start)
        if self.end is not None:
            clauses.append(f"{date_column} <= ?")
            params.append(self.end)
        if self.segments:
            clauses.append(f"segment in ({', '.join('?' for _ in self.segments)})")
            params.extend(self.segments)
        if self.channels:
            clauses.append(f"channel in ({', '.join('?' for _ in self.channels)})")
            params.extend(self.channels)
        return " and ".join(clauses), params


def query(path: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    """One read-only query on the published copy; retried once if the file is being swapped."""
    for attempt in (1, 2):
        if not Path(path).exists():
            raise PublishedCopyUnavailable(f"no published copy at {path}: run `nps run` (or `make demo`) first")
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                con.execute("set TimeZone = 'UTC'")
                return con.execute(sql, params or []).df()
        except (duckdb.IOException, FileNotFoundError) as exc:
            if attempt == 2:
                raise PublishedCopyUnavailable(f"the published copy {path} is being replaced: {exc}") from exc
            time.sleep(0.5)
    raise AssertionError("unreachable")


def has_table(path: Path, table: str) -> bool:
    found = query(
        path, "select count(*) as n from duckdb_tables() where schema_name = 'marts' and table_name = ?", [table]
    )
    return bool(found.n.iloc[0])


def _with_nps(frame: pd.DataFrame, low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD) -> pd.DataFrame:
    """NPS, margin of error, adjusted-Wald interval and low-sample mark of each row, from its pooled counts."""
    frame["nps"], frame["nps_moe_95"] = nps_and_moe(frame.promoters, frame.detractors, frame.responses)
    frame["nps_ci_low_95"], frame["nps_ci_high_95"] = nps_interval(frame.promoters, frame.detractors, frame.responses)
    frame["is_low_sample"] = is_low_sample(frame.responses, low_sample_threshold)
    return frame


COUNTS = """
    count(*) filter (where nps_category = 'promoter') as promoters,
    count(*) filter (where nps_category = 'passive') as passives,
    count(*) filter (where nps_category = 'detractor') as detractors,
    count(nps_category) as responses"""


def periods(path: Path, grain: str) -> list[date]:
    frame = query(
        path, "select distinct period_start from marts.nps_by_period where period_grain = ? order by 1", [grain]
    )
    return [d.date() if hasattr(d, "date") else d for d in frame.period_start]


def dimension_values(path: Path, column: str) -> list[str]:
    frame = query(path, f"select distinct {column} as v from marts.fct_survey_responses order by 1")
    return [v for v in frame.v if v is not None]


def headline(path: Path, filters: Filters) -> dict:
    """Pooled NPS, MoE, adjusted-Wald interval, split and response rate over the selected range, segments and
    channels."""
    where, params = filters.where(f"cast(date_trunc('{filters.grain}', responded_date) as date)")
    counts = query(path, f"select {COUNTS} from marts.fct_survey_responses where has_response and {where}", params)
    sent_where, sent_params = filters.where(f"cast(date_trunc('{filters.grain}', sent_date) as date)")
    rate = query(
        path,
        # only rows of sources that export invitations are invitations (contract section 4, v2)
        f"select count(*) filter (where is_invitation) as invitations, "
        f"count(responded_at) filter (where is_invitation) as answered "
        f"from marts.fct_survey_responses where {sent_where}",
        sent_params,
    )
    row = counts.iloc[0]
    nps, moe = pooled_nps(row.promoters, row.detractors, row.responses)
    low, high = pooled_interval(row.promoters, row.detractors, row.responses)
    invitations = int(rate.invitations.iloc[0])
    return {
        "nps": nps,
        "nps_moe_95": moe,
        "nps_ci_low_95": low,
        "nps_ci_high_95": high,
        "responses": int(row.responses),
        "promoters": int(row.promoters),
        "passives": int(row.passives),
        "detractors": int(row.detractors),
        "invitations": invitations,
        "response_rate": (int(rate.answered.iloc[0]) / invitations) if invitations else None,
    }


def trend(path: Path, filters: Filters, low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD) -> pd.DataFrame:
    """NPS per period of the chosen grain (from counts), with interval and low-sample mark, for the trend chart."""
    period = f"cast(date_trunc('{filters.grain}', responded_date) as date)"
    where, params = filters.where(period)
    frame = query(
        path,
        f"""select {period} as period_start, {COUNTS} from marts.fct_survey_responses
                            where has_response and {where} group by 1 order by 1""",
        params,
    )
    return _with_nps(frame, low_sample_threshold)


def breakdown(
    path: Path, dimension: str, filters: Filters, low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD
) -> pd.DataFrame:
    """NPS by segment or channel over the range, with sample sizes and low-sample marking
    (`responses < NPS_LOW_SAMPLE_THRESHOLD`)."""
    if dimension not in ("segment", "channel"):
        raise ValueError(dimension)
    where, params = filters.where(f"cast(date_trunc('{filters.grain}', responded_date) as date)")
    frame = query(
        path,
        f"""select {dimension}, {COUNTS} from marts.fct_survey_responses
                            where has_response and {where} group by 1 order by responses desc""",
        params,
    )
    return _with_nps(frame, low_sample_threshold)


def loop_summary(path: Path) -> dict:
    status = query(path, "select loop_status, count(*) as n from marts.close_the_loop group by 1")
    counts = dict(zip(status.loop_status, status.n.astype(int), strict=True))
    total = sum(counts.values())
    recovery = query(
        path,
        "select count(next_response_id) as answered_again, count(*) filter (where is_recovered) "
        "as recovered from marts.close_the_loop",
    )
    again, recovered = int(recovery.answered_again.iloc[0]), int(recovery.recovered.iloc[0])
    return {
        "counts": counts,
        "detractors": total,
        "sla_attainment": counts.get("closed_within_sla", 0) / total if total else None,
        "recovery_rate": recovered / again if again else None,
    }


def open_followups(path: Path, limit: int = 200) -> pd.DataFrame:
    return query(
        path,
        """select loop_status, response_id, customer_id, nps_score, responded_at, followup_due_at,
                                 hours_overdue, nps_comment
                          from marts.close_the_loop where loop_status in ('open', 'overdue')
                          order by followup_due_at limit ?""",
        [limit],
    )


def contact_centre(
    path: Path,
    table: str,
    keys: list[str],
    filters: Filters,
    low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD,
) -> pd.DataFrame:
    """Agents or queues over the range: pooled counts, AHT weighted by answered inbound calls."""
    if table not in ("agent_performance", "queue_performance"):
        raise ValueError(table)
    where, params = Filters(start=filters.start, end=filters.end).where("period_start")  # months of the range
    cols = ", ".join(keys)
    labels = "".join(f", any_value({label}) as {label}" for label in LABELS.get(table, ()))
    frame = query(
        path,
        f"""
        select {cols}{labels}, sum(calls_handled) as calls_handled,
               sum(aht_seconds * inbound_calls_answered) / nullif(sum(inbound_calls_answered), 0) as aht_seconds,
               sum(repeat_contact_rate * inbound_calls_answered) / nullif(sum(inbound_calls_answered), 0)
                   as repeat_contact_rate,
               sum(promoters) as promoters, sum(detractors) as detractors, sum(responses) as responses
        from marts.{table} where {where} group by {cols} order by calls_handled desc""",
        params,
    )
    return _with_nps(frame, low_sample_threshold)


def theme_summary(
    path: Path, filters: Filters, low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD
) -> pd.DataFrame:
    """Mentions, share among detractors and NPS with vs without each theme, over the range."""
    where, params = filters.where(f"cast(date_trunc('{filters.grain}', responded_date) as date)")
    base = f"from marts.fct_survey_responses where has_response and {where}"
    frame = query(
        path,
        f"""
        with themed as (
            select t.theme, t.response_id, t.nps_category
            from marts.verbatim_themes t join (select response_id {base}) r using (response_id)
        ),
        totals as (select {COUNTS} {base})
        select theme, count(*) as mentions,
               count(*) filter (where nps_category = 'promoter') as promoters,
               count(*) filter (where nps_category = 'detractor') as detractors,
               count(nps_category) as responses,
               any_value(totals.promoters) as all_promoters, any_value(totals.detractors) as all_detractors,
               any_value(totals.responses) as all_responses
        from themed cross join totals group by theme order by mentions desc""",
        params + params,
    )
    frame = _with_nps(frame, low_sample_threshold)
    frame["detractor_share"] = frame.detractors / frame.all_detractors.where(frame.all_detractors > 0)
    frame["nps_without_theme"], _ = nps_and_moe(
        frame.all_promoters - frame.promoters,
        frame.all_detractors - frame.detractors,
        frame.all_responses - frame.responses,
    )
    return frame.rename(columns={"nps": "nps_with_theme"})


def example_comments(path: Path, theme: str, limit: int = 5) -> pd.DataFrame:
    return query(
        path,
        """select nps_score, nps_comment, responded_date from marts.verbatim_themes
                          where theme = ? order by responded_at desc limit ?""",
        [theme, limit],
    )
