"""Free segment names and survey-only deployments (contract v2, section 4), built end to end by dbt."""

from __future__ import annotations

from pathlib import Path

from ingestion.loader import ingest
from tests.builds import dbt, landing_with, rows

SURVEY_HEADER = "response_id,customer_id,email,channel,touchpoint,sent_at,responded_at,nps_score\n"
CRM_HEADER = "customer_id,email,segment,status,updated_at\n"

# C1 and C2 write one segment in two spellings, C3 and C5 another; a later version of C1 respells the first.
CRM_FIRST = (
    CRM_HEADER
    + "C1,c1@example.test,PME,active,2026-01-01T00:00:00+00:00\n"
    + "C2,c2@example.test,pme ,active,2026-02-01T00:00:00+00:00\n"
    + "C3,c3@example.test,Grands comptes,active,2026-01-01T00:00:00+00:00\n"
    + "C5,c5@example.test,GRANDS COMPTES,active,2025-12-01T00:00:00+00:00\n"
    + "C4,c4@example.test,,active,2026-01-01T00:00:00+00:00\n"
)
CRM_LATER = CRM_HEADER + "C1,c1@example.test, Pme,active,2026-03-01T00:00:00+00:00\n"
SURVEYS = (
    SURVEY_HEADER
    + "R1,C1,,email,relationship,2026-04-02T09:00:00+00:00,2026-04-02T10:00:00+00:00,10\n"
    + "R2,C1,,email,relationship,2026-04-03T09:00:00+00:00,2026-04-03T10:00:00+00:00,3\n"
    + "R3,C2,,sms,relationship,2026-04-04T09:00:00+00:00,2026-04-04T10:00:00+00:00,9\n"
    + "R4,C3,,web,relationship,2026-04-05T09:00:00+00:00,2026-04-05T10:00:00+00:00,8\n"
    + "R5,C5,,web,relationship,2026-04-06T09:00:00+00:00,2026-04-06T10:00:00+00:00,0\n"
    + "R6,C4,,email,relationship,2026-04-07T09:00:00+00:00,2026-04-07T10:00:00+00:00,9\n"
    + "R7,C9,,email,relationship,2026-04-08T09:00:00+00:00,2026-04-08T10:00:00+00:00,6\n"
    + "R8,,c2@example.test,email,relationship,2026-04-09T09:00:00+00:00,2026-04-09T10:00:00+00:00,7\n"
    + "R9,C1,,email,relationship,2026-04-10T09:00:00+00:00,,\n"
)


def segments_by_month(warehouse: Path) -> list[tuple]:
    return rows(
        warehouse,
        "select segment, responses from marts.nps_by_segment "
        "where period_grain = 'month' and period_start = date '2026-04-01' order by segment",
    )


def test_segment_names_are_grouped_case_insensitively_and_spelled_as_the_newest_crm_version(tmp_path: Path) -> None:
    landing = landing_with(tmp_path, {"crm/first.csv": CRM_FIRST, "surveys/april.csv": SURVEYS})
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    dbt(warehouse, tmp_path, "build")
    # R1 R2 R3 R8 (by email) are one segment, spelled as C2's version of February, the newest carrying it;
    # R4 R5 Grands comptes; R6 (CRM version without segment) and R7 (not in the CRM) unknown
    assert segments_by_month(warehouse) == [("Grands comptes", 2), ("pme", 4), ("unknown", 2)]

    # a later file changes C1 only, yet C2's responses (R3, and R8 matched by email) take the new spelling too
    (landing / "crm" / "later.csv").write_text(CRM_LATER, encoding="utf-8")
    ingest(landing, warehouse)
    dbt(warehouse, tmp_path, "build")
    incremental = rows(warehouse, "select response_id, segment from marts.fct_survey_responses order by 1")
    assert segments_by_month(warehouse) == [("Grands comptes", 2), ("Pme", 4), ("unknown", 2)]
    assert rows(warehouse, "select customer_id, segment from marts.dim_customers order by customer_id") == [
        ("C1", "Pme"),
        ("C2", "Pme"),
        ("C3", "Grands comptes"),
        ("C4", "unknown"),
        ("C5", "Grands comptes"),
    ]

    dbt(warehouse, tmp_path, "build", "--full-refresh")
    assert rows(warehouse, "select response_id, segment from marts.fct_survey_responses order by 1") == incremental


def test_a_survey_only_deployment_builds_green_with_every_segment_unknown(tmp_path: Path) -> None:
    landing = landing_with(tmp_path, {"surveys/april.csv": SURVEYS})
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    assert rows(warehouse, "select (select count(*) from raw.crm_customers), (select count(*) from raw.calls)") == [
        (0, 0)
    ]

    dbt(warehouse, tmp_path, "build")  # raises with dbt's output if any model or test fails

    assert rows(warehouse, "select segment, count(*) from marts.fct_survey_responses group by 1") == [("unknown", 9)]
    assert segments_by_month(warehouse) == [("unknown", 8)]
    assert rows(warehouse, "select count(*) from marts.close_the_loop where loop_status = 'overdue'") == [(3,)]
    assert rows(warehouse, "select count(*) from marts.agent_performance") == [(0,)]
