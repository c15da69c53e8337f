"""Each landing variant of contract section 2 loads; each rejection reason is named with file, line and field."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from ingestion.loader import ingest
from tests.ingestion.conftest import CALL_HEADER, CRM_HEADER, SURVEY_HEADER, query

GOOD_SURVEY = "R1,C1,a@x.com,email,post_call,2025-01-10T10:00:00Z,2025-01-10T12:00:00Z,9,Great"


def rejected(warehouse) -> list[tuple]:
    return query(
        warehouse,
        "select file_name, line_number, reason_code, field, reason from quality.rejected_rows "
        "order by file_name, line_number",
    )


def rejected_values(warehouse) -> list[tuple]:
    return query(
        warehouse,
        "select file_name, line_number, field, value, reason_code from quality.rejected_values "
        "order by file_name, line_number, field",
    )


def log_v2(warehouse) -> list[tuple]:
    return query(
        warehouse, "select file_name, values_rejected, score_min, score_max from quality.ingestion_log order by file_id"
    )


def log(warehouse) -> list[tuple]:
    return query(
        warehouse,
        "select file_name, status, rows_in_file, rows_loaded, rows_rejected, reason "
        "from quality.ingestion_log order by file_id",
    )


def test_score_11_is_rejected_with_reason(landing, warehouse, put):
    put("surveys/s.csv", f"{SURVEY_HEADER}\n{GOOD_SURVEY}\nR2,C1,,sms,web,2025-01-10,2025-01-11,11,\n")
    report = ingest(landing, warehouse, max_rejected_share=1.0)
    assert report.ok
    [(file_name, line, code, field, reason)] = rejected(warehouse)
    assert (file_name, line, code, field) == ("surveys/s.csv", 3, "score_out_of_range", "nps_score")
    assert reason == 'surveys/s.csv, line 3: nps_score "11" is outside 0–10'
    assert log(warehouse) == [("surveys/s.csv", "loaded", 2, 1, 1, None)]


@pytest.mark.parametrize(
    ("row", "code", "field"),
    [
        ("R2,C1,,sms,web,2025-01-10,2025-01-11,-1,", "score_out_of_range", "nps_score"),
        (",C1,,sms,web,2025-01-10,2025-01-11,5,", "missing_required_field", "response_id"),
        ("R2,C1,,sms,web,,2025-01-11,5,", "missing_required_field", "sent_at"),
        ("R2,C1,,sms,web,2025-13-45,2025-01-11,5,", "unparseable_timestamp", "sent_at"),
        ("R2,C1,,sms,web,31/02/2025 10:00,,,", "unparseable_timestamp", "sent_at"),
        ("R2,C1,,sms,web,2025-01-10,2025-01-11,8.5,", "unparseable_integer", "nps_score"),
        ("R2,C1,,sms,web,2025-01-10,2025-01-09,8,", "responded_before_sent", "responded_at"),
        ("R2,C1,,sms,web,2025-01-10,,8,", "invalid_value", "nps_score"),
    ],
)
def test_each_survey_defect_is_rejected_with_its_reason(landing, warehouse, put, row, code, field):
    put("surveys/s.csv", f"{SURVEY_HEADER}\n{GOOD_SURVEY}\n{row}\n")
    ingest(landing, warehouse, max_rejected_share=1.0)
    [(_, line, got_code, got_field, reason)] = rejected(warehouse)
    assert (line, got_code, got_field) == (3, code, field)
    assert reason.startswith("surveys/s.csv, line 3: ")
    assert query(warehouse, "select count(*) from raw.surveys") == [(1,)]


@pytest.mark.parametrize(
    ("csat", "ces", "field"), [("6", "3", "csat_score"), ("0", "3", "csat_score"), ("4", "8", "ces_score")]
)
def test_csat_and_ces_outside_their_scales_empty_the_field_and_the_row_loads(landing, warehouse, put, csat, ces, field):
    header = "response_id,sent_at,responded_at,nps_score,csat_score,ces_score"
    put("surveys/s.csv", f"{header}\nR1,2025-01-10,2025-01-11,9,5,1\nR2,2025-01-10,2025-01-11,9,{csat},{ces}\n")
    report = ingest(landing, warehouse)
    assert rejected(warehouse) == []
    assert rejected_values(warehouse) == [
        ("surveys/s.csv", 3, field, csat if field == "csat_score" else ces, "score_out_of_range")
    ]
    [(csat_loaded, ces_loaded)] = query(
        warehouse, "select csat_score, ces_score from raw.surveys where response_id = 'R2'"
    )
    assert (csat_loaded is None) == (field == "csat_score") and (ces_loaded is None) == (field == "ces_score")
    assert report.files[0].values_rejected == 1
    assert log_v2(warehouse) == [("surveys/s.csv", 1, 9, 9)]


@pytest.mark.parametrize(
    ("row", "code", "field"),
    [
        ("K2,C1,sideways,phone,2025-01-10T10:00:00Z,10,20,resolved", "invalid_value", "direction"),
        ("K2,C1,inbound,phone,2025-01-10T10:00:00Z,10,20,teleported", "invalid_value", "disposition"),
        ("K2,C1,inbound,phone,2025-01-10T10:00:00Z,1:2:3,20,resolved", "unparseable_duration", "wait_seconds"),
        ("K2,C1,inbound,phone,2025-01-10T10:00:00Z,-5,20,resolved", "unparseable_duration", "wait_seconds"),
    ],
)
def test_each_call_defect_empties_its_field_with_its_reason(landing, warehouse, put, row, code, field):
    put("calls/c.csv", f"{CALL_HEADER}\nK1,C1,Inbound,phone,2025-01-10T10:00:00Z,00:01:30,20,resolved\n{row}\n")
    ingest(landing, warehouse)
    assert rejected(warehouse) == []
    assert [(r[1], r[2], r[4]) for r in rejected_values(warehouse)] == [(3, field, code)]
    got = query(warehouse, f"select call_id, {field} is null from raw.calls order by 1")
    assert got == [("K1", False), ("K2", True)]


def test_crm_decimal_comma_space_thousands_and_bad_decimal(landing, warehouse, put):
    content = (
        "customer_id;email;segment;plan;lifetime_value;signup_date;status;updated_at\n"
        "C1;a@x.com;smb;basic;1\u00a0234,50;03/02/2024;active;03/02/2024 10:00\n"
        "C2;b@x.com;smb;basic;1 234.5;2024-02-03;churned;2024-02-03 10:00:00\n"
        "C3;c@x.com;smb;basic;1,234.50;2024-02-03;active;2024-02-03 10:00:00\n"
        "C4;d@x.com;smb;basic;12,345;2024-02-03;active;2024-02-03 10:00:00\n"
        "C5;e@x.com;smb;basic;;30/02/2024;active;2024-02-03 10:00:00\n"
        "C6;f@x.com;smb;basic;;2024-02-03;sleeping;2024-02-03 10:00:00\n"
    )
    put("crm/c.csv", content)
    ingest(landing, warehouse)
    rows = query(warehouse, "select customer_id, lifetime_value, signup_date, status from raw.crm_customers order by 1")
    assert rows == [
        ("C1", Decimal("1234.50"), datetime(2024, 2, 3).date(), "active"),
        ("C2", Decimal("1234.50"), datetime(2024, 2, 3).date(), "churned"),
        ("C3", None, datetime(2024, 2, 3).date(), "active"),
        ("C4", None, datetime(2024, 2, 3).date(), "active"),
        ("C5", None, None, "active"),
        ("C6", None, datetime(2024, 2, 3).date(), None),
    ]
    assert rejected(warehouse) == []
    assert [(r[1], r[2], r[4]) for r in rejected_values(warehouse)] == [
        (4, "lifetime_value", "unparseable_decimal"),
        (5, "lifetime_value", "unparseable_decimal"),
        (6, "signup_date", "unparseable_date"),
        (7, "status", "invalid_value"),
    ]


def test_windows_1252_french_export_with_semicolons_and_dd_mm_yyyy(landing, warehouse, put):
    content = (
        "Response ID;Customer ID;Envoyé le;Sent At;Responded At;NPS Score;Commentaire\n"
        "R1;C1;x;31/01/2025 23:30;01/02/2025 08:15:00;3;Délai d'attente trop long, 45 minutes – déçu\n"
    )
    put("surveys/fr.csv", content, encoding="cp1252")
    report = ingest(landing, warehouse, source_tz="Europe/Paris")
    assert report.ok
    [(sent, responded, score, comment)] = query(
        warehouse, "select sent_at, responded_at, nps_score, nps_comment from raw.surveys"
    )
    assert sent == datetime(2025, 1, 31, 22, 30, tzinfo=UTC)  # naive, read in NPS_SOURCE_TZ
    assert responded == datetime(2025, 2, 1, 7, 15, tzinfo=UTC)
    assert (score, comment) == (3, "Délai d'attente trop long, 45 minutes – déçu")


def test_iso_offsets_win_over_source_tz(landing, warehouse, put):
    put("surveys/s.csv", "response_id,sent_at\nR1,2025-07-01T10:00:00+02:00\nR2,2025-07-01 10:00:00\n")
    ingest(landing, warehouse, source_tz="America/New_York")
    got = dict(query(warehouse, "select response_id, sent_at from raw.surveys"))
    assert got == {"R1": datetime(2025, 7, 1, 8, tzinfo=UTC), "R2": datetime(2025, 7, 1, 14, tzinfo=UTC)}


def test_quoted_fields_hold_delimiters_quotes_and_newlines(landing, warehouse, put):
    comment = 'Said "no", then\nhung up; twice'
    quoted = '"' + comment.replace('"', '""') + '"'
    rows = "\n".join(f"R{i},2025-01-10,2025-01-11,{i % 11},comment {i}" for i in range(1, 3000))
    put(
        "surveys/s.csv",
        f"response_id,sent_at,responded_at,nps_score,nps_comment\n{rows}\nR9999,2025-01-10,2025-01-11,2,{quoted}\n",
    )
    report = ingest(landing, warehouse)
    assert report.ok and report.totals()["rows_rejected"] == 0
    assert query(warehouse, "select nps_comment from raw.surveys where response_id = 'R9999'") == [(comment,)]


def test_bom_tab_delimiter_and_aliased_headers(landing, warehouse, put):
    header = "\ufeffResponse ID\tCUSTOMER-ID\tE-mail\tTouch Point\tSent At\tRéponse_ID_x\tRespondedAt\tNPS Score"
    put("surveys/s.csv", f"{header}\nR1\tC1\tA@X.com\tweb\t2025-01-10\textra\t2025-01-11\t10\n")
    ingest(landing, warehouse)
    got = query(warehouse, "select response_id, customer_id, email, touchpoint, nps_score from raw.surveys")
    assert got == [("R1", "C1", "A@X.com", "web", 10)]


def test_unknown_extra_columns_are_ignored_and_kept_in_the_raw_record(landing, warehouse, put):
    put("surveys/s.csv", "response_id,favourite_colour,sent_at,nps_score\nR1,blue,2025-01-10,12\n")
    ingest(landing, warehouse, max_rejected_share=1.0)
    [(raw_record,)] = query(warehouse, "select raw_record from quality.rejected_rows")
    assert '"favourite_colour":"blue"' in raw_record


def test_gzipped_csv_loads(landing, warehouse, put):
    put("surveys/s.csv.gz", gzip.compress(f"{SURVEY_HEADER}\n{GOOD_SURVEY}\n".encode()))
    assert ingest(landing, warehouse).totals()["rows_loaded"] == 1


def test_jsonl_with_a_broken_line_rejects_only_that_line(landing, warehouse, put):
    lines = [
        '{"Call ID": "K1", "started_at": "2025-01-10T10:00:00Z", "direction": "inbound", "talk_seconds": 30}',
        "",
        "{not json",
        '{"call_id": "K2", "started_at": "2025-01-10T11:00:00Z", "disposition": "no_answer"}',
    ]
    put("calls/c.jsonl", "\n".join(lines) + "\n")
    report = ingest(landing, warehouse, max_rejected_share=1.0)
    assert query(warehouse, "select call_id, talk_seconds, _line_number from raw.calls order by 1") == [
        ("K1", 30, 1),
        ("K2", None, 4),
    ]
    assert [(r[1], r[2]) for r in rejected(warehouse)] == [(3, "malformed_record")]
    assert report.files[0].rows_in_file == 3


def test_parquet_loads_with_line_numbers_from_row_index(landing, warehouse, put, tmp_path):
    path = landing / "crm" / "c.parquet"
    with duckdb.connect() as con:
        con.execute(f"""copy (select * from (values ('C1', 'enterprise', timestamp '2025-01-01 10:00:00'),
                        ('C2', 'smb', null)) t(customer_id, segment, updated_at)) to '{path}' (format parquet)""")
    ingest(landing, warehouse, max_rejected_share=1.0)
    assert query(warehouse, "select customer_id, _line_number from raw.crm_customers") == [("C1", 1)]
    assert [(r[1], r[2], r[3]) for r in rejected(warehouse)] == [(2, "missing_required_field", "updated_at")]


def test_wrong_field_count_is_malformed_and_later_lines_keep_their_numbers(landing, warehouse, put):
    put(
        "calls/c.csv",
        f"{CALL_HEADER}\nK1,C1,inbound,phone,2025-01-10,1,2,resolved\n"
        "K2,C1,inbound,phone,2025-01-10,1,2,resolved,surplus,fields\n"
        "K3,C1,inbound,phone,2025-01-10,1,2,resolved\n",
    )
    report = ingest(landing, warehouse, max_rejected_share=1.0)
    assert query(warehouse, "select call_id, _line_number from raw.calls order by 1") == [("K1", 2), ("K3", 4)]
    assert [(r[1], r[2]) for r in rejected(warehouse)] == [(3, "malformed_record")]
    assert (report.files[0].rows_in_file, report.files[0].rows_rejected) == (3, 1)


def test_crm_header_alone_is_a_loaded_file_with_no_rows(landing, warehouse, put):
    put("crm/c.csv", CRM_HEADER + "\n")
    assert log_after(landing, warehouse) == [("crm/c.csv", "loaded", 0, 0, 0, None)]


def log_after(landing, warehouse):
    ingest(landing, warehouse)
    return log(warehouse)
