"""Calls and CRM export profiles (contract section 2.2): Amazon Connect, Five9, Talkdesk, Salesforce, HubSpot.

The vendor fixtures (tests/fixtures/vendors, written from the vendors' public docs) are copied into a tmp
landing folder; the expected values are those of tests/fixtures/vendors/canonical_equivalents.md.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from ingestion.columns import CALLS
from ingestion.loader import ingest
from ingestion.transforms import salesforce_id18_sql
from tests.builds import dbt, rows
from tests.ingestion.conftest import query

VENDORS = Path(__file__).parents[1] / "fixtures" / "vendors"
AS_OF = datetime(2026, 7, 1, tzinfo=UTC)
CONNECT_1 = (
    "amazon_connect/2026/05/08/15/northwind-ctr-1-2026-05-08-15-00-00-5f2c9b1e-3d4a-4e8f-9a7b-6c5d4e3f2a1b.jsonl"
)
CONNECT_2 = (
    "amazon_connect/2026/05/09/02/northwind-ctr-1-2026-05-09-02-10-00-8a1d7c6b-5e4f-4a3b-9c2d-1e0f9a8b7c6d.jsonl"
)


def _copy(landing: Path, source: str, relative: str, mtime: int) -> Path:
    target = landing / source / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(VENDORS / source / relative, target)
    os.utime(target, (mtime, mtime))
    return target


def _run(landing: Path, warehouse: Path, sources_yml: str = "") -> None:
    (landing / "sources.yml").write_text("version: 1\n" + sources_yml, encoding="utf-8")
    report = ingest(landing, warehouse, as_of=AS_OF, max_rejected_share=1.0)
    assert report.ok, report.lines()


def _log(warehouse: Path) -> dict[str, tuple]:
    found = query(
        warehouse,
        "select file_name, profile, rows_in_file, rows_loaded, rows_rejected, values_rejected "
        "from quality.ingestion_log",
    )
    for _, _, in_file, loaded, rejected, _ in found:
        assert in_file == loaded + rejected
    return {r[0]: r[1:] for r in found}


def _calls(warehouse: Path, where: str = "true") -> dict[str, dict]:
    """raw.calls rows by call id: every canonical column (timestamps as ISO text in UTC) and the attributes."""
    names = [*CALLS.names, "attributes"]
    columns = ", ".join(
        f"strftime({c.name}, '%Y-%m-%dT%H:%M:%SZ')" if c.kind == "timestamp" else c.name for c in CALLS.columns
    )
    columns += ", attributes"
    found = query(warehouse, f"select {columns} from raw.calls where {where} order by _file_name, _line_number")
    return {r[0]: dict(zip(names, r, strict=True)) for r in found}


# ---------- Five9 ----------


def test_five9_call_log_maps_durations_report_zone_derived_end_and_dispositions(landing, warehouse):
    _copy(landing, "calls", "five9/call_log_2026-05-06_2026-05-07.csv", 1_780_000_000)
    _run(landing, warehouse, 'calls:\n  - files: "five9/*.csv"\n    timezone: America/Los_Angeles\n')
    assert _log(warehouse)["calls/five9/call_log_2026-05-06_2026-05-07.csv"] == ("five9", 8, 8, 0, 0)
    calls = _calls(warehouse)
    first = calls["418201"]
    assert (first["phone"], first["agent_id"], first["agent_name"], first["queue"], first["direction"]) == (
        "3125550161",
        "dchen@northwind.example",
        "Daniel Chen",
        "Billing",
        "inbound",
    )
    # TIMESTAMP is naive in the report's zone (08:15:02 PDT); ended_at = started_at + CALL TIME (00:07:41)
    assert (first["started_at"], first["ended_at"], first["answered_at"]) == (
        "2026-05-06T15:15:02Z",
        "2026-05-06T15:22:43Z",
        None,
    )
    assert (first["wait_seconds"], first["talk_seconds"], first["hold_seconds"], first["acw_seconds"]) == (
        48,
        362,
        20,
        75,
    )
    # a custom disposition stays an attribute, the field is empty, and it is not a rejected value
    assert first["disposition"] is None
    assert json.loads(first["attributes"])["DISPOSITION"] == "Issue Resolved"
    assert {k: v["disposition"] for k, v in calls.items()} == {
        "418201": None,
        "418202": "abandoned",
        "418203": "transferred",
        "418204": "no_answer",
        "418205": None,
        "418206": None,
        "418207": None,
        "418208": None,
    }
    assert calls["418202"]["agent_id"] is None  # `[None]` is a null token of the profile
    assert calls["418204"]["queue"] == "Outbound Renewals"  # empty SKILL: CAMPAIGN
    assert {k: v["direction"] for k, v in calls.items() if k in ("418204", "418207", "418208")} == {
        "418204": "outbound",  # Outbound
        "418207": "outbound",  # Queue Callback
        "418208": "outbound",  # Manual
    }
    assert query(warehouse, "select count(*) from quality.rejected_values") == [(0,)]


# ---------- Talkdesk ----------


def test_talkdesk_type_gives_direction_and_disposition_and_voicemail_is_a_rejected_value(landing, warehouse):
    _copy(landing, "calls", "talkdesk/calls_2026-05-06_2026-05-08.csv", 1_780_000_000)
    _run(landing, warehouse)
    assert _log(warehouse)["calls/talkdesk/calls_2026-05-06_2026-05-08.csv"] == ("talkdesk", 8, 8, 0, 2)
    calls = _calls(warehouse)
    first = calls["3f2a9c1e7b5d4e6f8a0b1c2d3e4f5a6b"]
    assert (first["agent_id"], first["agent_name"], first["team"], first["queue"], first["phone"]) == (
        None,  # user_id is not mapped by the profile (an attribute)
        "Jordan Ellis",
        "Tier 1 Support",
        "billing",
        "+13125550161",
    )
    assert (
        first["started_at"],
        first["ended_at"],
        first["wait_seconds"],
        first["talk_seconds"],
        first["hold_seconds"],
    ) == (
        "2026-05-06T14:05:11Z",
        "2026-05-06T14:12:46Z",
        35,
        402,
        12,
    )
    by_type = {v["call_id"][:4]: (v["direction"], v["disposition"]) for v in calls.values()}
    assert by_type == {
        "3f2a": ("inbound", None),
        "8b7a": ("outbound", None),
        "1e2d": ("inbound", "abandoned"),  # abandoned
        "a9b8": ("inbound", "abandoned"),  # short_abandoned
        "d4c3": ("inbound", "no_answer"),  # missed
        "e5f6": ("outbound", "no_answer"),  # outbound_missed
        "f0e1": (None, None),  # voicemail: no map covers it
        "0a1b": ("inbound", None),
    }
    assert json.loads(calls["f0e1d2c3b4a5968778695a4b3c2d1e0f"]["attributes"])["type"] == "voicemail"
    assert query(warehouse, "select field, value, reason_code from quality.rejected_values order by field") == [
        ("direction", "voicemail", "invalid_value"),
        ("disposition", "voicemail", "invalid_value"),
    ]


def test_talkdesk_legacy_json_envelope_with_other_names_and_day_fractions_is_read(landing, warehouse):
    _copy(landing, "calls", "talkdesk/calls_legacy_explore_2026-04.json", 1_780_000_000)
    _run(landing, warehouse, 'calls:\n  - files: "talkdesk/*.json"\n    timezone: America/New_York\n')
    assert _log(warehouse)["calls/talkdesk/calls_legacy_explore_2026-04.json"] == ("talkdesk", 5, 5, 0, 0)
    calls = _calls(warehouse)
    first = calls["74c1e2a3b4c5d6e7f8091a2b3c4d5e6f"]
    # 0.00465277777778 of a day = 402 s; naive 10:05:11 in New York (EDT) = 14:05:11Z
    assert (
        first["talk_seconds"],
        first["wait_seconds"],
        first["hold_seconds"],
        first["started_at"],
        first["ended_at"],
    ) == (
        402,
        35,
        12,
        "2026-04-20T14:05:11Z",
        "2026-04-20T14:12:46Z",
    )
    assert (first["agent_name"], first["team"], first["queue"], first["phone"]) == (
        "Jordan Ellis",
        "Tier 1 Support",
        "billing",
        "+13125550161",
    )
    assert {v["call_id"][:4]: (v["direction"], v["disposition"]) for v in calls.values()} == {
        "74c1": ("inbound", None),
        "85d2": ("inbound", "abandoned"),
        "96e3": ("outbound", None),
        "a7f4": ("inbound", "no_answer"),
        "b8a5": ("inbound", None),
    }
    assert query(warehouse, "select min(_line_number), max(_line_number) from raw.calls") == [(1, 5)]


# ---------- Amazon Connect ----------


def _connect_landing(landing: Path) -> None:
    """The later delivery (with an older version of 2f4e…) gets the newer mtime."""
    _copy(landing, "calls", CONNECT_1, 1_780_000_000)
    _copy(landing, "calls", CONNECT_2, 1_780_100_000)


CONNECT_YML = 'calls:\n  - files: "amazon_connect/**"\n    columns: {customer_id: Attributes.customer_id}\n'


def test_connect_records_map_nested_paths_abandoned_and_directions(landing, warehouse):
    _copy(landing, "calls", CONNECT_1, 1_780_000_000)
    _run(landing, warehouse, CONNECT_YML)
    assert _log(warehouse)[CONNECT_1.join(["calls/", ""])][:4] == ("amazon_connect", 9, 9, 0)
    calls = _calls(warehouse)
    first = calls["6f1c2a9e-3b47-4d2a-9c1e-0a5b7d3e8f21"]
    assert [first[k] for k in ("customer_id", "phone", "agent_id", "agent_name", "team", "queue")] == [
        "003Dn00000aZ1bAIAS",
        "+12125550101",
        "mreyes",
        "mreyes",
        "Tier 1 Support",
        "Billing",
    ]
    assert [
        first[k]
        for k in (
            "started_at",
            "answered_at",
            "ended_at",
            "wait_seconds",
            "talk_seconds",
            "hold_seconds",
            "acw_seconds",
        )
    ] == [
        "2026-05-06T14:21:05Z",
        "2026-05-06T14:22:10Z",
        "2026-05-06T14:43:48Z",
        38,
        1203,
        95,
        64,
    ]
    summary = {k[:4]: (v["direction"], v["channel"], v["disposition"]) for k, v in calls.items()}
    assert summary == {
        "6f1c": ("inbound", "phone", None),
        "0d7e": ("inbound", "phone", "abandoned"),  # queued 194 s, Agent null
        "9a2b": ("inbound", "phone", None),
        "7e6d": ("outbound", "phone", None),  # OUTBOUND: queue without enqueue time, not abandoned
        "2f4e": ("outbound", "phone", None),  # CALLBACK
        "8c1d": ("inbound", "chat", None),
        "4a6c": ("inbound", "phone", None),  # IVR only: never queued, not abandoned
        "3c9e": ("inbound", "phone", None),
        "5b8d": ("inbound", "phone", None),  # TRANSFER: others are inbound
    }
    assert calls["8c1d3e5f-7a9b-4c2d-8e1f-3a5b7c9d1e24"]["phone"] is None  # CustomerEndpoint null


def test_connect_channels_outside_voice_chat_email_are_other_and_a_declared_disposition_is_used(landing, warehouse):
    record = {
        "ContactId": "task-1",
        "Channel": "TASK",
        "InitiationMethod": "API",
        "InitiationTimestamp": "2026-05-06T10:00:00Z",
        "LastUpdateTimestamp": "2026-05-06T10:05:00Z",
        "Queue": {"Name": "Back office", "EnqueueTimestamp": "2026-05-06T10:00:05Z"},
        "Agent": {"Username": "bo1", "ConnectedToAgentTimestamp": "2026-05-06T10:01:00Z"},
        "Attributes": {"outcome": "resolved"},
    }
    abandoned = {**record, "ContactId": "email-1", "Channel": "EMAIL", "Agent": None}
    path = landing / "calls" / "connect" / "ctr.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record) + "\n" + json.dumps(abandoned) + "\n", encoding="utf-8")
    _run(landing, warehouse, 'calls:\n  - files: "connect/*"\n    columns: {disposition: Attributes.outcome}\n')
    calls = _calls(warehouse)
    assert (calls["task-1"]["channel"], calls["task-1"]["direction"], calls["task-1"]["disposition"]) == (
        "other",
        "inbound",
        "resolved",
    )
    assert (calls["email-1"]["channel"], calls["email-1"]["disposition"]) == ("email", "abandoned")


def test_connect_greatest_last_update_wins_whatever_file_it_is_in(landing, warehouse, tmp_path):
    _connect_landing(landing)
    _run(landing, warehouse, CONNECT_YML)
    superseded = query(
        warehouse,
        "select key, regexp_extract(file_name, '[^/]+$'), line_number, regexp_extract(replaced_by_file, '[^/]+$'), "
        "replaced_by_line from quality.superseded_rows order by key",
    )
    first, second = CONNECT_1.split("/")[-1], CONNECT_2.split("/")[-1]
    assert superseded == [
        # the newer file holds an OLDER version (LastUpdate 11:20:08 < 11:20:58): the first file's wins
        ("2f4e6a8c-1b3d-4f5a-8e7c-9d0b2a4c6e81", second, 3, first, 5),
        ("6f1c2a9e-3b47-4d2a-9c1e-0a5b7d3e8f21", first, 1, second, 2),  # identical re-delivery: newest file
        ("9a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", first, 3, second, 1),  # the update (ACW 155)
    ]
    dbt(warehouse, tmp_path / "dbt", "run", "--select", "stg_calls__calls")
    staged = rows(warehouse, "select call_id, acw_seconds, _file_name from staging.stg_calls__calls order by call_id")
    assert len(staged) == 9
    winners = {r[0][:4]: (r[1], r[2].split("/")[-1]) for r in staged}
    assert winners["2f4e"] == (50, first)
    assert winners["9a2b"] == (155, second)
    assert winners["6f1c"] == (64, second)


def test_staging_dedup_without_versions_is_newest_file_by_mtime_not_load_order(landing, warehouse, tmp_path, put):
    header = "call_id,started_at,direction,disposition\n"
    put("calls/b_older.csv", header + "c1,2026-05-01T10:00:00Z,inbound,unresolved\n")
    put("calls/a_new.csv", header + "c1,2026-05-01T10:00:00Z,inbound,resolved\n")
    ingest(landing, warehouse, as_of=AS_OF)
    # a file landing later with an OLD modification time: it does not win
    late = landing / "calls" / "z_old_mtime.csv"
    late.write_text(header + "c1,2026-05-01T10:00:00Z,inbound,callback\n", encoding="utf-8")
    os.utime(late, (1_600_000_000, 1_600_000_000))
    ingest(landing, warehouse, as_of=AS_OF)
    dbt(warehouse, tmp_path / "dbt", "run", "--select", "stg_calls__calls")
    assert rows(warehouse, "select disposition, _file_name from staging.stg_calls__calls") == [
        ("resolved", "calls/a_new.csv")
    ]


# ---------- Salesforce ----------


@pytest.mark.parametrize(
    ("fifteen", "eighteen"),
    [
        ("003Dn00000Zz9Yw", "003Dn00000Zz9YwIAJ"),  # FORMATS.md worked example
        ("003Dn00000Zz9yW", "003Dn00000Zz9yWIAR"),  # its case twin
        ("001000000000000", "001000000000000AAA"),  # no upper case: AAA
        ("ABCDEABCDEABCDE", "ABCDEABCDEABCDE555"),  # all upper: 31 → 5
        ("aB0Cd00000XyZ12", "aB0Cd00000XyZ12KAF"),  # B(1)+C(3)=10→K; 0→A; X(0)+Z(2)=5→F
    ],
)
def test_salesforce_15_character_ids_get_the_case_safe_suffix(fifteen, eighteen):
    with duckdb.connect() as con:
        assert con.execute(f"select {salesforce_id18_sql('$1')}", [fifteen]).fetchall() == [(eighteen,)]


def test_salesforce_ids_that_are_not_15_characters_are_unchanged():
    with duckdb.connect() as con:
        for value in ("003Dn00000Zz9YwIAJ", "12345", "003Dn00000Zz9Y-"):
            assert con.execute(f"select {salesforce_id18_sql('$1')}", [value]).fetchall() == [(value,)]


def test_salesforce_report_maps_labels_converts_ids_and_skips_the_footer(landing, warehouse):
    _copy(landing, "crm", "salesforce/contacts_report_2026-05-10.csv", 1_780_000_000)
    _run(landing, warehouse, 'crm:\n  - files: "salesforce/*.csv"\n    timezone: America/New_York\n')
    # the blank line, Grand Totals, Confidential Information and Copyright are neither records nor rejects
    assert _log(warehouse)["crm/salesforce/contacts_report_2026-05-10.csv"] == ("salesforce", 8, 8, 0, 0)
    assert query(warehouse, "select count(*) from quality.rejected_rows") == [(0,)]
    found = query(
        warehouse,
        "select customer_id, email, company, country, segment, signup_date::varchar, "
        "strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') from raw.crm_customers order by _line_number",
    )
    assert found[0] == (
        "003Dn00000aZ1bAIAS",
        "amara.okafor@brightline.example.com",
        "Brightline Logistics",
        "United States",
        "Customer - Direct",
        "2024-03-14",
        "2026-05-04T13:05:00Z",  # `5/4/2026, 9:05 AM` New York
    )
    ids = [r[0] for r in found]
    assert ids[4:] == ["003Dn00000Rt2pqIAB", "003Dn00000Rt2pRIAR", "003Dn00000Zz9YwIAJ", "003Dn00000Zz9yWIAR"]
    assert len(set(ids)) == 8  # case twins stay distinct customers


def test_a_footer_line_before_data_is_rejected_not_skipped(landing, warehouse, put):
    header = '"Contact ID","Email","Last Modified Date"\n'
    put(
        "crm/salesforce/mid.csv",
        header + '"003Dn00000aZ1bA","a@example.com","5/4/2026, 9:05 AM"\n'
        '"Grand Totals (1 records)"\n'
        '"003Dn00000aZ1bB","b@example.com","5/4/2026, 9:06 AM"\n'
        '""\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n',
    )
    ingest(landing, warehouse, as_of=AS_OF, max_rejected_share=1.0)
    assert _log(warehouse)["crm/salesforce/mid.csv"][:4] == ("salesforce", 3, 2, 1)
    assert query(warehouse, "select line_number, reason_code from quality.rejected_rows") == [(3, "malformed_record")]


def test_a_survey_carrying_the_18_character_id_matches_a_report_carrying_15(landing, warehouse, put):
    _copy(landing, "crm", "salesforce/contacts_report_2026-05-10.csv", 1_780_000_000)
    put(
        "surveys/canonical.csv",
        "response_id,customer_id,sent_at,responded_at,nps_score\n"
        "r1,003Dn00000Zz9YwIAJ,2026-05-07T10:00:00Z,2026-05-07T10:05:00Z,9\n"
        "r2,003Dn00000Zz9yWIAR,2026-05-07T10:00:00Z,2026-05-07T10:05:00Z,3\n",
    )
    _run(landing, warehouse, 'crm:\n  - files: "salesforce/*.csv"\n    timezone: America/New_York\n')
    matched = query(
        warehouse,
        "select s.response_id, c.last_name from raw.surveys s join raw.crm_customers c using (customer_id) order by 1",
    )
    assert matched == [("r1", "Nowak"), ("r2", "El Idrissi")]


# ---------- HubSpot ----------


def test_hubspot_contacts_export_maps_labels_and_local_signup_date(landing, warehouse):
    _copy(landing, "crm", "hubspot/hubspot-crm-exports-all-contacts-2026-05-10.csv", 1_780_000_000)
    _run(landing, warehouse, 'crm:\n  - files: "hubspot/*.csv"\n    timezone: America/Chicago\n')
    log = _log(warehouse)["crm/hubspot/hubspot-crm-exports-all-contacts-2026-05-10.csv"]
    assert log == ("hubspot", 7, 7, 0, 0)
    found = query(
        warehouse,
        "select customer_id, phone, company, country, segment, signup_date::varchar, "
        "strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ'), attributes from raw.crm_customers order by _line_number",
    )
    assert found[0] == (
        "70431150101",
        "+1 312-555-0161",
        "Trattoria Bellavista",
        "United States",
        "Customer",
        "2024-02-20",
        "2026-05-06T14:02:00Z",
        '{"Contact owner":"Daniel Chen"}',
    )
    # created 2026-04-29 19:55 Chicago (00:55Z the next day): signup_date is the local calendar date
    assert found[3][0] == "70431150304" and found[3][5] == "2026-04-29"


def test_hubspot_without_last_modified_date_uses_create_date(landing, warehouse, put):
    put(
        "crm/hubspot/no_modified.csv",
        '"Record ID","Email","Create Date"\n"1","a@example.com","2026-05-01 10:00"\n',
    )
    put(
        "crm/hubspot/empty_modified.csv",
        '"Record ID","Email","Create Date","Last Modified Date"\n'
        '"2","b@example.com","2026-05-01 11:00",""\n"3","c@example.com","2026-05-01 12:00","2026-05-03 09:00"\n',
    )
    _run(landing, warehouse)
    found = query(
        warehouse, "select customer_id, strftime(updated_at, '%Y-%m-%d %H:%M') from raw.crm_customers order by 1"
    )
    assert found == [("1", "2026-05-01 10:00"), ("2", "2026-05-01 11:00"), ("3", "2026-05-03 09:00")]


# ---------- values maps ----------


def test_a_declared_values_map_can_send_other_values_to_empty_instead_of_rejecting(landing, warehouse, put):
    put(
        "calls/x.csv",
        "call_id,started_at,direction,disposition\n"
        "c1,2026-05-01T10:00:00Z,in,Solved\nc2,2026-05-01T10:00:00Z,in,Weird\n",
    )
    _run(
        landing,
        warehouse,
        'calls:\n  - files: "x.csv"\n'
        '    values: {direction: {in: inbound}, disposition: {solved: resolved, "*": ""}}\n',
    )
    assert query(warehouse, "select call_id, direction, disposition from raw.calls order by 1") == [
        ("c1", "inbound", "resolved"),
        ("c2", "inbound", None),
    ]
    assert query(warehouse, "select count(*) from quality.rejected_values") == [(0,)]
