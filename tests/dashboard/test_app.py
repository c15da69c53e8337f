"""Streamlit AppTest of every page in every state (full data, one period, low sample, empty, not a published
copy): what the pages say equals the marts of the published file, read directly with SQL."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import labels as lb
from dashboard import queries as q
from loop.followups import EXPORT_COLUMNS
from publishing.nps_metrics import pooled_interval, pooled_nps

APP = str(Path(__file__).parents[2] / "dashboard" / "app.py")
MAY = date(2026, 5, 1)  # the latest complete month: the build is judged on 25 June 2026 (conftest.AS_OF)
JUNE = date(2026, 6, 1)


def sql(path, text, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(text, params or []).fetchall()


def run(path: Path, monkeypatch, **env: str) -> AppTest:
    monkeypatch.setenv("NPS_PUBLISHED_PATH", str(path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def app(published, monkeypatch) -> AppTest:
    return run(published, monkeypatch)


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# st.dataframe is not a widget: AppTest finds a table by its first column's label
FIRST_COLUMN = {
    "by_segment": "Segment",
    "by_channel": "Channel",
    "work_list": "Due",
    "agents": "Agent",
    "queues": "Queue",
    "themes": "Theme",
    "examples": "Score",
}


def table(at: AppTest, name: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if d.value.columns[0] == FIRST_COLUMN[name])


def texts(at: AppTest) -> list[str]:
    elements = [*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.subheader]
    return [e.value for e in elements] + [f"{m.label} {m.value} {m.delta}" for m in at.metric]


def text(at: AppTest) -> str:
    return "\n".join(texts(at))


def first_glance(at: AppTest):
    return at.metric[0]


def mart_row(path, table_name: str, grain: str, start: date, where: str = "true", params=()) -> dict:
    columns = "nps, nps_ci_low_95, nps_ci_high_95, responses, previous_nps, nps_change, nps_change_is_significant"
    [row] = sql(
        path,
        f"select {columns} from marts.{table_name} where period_grain = ? and period_start = ? and {where}",
        [grain, start, *params],
    )
    return dict(zip([c.strip() for c in columns.split(",")], row, strict=True))


def assert_no_none_or_nan(at: AppTest) -> None:
    for value in texts(at):
        assert "None" not in value and "nan" not in value.lower().split(), value
    for frame in at.dataframe:
        for column in frame.value.select_dtypes(include=["object", "string"]).columns:
            assert frame.value[column].notna().all(), column


# --- Overview ---------------------------------------------------------------------------------------------------


def test_overview_first_glance_is_the_latest_complete_month_with_the_marts_change_and_significance(app, published):
    assert sql(
        published,
        "select is_partial_period from marts.nps_by_period where period_grain = 'month' and period_start = ?",
        [JUNE],
    ) == [(True,)]
    want = mart_row(published, "nps_by_period", "month", MAY)
    metric = first_glance(app)
    assert metric.label == "NPS in May 2026 (latest complete month)"
    assert metric.value == lb.nps(want["nps"])
    assert metric.delta == lb.change(want["nps_change"])
    label = lb.significance(want["nps_change_is_significant"], has_change=True)
    assert f"Change {lb.change(want['nps_change'])} from {lb.nps(want['previous_nps'])}: **{label}**" in text(app)
    assert f"95 % interval {lb.interval(want['nps_ci_low_95'], want['nps_ci_high_95'])}" in text(app)


def test_overview_labels_the_pooled_range_as_pooled(app, published):
    starts = q.periods(published, "month")[-12:]
    [(promoters, detractors, responses)] = sql(
        published,
        "select sum(promoters), sum(detractors), sum(responses) from marts.nps_by_period "
        "where period_grain = 'month' and period_start between ? and ?",
        [starts[0], starts[-1]],
    )
    nps, _ = pooled_nps(promoters, detractors, responses)
    low, high = pooled_interval(promoters, detractors, responses)
    assert (
        f"**Over July 2025 – June 2026, all segments and all channels** (all responses of the range pooled): "
        f"NPS {lb.nps(nps)}, 95 % interval {lb.interval(low, high)}, {responses:,} responses"
    ) in text(app)


def test_the_trend_reads_the_mart_and_keeps_periods_without_responses_as_gaps(app, published):
    [chart] = [c for c in app.get("plotly_chart") if "NPS by month" in c.proto.spec]
    assert '"connectgaps":false' in chart.proto.spec.replace(" ", "")
    assert '"layer":"below"' in chart.proto.spec.replace(" ", "")
    assert "partial" in chart.proto.spec


def test_one_segment_reads_its_change_from_nps_by_segment(app, published):
    app.sidebar.pills(key="segments").set_value(["smb"])
    rerun(app)
    want = mart_row(published, "nps_by_segment", "month", MAY, "segment = ?", ["smb"])
    assert first_glance(app).value == lb.nps(want["nps"])
    assert first_glance(app).delta == lb.change(want["nps_change"])


def test_two_segments_are_pooled_from_counts_and_their_change_is_not_tested(app, published):
    app.sidebar.pills(key="segments").set_value(["smb", "enterprise"])
    rerun(app)
    [(promoters, detractors, responses)] = sql(
        published,
        "select sum(promoters), sum(detractors), sum(responses) from marts.nps_by_segment where period_grain = "
        "'month' and period_start = ? and segment in ('smb', 'enterprise')",
        [MAY],
    )
    assert first_glance(app).value == lb.nps(pooled_nps(promoters, detractors, responses)[0])
    assert first_glance(app).delta is None or first_glance(app).delta == ""
    assert "Change not tested" in text(app)


def test_one_period_selected_shows_that_period(app, published):
    app.sidebar.select_slider(key="range_month").set_value((MAY, MAY))
    rerun(app)
    assert first_glance(app).label == "NPS in May 2026 (latest complete month)"
    assert "**Over May 2026, all segments and all channels**" in text(app)
    assert_no_none_or_nan(app)


def test_a_low_sample_week_is_flagged_and_read_by_its_interval(app, published):
    app.sidebar.radio(key="grain").set_value("week")
    rerun(app)
    [(start, responses, low, high)] = sql(
        published,
        "select period_start, responses, nps_ci_low_95, nps_ci_high_95 from marts.nps_by_period where period_grain "
        "= 'week' and not is_partial_period order by period_start desc limit 1",
    )
    assert responses < 30
    assert first_glance(app).label == f"NPS in {lb.period(start, 'week')} (latest complete week)"
    [warning] = [w.value for w in app.warning]
    assert f"{responses} responses (< 30)" in warning and lb.interval(low, high) in warning
    assert "too few responses" in text(app) or "No previous period" in text(app)
    assert_no_none_or_nan(app)


def test_the_sidebar_says_as_of_when_the_data_is_judged(app):
    assert any(c.value.startswith("Data as of 25 Jun 2026 03:00 (UTC); published ") for c in app.sidebar.caption)
    assert "published copy)" not in text(app)


# --- Segments & channels ----------------------------------------------------------------------------------------


def test_breakdown_tables_carry_sample_sizes_intervals_and_low_sample_marks_lowest_nps_first(app, published):
    starts = q.periods(published, "month")[-12:]
    by_segment = table(app, "by_segment")
    expected = dict(
        sql(
            published,
            "select segment, sum(responses) from marts.nps_by_segment where period_grain = 'month' and "
            "period_start between ? and ? group by 1",
            [starts[0], starts[-1]],
        )
    )
    assert dict(zip(by_segment.Segment, by_segment.Responses, strict=True)) == expected
    low = by_segment[by_segment.Responses < 30]
    assert (low.Sample == "low sample (< 30)").all()
    solid = by_segment[by_segment.Responses >= 30]
    assert list(solid.NPS) == sorted(solid.NPS)
    assert (by_segment["95 % interval from"] < by_segment["95 % interval to"]).all()


# --- Close the loop ---------------------------------------------------------------------------------------------


def test_the_work_list_puts_due_today_first_then_overdue_youngest_first_with_contact_details(app, published):
    counts = dict(sql(published, "select loop_status, count(*) from marts.close_the_loop group by 1"))
    [(due_today,)] = sql(
        published, "select count(*) from marts.close_the_loop where is_due_today and loop_status in ('open', 'overdue')"
    )
    assert due_today > 0
    assert f"### {due_today} due today · {counts['overdue']} overdue · {counts.get('open', 0)} open" in text(app)
    work = table(app, "work_list")
    assert len(work) == counts["overdue"] + counts.get("open", 0)
    assert list(work.Due[:due_today]) == ["Due today"] * due_today
    overdue = work[work.Due.str.startswith("Overdue by")]
    assert list(overdue["Follow-up due"]) == sorted(overdue["Follow-up due"], reverse=True)
    assert {"Customer", "Phone", "Email", "Company"} <= set(work.columns)
    [(first_name, last_name, phone)] = sql(
        published,
        "select first_name, last_name, phone from marts.close_the_loop where is_due_today and loop_status in "
        "('open', 'overdue') order by loop_status = 'overdue' desc, followup_due_at limit 1",
    )
    assert work.Customer.iloc[0] == f"{first_name} {last_name}" and work.Phone.iloc[0] == phone
    assert_no_none_or_nan(app)


def test_the_work_list_follows_the_segment_and_status_filters(app, published):
    app.sidebar.pills(key="segments").set_value(["smb"])
    app.pills(key="loop_status").set_value(["overdue"])
    rerun(app)
    work = table(app, "work_list")
    [(n,)] = sql(
        published, "select count(*) from marts.close_the_loop where segment = 'smb' and loop_status = 'overdue'"
    )
    assert len(work) == n and set(work.Segment) == {"smb"}  # segments are shown as the CRM spells them
    assert "the period range does not" in text(app)


def test_the_work_list_age_filter_keeps_young_cases(app, published):
    app.selectbox(key="loop_age").set_value("last 7 days")
    rerun(app)
    work = table(app, "work_list")
    assert len(work) > 0 and (work["Age (days)"] <= 7).all()


def test_sla_attainment_names_its_denominator(app, published):
    counts = dict(sql(published, "select loop_status, count(*) from marts.close_the_loop group by 1"))
    total = sum(counts.values())
    sla = lb.percent(counts.get("closed_within_sla", 0) / total)
    assert f"Follow-up SLA attainment {sla}: detractors followed up within the SLA out of all {total}" in text(app)
    assert "open and overdue ones included" in text(app)


def test_the_csv_of_the_filtered_list_is_formula_safe_with_the_columns_of_nps_loop(published, tmp_path):
    copy = tmp_path / "nps_published.duckdb"
    shutil.copy(published, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update marts.close_the_loop set nps_comment = '=HYPERLINK(\"http://x\")' where response_id = "
            "(select min(response_id) from marts.close_the_loop where loop_status = 'overdue' and segment = 'smb')"
        )
    data = q.work_list_csv(copy, q.Filters(segments=("smb",)), ("overdue",))
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(pd.io.common.BytesIO(data[3:]), dtype=str)
    assert list(frame.columns) == EXPORT_COLUMNS
    assert set(frame.segment) == {"smb"} and set(frame.loop_status) == {"overdue"}
    assert '\'=HYPERLINK("http://x")' in set(frame.nps_comment)
    assert len(frame) == len(q.work_list(copy, q.Filters(segments=("smb",)), ("overdue",)))


# --- Contact centre ---------------------------------------------------------------------------------------------


def agent_calls(path, first: date, after: date) -> dict:
    return dict(
        sql(
            path,
            "select agent_id, sum(calls_handled) from marts.agent_performance where period_start >= ? and "
            "period_start < ? group by 1",
            [first, after],
        )
    )


@pytest.mark.parametrize(
    ("grain", "default_start"),
    [("month", -12), ("quarter", 0), ("day", -12)],  # the sidebar's default ranges
)
def test_contact_centre_pools_agents_over_the_whole_months_covering_the_range(app, published, grain, default_start):
    """At quarter grain every month of the quarters counts (not only their first); at day grain, the month
    holding the days."""
    app.sidebar.radio(key="grain").set_value(grain)
    rerun(app)
    first = q.periods(published, grain)[default_start].replace(day=1)
    agents = table(app, "agents")
    assert len(agents) > 0
    shown = dict(zip(agents["Agent id"], agents["Calls handled"], strict=True))
    assert shown == agent_calls(published, first, date(2026, 7, 1))
    assert ("whole months that hold the selected days or weeks" in text(app)) == (grain == "day")


def test_one_period_selected_narrows_agents_and_themes_to_it(app, published):
    app.sidebar.select_slider(key="range_month").set_value((MAY, MAY))
    rerun(app)
    agents = table(app, "agents")
    assert dict(zip(agents["Agent id"], agents["Calls handled"], strict=True)) == agent_calls(published, MAY, JUNE)
    assert "Calls and post-call NPS of May 2026:" in text(app)
    assert app.selectbox(key="theme_period_month").options == ["May 2026"]
    assert_no_none_or_nan(app)


def test_segment_filters_do_not_apply_to_agents_and_the_page_says_so(app):
    before = table(app, "agents")
    app.sidebar.pills(key="segments").set_value(["smb"])
    rerun(app)
    pd.testing.assert_frame_equal(before, table(app, "agents"))
    assert "The segment and survey-channel filters do not apply on this page" in text(app)


def test_agents_show_intervals_minutes_and_percentages_worst_nps_first(app, published):
    agents = table(app, "agents")
    assert {"95 % interval from", "95 % interval to", "Sample", "Avg handle time (min)", "Repeat contacts (%)"} <= set(
        agents.columns
    )
    solid, low = agents[agents.Sample == ""], agents[agents.Sample != ""]
    assert list(solid.NPS) == sorted(solid.NPS) and list(low.NPS) == sorted(low.NPS)
    assert list(agents.Sample) == sorted(agents.Sample)  # low samples after the others
    [(aht,)] = sql(
        published,
        "select sum(aht_seconds * inbound_calls_answered) / sum(inbound_calls_answered) / 60 "
        "from marts.agent_performance where agent_id = ? and period_start >= ?",
        [agents["Agent id"].iloc[0], q.periods(published, "month")[-12]],
    )
    assert agents["Avg handle time (min)"].iloc[0] == pytest.approx(aht)
    assert agents["Repeat contacts (%)"].between(0, 100).all()
    app.radio(key="agent_sort").set_value("NPS, highest first")
    rerun(app)
    assert list(table(app, "agents")[lambda f: f.Sample == ""].NPS) == sorted(solid.NPS, reverse=True)


# --- Themes -----------------------------------------------------------------------------------------------------


def test_themes_of_the_latest_complete_month_in_impact_order_without_other(app, published):
    themes = table(app, "themes")
    expected = sql(
        published,
        "select theme, nps_points_lost from marts.theme_impact where period_grain = 'month' and period_start = ? "
        "and theme <> 'other' order by impact_rank, mentions desc, theme",
        [MAY],
    )
    shown = list(zip(themes.Theme, themes["NPS impact (points)"], strict=True))
    assert shown == [(lb.value(t), v) for t, v in expected]
    assert "other" not in set(themes.Theme)
    low = dict(
        sql(
            published,
            "select theme, is_low_sample from marts.theme_impact where period_grain = 'month' and period_start = ?",
            [MAY],
        )
    )
    assert list(themes.Sample) == ["low sample (< 30)" if low[t] else "" for t, _ in expected]
    assert "match no theme ('other')" in text(app)
    assert "Theme figures cover all segments and survey channels" in text(app)


def test_theme_examples_follow_the_segment_filter(app, published):
    [(theme,)] = sql(
        published,
        "select theme from marts.theme_impact where period_grain = 'month' and period_start = ? and theme <> 'other' "
        "order by impact_rank, mentions desc, theme limit 1",
        [MAY],
    )
    [(segment,)] = sql(
        published,
        "select min(segment) from marts.verbatim_themes where theme = ? and date_trunc('month', responded_date) = ?",
        [theme, MAY],
    )
    app.sidebar.pills(key="segments").set_value([segment])
    rerun(app)
    assert app.selectbox(key="theme_examples").value == theme
    examples = table(app, "examples")
    assert len(examples) > 0 and set(examples.Segment) == {segment}


# --- Empty and broken copies --------------------------------------------------------------------------------------


def test_an_empty_published_copy_says_so_on_every_page_without_charts(empty_published, monkeypatch):
    at = run(empty_published, monkeypatch)
    assert not at.get("plotly_chart") and not at.dataframe
    infos = [i.value for i in at.info]
    assert any(i.startswith("No responses for") for i in infos)
    assert any(i.startswith("Nobody to call back") for i in infos)
    assert any(i.startswith("No periods published yet") for i in infos)
    assert any(i.startswith("No commented responses") for i in infos)
    assert_no_none_or_nan(at)


def test_a_selection_without_responses_says_so(published, tmp_path, monkeypatch):
    copy = tmp_path / "nps_published.duckdb"
    shutil.copy(published, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "delete from marts.fct_survey_responses where segment = 'enterprise' and responded_date >= ?", [MAY]
        )
    at = run(copy, monkeypatch)
    at.sidebar.select_slider(key="range_month").set_value((MAY, MAY))
    at.sidebar.pills(key="segments").set_value(["enterprise"])
    rerun(at)
    message = "No responses for May 2026, enterprise and all channels. Widen the period range"
    assert any(i.value.startswith(message) for i in at.info)
    assert not [c for c in at.get("plotly_chart") if "NPS by month" in c.proto.spec]
    assert_no_none_or_nan(at)


def test_a_file_without_marts_gives_a_clear_message(no_marts, monkeypatch):
    at = run(no_marts, monkeypatch)
    assert len(at.error) == 1 and "is not a complete published copy" in at.error[0].value
    assert "nps run" in at.error[0].value


def test_a_missing_published_file_shows_a_clear_message(tmp_path, monkeypatch):
    at = run(tmp_path / "nothing.duckdb", monkeypatch)
    assert "missing or being replaced" in at.error[0].value


def test_the_low_sample_threshold_comes_from_the_settings(published, monkeypatch):
    at = run(published, monkeypatch, NPS_LOW_SAMPLE_THRESHOLD="100000")
    assert (table(at, "by_segment").Sample == "low sample (< 100000)").all()
    assert (table(at, "agents").Sample == "low sample (< 100000)").all()


def test_a_period_without_responses_is_a_gap_in_the_trend_not_a_bridged_line(published, tmp_path):
    copy = tmp_path / "nps_published.duckdb"
    shutil.copy(published, copy)
    days = q.periods(published, "day")[-60:]
    with duckdb.connect(str(copy)) as con:  # a day absent from the mart (no invitation, no response)
        con.execute("delete from marts.nps_by_period where period_grain = 'day' and period_start = ?", [days[30]])
    frame = q.trend(copy, q.Filters(grain="day", start=days[0], end=days[-1]))
    starts = [pd.Timestamp(d).date() for d in frame.period_start]
    assert starts == [days[0] + pd.Timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]
    assert days[30] in starts
    silent = frame[frame.responses == 0]
    assert days[30] in [pd.Timestamp(d).date() for d in silent.period_start]
    assert silent.nps.isna().all()
