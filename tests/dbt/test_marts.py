"""The dbt build on the generator's data: every test passes and the marts equal the definitions."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from ingestion.loader import ingest
from tests.builds import dbt, rows

CONTRACT_COLUMNS = {
    "fct_survey_responses": [
        "response_id",
        "customer_id",
        "channel",
        "touchpoint",
        "sent_at",
        "responded_at",
        "nps_score",
        "nps_category",
        "csat_score",
        "ces_score",
        "nps_comment",
        "segment",
    ],
    "nps_by_period": ["period_grain", "period_start", "invitations", "response_rate"],
    "nps_by_segment": ["period_grain", "period_start", "segment"],
    "nps_by_channel": ["period_grain", "period_start", "channel"],
    "nps_by_dimension": ["period_grain", "period_start", "dimension", "dimension_value"],
    "csat_ces_by_period": [
        "period_grain",
        "period_start",
        "csat_responses",
        "csat_pct_satisfied",
        "ces_responses",
        "ces_avg",
    ],
}
METRICS = ["responses", "promoters", "passives", "detractors", "nps", "nps_moe_95"]
# contract v2, section 5: on every period table
SMALL_SAMPLE = ["is_low_sample", "nps_change", "nps_change_is_significant", "nps_ci_low_95", "nps_ci_high_95"]


def test_build_on_messy_tiny_data_passes_and_has_one_row_per_invitation(messy_built):
    warehouse, manifest = messy_built
    unique = manifest["expected"]["surveys"]["unique_response_ids"]
    assert rows(warehouse, "select count(*), count(distinct response_id) from marts.fct_survey_responses") == [
        (unique, unique)
    ]


@pytest.mark.parametrize("table", sorted(CONTRACT_COLUMNS))
def test_every_contract_column_exists(messy_built, table):
    warehouse, _ = messy_built
    got = {
        r[0]
        for r in rows(
            warehouse,
            f"select column_name from information_schema.columns "
            f"where table_schema = 'marts' and table_name = '{table}'",
        )
    }
    expected = set(CONTRACT_COLUMNS[table]) | (
        set(METRICS + SMALL_SAMPLE) if table != "fct_survey_responses" else set()
    )
    assert expected <= got


def test_the_analytical_marts_carry_no_personal_data(messy_built):
    warehouse, _ = messy_built
    personal = rows(
        warehouse,
        "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name not in ('close_the_loop', 'non_respondents') "
        "and column_name in ('email', 'phone', 'first_name', 'last_name')",
    )
    assert personal == []


def _compare(con: duckdb.DuckDBPyConnection, mart: str, keys: str, columns: list[str]) -> list[tuple]:
    """Rows where the dbt mart (month grain) and the baseline disagree (NPS within 1e-9)."""
    diffs = " or ".join(f"abs(coalesce(m.{c}, -999) - coalesce(b.{c}, -999)) > 1e-9" for c in columns)
    return con.execute(f"""
        select m.*, b.* from (select * from wh.marts.{mart} where period_grain = 'month') m
        full join baseline.{mart} b using ({keys})
        where m.period_start is null or b.period_start is null or {diffs}""").fetchall()


def test_nps_by_period_matches_the_baseline_at_month_grain(clean_built):
    _, con = clean_built
    assert (
        _compare(
            con,
            "nps_by_period",
            "period_start",
            ["invitations", "response_rate", "responses", "promoters", "passives", "detractors", "nps"],
        )
        == []
    )


def test_nps_by_segment_matches_the_baseline(clean_built):
    _, con = clean_built
    assert (
        _compare(con, "nps_by_segment", "period_start, segment", ["responses", "promoters", "detractors", "nps"]) == []
    )


def test_nps_by_channel_matches_the_baseline(clean_built):
    _, con = clean_built
    assert (
        _compare(con, "nps_by_channel", "period_start, channel", ["responses", "promoters", "detractors", "nps"]) == []
    )


def test_margin_of_error_follows_the_contract_formula(clean_built):
    _, con = clean_built
    off = con.execute("""
        select count(*) from wh.marts.nps_by_segment
        where abs(nps_moe_95 - 196.0 * sqrt((promoters / responses + detractors / responses
              - power(promoters / responses - detractors / responses, 2)) / responses)) > 1e-9""").fetchall()
    assert off == [(0,)]


def test_incremental_build_after_new_files_equals_a_full_refresh(messy_landing, tmp_path):
    landing, manifest = messy_landing
    partial = tmp_path / "landing"
    by_source = {
        src: [f["file_name"] for f in manifest["files"] if f["source"] == src] for src in ("surveys", "crm", "calls")
    }
    # the last exports of every source arrive later: late responses, re-sent rows and CRM changes included
    held_back = by_source["surveys"][-2:] + by_source["crm"][-3:] + by_source["calls"][-3:]
    shutil.copytree(landing, partial)
    for name in held_back:
        (partial / name).unlink()
    warehouse = tmp_path / "nps.duckdb"
    ingest(partial, warehouse)
    dbt(warehouse, tmp_path, "build")
    for name in held_back:
        shutil.copy2(landing / name, partial / name)
    ingest(partial, warehouse)
    dbt(warehouse, tmp_path, "build")
    snapshot = "select * exclude (_built_through_file_id) from marts.{} order by all"
    snapshot_other = "select * from marts.{} order by all"
    marts = [
        "fct_survey_responses",
        "nps_by_period",
        "nps_by_segment",
        "nps_by_channel",
        "nps_by_dimension",
        "csat_ces_by_period",
    ]

    def read(mart: str) -> list[tuple]:
        return rows(warehouse, (snapshot if mart.startswith("fct_") else snapshot_other).format(mart))

    incremental = {m: read(m) for m in marts}
    dbt(warehouse, tmp_path, "build", "--full-refresh")
    for mart in marts:
        assert read(mart) == incremental[mart], mart
    assert len(incremental["fct_survey_responses"]) == manifest["expected"]["surveys"]["unique_response_ids"]


def test_docs_generate_works(messy_built, tmp_path):
    warehouse, _ = messy_built
    dbt(warehouse, tmp_path, "docs", "generate")
    assert (tmp_path / "target" / "catalog.json").exists()
