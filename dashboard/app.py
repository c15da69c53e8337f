"""The starter NPS dashboard: `nps dashboard` (Streamlit on 127.0.0.1), reading the published copy only."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from dashboard import queries as q
from nps.settings import Settings

BANDS = (
    (-100, 0, "#fde2e1", "below 0"),
    (0, 50, "#fff4d6", "good (> 0)"),
    (50, 70, "#e3f4e1", "excellent (> 50)"),
    (70, 100, "#c9ebd0", "world class (> 70)"),
)


@st.cache_data(ttl=60, show_spinner=False)
def cached(name: str, path: str, mtime: float, *args):
    """Results cached per published file version (its modification time changes at every publish)."""
    return getattr(q, name)(Path(path), *args)


def fetch(name: str, path: Path, *args):
    return cached(name, str(path), path.stat().st_mtime, *args)


def fmt_nps(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def fmt_interval(low: float, high: float) -> str:
    """The 95 % adjusted-Wald interval, e.g. `-48.5 to +98.5`."""
    return f"{low:+.1f} to {high:+.1f}"


def low_sample_marker(frame, low_sample_threshold: int):
    """The low-sample mark of each row, and its margin of error hidden there: at a handful of responses the
    margin collapses (0 at one response), so those rows are read by their interval."""
    frame["marker"] = frame.is_low_sample.map({True: f"low sample (< {low_sample_threshold})", False: ""})
    frame["nps_moe_95"] = frame.nps_moe_95.where(~frame.is_low_sample)
    return frame


def sidebar(path: Path) -> q.Filters:
    st.sidebar.header("Filters")
    grain = st.sidebar.radio("Period grain", q.GRAINS, index=2, horizontal=True, key="grain")
    starts = fetch("periods", path, grain)
    if not starts:
        return q.Filters(grain=grain)
    default = (
        (starts[max(0, len(starts) - 12)], starts[-1]) if grain in ("day", "week", "month") else (starts[0], starts[-1])
    )
    if len(starts) > 1:
        start, end = st.sidebar.select_slider(
            "Periods", options=starts, value=default, key=f"range_{grain}", format_func=lambda d: d.isoformat()
        )
    else:
        start = end = starts[0]
    segments = st.sidebar.pills(
        "Segment", fetch("dimension_values", path, "segment"), selection_mode="multi", key="segments"
    )
    channels = st.sidebar.pills(
        "Channel", fetch("dimension_values", path, "channel"), selection_mode="multi", key="channels"
    )
    published = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    st.sidebar.caption(f"Reading {path} (published {published:%Y-%m-%d %H:%M %Z}). Empty selection = all.")
    return q.Filters(grain=grain, start=start, end=end, segments=tuple(segments or ()), channels=tuple(channels or ()))


def overview(path: Path, filters: q.Filters, low_sample_threshold: int) -> None:
    head = fetch("headline", path, filters)
    low_sample = head["responses"] < low_sample_threshold
    cols = st.columns(5)
    cols[0].metric(
        "NPS", fmt_nps(head["nps"]), help="100 × (promoters − detractors) / responses, pooled over the selection"
    )
    moe = head["nps_moe_95"]
    cols[1].metric(
        "Margin of error (95 %)",
        "–" if moe is None or low_sample else f"± {moe:.1f}",
        help="Not shown for a low sample: read the interval",
    )
    cols[2].metric(
        "95 % interval",
        fmt_interval(head["nps_ci_low_95"], head["nps_ci_high_95"]),
        help="Adjusted-Wald interval: honest at small samples, never of zero width",
    )
    cols[3].metric("Responses", f"{head['responses']:,}")
    rate = head["response_rate"]
    cols[4].metric("Response rate", "–" if rate is None else f"{100 * rate:.1f} %")
    if head["responses"] and low_sample:
        st.warning(
            f"Low sample: {head['responses']} responses (< {low_sample_threshold}); the NPS lies somewhere in "
            f"{fmt_interval(head['nps_ci_low_95'], head['nps_ci_high_95'])} (95 %)."
        )
    frame = fetch("trend", path, filters, low_sample_threshold)
    x = [d.isoformat() for d in frame.period_start]
    figure = go.Figure()
    for low, high, colour, label in BANDS:
        figure.add_hrect(
            y0=low,
            y1=high,
            fillcolor=colour,
            opacity=0.6,
            line_width=0,
            annotation_text=label,
            annotation_position="top left",
        )
    low_rows = frame.is_low_sample.tolist()
    figure.add_trace(
        go.Scatter(
            x=x,
            y=frame.nps.tolist(),
            name="NPS",
            mode="lines+markers",
            # ± margin of error where the sample is large enough; low-sample points get their interval below
            error_y={
                "type": "data",
                "array": [None if low else moe for low, moe in zip(low_rows, frame.nps_moe_95, strict=True)],
                "visible": True,
            },
            marker={"symbol": ["circle-open" if low else "circle" for low in low_rows], "size": 8},
            customdata=list(zip(frame.responses, frame.nps_ci_low_95, frame.nps_ci_high_95, strict=True)),
            hovertemplate="%{x}: NPS %{y:.1f} (n=%{customdata[0]}, 95 % interval %{customdata[1]:.1f} to "
            "%{customdata[2]:.1f})<extra></extra>",
        )
    )
    segments_x: list[str | None] = []
    segments_y: list[float | None] = []
    for when, low, high, is_low in zip(x, frame.nps_ci_low_95, frame.nps_ci_high_95, low_rows, strict=True):
        if is_low:
            segments_x += [when, when, None]
            segments_y += [float(low), float(high), None]
    if segments_x:
        figure.add_trace(
            go.Scatter(
                x=segments_x,
                y=segments_y,
                name=f"95 % interval (low sample, < {low_sample_threshold})",
                mode="lines",
                line={"dash": "dot", "width": 3},
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        title=f"NPS by {filters.grain}",
        yaxis={"range": [-100, 100], "title": "NPS"},
        height=380,
        margin={"t": 40, "b": 20},
    )
    st.plotly_chart(figure, key="trend_chart")
    split = go.Figure(
        go.Bar(
            x=[head["promoters"], head["passives"], head["detractors"]],
            y=["promoters", "passives", "detractors"],
            orientation="h",
            marker_color=["#2e7d32", "#9e9e9e", "#c62828"],
        )
    )
    split.update_layout(title="Promoters / passives / detractors", height=220, margin={"t": 40, "b": 20})
    st.plotly_chart(split, key="split_chart")


def breakdowns(path: Path, filters: q.Filters, low_sample_threshold: int) -> None:
    for dimension in ("segment", "channel"):
        frame = fetch("breakdown", path, dimension, filters, low_sample_threshold)
        st.subheader(f"By {dimension}")
        frame = low_sample_marker(frame, low_sample_threshold)
        st.dataframe(
            frame[
                [
                    dimension,
                    "responses",
                    "promoters",
                    "detractors",
                    "nps",
                    "nps_moe_95",
                    "nps_ci_low_95",
                    "nps_ci_high_95",
                    "marker",
                ]
            ],
            hide_index=True,
            key=f"by_{dimension}",
        )


def close_the_loop(path: Path) -> None:
    summary = fetch("loop_summary", path)
    counts = summary["counts"]
    cols = st.columns(4)
    cols[0].metric("Overdue follow-ups", f"{counts.get('overdue', 0):,}")
    cols[1].metric("Open follow-ups", f"{counts.get('open', 0):,}")
    sla = summary["sla_attainment"]
    cols[2].metric("SLA attainment", "–" if sla is None else f"{100 * sla:.1f} %")
    recovery = summary["recovery_rate"]
    cols[3].metric(
        "Recovery rate",
        "–" if recovery is None else f"{100 * recovery:.1f} %",
        help="Of the detractors who answered again, the share who became passive or promoter",
    )
    st.dataframe(fetch("open_followups", path), hide_index=True, key="open_followups")
    st.caption("`nps loop --out followups.csv` writes this list for the CRM (formula-safe).")


def contact_centre(path: Path, filters: q.Filters, low_sample_threshold: int) -> None:
    st.subheader("Agents")
    agents = fetch("contact_centre", path, "agent_performance", ["agent_id"], filters, low_sample_threshold)
    agents = low_sample_marker(agents, low_sample_threshold)
    st.dataframe(
        agents[
            [
                "agent_id",
                "agent_name",
                "team",
                "calls_handled",
                "aht_seconds",
                "repeat_contact_rate",
                "responses",
                "nps",
                "nps_ci_low_95",
                "nps_ci_high_95",
                "marker",
            ]
        ],
        hide_index=True,
        key="agents",
    )
    st.caption("Rank agents on the interval, not the NPS alone, when their responses are few.")
    st.subheader("Queues and channels")
    queues = fetch("contact_centre", path, "queue_performance", ["queue", "channel"], filters, low_sample_threshold)
    queues = low_sample_marker(queues, low_sample_threshold)
    st.dataframe(
        queues[
            [
                "queue",
                "channel",
                "calls_handled",
                "aht_seconds",
                "repeat_contact_rate",
                "responses",
                "nps",
                "nps_ci_low_95",
                "nps_ci_high_95",
                "marker",
            ]
        ],
        hide_index=True,
        key="queues",
    )


def themes(path: Path, filters: q.Filters, low_sample_threshold: int) -> None:
    frame = fetch("theme_summary", path, filters, low_sample_threshold)
    if frame.empty:
        st.info("No verbatims in the selection.")
        return
    figure = go.Figure()
    figure.add_trace(go.Bar(x=frame.theme, y=frame.nps_with_theme, name="NPS with the theme"))
    figure.add_trace(go.Bar(x=frame.theme, y=frame.nps_without_theme, name="NPS without"))
    figure.update_layout(barmode="group", title="Theme impact on NPS", height=360, margin={"t": 40, "b": 20})
    st.plotly_chart(figure, key="theme_chart")
    st.dataframe(
        low_sample_marker(frame, low_sample_threshold)[
            [
                "theme",
                "mentions",
                "detractor_share",
                "nps_with_theme",
                "nps_ci_low_95",
                "nps_ci_high_95",
                "nps_without_theme",
                "marker",
            ]
        ],
        hide_index=True,
        key="themes",
    )
    theme = st.selectbox("Example comments for", list(frame.theme), key="theme_examples")
    st.dataframe(fetch("example_comments", path, theme), hide_index=True, key="examples")


def main() -> None:
    st.set_page_config(page_title="NPS", layout="wide")
    st.title("Net Promoter Score")
    settings = Settings.from_env()  # NPS_PUBLISHED_PATH, NPS_LOW_SAMPLE_THRESHOLD (`nps dashboard` passes them)
    path = settings.published_path
    try:
        filters = sidebar(path)
        pages = st.tabs(["Overview", "Segments & channels", "Close the loop", "Contact centre", "Verbatim themes"])
        with pages[0]:
            overview(path, filters, settings.low_sample_threshold)
        with pages[1]:
            breakdowns(path, filters, settings.low_sample_threshold)
        with pages[2]:
            close_the_loop(path) if fetch("has_table", path, "close_the_loop") else st.info("No close_the_loop mart.")
        with pages[3]:
            contact_centre(path, filters, settings.low_sample_threshold)
        with pages[4]:
            themes(path, filters, settings.low_sample_threshold)
    except (q.PublishedCopyUnavailable, FileNotFoundError) as exc:
        st.error(
            f"The published copy is missing or being replaced: {exc}. It appears after `nps run`; reload in a moment."
        )


main()
