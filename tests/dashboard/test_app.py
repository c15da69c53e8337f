"""Streamlit AppTest: the figures on every page equal numbers computed directly from the published file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import queries as q
from publishing.nps_metrics import pooled_interval, pooled_nps

APP = str(Path(__file__).parents[2] / "dashboard" / "app.py")


def sql(path, text, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(text, params or []).fetchall()


@pytest.fixture
def app(published, monkeypatch) -> AppTest:
    monkeypatch.setenv("NPS_PUBLISHED_PATH", str(published))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# st.dataframe is not a widget: AppTest finds tables by their order on the page (tabs render in order)
TABLES = ("by_segment", "by_channel", "open_followups", "agents", "queues", "themes", "examples")


def table(at: AppTest, name: str):
    return at.dataframe[TABLES.index(name)].value


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def last_months(path, n=12):
    starts = [
        r[0]
        for r in sql(
            path, "select distinct period_start from marts.nps_by_period where period_grain = 'month' order by 1"
        )
    ]
    return starts[max(0, len(starts) - n)], starts[-1]


def test_overview_headline_is_the_pooled_nps_of_the_last_twelve_months(app, published):
    start, end = last_months(published)
    [(promoters, detractors, responses)] = sql(
        published,
        """
        select sum(promoters), sum(detractors), sum(responses) from marts.nps_by_period
        where period_grain = 'month' and period_start between ? and ?""",
        [start, end],
    )
    nps, moe = pooled_nps(promoters, detractors, responses)
    assert metric(app, "NPS") == f"{nps:+.1f}"
    assert metric(app, "Margin of error (95 %)") == f"± {moe:.1f}"
    assert metric(app, "Responses") == f"{responses:,}"
    [(invitations, answered)] = sql(
        published,
        """
        select sum(invitations), sum(invitations * response_rate) from marts.nps_by_period
        where period_grain = 'month' and period_start between ? and ?""",
        [start, end],
    )
    assert metric(app, "Response rate") == f"{100 * answered / invitations:.1f} %"


def test_changing_the_grain_recomputes_the_headline_for_quarters(app, published):
    app.sidebar.radio(key="grain").set_value("quarter").run()
    [(promoters, detractors, responses)] = sql(
        published,
        """
        select sum(promoters), sum(detractors), sum(responses) from marts.nps_by_period where period_grain = 'year'""",
    )
    assert metric(app, "NPS") == f"{pooled_nps(promoters, detractors, responses)[0]:+.1f}"


def test_pooling_segments_recomputes_nps_from_counts_never_averages(published):
    start, end = last_months(published)
    filters = q.Filters(grain="month", start=start, end=end, segments=("smb", "enterprise"))
    got = q.headline(published, filters)
    [(promoters, detractors, responses, averaged)] = sql(
        published,
        """
        select sum(promoters), sum(detractors), sum(responses), avg(nps) from marts.nps_by_segment
        where period_grain = 'month' and period_start between ? and ? and segment in ('smb', 'enterprise')""",
        [start, end],
    )
    assert got["responses"] == responses
    assert got["nps"] == pytest.approx(100.0 * (promoters - detractors) / responses)
    assert got["nps"] != pytest.approx(averaged)


def test_breakdown_tables_carry_sample_sizes_and_low_sample_marks(app, published):
    start, end = last_months(published)
    by_segment = table(app, "by_segment")
    expected = dict(
        sql(
            published,
            """select segment, sum(responses) from marts.nps_by_segment
                                      where period_grain = 'month' and period_start between ? and ? group by 1""",
            [start, end],
        )
    )
    assert dict(zip(by_segment.segment, by_segment.responses, strict=True)) == expected
    low = by_segment[by_segment.responses < 30]
    assert (low.marker == "low sample (< 30)").all()


def test_low_sample_rows_show_the_interval_instead_of_a_margin_of_error(app):
    by_segment = table(app, "by_segment")
    low = by_segment[by_segment.responses < 30]
    assert not low.empty  # the messy tiny build has small segments over twelve months
    assert low.nps_moe_95.isna().all()
    for row in by_segment.itertuples():
        assert (row.nps_ci_low_95, row.nps_ci_high_95) == pytest.approx(
            pooled_interval(row.promoters, row.detractors, row.responses)
        )
        assert row.nps_ci_low_95 < row.nps_ci_high_95
    large = by_segment[by_segment.responses >= 30]
    assert large.nps_moe_95.notna().all()


def test_the_overview_shows_the_interval_of_the_pooled_selection(app, published):
    start, end = last_months(published)
    [(promoters, detractors, responses)] = sql(
        published,
        """select sum(promoters), sum(detractors), sum(responses) from marts.nps_by_period
           where period_grain = 'month' and period_start between ? and ?""",
        [start, end],
    )
    low, high = pooled_interval(promoters, detractors, responses)
    assert metric(app, "95 % interval") == f"{low:+.1f} to {high:+.1f}"


def test_the_low_sample_threshold_comes_from_the_settings(published, monkeypatch):
    monkeypatch.setenv("NPS_PUBLISHED_PATH", str(published))
    monkeypatch.setenv("NPS_LOW_SAMPLE_THRESHOLD", "100000")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    by_segment = table(at, "by_segment")
    assert (by_segment.marker == "low sample (< 100000)").all()
    assert any("Low sample:" in w.value and "(< 100000)" in w.value for w in at.warning)
    assert next(m.value for m in at.metric if m.label == "Margin of error (95 %)") == "–"  # the interval instead


def test_close_the_loop_page_matches_the_mart(app, published):
    counts = dict(sql(published, "select loop_status, count(*) from marts.close_the_loop group by 1"))
    assert metric(app, "Overdue follow-ups") == f"{counts.get('overdue', 0):,}"
    assert metric(app, "Open follow-ups") == f"{counts.get('open', 0):,}"
    sla = counts.get("closed_within_sla", 0) / sum(counts.values())
    assert metric(app, "SLA attainment") == f"{100 * sla:.1f} %"
    [(again, recovered)] = sql(
        published, "select count(next_response_id), count(*) filter (where is_recovered) from marts.close_the_loop"
    )
    assert metric(app, "Recovery rate") == f"{100 * recovered / again:.1f} %"
    assert len(table(app, "open_followups")) == counts.get("open", 0) + counts.get("overdue", 0)


def test_contact_centre_page_pools_agents_over_the_range(app, published):
    start, end = last_months(published)
    agents = table(app, "agents")
    expected = dict(
        sql(
            published,
            """select agent_id, sum(calls_handled) from marts.agent_performance
                                      where period_start between ? and ? group by 1""",
            [start, end],
        )
    )
    assert dict(zip(agents.agent_id, agents.calls_handled, strict=True)) == expected


def test_verbatim_theme_page_counts_mentions(app, published):
    start, end = last_months(published)
    themes = table(app, "themes")
    expected = dict(
        sql(
            published,
            """select theme, count(*) from marts.verbatim_themes
                                      where cast(date_trunc('month', responded_date) as date) between ? and ?
                                      group by 1""",
            [start, end],
        )
    )
    assert dict(zip(themes.theme, themes.mentions, strict=True)) == expected


def test_a_missing_published_file_shows_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("NPS_PUBLISHED_PATH", str(tmp_path / "nothing.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "missing or being replaced" in at.error[0].value
