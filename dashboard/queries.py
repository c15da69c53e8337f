"""The dashboard's figures, read from the published copy only (never the warehouse being written).

Every function opens a short read-only DuckDB connection, runs its queries and closes it, so a pipeline
publishing a new copy (a rename over the old file) never waits on the dashboard. Business rules live in the
marts: NPS, its interval, low-sample marks, period-over-period changes and their significance, loop status and
due-today marks are read from them. Only selections the marts do not hold (several segments or channels pooled,
several months of an agent) are pooled from counts with `publishing.nps_metrics`, never by averaging NPS values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.labels import period_end
from loop.followups import EXPORT_COLUMNS, neutralised
from nps.settings import DEFAULT_LOW_SAMPLE_THRESHOLD
from publishing.nps_metrics import is_low_sample, nps_and_moe, nps_interval, pooled_interval, pooled_nps

GRAINS = ("day", "week", "month", "quarter", "year")
LABELS = {"agent_performance": ("agent_name", "team")}  # descriptive columns, not part of the grouping
OPEN_STATUSES = ("open", "overdue")
NO_THEME = "other"  # verbatim_themes: a comment matching no keyword of the taxonomy


class PublishedCopyUnavailable(Exception):
    """The published file is missing or being replaced."""


class PublishedCopyIncomplete(Exception):
    """The published file opens but lacks a mart the dashboard reads (not a published copy of this project?)."""


@dataclass(frozen=True)
class Filters:
    grain: str = "month"
    start: date | None = None
    end: date | None = None
    segments: tuple[str, ...] = field(default=())
    channels: tuple[str, ...] = field(default=())

    @property
    def by_group(self) -> bool:
        return bool(self.segments or self.channels)

    def where(self, date_column: str | None) -> tuple[str, list]:
        """SQL condition and parameters: the period range on `date_column` (none when None), segments, channels."""
        clauses, params = ["true"], []
        if date_column is not None and self.start is not None:
            clauses.append(f"{date_column} >= ?")
            params.append(self.start)
        if date_column is not None and self.end is not None:
            clauses.append(f"{date_column} <= ?")
            params.append(self.end)
        if self.segments:
            clauses.append(f"segment in ({', '.join('?' for _ in self.segments)})")
            params.extend(self.segments)
        if self.channels:
            clauses.append(f"channel in ({', '.join('?' for _ in self.channels)})")
            params.extend(self.channels)
        return " and ".join(clauses), params

    def groups_only(self) -> Filters:
        return Filters(grain=self.grain, segments=self.segments, channels=self.channels)


def query(path: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    """One read-only query on the published copy; retried once if the file is being swapped."""
    for attempt in (1, 2):
        if not Path(path).exists():
            raise PublishedCopyUnavailable(f"no published copy at {path}: run `nps run` (or `make demo`) first")
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                con.execute("set TimeZone = 'UTC'")
                return con.execute(sql, params or []).df()
        except duckdb.CatalogException as exc:
            first = str(exc).splitlines()[0]
            raise PublishedCopyIncomplete(
                f"{path} is not a complete published copy ({first}); `nps run` publishes one"
            ) from exc
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


def _dates(values: pd.Series) -> list[date]:
    return [d.date() if hasattr(d, "date") else d for d in values]


def periods(path: Path, grain: str) -> list[date]:
    frame = query(
        path, "select distinct period_start from marts.nps_by_period where period_grain = ? order by 1", [grain]
    )
    return _dates(frame.period_start)


def dimension_values(path: Path, column: str) -> list[str]:
    frame = query(path, f"select distinct {column} as v from marts.fct_survey_responses order by 1")
    return [v for v in frame.v if v is not None]


def data_as_of(path: Path) -> pd.Timestamp | None:
    """The moment the last run judged the data at (NPS_AS_OF, else its own time), from close_the_loop."""
    if not has_table(path, "close_the_loop"):
        return None
    frame = query(path, "select max(status_judged_at) as judged_at from marts.close_the_loop")
    value = frame.judged_at.iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value)


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


STEPS = {"day": "1 day", "week": "7 days", "month": "1 month", "quarter": "3 months", "year": "1 year"}


def _calendar(filters: Filters) -> tuple[str, list]:
    """SQL CTE `calendar`: every period of the grain from the first to the last published one in the range, so a
    period nobody answered in is a row (a gap), never skipped (a bridged line)."""
    range_where, range_params = Filters(start=filters.start, end=filters.end).where("period_start")
    return (
        f"""bounds as (
                select min(period_start) as first_start, max(period_start) as last_start from marts.nps_by_period
                where period_grain = ? and {range_where}
            ),
            calendar as (
                select cast(unnest(generate_series(first_start, last_start, interval '{STEPS[filters.grain]}'))
                            as date) as period_start
                from bounds where first_start is not null
            ),
            marked as (
                select c.period_start, p.* exclude (period_start)
                from calendar c
                left join (select * from marts.nps_by_period where period_grain = ?) p using (period_start)
            )""",
        [filters.grain, *range_params, filters.grain],
    )


def trend(path: Path, filters: Filters, low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD) -> pd.DataFrame:
    """NPS per period of the chosen grain with its interval, low-sample and partial-period marks; a period
    without responses keeps its row (NPS null: a gap in the chart, never a bridged line). Without segment or
    channel filters every figure is the mart's (nps_by_period); with them, pooled from the selection's counts."""
    calendar, calendar_params = _calendar(filters)
    if not filters.by_group:
        return query(
            path,
            f"""with {calendar}
                select period_start, coalesce(responses, 0) as responses, coalesce(promoters, 0) as promoters,
                       coalesce(passives, 0) as passives, coalesce(detractors, 0) as detractors, nps, nps_moe_95,
                       nps_ci_low_95, nps_ci_high_95,
                       coalesce(is_low_sample, true) as is_low_sample,  -- a period absent from the mart: no responses
                       coalesce(is_partial_period, false) as is_partial_period
                from marked order by period_start""",
            calendar_params,
        )
    period = f"cast(date_trunc('{filters.grain}', responded_date) as date)"
    where, params = filters.where(period)
    frame = query(
        path,
        f"""with {calendar},
            selected as (
                select {period} as period_start, {COUNTS} from marts.fct_survey_responses
                where has_response and {where} group by 1
            )
            select m.period_start, coalesce(s.responses, 0) as responses, coalesce(s.promoters, 0) as promoters,
                   coalesce(s.passives, 0) as passives, coalesce(s.detractors, 0) as detractors,
                   coalesce(m.is_partial_period, false) as is_partial_period
            from marked m left join selected s using (period_start)
            order by m.period_start""",
        [*calendar_params, *params],
    )
    return _with_nps(frame, low_sample_threshold)


def _mart_source(filters: Filters) -> tuple[str, str, list] | None:
    """The mart holding the selection's period rows with their change and significance, if one does."""
    if not filters.by_group:
        return "nps_by_period", "true", []
    if len(filters.segments) == 1 and not filters.channels:
        return "nps_by_segment", "segment = ?", [filters.segments[0]]
    if len(filters.channels) == 1 and not filters.segments:
        return "nps_by_channel", "channel = ?", [filters.channels[0]]
    return None


def latest_period(path: Path, filters: Filters, trend_frame: pd.DataFrame) -> dict | None:
    """The latest complete period of the range (the latest one when every period is partial): its NPS with the
    interval, and the change against the previous period with its significance, as the marts compute them. A
    combination of several segments or channels has no mart row: its NPS is pooled and its change not tested."""
    if trend_frame.empty:
        return None
    complete = trend_frame[~trend_frame.is_partial_period.astype(bool)]
    row = (complete if not complete.empty else trend_frame).iloc[-1]
    start = row.period_start.date() if hasattr(row.period_start, "date") else row.period_start
    result = {
        "period_start": start,
        "is_partial_period": bool(row.is_partial_period),
        "responses": int(row.responses),
        "nps": None if pd.isna(row.nps) else float(row.nps),
        "nps_ci_low_95": float(row.nps_ci_low_95),
        "nps_ci_high_95": float(row.nps_ci_high_95),
        "is_low_sample": bool(row.is_low_sample),
        "previous_nps": None,
        "nps_change": None,
        "nps_change_is_significant": None,
        "tested": False,
    }
    source = _mart_source(filters)
    if source is None:
        return result
    table, where, params = source
    found = query(
        path,
        f"""select responses, nps, nps_ci_low_95, nps_ci_high_95, is_low_sample, previous_nps, nps_change,
                   nps_change_is_significant
            from marts.{table} where period_grain = ? and period_start = ? and {where}""",
        [filters.grain, start, *params],
    )
    if found.empty:  # a segment or channel without responses in that period has no row
        return result
    mart = found.iloc[0]
    result.update(
        responses=int(mart.responses),
        nps=None if pd.isna(mart.nps) else float(mart.nps),
        nps_ci_low_95=float(mart.nps_ci_low_95),
        nps_ci_high_95=float(mart.nps_ci_high_95),
        is_low_sample=bool(mart.is_low_sample),
        previous_nps=None if pd.isna(mart.previous_nps) else float(mart.previous_nps),
        nps_change=None if pd.isna(mart.nps_change) else float(mart.nps_change),
        nps_change_is_significant=None
        if pd.isna(mart.nps_change_is_significant)
        else bool(mart.nps_change_is_significant),
        tested=True,
    )
    return result


def breakdown(
    path: Path, dimension: str, filters: Filters, low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD
) -> pd.DataFrame:
    """NPS by segment or channel over the range, with sample sizes and low-sample marking
    (`responses < NPS_LOW_SAMPLE_THRESHOLD`), lowest NPS first."""
    if dimension not in ("segment", "channel"):
        raise ValueError(dimension)
    where, params = filters.where(f"cast(date_trunc('{filters.grain}', responded_date) as date)")
    frame = query(
        path,
        f"""select {dimension}, {COUNTS} from marts.fct_survey_responses
                            where has_response and {where} group by 1 order by responses desc""",
        params,
    )
    return sort_by_nps(_with_nps(frame, low_sample_threshold))


def sort_by_nps(frame: pd.DataFrame, worst_first: bool = True) -> pd.DataFrame:
    """Lowest (or highest) NPS first; low-sample rows after the others, whose NPS is not swung by chance."""
    return frame.sort_values(["is_low_sample", "nps"], ascending=[True, worst_first], na_position="last").reset_index(
        drop=True
    )


def loop_summary(path: Path, filters: Filters) -> dict:
    """Follow-up counts of the detractors of the selected segments and channels, as the last run judged them."""
    where, params = filters.where(None)
    status = query(
        path,
        f"""select loop_status, count(*) as n, count(*) filter (where is_due_today) as due_today
            from marts.close_the_loop where {where} group by 1""",
        params,
    )
    counts = dict(zip(status.loop_status, status.n.astype(int), strict=True))
    due_today = int(status[status.loop_status.isin(OPEN_STATUSES)].due_today.sum())
    total = sum(counts.values())
    recovery = query(
        path,
        "select count(next_response_id) as answered_again, count(*) filter (where is_recovered) "
        f"as recovered from marts.close_the_loop where {where}",
        params,
    )
    again, recovered = int(recovery.answered_again.iloc[0]), int(recovery.recovered.iloc[0])
    return {
        "counts": counts,
        "due_today": due_today,
        "detractors": total,
        "sla_attainment": counts.get("closed_within_sla", 0) / total if total else None,
        "recovery_rate": recovered / again if again else None,
        "answered_again": again,
    }


WORK_LIST_ORDER = """
    order by is_due_today desc,
             loop_status = 'overdue' desc,
             case when loop_status = 'overdue' then -epoch(followup_due_at) else epoch(followup_due_at) end,
             response_id"""  # due today, then overdue (youngest first: they can still be saved), then open


def _work_list_sql(filters: Filters, statuses: tuple[str, ...], max_age_days: int | None) -> tuple[str, list]:
    where, params = filters.where(None)
    wanted = tuple(s for s in statuses if s in OPEN_STATUSES) or OPEN_STATUSES
    sql = f"""
        select *, date_diff('day', responded_at, status_judged_at) as age_days
        from marts.close_the_loop
        where loop_status in ({", ".join("?" for _ in wanted)}) and {where}
          and (cast(? as integer) is null or date_diff('day', responded_at, status_judged_at) <= ?)
        {WORK_LIST_ORDER}"""
    return sql, [*wanted, *params, max_age_days, max_age_days]


def work_list(
    path: Path, filters: Filters, statuses: tuple[str, ...] = OPEN_STATUSES, max_age_days: int | None = None
) -> pd.DataFrame:
    """The detractors to call back: open and overdue follow-ups of the selected segments and channels, due
    today first, then overdue ones youngest first, then the open ones not yet due; with contact details."""
    sql, params = _work_list_sql(filters, statuses, max_age_days)
    return query(
        path,
        f"""select response_id, customer_id, first_name, last_name, company, phone, email, segment, channel,
                   nps_score, nps_comment, responded_at, followup_due_at, loop_status, hours_overdue, is_due_today,
                   age_days
            from ({sql})""",
        params,
    )


def work_list_csv(
    path: Path, filters: Filters, statuses: tuple[str, ...] = OPEN_STATUSES, max_age_days: int | None = None
) -> bytes:
    """The filtered work list as the CSV `nps loop --out` writes (its columns, UTF-8 with BOM), every cell a
    spreadsheet would run as a formula neutralised by `loop.followups.neutralised`."""
    sql, params = _work_list_sql(filters, statuses, max_age_days)
    select = ", ".join(neutralised(c) for c in EXPORT_COLUMNS)
    frame = query(path, f"select {select} from ({sql})", params)
    return frame.to_csv(index=False).encode("utf-8-sig")


def contact_centre_months(filters: Filters) -> tuple[date | None, date | None]:
    """The whole months covering the selected range (the contact-centre marts are monthly): the first month
    and the first day after the last one."""
    if filters.start is None or filters.end is None:
        return None, None
    last_day = period_end(filters.end, filters.grain) - timedelta(days=1)
    return filters.start.replace(day=1), period_end(last_day.replace(day=1), "month")


def contact_centre(
    path: Path,
    table: str,
    keys: list[str],
    filters: Filters,
    low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD,
) -> pd.DataFrame:
    """Agents or queues over the whole months covering the range: pooled counts, NPS and interval from them,
    AHT and repeat-contact rate weighted by answered inbound calls; lowest NPS first."""
    if table not in ("agent_performance", "queue_performance"):
        raise ValueError(table)
    first, after = contact_centre_months(filters)
    cols = ", ".join(keys)
    labels = "".join(f", any_value({label}) as {label}" for label in LABELS.get(table, ()))
    frame = query(
        path,
        f"""
        select {cols}{labels}, cast(sum(calls_handled) as bigint) as calls_handled,
               sum(aht_seconds * inbound_calls_answered) / nullif(sum(inbound_calls_answered), 0) as aht_seconds,
               sum(repeat_contact_rate * inbound_calls_answered) / nullif(sum(inbound_calls_answered), 0)
                   as repeat_contact_rate,
               cast(sum(promoters) as bigint) as promoters, cast(sum(detractors) as bigint) as detractors,
               cast(sum(responses) as bigint) as responses
        from marts.{table}
        where (cast(? as date) is null or period_start >= ?) and (cast(? as date) is null or period_start < ?)
        group by {cols} order by calls_handled desc""",
        [first, first, after, after],
    )
    return sort_by_nps(_with_nps(frame, low_sample_threshold))


def theme_periods(path: Path, filters: Filters) -> pd.DataFrame:
    """Periods of the grain in the range that have themed comments, with the partial-period mark."""
    where, params = Filters(start=filters.start, end=filters.end).where("t.period_start")
    return query(
        path,
        f"""select distinct t.period_start, p.is_partial_period
            from marts.theme_impact t
            left join marts.nps_by_period p using (period_grain, period_start)
            where t.period_grain = ? and {where} order by 1""",
        [filters.grain, *params],
    )


def theme_impact(path: Path, grain: str, period_start: date) -> pd.DataFrame:
    """The themes of one period as theme_impact holds them, in the mart's impact order (the most NPS points lost
    first: nps_points_lost is NPS of all responses minus NPS without the theme, negative when the theme costs)."""
    return query(
        path,
        """select theme, mentions, responses, detractor_mentions, detractor_share, nps_with_theme, nps_ci_low_95,
                  nps_ci_high_95, is_low_sample, nps_without_theme, nps_points_lost, nps_points_lost_ci_low_95,
                  nps_points_lost_ci_high_95, impact_rank
           from marts.theme_impact where period_grain = ? and period_start = ?
           order by impact_rank, mentions desc, theme""",
        [grain, period_start],
    )


def example_comments(path: Path, theme: str, filters: Filters, period_start: date, limit: int = 5) -> pd.DataFrame:
    """The newest comments of a theme in the period, of the selected segments and channels."""
    where, params = filters.where(None)
    return query(
        path,
        f"""select nps_score, nps_comment, segment, channel, responded_date from marts.verbatim_themes
            where theme = ? and responded_date >= ? and responded_date < ? and {where}
            order by responded_at desc limit ?""",
        [theme, period_start, period_end(period_start, filters.grain), *params, limit],
    )
