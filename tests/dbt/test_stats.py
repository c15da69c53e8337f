"""Honest small samples (contract v2, section 4), built end to end by dbt on hand-written exports."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from ingestion.loader import ingest
from publishing.nps_metrics import pooled_interval
from tests.builds import dbt, landing_with, rows

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


# --- response rate over invitation-bearing sources, and NPS by a declared dimension (contract v2, 4 and 5) ---

CANONICAL = (
    "response_id,customer_id,channel,touchpoint,sent_at,responded_at,nps_score,language,store\n"
    "I1,C1,email,post_purchase,2026-05-04T08:00:00+00:00,2026-05-04T09:00:00+00:00,10,fr,Paris\n"
    "I2,C2,email,post_purchase,2026-05-04T08:00:00+00:00,2026-05-04T10:00:00+00:00,3,fr,Lyon\n"
    "I3,C3,email,post_purchase,2026-05-04T08:00:00+00:00,,,fr,Paris\n"
    "I4,C1,email,post_purchase,2026-05-04T08:00:00+00:00,,,fr,\n"
    "I5,C2,sms,post_purchase,2026-05-11T08:00:00+00:00,2026-05-11T09:00:00+00:00,9,en, Lyon \n"
)
# a responses-only export (sources.yml: invitations false): no store column, so the CRM version's store counts
RESPONSES_ONLY = (
    "response_id,customer_id,channel,touchpoint,sent_at,responded_at,nps_score,language\n"
    "T1,C1,web,relationship,2026-05-04T11:00:00+00:00,2026-05-04T11:00:00+00:00,8,fr\n"
    "T2,C3,web,relationship,2026-05-04T12:00:00+00:00,2026-05-04T12:00:00+00:00,0,fr\n"
    "T3,C9,web,relationship,2026-05-04T13:00:00+00:00,2026-05-04T13:00:00+00:00,10,fr\n"
    "T4,C1,web,relationship,2026-05-20T13:00:00+00:00,2026-05-20T13:00:00+00:00,9,fr\n"
)
# C1 moves from the Paris store to Grenoble on 15 May: T1 is Paris's, T4 Grenoble's
CRM = (
    "customer_id,email,segment,region,country,plan,status,updated_at,store\n"
    "C1,c1@example.test,smb,west,FR,pro,active,2026-01-01T00:00:00+00:00,Paris\n"
    "C1,c1@example.test,smb,west,FR,pro,active,2026-05-15T00:00:00+00:00,Grenoble\n"
    "C2,c2@example.test,smb,east,FR,basic,active,2026-01-01T00:00:00+00:00,Lyon\n"
    "C3,c3@example.test,enterprise,east,FR,basic,active,2026-01-01T00:00:00+00:00,\n"
)
SOURCES_YML = """version: 1
surveys:
  - files: "tool/*.csv"
    profile: canonical
    invitations: false
    dimensions: [store]
"""


@pytest.fixture(scope="module")
def declared_store(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("declared_store")
    landing = landing_with(
        work,
        {"surveys/canonical.csv": CANONICAL, "crm/crm.csv": CRM, "sources.yml": SOURCES_YML},
    )
    (landing / "surveys" / "tool").mkdir()
    (landing / "surveys" / "tool" / "export.csv").write_text(RESPONSES_ONLY, encoding="utf-8")
    warehouse = work / "nps.duckdb"
    ingest(landing, warehouse)
    dbt(warehouse, work, "build", "--vars", "{dimensions: [store]}")
    return warehouse


def independent_nps_by(frame: pd.DataFrame, column: str) -> dict[str, tuple[int, float]]:
    """Responses and NPS per value of `column`, by pandas on the rows as written (scores 0–10)."""
    scored = frame.dropna(subset=["nps_score"])
    grouped = scored.groupby(column)["nps_score"]
    return {
        value: (len(scores), 100.0 * ((scores >= 9).sum() - (scores <= 6).sum()) / len(scores))
        for value, scores in grouped
    }


def test_nps_by_a_declared_store_equals_an_independent_computation(declared_store):
    survey = pd.read_csv(io.StringIO(CANONICAL), dtype={"store": str})
    tool = pd.read_csv(io.StringIO(RESPONSES_ONLY))
    # the store of a responses-only row: its customer's CRM version at the response (C3 has none, C9 no CRM)
    tool["store"] = tool.response_id.map({"T1": "Paris", "T4": "Grenoble"})
    rows_as_written = pd.concat([survey, tool])
    rows_as_written["store"] = rows_as_written.store.str.strip().fillna("unknown")
    expected = {
        value: (n, pytest.approx(nps)) for value, (n, nps) in independent_nps_by(rows_as_written, "store").items()
    }
    got = rows(
        declared_store,
        "select dimension_value, responses, nps from marts.nps_by_dimension "
        "where dimension = 'store' and period_grain = 'month' and period_start = date '2026-05-01'",
    )
    assert {value: (n, nps) for value, n, nps in got} == expected
    assert set(expected) == {"Paris", "Lyon", "Grenoble", "unknown"}


def test_every_dimension_splits_all_responses_of_a_period(declared_store):
    by_dimension = rows(
        declared_store,
        "select dimension, sum(responses) from marts.nps_by_dimension "
        "where period_grain = 'month' group by 1 order by 1",
    )
    assert by_dimension == [(d, 7) for d in ("country", "language", "plan", "region", "store", "touchpoint")]
    regions = rows(
        declared_store,
        "select dimension_value, responses from marts.nps_by_dimension "
        "where dimension = 'region' and period_grain = 'month' order by 1",
    )
    # I1 I2 T1 T4 I5 by customer: C1 west (I1 T1 T4), C2 east (I2 I5), C3 east (T2), C9 unknown (T3)
    assert regions == [("east", 3), ("unknown", 1), ("west", 3)]


def test_response_rate_counts_only_invitation_bearing_rows(declared_store):
    by_day = rows(
        declared_store,
        "select strftime(period_start, '%d'), invitations, response_rate, responses from marts.nps_by_period "
        "where period_grain = 'day' order by period_start",
    )
    # 4 May: 4 invitations (2 answered) and 5 responses, 3 of them from the responses-only export;
    # 20 May: a responses-only response alone, so no invitations and no rate
    assert by_day == [("04", 4, 0.5, 5), ("11", 1, 1.0, 1), ("20", None, None, 1)]
    assert rows(
        declared_store,
        "select source_profile, is_invitation, count(*) from marts.fct_survey_responses group by all order by all",
    ) == [("canonical", False, 4), ("canonical", True, 5)]


def test_the_survey_attributes_reach_the_fact_table(declared_store):
    got = rows(
        declared_store,
        "select response_id, attributes from marts.fct_survey_responses where response_id in ('I1', 'T1') order by 1",
    )
    assert json.loads(got[0][1]) == {"store": "Paris"}
    assert got[1][1] in (None, "{}")
