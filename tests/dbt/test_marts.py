"""The dbt build on the generator's data: every test passes and the marts equal the definitions."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion.loader import ingest
from tests.builds import AS_OF, DBT_DIR, dbt, landing_with, prepare_themes, rows

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


MARTS = sorted(path.stem for path in (DBT_DIR / "models" / "marts").rglob("*.sql"))


def incremental_models(work: Path) -> list[str]:
    """`schema.name` of every model the last dbt build in `work` materialised incrementally (from its manifest)."""
    manifest = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    return sorted(
        f"{node['schema']}.{node['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    )


def snapshot(warehouse: Path, relations: list[str]) -> dict[str, list[tuple]]:
    """Every row of each relation, sorted, without the build watermark (it records when a row was rebuilt)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        out = {}
        for relation in relations:
            schema, name = relation.split(".")
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index",
                    [schema, name],
                ).fetchall()
                if c != "_built_through_file_id"
            ]
            assert columns, f"{relation} was not built"
            quoted = ", ".join(f'"{c}"' for c in columns)
            out[relation] = con.execute(f"select {quoted} from {relation} order by all").fetchall()
        return out


def build(warehouse: Path, work: Path, *args: str, preset: str = "contact_centre", as_of: str = AS_OF) -> None:
    """A dbt build as the pipeline runs it: the theme inputs prepared first (else every verbatim is `other`)."""
    prepare_themes(warehouse, preset)
    dbt(warehouse, work, "build", *args, as_of=as_of)


def assert_incremental_build_equals_a_full_refresh(
    warehouse: Path, work: Path, preset: str = "contact_centre", as_of: str = AS_OF
) -> dict[str, list[tuple]]:
    """Every mart, and every model built incrementally, as an incremental build left them == after --full-refresh."""
    relations = [f"marts.{m}" for m in MARTS] + [r for r in incremental_models(work) if not r.startswith("marts.")]
    assert any(r.startswith("staging.") for r in relations) and any(r.startswith("intermediate.") for r in relations)
    incremental = snapshot(warehouse, relations)
    build(warehouse, work, "--full-refresh", preset=preset, as_of=as_of)
    full = snapshot(warehouse, relations)
    for relation in relations:
        assert incremental[relation] == full[relation], relation
    return incremental


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
    build(warehouse, tmp_path)
    for name in held_back:
        shutil.copy2(landing / name, partial / name)
    ingest(partial, warehouse)
    build(warehouse, tmp_path)
    incremental = assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)
    assert len(incremental["marts.fct_survey_responses"]) == manifest["expected"]["surveys"]["unique_response_ids"]
    assert any(row for row in incremental["marts.verbatim_themes"] if row[1] != "other")


SURVEYS_HEADER = (
    "response_id,customer_id,email,channel,touchpoint,interaction_id,sent_at,responded_at,nps_score,csat_score,"
    "nps_comment\n"
)
CRM_HEADER = "customer_id,email,phone,segment,region,plan,status,updated_at\n"
CALLS_HEADER = (
    "call_id,customer_id,agent_id,agent_name,queue,direction,started_at,answered_at,ended_at,talk_seconds,disposition\n"
)
FIRST_FILES = {
    "crm/crm_1.csv": CRM_HEADER
    + "C1,c1@example.test,+331,smb,north,basic,active,2026-01-01T00:00:00Z\n"
    + "C2,c2@example.test,+332,Enterprise,south,pro,active,2026-01-01T00:00:00Z\n"
    + "C3,c3@example.test,+333,smb,east,basic,active,2026-01-01T00:00:00Z\n",
    "surveys/surveys_1.csv": SURVEYS_HEADER
    + "R1,C1,,email,post_call,K1,2026-05-01T09:00:00Z,2026-05-01T12:00:00Z,3,2,waited too long on hold\n"
    + "R2,C2,,sms,post_call,K3,2026-05-02T09:00:00Z,,,,\n"
    + "R3,,c3@example.test,email,relationship,,2026-05-03T09:00:00Z,2026-05-03T10:00:00Z,9,5,friendly agent thanks\n"
    + "R4,C3,,web,relationship,,2026-05-28T09:00:00Z,2026-05-28T10:00:00Z,2,,the bill was wrong again\n",
    "calls/calls_1.csv": CALLS_HEADER
    + "K0,C1,A1,Ann,billing,inbound,2026-03-01T08:00:00Z,2026-03-01T08:01:00Z,2026-03-01T08:10:00Z,540,resolved\n"
    + "K1,C1,A1,Ann,billing,inbound,2026-05-01T08:00:00Z,2026-05-01T08:01:00Z,2026-05-01T08:10:00Z,540,resolved\n"
    + "K2,C2,A2,Bob,support,inbound,2026-05-01T08:00:00Z,2026-05-01T08:02:00Z,2026-05-01T08:12:00Z,600,resolved\n"
    + "K3,C2,A2,Bob,support,inbound,2026-05-02T08:00:00Z,2026-05-02T08:02:00Z,2026-05-02T08:12:00Z,600,transferred\n",
}
LATER_FILES = {
    # a CRM version of C1 valid from before R1 (late), C2 respelling its segment, the email of R3 moving to C2
    "crm/crm_2.csv": CRM_HEADER
    + "C1,c1@example.test,+339,enterprise,west,pro,active,2026-04-01T00:00:00Z\n"
    + "C2,c3@example.test,+332,ENTERPRISE,south,pro,active,2026-03-01T00:00:00Z\n",
    # R2 answered late (a detractor, re-sent in a later export); a June response lands in the next month; R1 re-sent
    # with a comment that names no theme
    "surveys/surveys_2.csv": SURVEYS_HEADER
    + "R1,C1,,email,post_call,K1,2026-05-01T09:00:00Z,2026-05-01T12:00:00Z,3,2,ok\n"
    + "R2,C2,,sms,post_call,K3,2026-05-02T09:00:00Z,2026-05-09T09:00:00Z,1,1,nobody called me back\n"
    + "R5,C1,,email,relationship,,2026-06-01T09:00:00Z,2026-06-01T10:00:00Z,10,,great service\n",
    # C1 calls back within 7 days of K1 (a repeat contact, landing late); an outbound follow-up of R4; K2 re-sent
    # under another customer
    "calls/calls_2.csv": CALLS_HEADER
    + "K4,C1,A1,Ann,billing,inbound,2026-05-05T08:00:00Z,2026-05-05T08:01:00Z,2026-05-05T08:10:00Z,540,resolved\n"
    + "K5,C3,A1,Ann,billing,outbound,2026-05-28T15:00:00Z,2026-05-28T15:01:00Z,2026-05-28T15:10:00Z,540,resolved\n"
    + "K2,C3,A2,Bob,support,inbound,2026-05-01T08:00:00Z,2026-05-01T08:02:00Z,2026-05-01T08:12:00Z,600,resolved\n",
}


def test_late_crm_changes_responses_and_repeat_calls_in_later_files_build_as_a_full_refresh(tmp_path):
    landing = landing_with(tmp_path, FIRST_FILES)
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    non_respondent_r2 = "select count(*) from marts.non_respondents where response_id = 'R2'"
    assert rows(warehouse, non_respondent_r2) == [(1,)]
    built_through = "select call_id, _built_through_file_id from intermediate.int_calls_enriched order by call_id"
    first_build = dict(rows(warehouse, built_through))
    themes_of_r1 = "select theme from marts.verbatim_themes where response_id = 'R1'"
    assert rows(warehouse, themes_of_r1) not in ([], [("other",)])
    for name, text in LATER_FILES.items():
        (landing / name).write_text(text, encoding="utf-8")
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    # C1's call of March starts more than the repeat window before K4 (May 5): the incremental build leaves it;
    # K1 (May 1), whose repeat flag K4 changes, is rebuilt
    second_build = dict(rows(warehouse, built_through))
    assert second_build["K0"] == first_build["K0"]
    assert second_build["K1"] > first_build["K1"]
    # R1's new comment names no theme: its matches and words left the incremental theme models
    assert rows(warehouse, themes_of_r1) == [("other",)]
    assert rows(warehouse, "select count(*) from intermediate.int_verbatim_theme_matches where response_id = 'R1'") == [
        (0,)
    ]
    # R2, answered in a later file, leaves the non-respondents in the incremental build itself
    assert rows(warehouse, non_respondent_r2) == [(0,)]
    incremental = assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)
    # the late rows did reach the marts
    assert rows(warehouse, "select segment from marts.fct_survey_responses where response_id = 'R1'") == [
        ("enterprise",)
    ]
    assert rows(warehouse, "select is_repeat_contact from intermediate.int_calls_enriched where call_id = 'K1'") == [
        (True,)
    ]
    assert rows(warehouse, "select customer_id from marts.fct_survey_responses where response_id = 'R3'") == [("C2",)]
    assert rows(warehouse, "select loop_status from marts.close_the_loop where response_id = 'R4'") != []
    assert len(incremental["marts.close_the_loop"]) == 3


def stamps_before_and_after_a_later_file(
    tmp_path: Path, stamps: str, name: str, text: str
) -> tuple[Path, dict[str, int], dict[str, int]]:
    """FIRST_FILES built, then built again after the file `name` lands with `text`: the warehouse, and the rows of
    the query `stamps` (key, `_built_through_file_id`) after each build."""
    landing = landing_with(tmp_path, FIRST_FILES)
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    first_build = dict(rows(warehouse, stamps))
    (landing / name).write_text(text, encoding="utf-8")
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    return warehouse, first_build, dict(rows(warehouse, stamps))


def test_next_responses_are_rebuilt_for_the_customers_a_new_file_touches_only(tmp_path):
    # a later answer of C1's: C1's rows are ordered again, C3's (R3 then R4) are left as they were built
    warehouse, first_build, second_build = stamps_before_and_after_a_later_file(
        tmp_path,
        "select response_id, _built_through_file_id from intermediate.int_next_responses",
        "surveys/surveys_2.csv",
        SURVEYS_HEADER + "R7,C1,,email,relationship,,2026-06-01T09:00:00Z,2026-06-01T10:00:00Z,9,,thanks\n",
    )
    assert set(first_build) == {"R1", "R3", "R4"}
    assert second_build["R1"] > first_build["R1"]
    assert (second_build["R3"], second_build["R4"]) == (first_build["R3"], first_build["R4"])
    assert rows(warehouse, "select next_response_id from intermediate.int_next_responses where response_id = 'R1'") == [
        ("R7",)
    ]
    assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)


def test_verbatim_themes_are_rebuilt_for_the_responses_a_new_file_changes_only(tmp_path):
    # R1 re-sent with a comment that names no theme, and a new comment R7: R3's and R4's rows are left as built
    warehouse, first_build, second_build = stamps_before_and_after_a_later_file(
        tmp_path,
        "select response_id, max(_built_through_file_id) from marts.verbatim_themes group by 1",
        "surveys/surveys_2.csv",
        SURVEYS_HEADER
        + "R1,C1,,email,post_call,K1,2026-05-01T09:00:00Z,2026-05-01T12:00:00Z,3,2,ok\n"
        + "R7,C1,,email,relationship,,2026-06-01T09:00:00Z,2026-06-01T10:00:00Z,9,,the bill was wrong\n",
    )
    assert set(first_build) == {"R1", "R3", "R4"} and set(second_build) == {"R1", "R3", "R4", "R7"}
    assert second_build["R1"] > first_build["R1"]
    assert (second_build["R3"], second_build["R4"]) == (first_build["R3"], first_build["R4"])
    assert rows(warehouse, "select theme from marts.verbatim_themes where response_id = 'R1'") == [("other",)]
    assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)


LOOP_OF_R4 = "select first_followup_at is not null, loop_status from marts.close_the_loop where response_id = 'R4'"
# an outbound follow-up of R4 (C3's detractor of May 28, 10:00), five hours after it
FOLLOWUP_OF_R4 = (
    "K5,{customer},A1,Ann,billing,outbound,"
    + "2026-05-28T15:00:00Z,2026-05-28T15:01:00Z,2026-05-28T15:10:00Z,540,resolved\n"
)


def landed_with_a_follow_up_of_r4(tmp_path: Path) -> tuple[Path, Path]:
    """FIRST_FILES and K5, the follow-up of R4, landed and ingested: the landing folder and the warehouse."""
    landing = landing_with(
        tmp_path, {**FIRST_FILES, "calls/calls_2.csv": CALLS_HEADER + FOLLOWUP_OF_R4.format(customer="C3")}
    )
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    return landing, warehouse


def test_a_follow_up_call_re_sent_under_another_customer_leaves_the_detractor_it_followed_up(tmp_path):
    landing, warehouse = landed_with_a_follow_up_of_r4(tmp_path)
    build(warehouse, tmp_path)
    assert rows(warehouse, LOOP_OF_R4) == [(True, "closed_within_sla")]
    (landing / "calls/calls_3.csv").write_text(CALLS_HEADER + FOLLOWUP_OF_R4.format(customer="C2"), encoding="utf-8")
    ingest(landing, warehouse)
    build(warehouse, tmp_path)

    assert rows(warehouse, LOOP_OF_R4) == [(False, "overdue")]
    assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)


def test_a_later_run_knows_the_follow_ups_made_since_its_last_run_without_a_new_file(tmp_path):
    # judged before K5 started, then after it
    _, warehouse = landed_with_a_follow_up_of_r4(tmp_path)
    build(warehouse, tmp_path, as_of="2026-05-28T14:00:00+00:00")
    assert rows(warehouse, LOOP_OF_R4) == [(False, "open")]

    build(warehouse, tmp_path)  # no new file; judged at AS_OF, in July

    assert rows(warehouse, LOOP_OF_R4) == [(True, "closed_within_sla")]
    assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)


def test_a_segment_respelled_by_another_customer_rebuilds_the_customers_of_that_segment_only(tmp_path):
    # C1 moves to the enterprise segment (C2's, spelled "Enterprise"), spelling it anew: C2, with no new version,
    # is spelled so too
    warehouse, first_build, second_build = stamps_before_and_after_a_later_file(
        tmp_path,
        "select customer_id, max(_built_through_file_id) from intermediate.int_customer_history group by 1",
        "crm/crm_2.csv",
        CRM_HEADER + "C1,c1@example.test,+331,ENTERPRISE,north,pro,active,2026-06-01T00:00:00Z\n",
    )
    assert second_build["C1"] > first_build["C1"] and second_build["C2"] > first_build["C2"]
    assert second_build["C3"] == first_build["C3"]
    assert rows(warehouse, "select segment from marts.dim_customers where customer_id = 'C2'") == [("ENTERPRISE",)]
    assert rows(
        warehouse, "select distinct segment from intermediate.int_customer_history where customer_id = 'C2'"
    ) == [("ENTERPRISE",)]
    assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)


def test_a_call_moving_month_and_survey_counts_alone_rebuild_the_contact_centre_months_as_a_full_refresh(tmp_path):
    # int_call_counts_monthly recomputes whole months: those of the calls int_calls_enriched rebuilt, and those whose
    # number of calls changed
    landing = landing_with(tmp_path, FIRST_FILES)
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    months_of_a1 = "select period_start, calls_handled from marts.agent_performance where agent_id = 'A1' order by 1"
    assert rows(warehouse, months_of_a1) == [(date(2026, 3, 1), 1), (date(2026, 5, 1), 1)]
    # K0 re-sent with an April start: March is left without any call
    (landing / "calls/calls_2.csv").write_text(
        CALLS_HEADER
        + "K0,C1,A1,Ann,billing,inbound,2026-04-01T08:00:00Z,2026-04-01T08:01:00Z,2026-04-01T08:10:00Z,540,resolved\n",
        encoding="utf-8",
    )
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    assert rows(warehouse, months_of_a1) == [(date(2026, 4, 1), 1), (date(2026, 5, 1), 1)]
    assert rows(
        warehouse, "select count(*) from intermediate.int_call_counts_monthly where period_start < '2026-04-01'"
    )[0] == (0,)
    assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)
    # a survey file alone: a post-call detractor of K2 (Bob, May) changes a call's counts, and no call file lands
    (landing / "surveys/surveys_2.csv").write_text(
        SURVEYS_HEADER + "R6,C2,,email,post_call,K2,2026-05-01T09:00:00Z,2026-05-01T10:00:00Z,0,1,no help at all\n",
        encoding="utf-8",
    )
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    bob_in_may = "select responses, detractors from marts.agent_performance where agent_id = 'A2'"
    assert rows(warehouse, bob_in_may) == [(1, 1)]
    assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path)


def test_a_build_that_writes_a_key_twice_fails_naming_it_and_leaves_its_table_as_it_was(tmp_path):
    landing = landing_with(tmp_path, FIRST_FILES)
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    built = {
        relation: rows(warehouse, f"select * from {relation} order by all")
        for relation in ("intermediate.int_calls_enriched", "marts.fct_calls")
    }
    # a bug simulated in staging: two rows of call K1, as if from a file loaded after the last build
    with duckdb.connect(str(warehouse)) as con:
        for _ in range(2):
            con.execute(
                "insert into staging.stg_calls__calls select * replace (99 as _file_id, 99 as _built_through_file_id)"
                " from staging.stg_calls__calls where call_id = 'K1' and _file_id < 99"
            )

    with pytest.raises(AssertionError) as failed:
        build(warehouse, tmp_path)
    assert "staging.stg_calls__calls: 1 value(s) of unique key call_id appear more than once, e.g. K1" in str(
        failed.value
    )
    # the models downstream read the repeated key when built on their own: each build fails and is rolled back,
    # and fails again the next time (its watermark stayed where it was)
    for _ in range(2):
        with pytest.raises(AssertionError) as failed:
            dbt(warehouse, tmp_path, "build", "--select", "int_calls_enriched", "fct_calls")
        assert "marts.fct_calls: 1 value(s) of unique key call_id appear more than once, e.g. K1" in str(failed.value)
        assert "intermediate.int_calls_enriched: 1 value(s) of unique key call_id" in str(failed.value)
        for relation, before in built.items():
            assert rows(warehouse, f"select * from {relation} order by all") == before, relation


def test_a_unique_key_check_on_a_model_not_built_by_delete_insert_fails_saying_why(tmp_path):
    # enforce_unique_key groups the keys of a build's own rows, which is exact only when the build deleted every
    # older row of those keys first (delete+insert): an appended row could repeat an older row's key unseen
    project = tmp_path / "project"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "bench"))
    (project / "models" / "staging" / "appended_keys.sql").write_text(
        "{{ config(materialized='incremental', incremental_strategy='append', unique_key='k',"
        " post_hook='{{ enforce_unique_key() }}') }}\n"
        "select 1 as k, 1 as _built_through_file_id\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError) as failed:
        dbt(tmp_path / "nps.duckdb", tmp_path, "run", "--select", "appended_keys", project_dir=project)
    assert "is not built by delete+insert" in str(failed.value)


def test_a_new_taxonomy_rebuilds_the_themes_of_every_response_as_a_full_refresh(tmp_path):
    landing = landing_with(tmp_path, FIRST_FILES)
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    themes = "select response_id, theme, polarity from marts.verbatim_themes order by all"
    contact_centre = rows(warehouse, themes)

    build(warehouse, tmp_path, preset="retail")  # no new file: only the taxonomy changed

    assert "intermediate.int_verbatim_theme_matches" in incremental_models(tmp_path)
    assert rows(warehouse, themes) != contact_centre
    assert_incremental_build_equals_a_full_refresh(warehouse, tmp_path, preset="retail")


def test_docs_generate_works(messy_built, tmp_path):
    warehouse, _ = messy_built
    dbt(warehouse, tmp_path, "docs", "generate")
    assert (tmp_path / "target" / "catalog.json").exists()


def test_an_incremental_build_reads_every_column_only_for_the_rows_it_reprocesses(tmp_path):
    # where_rows: on DuckDB the rows of the touched keys are found by rowid from the key columns alone, so that a
    # daily build does not read every column of the 20M landed calls (docs/performance.md)
    landing = landing_with(tmp_path, FIRST_FILES)
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    build(warehouse, tmp_path)
    dbt(warehouse, tmp_path, "compile", "--select", "stg_calls__calls", "int_calls_enriched", "non_respondents")
    models = tmp_path / "target" / "compiled" / "nps_warehouse" / "models"
    compiled = {path.stem: path.read_text() for path in models.rglob("*.sql") if path.parent.suffix != ".yml"}
    for model in ("stg_calls__calls", "int_calls_enriched", "non_respondents"):
        assert "where rowid in (select rowid from" in compiled[model], model

    # what that relies on: within the build's transaction, after its deletes and inserts (delete+insert, the
    # pre_hooks), the rowids a subquery returns select the same rows as the condition itself
    table = "staging.stg_calls__calls"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("begin")
        con.execute(f"delete from {table} where call_id = 'K2'")
        con.execute(f"insert into {table} select * replace ('K9' as call_id) from {table} where call_id = 'K1'")
        condition = "call_id in ('K1', 'K2', 'K9')"
        by_condition = con.execute(f"select * from {table} where {condition} order by all").fetchall()
        by_rowid = con.execute(
            f"select * from {table} where rowid in (select rowid from {table} where {condition}) order by all"
        ).fetchall()
        con.execute("rollback")
    assert [row[0] for row in by_condition] == ["K1", "K9"]
    assert by_rowid == by_condition


def not_null_constraints(work: Path) -> dict[str, list[str]]:
    """mart → the columns its properties declare not_null (constraints), from the last build's manifest."""
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    declared = {
        node["name"]: sorted(
            name
            for name, column in node["columns"].items()
            if any(constraint["type"] == "not_null" for constraint in column["constraints"])
        )
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    return {mart: columns for mart, columns in declared.items() if columns}


def non_nullable_columns(warehouse: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for table, column in rows(
        warehouse,
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' and is_nullable = 'NO' order by all",
    ):
        found.setdefault(table, []).append(column)
    return found


def built_first_files(work: Path) -> Path:
    """A warehouse in `work` with FIRST_FILES ingested and built."""
    warehouse = work / "nps.duckdb"
    ingest(landing_with(work, FIRST_FILES), warehouse)
    build(warehouse, work)
    return warehouse


def test_the_marts_not_null_columns_reject_nulls_after_a_full_and_an_incremental_build(tmp_path):
    # the not_null rules of the contracted marts are constraints DuckDB enforces when the model writes its table
    # (a data test per column cost a dbt node each), incremental models included
    warehouse = built_first_files(tmp_path)
    declared = not_null_constraints(tmp_path)
    assert {"fct_survey_responses", "non_respondents", "close_the_loop", "nps_by_period", "queue_performance"} <= set(
        declared
    )
    assert "segment" in declared["fct_survey_responses"]
    assert non_nullable_columns(warehouse) == declared

    ingest(landing_with(tmp_path, LATER_FILES), warehouse)
    build(warehouse, tmp_path)
    assert "marts.fct_survey_responses" in incremental_models(tmp_path)
    assert non_nullable_columns(warehouse) == declared
    # one test per mart checks them all after the build (on Spark, which does not enforce them, too)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    assert sorted(
        test["attached_node"].split(".")[-1] for test in tests if test["name"].startswith("not_null_constraints_")
    ) == sorted(declared)
    assert not [
        test
        for test in tests
        if test["name"].startswith("not_null_")
        and test["attached_node"].split(".")[-1] in declared
        and not test["name"].startswith("not_null_constraints_")
    ]


def test_an_incremental_mart_built_before_its_not_null_constraints_gets_them_at_its_next_build(tmp_path):
    warehouse = built_first_files(tmp_path)
    declared = not_null_constraints(tmp_path)
    # the tables as an earlier release built them, without the constraints
    with duckdb.connect(str(warehouse)) as con:
        for table in ("fct_survey_responses", "non_respondents"):
            for column in declared[table]:
                con.execute(f"alter table marts.{table} alter column {column} drop not null")
    assert "fct_survey_responses" not in non_nullable_columns(warehouse)

    build(warehouse, tmp_path)  # no new file

    assert non_nullable_columns(warehouse) == declared


def test_a_null_already_in_a_not_null_column_of_an_incremental_mart_fails_its_build_naming_the_column(tmp_path):
    warehouse = built_first_files(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table marts.fct_survey_responses alter column segment drop not null")
        con.execute("update marts.fct_survey_responses set segment = null where response_id = 'R1'")

    with pytest.raises(AssertionError) as failed:
        build(warehouse, tmp_path)

    assert "NOT NULL constraint failed: fct_survey_responses.segment" in str(failed.value)
    assert rows(warehouse, "select segment from marts.fct_survey_responses where response_id = 'R1'") == [(None,)]


def test_not_null_constraints_names_each_column_holding_nulls(tmp_path):
    # what the test finds on an engine that does not enforce the constraints (Spark); here, on tables whose
    # constraints were dropped
    warehouse = built_first_files(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        for column in ("segment", "channel"):
            con.execute(f"alter table marts.fct_survey_responses alter column {column} drop not null")
        con.execute("update marts.fct_survey_responses set segment = null where response_id in ('R1', 'R2')")
        con.execute("update marts.fct_survey_responses set channel = null where response_id = 'R3'")

    with pytest.raises(AssertionError) as failed:
        dbt(
            warehouse,
            tmp_path,
            "test",
            "--select",
            "fct_survey_responses,test_name:not_null_constraints",
            "--store-failures",
        )

    assert "Failure in test not_null_constraints_fct_survey_responses_" in str(failed.value)
    assert "Got 2 results" in str(failed.value)
    stored = rows(
        warehouse,
        "select column_name, null_rows from dbt_test__audit.not_null_constraints_fct_survey_responses_ order by all",
    )
    assert stored == [("channel", 1), ("segment", 2)]
