"""The one Python copy of the NPS formulas (pooled figures) agrees with the marts the dbt macros build."""

from __future__ import annotations

import pytest

from publishing.nps_metrics import is_low_sample, nps_and_moe, nps_interval, pooled_interval, pooled_nps
from tests.builds import rows

POOLED = {
    "a year's months give the year row of nps_by_period": """
        select date_trunc('year', m.period_start)::date, sum(m.promoters), sum(m.detractors), sum(m.responses),
               any_value(y.nps), any_value(y.nps_moe_95)
        from marts.nps_by_period m
        join marts.nps_by_period y on y.period_grain = 'year'
            and y.period_start = date_trunc('year', m.period_start)::date
        where m.period_grain = 'month' group by 1 order by 1""",
    "a month's segments give the month row of nps_by_period": """
        select s.period_start, sum(s.promoters), sum(s.detractors), sum(s.responses),
               any_value(p.nps), any_value(p.nps_moe_95)
        from marts.nps_by_segment s
        join marts.nps_by_period p using (period_grain, period_start)
        where s.period_grain = 'month' group by 1 order by 1""",
}


@pytest.mark.parametrize("case", list(POOLED))
def test_pooled_counts_give_the_marts_figures(clean_built, case):
    warehouse, _ = clean_built
    pooled = rows(warehouse, POOLED[case])
    assert pooled
    for period, promoters, detractors, responses, nps, moe in pooled:
        assert pooled_nps(promoters, detractors, responses) == (pytest.approx(nps), pytest.approx(moe)), period


def test_row_by_row_the_vectorised_formulas_equal_every_channel_row(clean_built):
    warehouse, _ = clean_built
    table = rows(
        warehouse,
        "select promoters, detractors, responses, nps, nps_moe_95, is_low_sample from marts.nps_by_channel"
        " where responses > 0",
    )
    promoters, detractors, responses, nps, moe, low = (list(column) for column in zip(*table, strict=True))
    got_nps, got_moe = nps_and_moe(promoters, detractors, responses)
    assert got_nps.tolist() == pytest.approx(nps)
    assert got_moe.tolist() == pytest.approx(moe)
    assert is_low_sample(responses, 30).tolist() == low  # the dbt project's default threshold


def test_no_responses_means_no_nps_and_no_margin():
    assert pooled_nps(0, 0, 0) == (None, None)


def test_the_interval_equals_the_marts_interval_on_every_row_no_response_rows_included(clean_built):
    warehouse, _ = clean_built
    table = rows(
        warehouse,
        "select promoters, detractors, responses, nps_ci_low_95, nps_ci_high_95 from marts.nps_by_period"
        " union all select promoters, detractors, responses, nps_ci_low_95, nps_ci_high_95"
        " from marts.agent_performance",
    )
    promoters, detractors, responses, low, high = (list(column) for column in zip(*table, strict=True))
    got_low, got_high = nps_interval(promoters, detractors, responses)
    assert got_low.tolist() == pytest.approx(low)
    assert got_high.tolist() == pytest.approx(high)


def test_pooled_months_give_the_year_rows_interval(clean_built):
    warehouse, _ = clean_built
    pooled = rows(
        warehouse,
        """select sum(m.promoters), sum(m.detractors), sum(m.responses),
                  any_value(y.nps_ci_low_95), any_value(y.nps_ci_high_95)
           from marts.nps_by_period m
           join marts.nps_by_period y on y.period_grain = 'year'
               and y.period_start = date_trunc('year', m.period_start)::date
           where m.period_grain = 'month' group by y.period_start""",
    )
    assert pooled
    for promoters, detractors, responses, low, high in pooled:
        assert pooled_interval(promoters, detractors, responses) == (pytest.approx(low), pytest.approx(high))


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((0, 0, 0), (-80.01666493091714, 80.01666493091714)),  # no response: the prior alone
        ((1, 0, 1), (-48.5, 98.5)),  # one promoter: n' = 4, centre 25, half-width 196 sqrt(0.5625 / 4) = 73.5
        ((30, 0, 30), (78.69749948171827, 100.0)),  # clipped at 100
        ((0, 30, 30), (-100.0, -78.69749948171827)),
    ],
)
def test_the_interval_is_wide_for_small_groups_and_clipped(counts, expected):
    assert pooled_interval(*counts) == pytest.approx(expected)
