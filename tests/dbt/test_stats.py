"""Honest small samples (contract v2, section 4), built end to end by dbt on hand-written exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.loader import ingest
from publishing.nps_metrics import pooled_interval
from tests.builds import dbt, rows

SURVEY_HEADER = "response_id,customer_id,channel,touchpoint,sent_at,responded_at,nps_score,language\n"


def survey_rows(day: str, scores: list[int], prefix: str) -> str:
    """One response per score, all on `day` (UTC), as canonical survey export lines."""
    return "".join(
        f"{prefix}{i},C{i % 3},email,post_call,{day}T08:00:00+00:00,{day}T09:00:00+00:00,{score},en\n"
        for i, score in enumerate(scores)
    )


# 1 April: 40 responses (30 promoters, 5 passives, 5 detractors); 2 April: one detractor; 3 April: 40 again
# (5 promoters, 5 passives, 30 detractors); 4 April: 40 like 1 April.
BIG_GOOD = [10] * 30 + [8] * 5 + [3] * 5
BIG_BAD = [10] * 5 + [8] * 5 + [3] * 30
SURVEYS = (
    SURVEY_HEADER
    + survey_rows("2026-04-01", BIG_GOOD, "A")
    + survey_rows("2026-04-02", [3], "B")
    + survey_rows("2026-04-03", BIG_BAD, "C")
    + survey_rows("2026-04-04", BIG_GOOD, "D")
)


def landing_with(root: Path, files: dict[str, str]) -> Path:
    landing = root / "landing"
    for source in ("surveys", "crm", "calls"):
        (landing / source).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (landing / name).write_text(text, encoding="utf-8")
    return landing


@pytest.fixture(scope="module")
def small_samples(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("small_samples")
    landing = landing_with(work, {"surveys/april.csv": SURVEYS})
    warehouse = work / "nps.duckdb"
    ingest(landing, warehouse)
    dbt(warehouse, work, "build")
    return warehouse


def days(warehouse: Path, mart: str, where: str = "true") -> dict:
    found = rows(
        warehouse,
        f"""select strftime(period_start, '%d'), responses, nps_moe_95, nps_ci_low_95, nps_ci_high_95,
                   is_low_sample, nps_change, nps_change_is_significant
            from marts.{mart} where period_grain = 'day' and {where} order by period_start""",
    )
    return {row[0]: row[1:] for row in found}


def test_a_one_response_day_has_a_wide_interval_and_no_significant_change(small_samples):
    by_day = days(small_samples, "nps_by_period")
    responses, moe, low, high, is_low, change, significant = by_day["02"]
    # measured before v2: margin 0 and the change flagged significant
    assert (responses, moe, is_low, change, significant) == (1, 0.0, True, -162.5, None)
    assert (low, high) == (pytest.approx(-98.5), pytest.approx(48.5))
    # the day after it is large, yet compared with a low-sample day: no verdict either
    assert by_day["03"][4:] == (False, 37.5, None)
    # two large days: the Wald test decides (+125 points)
    assert by_day["04"][4:] == (False, 125.0, True)


@pytest.mark.parametrize(
    ("mart", "where"),
    [
        ("nps_by_period", "true"),
        ("nps_by_segment", "segment = 'unknown'"),
        ("nps_by_channel", "channel = 'email'"),
        ("csat_ces_by_period", "true"),
        ("nps_by_dimension", "dimension = 'touchpoint'"),
    ],
)
def test_every_period_table_carries_the_same_small_sample_columns(small_samples, mart, where):
    assert days(small_samples, mart, where) == days(small_samples, "nps_by_period")


def test_the_interval_equals_the_one_python_copy(small_samples):
    for promoters, detractors, responses, low, high in rows(
        small_samples, "select promoters, detractors, responses, nps_ci_low_95, nps_ci_high_95 from marts.nps_by_period"
    ):
        assert pooled_interval(promoters, detractors, responses) == (pytest.approx(low), pytest.approx(high))


def test_no_mart_exposes_a_hugeint(small_samples):
    hugeints = rows(
        small_samples,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and data_type = 'HUGEINT' order by all",
    )
    assert hugeints == []
