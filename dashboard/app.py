"""The NPS dashboard: `nps dashboard` (Streamlit on 127.0.0.1), reading the published copy only.

Each page answers one question from its first screen: did NPS move and is that real (Overview), who do I call
back today (Close the loop), which agents, queues and themes drag the score down (Contact centre, Themes).
Figures and rules come from the marts (`dashboard.queries`); labels and units from `dashboard.labels`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import labels as lb
from dashboard import queries as q
from nps.settings import Settings

BANDS = (  # drawn under the line, faint: context, not content
    (-100, 0, "#fde2e1", "below 0"),
    (0, 50, "#fff4d6", "good"),
    (50, 70, "#e3f4e1", "excellent"),
    (70, 100, "#c9ebd0", "world class"),
)
PAGES = ("Overview", "Segments & channels", "Close the loop", "Contact centre", "Themes")
AGE_CHOICES = {"any age": None, "last 7 days": 7, "last 30 days": 30, "last 90 days": 90}
SORTS = ("NPS, lowest first", "NPS, highest first", "Calls handled")
WORK_LIST_ROWS = 500  # rows shown; the CSV holds the whole filtered list
PHONE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
@media (max-width: 640px) {
  h1 { font-size: 1.6rem !important; padding-top: 0 !important; }
  [data-testid="stMetricValue"] { font-size: 1.8rem !important; }
}
</style>"""


@st.cache_data(ttl=60, show_spinner=False)
def cached(name: str, path: str, mtime: float, *args):
    """Results cached per published file version (its modification time changes at every publish)."""
    return getattr(q, name)(Path(path), *args)


def fetch(name: str, path: Path, *args):
    return cached(name, str(path), path.stat().st_mtime, *args)


def show_table(frame: pd.DataFrame, columns: list[str], key: str, height: int | None = None) -> None:
    """A table under human column labels, numbers kept numeric (sortable) and formatted with their unit."""
    config = {}
    for column in columns:
        label = lb.COLUMNS.get(column, column)
        if column in lb.NUMBER_FORMATS:
            config[label] = st.column_config.NumberColumn(label, format=lb.NUMBER_FORMATS[column])
        elif column in ("responded_at", "followup_due_at"):
            config[label] = st.column_config.DatetimeColumn(label, format="D MMM YYYY, HH:mm")
        elif column in ("responded_date", "period_start"):
            config[label] = st.column_config.DateColumn(label, format="D MMM YYYY")
    shown = lb.humanise(frame, columns)
    text = shown.select_dtypes(include=["object", "string"]).columns
    shown[text] = shown[text].fillna("")  # an empty cell, never the word None
    with st.container(key=f"table_{key}"):
        st.dataframe(shown, hide_index=True, key=key, column_config=config, height=height or "auto")


def as_of_text(moment: pd.Timestamp | None, tz: str) -> str:
    if moment is None:
        return "unknown"
    local = moment.tz_convert(tz) if moment.tzinfo else moment.tz_localize(UTC).tz_convert(tz)
    return f"{local.day} {local:%b %Y %H:%M} ({tz})"


def sidebar(path: Path, settings: Settings) -> q.Filters:
    st.sidebar.header("Filters")
    grain = st.sidebar.radio(
        "Period grain", q.GRAINS, index=2, horizontal=True, key="grain", format_func=lambda g: lb.GRAINS[g]
    )
    starts = fetch("periods", path, grain)
    published = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    data_as_of = as_of_text(fetch("data_as_of", path), settings.reporting_tz)
    st.sidebar.caption(
        f"Data as of {data_as_of}; published {published.day} {published:%b %Y %H:%M} UTC. "
        "No segment or channel chosen means all."
    )
    if not starts:
        return q.Filters(grain=grain)
    default = (
        (starts[max(0, len(starts) - 12)], starts[-1]) if grain in ("day", "week", "month") else (starts[0], starts[-1])
    )
    if len(starts) > 1:
        start, end = st.sidebar.select_slider(
            "Periods", options=starts, value=default, key=f"range_{grain}", format_func=lambda d: lb.period(d, grain)
        )
    else:
        start = end = starts[0]
    segments = st.sidebar.pills(
        "Segment",
        fetch("dimension_values", path, "segment"),
        selection_mode="multi",
        key="segments",
    )
    channels = st.sidebar.pills(
        "Survey channel",
        fetch("dimension_values", path, "channel"),
        selection_mode="multi",
        key="channels",
        format_func=lb.value,
    )
    return q.Filters(grain=grain, start=start, end=end, segments=tuple(segments or ()), channels=tuple(channels or ()))


def range_text(filters: q.Filters) -> str:
    if filters.start is None or filters.end is None:
        return "all periods"
    if filters.start == filters.end:
        return lb.period(filters.start, filters.grain)
    return f"{lb.period(filters.start, filters.grain)} – {lb.period(filters.end, filters.grain)}"


def selection_text(filters: q.Filters) -> str:
    groups = [", ".join(filters.segments) or "all segments", ", ".join(filters.channels) or "all channels"]
    return f"{range_text(filters)}, {' and '.join(groups)}"


def empty_selection(filters: q.Filters) -> None:
    st.info(
        f"No responses for {selection_text(filters)}. Widen the period range or clear the segment and channel "
        "filters in the sidebar."
    )


def first_glance(latest: dict, filters: q.Filters, threshold: int) -> None:
    """The latest complete period: its NPS with interval, the change and whether it is significant."""
    when = lb.period(latest["period_start"], filters.grain)
    kind = "partial, still running" if latest["is_partial_period"] else f"latest complete {filters.grain}"
    st.metric(
        f"NPS in {when} ({kind})",
        lb.nps(latest["nps"]),
        delta=None if latest["nps_change"] is None else lb.change(latest["nps_change"]),
        delta_color="normal",
        help="100 × (promoters − detractors) / responses of that period; the change is against the period before.",
    )
    facts = [f"95 % interval {lb.interval(latest['nps_ci_low_95'], latest['nps_ci_high_95'])}"]
    facts.append(f"{lb.count(latest['responses'])} responses")
    if not latest["tested"]:
        significance = "Change not tested: the marts test all responses, one segment or one channel"
    elif latest["nps_change"] is None:
        significance = "No previous period with responses to compare"
    else:
        previous = lb.nps(latest["previous_nps"])
        significance = (
            f"Change {lb.change(latest['nps_change'])} from {previous}: "
            f"**{lb.significance(latest['nps_change_is_significant'], has_change=True)}**"
        )
    st.markdown(f"{significance}  \n{' · '.join(facts)}")
    if latest["is_low_sample"]:
        st.warning(
            f"Low sample in {when}: {latest['responses']} responses (< {threshold}). The NPS lies somewhere in "
            f"{lb.interval(latest['nps_ci_low_95'], latest['nps_ci_high_95'])} (95 %)."
        )


def y_range(frame: pd.DataFrame) -> list[float]:
    """The axis around the data (NPS values and the intervals of adequate samples), never beyond −100..100."""
    values = frame.nps.dropna().tolist()
    solid = frame[~frame.is_low_sample.astype(bool) & frame.nps.notna()]
    values += solid.nps_ci_low_95.tolist() + solid.nps_ci_high_95.tolist()
    if not values:
        return [-100.0, 100.0]
    low, high = min(values), max(values)
    pad = max(5.0, 0.1 * (high - low))
    return [max(-100.0, low - pad), min(100.0, high + pad)]


def trend_chart(frame: pd.DataFrame, filters: q.Filters, threshold: int) -> None:
    starts = [pd.Timestamp(d).date() for d in frame.period_start]
    x = [d.isoformat() for d in starts]
    nps = [None if pd.isna(v) else float(v) for v in frame.nps]
    low_rows = frame.is_low_sample.astype(bool).tolist()
    partial_rows = frame.is_partial_period.astype(bool).tolist()
    figure = go.Figure()
    bottom, top = y_range(frame)
    for low, high, colour, label in BANDS:
        if high > bottom and low < top:
            figure.add_hrect(
                y0=max(low, bottom),
                y1=min(high, top),
                fillcolor=colour,
                opacity=0.35,
                line_width=0,
                layer="below",
                annotation_text=label,
                annotation_position="top right",
                annotation_font={"size": 10, "color": "#777"},
            )
    for start, partial in zip(starts, partial_rows, strict=True):
        if partial:
            end = lb.period_end(start, filters.grain) - timedelta(days=1)
            figure.add_vrect(
                x0=(pd.Timestamp(start) - pd.Timedelta(hours=12)).isoformat(),
                x1=(pd.Timestamp(end) + pd.Timedelta(hours=12)).isoformat(),
                fillcolor="#9e9e9e",
                opacity=0.18,
                line_width=0,
                layer="below",
                annotation_text="partial",
                annotation_position="top left",
            )
    plus = [None if v is None else float(h) - v for v, h in zip(nps, frame.nps_ci_high_95, strict=True)]
    minus = [None if v is None else v - float(lo) for v, lo in zip(nps, frame.nps_ci_low_95, strict=True)]
    notes = [
        ", ".join(n for n, on in ((f"low sample (< {threshold})", low), ("partial period", part)) if on)
        for low, part in zip(low_rows, partial_rows, strict=True)
    ]
    figure.add_trace(
        go.Scatter(
            x=x,
            y=nps,
            name="NPS",
            mode="lines+markers",
            connectgaps=False,  # a period without responses is a gap, not a straight line
            line={"color": "#1f4e79", "width": 2.5},
            error_y={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": "#8aa4c0"},
            marker={
                "symbol": ["circle-open" if low else "circle" for low in low_rows],
                "size": 9,
                "color": "#1f4e79",
                "line": {"width": 2},
            },
            customdata=list(zip(frame.responses, frame.nps_ci_low_95, frame.nps_ci_high_95, notes, strict=True)),
            hovertemplate="%{x}: NPS %{y:+.1f} (%{customdata[0]} responses, 95 % interval "
            "%{customdata[1]:+.1f} to %{customdata[2]:+.1f}) %{customdata[3]}<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"NPS by {filters.grain}, with its 95 % interval",
        yaxis={"range": [bottom, top], "title": "NPS", "zeroline": True},
        xaxis={"type": "date"},
        showlegend=False,
        height=360,
        margin={"t": 40, "b": 20, "l": 10, "r": 10},
    )
    st.plotly_chart(figure, key="trend_chart")
    st.caption(
        f"Bars: 95 % interval. Hollow points: low sample (< {threshold} responses), read their interval. "
        "Grey band: partial period, still running. Gaps: periods without responses."
    )


def overview(path: Path, filters: q.Filters, threshold: int) -> None:
    frame = fetch("trend", path, filters, threshold)
    if frame.empty or int(frame.responses.sum()) == 0:
        empty_selection(filters)
        return
    first_glance(fetch("latest_period", path, filters, frame), filters, threshold)
    trend_chart(frame, filters, threshold)
    head = fetch("headline", path, filters)
    st.markdown(
        f"**Over {selection_text(filters)}** (all responses of the range pooled): NPS {lb.nps(head['nps'])}, "
        f"95 % interval {lb.interval(head['nps_ci_low_95'], head['nps_ci_high_95'])}, "
        f"{lb.count(head['responses'])} responses, response rate {lb.percent(head['response_rate'])}."
    )
    split = go.Figure(
        go.Bar(
            x=[head["promoters"], head["passives"], head["detractors"]],
            y=["Promoters (9–10)", "Passives (7–8)", "Detractors (0–6)"],
            orientation="h",
            marker_color=["#2e7d32", "#9e9e9e", "#c62828"],
        )
    )
    split.update_layout(
        title="Responses by category over the range", height=220, margin={"t": 40, "b": 20, "l": 10, "r": 10}
    )
    st.plotly_chart(split, key="split_chart")


def breakdowns(path: Path, filters: q.Filters, threshold: int) -> None:
    for dimension, title in (("segment", "By segment"), ("channel", "By survey channel")):
        frame = fetch("breakdown", path, dimension, filters, threshold)
        st.subheader(title)
        if frame.empty:
            empty_selection(filters)
            continue
        frame["sample"] = lb.sample(frame.is_low_sample, threshold)
        if dimension == "channel":  # segments are shown as the CRM spells them
            frame[dimension] = lb.values(frame[dimension])
        show_table(
            frame,
            [dimension, "nps", "nps_ci_low_95", "nps_ci_high_95", "responses", "sample", "promoters", "detractors"],
            key=f"by_{dimension}",
        )
    st.caption(f"{selection_text(filters)}; lowest NPS first, low samples last. Pooled from the response counts.")


def due_text(frame: pd.DataFrame) -> pd.Series:
    """When each follow-up is due, as a person says it."""
    overdue = frame.hours_overdue.map(lb.hours)
    today = frame.is_due_today.fillna(False).astype(bool)
    due_day = frame.followup_due_at.dt.strftime("%-d %b")
    return pd.Series(
        np.select(
            [
                today & (frame.loop_status == "open"),
                today,
                frame.loop_status == "overdue",
            ],
            ["Due today", "Due today, " + overdue + " late", "Overdue by " + overdue],
            default="Due " + due_day,
        ),
        index=frame.index,
    )


def close_the_loop(path: Path, filters: q.Filters, settings: Settings) -> None:
    summary = fetch("loop_summary", path, filters)
    counts = summary["counts"]
    judged = as_of_text(fetch("data_as_of", path), settings.reporting_tz)
    st.markdown(
        f"### {summary['due_today']:,} due today · {counts.get('overdue', 0):,} overdue · "
        f"{counts.get('open', 0):,} open\nDetractors to call back, judged at {judged} (the last run)."
    )
    left, right = st.columns(2)
    statuses = left.pills(
        "Status",
        q.OPEN_STATUSES,
        selection_mode="multi",
        default=list(q.OPEN_STATUSES),
        format_func=lambda s: lb.STATUSES[s],
        key="loop_status",
    )
    age = right.selectbox("Responded", list(AGE_CHOICES), key="loop_age")
    chosen = tuple(statuses or q.OPEN_STATUSES)
    frame = fetch("work_list", path, filters, chosen, AGE_CHOICES[age])
    if frame.empty:
        st.info("Nobody to call back for this selection: no open or overdue follow-up.")
    else:
        for column in ("responded_at", "followup_due_at"):
            frame[column] = lb.local_naive(frame[column], settings.reporting_tz)
        frame["due"] = due_text(frame)
        frame["customer"] = (frame.first_name.fillna("") + " " + frame.last_name.fillna("")).str.strip()
        frame["customer"] = frame.customer.where(frame.customer != "", frame.customer_id.fillna("unknown customer"))
        frame["loop_status"] = frame.loop_status.map(lb.STATUSES)
        frame["channel"] = lb.values(frame.channel)
        show_table(
            frame.head(WORK_LIST_ROWS),
            [
                "due",
                "customer",
                "phone",
                "email",
                "company",
                "nps_score",
                "nps_comment",
                "segment",
                "channel",
                "responded_at",
                "followup_due_at",
                "age_days",
            ],
            key="work_list",
        )
        shown = f"the first {WORK_LIST_ROWS:,} of " if len(frame) > WORK_LIST_ROWS else ""
        st.caption(f"Showing {shown}{len(frame):,} follow-ups; times in {settings.reporting_tz}.")
        st.download_button(
            "Download this list (CSV)",
            data=fetch("work_list_csv", path, filters, chosen, AGE_CHOICES[age]),
            file_name="followups.csv",
            mime="text/csv",
            key="work_list_csv",
            help="The columns of `nps loop --out`; cells starting with = + - @ are prefixed with ' (formula-safe).",
        )
    st.caption(
        "Segment and survey-channel filters apply here; the period range does not: the list holds every open "
        "follow-up, whenever the response came."
    )
    st.caption(
        f"Follow-up SLA attainment {lb.percent(summary['sla_attainment'])}: detractors followed up within the SLA "
        f"out of all {summary['detractors']:,} detractors of the selection, open and overdue ones included. "
        f"Recovery rate {lb.percent(summary['recovery_rate'])}: of the {summary['answered_again']:,} detractors "
        "who answered again, the share who became passive or promoter."
    )


def performance_table(frame: pd.DataFrame, keys: list[str], key: str, threshold: int, sort: str) -> None:
    if frame.empty:
        st.info("No calls in these months.")
        return
    if sort == SORTS[1]:
        frame = q.sort_by_nps(frame, worst_first=False)
    elif sort == SORTS[2]:
        frame = frame.sort_values("calls_handled", ascending=False)
    frame["sample"] = lb.sample(frame.is_low_sample, threshold)
    for column in ("queue", "channel"):
        if column in frame:
            frame[column] = lb.values(frame[column])
    frame["aht_minutes"] = frame.aht_seconds / 60.0
    frame["repeat_contact_pct"] = 100.0 * frame.repeat_contact_rate
    show_table(
        frame,
        [
            *keys,
            "nps",
            "nps_ci_low_95",
            "nps_ci_high_95",
            "responses",
            "sample",
            "calls_handled",
            "aht_minutes",
            "repeat_contact_pct",
        ],
        key=key,
    )


def contact_centre(path: Path, filters: q.Filters, threshold: int) -> None:
    first, after = q.contact_centre_months(filters)
    if first is None or after is None:
        st.info("No periods published yet.")
        return
    last = (after - timedelta(days=1)).replace(day=1)
    months = lb.period(first, "month")
    if last != first:
        months += f" – {lb.period(last, 'month')}"
    within = " that hold the selected days or weeks" if filters.grain in ("day", "week") else ""
    st.caption(
        f"Calls and post-call NPS of {months}: the contact-centre marts are monthly, so whole months{within}. "
        "The segment and survey-channel filters do not apply on this page (calls are not split by them)."
    )
    sort = st.radio("Sort by", SORTS, horizontal=True, key="agent_sort")
    st.subheader("Agents")
    agents = fetch("contact_centre", path, "agent_performance", ["agent_id"], filters, threshold)
    performance_table(agents, ["agent_name", "team", "agent_id"], "agents", threshold, sort)
    st.caption(
        f"Low samples (< {threshold} post-call responses) are listed after the others: their NPS swings by chance; "
        "compare agents on the interval."
    )
    st.subheader("Queues")
    queues = fetch("contact_centre", path, "queue_performance", ["queue", "channel"], filters, threshold)
    performance_table(queues, ["queue", "channel"], "queues", threshold, sort)


def theme_chart(ranked: pd.DataFrame, threshold: int) -> None:
    shown = ranked.iloc[::-1]  # plotly draws the first bar at the bottom
    low = shown.is_low_sample.astype(bool)
    figure = go.Figure(
        go.Bar(
            x=shown.nps_points_lost,
            y=lb.values(shown.theme),
            orientation="h",
            marker={
                "color": np.where(shown.nps_points_lost < 0, "#c62828", "#2e7d32"),
                "opacity": np.where(low, 0.35, 1.0),
            },
            customdata=list(zip(shown.mentions, np.where(low, f" (low sample, < {threshold})", ""), strict=True)),
            hovertemplate="%{y}: %{x:+.1f} NPS points, %{customdata[0]} mentions%{customdata[1]}<extra></extra>",
        )
    )
    figure.update_layout(
        title="What each theme does to the NPS",
        xaxis={"title": "NPS points (negative: the theme pulls the score down)"},
        height=max(220, 40 + 28 * len(shown)),
        margin={"t": 40, "b": 20, "l": 10, "r": 10},
    )
    st.plotly_chart(figure, key="theme_chart")


def themes(path: Path, filters: q.Filters, threshold: int) -> None:
    periods = fetch("theme_periods", path, filters)
    if periods.empty:
        st.info(f"No commented responses in {range_text(filters)}.")
        return
    starts = [pd.Timestamp(d).date() for d in periods.period_start]
    partial = dict(zip(starts, periods.is_partial_period.fillna(False).astype(bool), strict=True))
    complete = [d for d in starts if not partial[d]]
    default = starts.index(complete[-1] if complete else starts[-1])
    chosen: date = st.selectbox(
        "Period",
        starts,
        index=default,
        key=f"theme_period_{filters.grain}",
        format_func=lambda d: lb.period(d, filters.grain) + (" (partial)" if partial[d] else ""),
    )
    frame = fetch("theme_impact", path, filters.grain, chosen)
    ranked = frame[frame.theme != q.NO_THEME].reset_index(drop=True)
    unthemed = frame[frame.theme == q.NO_THEME]
    st.caption(
        "Theme figures cover all segments and survey channels (the theme mart is not split by them); the example "
        "comments below follow the segment and channel filters."
    )
    if ranked.empty:
        st.info("No comment of this period matches a theme.")
    else:
        theme_chart(ranked, threshold)
        ranked["sample"] = lb.sample(ranked.is_low_sample, threshold)
        ranked["theme_label"] = lb.values(ranked.theme)
        ranked["detractor_share_pct"] = 100.0 * ranked.detractor_share
        show_table(
            ranked,
            [
                "theme_label",
                "nps_points_lost",
                "nps_points_lost_ci_low_95",
                "nps_points_lost_ci_high_95",
                "mentions",
                "nps_with_theme",
                "nps_ci_low_95",
                "nps_ci_high_95",
                "sample",
                "nps_without_theme",
                "detractor_share_pct",
            ],
            key="themes",
        )
    if not unthemed.empty:
        st.caption(
            f"{int(unthemed.mentions.iloc[0]):,} comments match no theme ('other') and are left out of the ranking: "
            "the keyword list does not cover them yet."
        )
    if ranked.empty:
        return
    theme = st.selectbox("Example comments for", list(ranked.theme), key="theme_examples", format_func=lb.value)
    examples = fetch("example_comments", path, theme, filters, chosen)
    if examples.empty:
        st.info(f"No '{lb.value(theme)}' comment for {selection_text(filters)} in this period.")
    else:
        examples["channel"] = lb.values(examples.channel)
        show_table(examples, ["nps_score", "nps_comment", "segment", "channel", "responded_date"], key="examples")


def main() -> None:
    st.set_page_config(page_title="NPS", layout="wide")
    st.markdown(PHONE_CSS, unsafe_allow_html=True)
    st.title("Net Promoter Score")
    settings = Settings.from_env()  # NPS_PUBLISHED_PATH, NPS_LOW_SAMPLE_THRESHOLD (`nps dashboard` passes them)
    path = settings.published_path
    threshold = settings.low_sample_threshold
    try:
        filters = sidebar(path, settings)
        pages = st.tabs(list(PAGES))
        with pages[0]:
            overview(path, filters, threshold)
        with pages[1]:
            breakdowns(path, filters, threshold)
        with pages[2]:
            if fetch("has_table", path, "close_the_loop"):
                close_the_loop(path, filters, settings)
            else:
                st.info("This published copy has no close_the_loop mart.")
        with pages[3]:
            contact_centre(path, filters, threshold)
        with pages[4]:
            themes(path, filters, threshold)
    except (q.PublishedCopyUnavailable, FileNotFoundError) as exc:
        st.error(
            f"The published copy is missing or being replaced: {exc}. It appears after `nps run`; reload in a moment."
        )
    except q.PublishedCopyIncomplete as exc:
        st.error(f"Cannot show the dashboard: {exc}.")


main()
