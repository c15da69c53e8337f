"""The read layer: bytes → text columns (contract section 2): names, encodings, line endings, .xlsx, .json."""

from __future__ import annotations

import gzip
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from ingestion.columns import SURVEYS
from ingestion.decode import DEFAULT_OPTIONS, ReadOptions, detect, transcode
from ingestion.loader import ingest
from ingestion.readers import cell_text, plan_for
from tests.ingestion.conftest import SURVEY_HEADER, query

C1_OR_REPLACEMENT = "regexp_matches(nps_comment, '[\\x{80}-\\x{9f}\\x{fffd}]')"


def survey_row(response_id: str, comment: str = "") -> str:
    return f"{response_id},C1,,email,web,2025-01-10,2025-01-11,9,{comment}"


def read_columns(path: Path, tmp_path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> tuple[list[str], list[tuple]]:
    """(export column names, rows of text) as the read layer gives them."""
    tmp = tmp_path / "read-tmp"
    tmp.mkdir(exist_ok=True)
    with duckdb.connect() as con:
        plan = plan_for(SURVEYS, path, con, tmp, "t1", options)
        select = ", ".join(sql for _, sql in plan.columns)
        rows = con.execute(f"select {select} from {plan.relation} where not _malformed order by _line_number")
        return [name for name, _ in plan.columns], rows.fetchall()


@pytest.mark.parametrize("glob_name", ["x*.csv", "q?.csv", "br[ab].csv"])
def test_file_names_with_glob_characters_load_only_their_own_rows(landing, warehouse, put, glob_name):
    put("surveys/xa.csv", f"{SURVEY_HEADER}\n{survey_row('OTHER1')}\n")
    put("surveys/qa.csv", f"{SURVEY_HEADER}\n{survey_row('OTHER2')}\n")
    put("surveys/bra.csv", f"{SURVEY_HEADER}\n{survey_row('OTHER3')}\n")
    put(f"surveys/{glob_name}", f"{SURVEY_HEADER}\n{survey_row('MINE')}\n")
    report = ingest(landing, warehouse)
    assert report.ok
    by_file = query(warehouse, "select _file_name, string_agg(response_id, ',') from raw.surveys group by 1")
    assert dict(by_file)[f"surveys/{glob_name}"] == "MINE"
    assert query(warehouse, "select count(*) from raw.surveys") == [(4,)]


def test_a_parquet_file_named_with_a_glob_reads_only_itself(landing, warehouse, tmp_path):
    for name, rid in (("pa.parquet", "OTHER"), ("p*.parquet", "MINE")):
        with duckdb.connect() as con:
            con.execute(
                "copy (select ? as response_id, '2025-01-10' as sent_at) to "
                f"'{tmp_path / 'x.parquet'}' (format parquet)",
                [rid],
            )
        (landing / "surveys" / name).write_bytes((tmp_path / "x.parquet").read_bytes())
    assert ingest(landing, warehouse).ok
    assert query(warehouse, "select _file_name, response_id from raw.surveys order by 2") == [
        ("surveys/p*.parquet", "MINE"),
        ("surveys/pa.parquet", "OTHER"),
    ]


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ("a,b\ncafé,€\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "a,b\ncafé,€\n".encode(), "utf-8-sig"),
        ("a,b\ncafé,€\n".encode("utf-16"), "utf-16"),
        ("a,b\ncafé,€\n".encode("utf-16-be").join([b"\xfe\xff", b""]), "utf-16"),
        ("a,b\ncafé,€\n".encode("cp1252"), "cp1252"),
    ],
)
def test_utf8_with_or_without_bom_utf16_and_windows_1252_decode_exactly(tmp_path, data, label):
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    detected = detect(path)
    assert detected.encoding == label
    out = tmp_path / "out.csv"
    assert transcode(path, detected, out) == label
    assert out.read_text(encoding="utf-8") == "a,b\ncafé,€\n"


def test_a_byte_cp1252_does_not_define_makes_bytes_between_letters_cp850(tmp_path):
    path = tmp_path / "dos.csv"
    path.write_bytes(b"id,comment\n1,caf\x82 cr\x8ame\n2,\x90t\x82 caf\x82\n3,l\x92homme \x93ok\x94 10\x80\n")
    detected = detect(path)
    out = tmp_path / "out.csv"
    label = transcode(path, detected, out)
    assert label == "cp1252+cp850 (repaired)"
    assert out.read_text(encoding="utf-8").splitlines()[1:] == ["1,café crème", "2,Été café", "3,l’homme “ok” 10€"]


def test_utf8_mixed_with_windows_1252_is_repaired_character_by_character(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("id,comment\n1,déjà vu\n".encode() + "2,très bien\n".encode("cp1252"))
    out = tmp_path / "out.csv"
    assert transcode(path, detect(path), out) == "utf-8+cp1252 (repaired)"
    assert out.read_text(encoding="utf-8").splitlines()[1:] == ["1,déjà vu", "2,très bien"]


def test_c1_control_characters_inside_utf8_text_are_read_as_the_cp1252_they_were(tmp_path):
    path = tmp_path / "c1.csv"
    path.write_bytes("id,comment\n1,l\u0092homme \u0080\n".encode())
    out = tmp_path / "out.csv"
    assert transcode(path, detect(path), out) == "utf-8 (repaired)"
    assert out.read_text(encoding="utf-8").splitlines()[1] == "1,l’homme €"


def test_a_declared_encoding_overrides_detection(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("id,comment\n1,\u00e9t\u00e9\n".encode("cp850"))
    names, rows = read_columns(path, tmp_path, ReadOptions(encoding="cp850"))
    assert names == ["id", "comment"]
    assert rows == [("1", "été")]


def test_a_mixed_encoding_file_loads_with_no_c1_or_replacement_characters(landing, warehouse, put):
    put(
        "surveys/dos.csv",
        SURVEY_HEADER.encode() + b"\nR1,C1,,email,web,2025-01-10,2025-01-11,9,caf\x82 \x90t\x82\n"
        b"R2,C1,,email,web,2025-01-10,2025-01-11,9,l\x92offre \x80\x85\n",
    )
    assert ingest(landing, warehouse).ok
    assert query(warehouse, "select nps_comment from raw.surveys order by 1") == [
        ("caf\u00e9 \u00c9t\u00e9",),
        ("l’offre €…",),
    ]
    assert query(warehouse, f"select count(*) from raw.surveys where {C1_OR_REPLACEMENT}") == [(0,)]


def test_mixed_crlf_lf_and_cr_line_endings_in_one_file_are_read(landing, warehouse, put):
    rows = [survey_row("R1"), survey_row("R2"), survey_row("R3", '"two\r\nlines"')]
    put("surveys/mixed.csv", f"{SURVEY_HEADER}\r\n{rows[0]}\n{rows[1]}\r{rows[2]}\r\n")
    assert ingest(landing, warehouse).ok
    assert query(warehouse, "select response_id, nps_comment from raw.surveys order by 1") == [
        ("R1", None),
        ("R2", None),
        ("R3", "two\nlines"),
    ]


def test_xlsx_first_sheet_cells_are_text_without_loss(tmp_path):
    path = tmp_path / "export.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("Responses")
        stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, ["response_id", "sent_at", "signup", "nps_score", "ratio", "empty", "comment"])
        sheet.write_string(1, 0, "R1")
        sheet.write_datetime(1, 1, datetime(2026, 5, 6, 14, 30), stamp)
        sheet.write_datetime(1, 2, datetime(2026, 5, 6), day)
        sheet.write_number(1, 3, 9)
        sheet.write_number(1, 4, 0.25)
        sheet.write_string(1, 6, 'says "hi",\nthen leaves')
        book.add_worksheet("Other").write_row(0, 0, ["x"])
    names, rows = read_columns(path, tmp_path)
    assert names == ["response_id", "sent_at", "signup", "nps_score", "ratio", "empty", "comment"]
    assert rows == [("R1", "2026-05-06T14:30:00", "2026-05-06", "9", "0.25", None, 'says "hi",\nthen leaves')]


def test_xlsx_sheet_named_in_the_options_is_read(tmp_path):
    path = tmp_path / "export.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet("Cover").write_row(0, 0, ["title"])
        book.add_worksheet("Responses").write_row(0, 0, ["response_id", "nps"])
        book.get_worksheet_by_name("Responses").write_row(1, 0, ["R1", 10])
    names, rows = read_columns(path, tmp_path, ReadOptions(sheet="Responses"))
    assert (names, rows) == (["response_id", "nps"], [("R1", "10")])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (9.0, "9"),
        (9, "9"),
        (0.1, "0.1"),
        (datetime(2026, 5, 6, 14, 30), "2026-05-06T14:30:00"),
        (date(2026, 5, 6), "2026-05-06"),
        (None, ""),
        ("", ""),
    ],
)
def test_xlsx_cell_values_become_text_without_loss(value, text):
    assert cell_text(value) == text


def test_an_xlsx_survey_export_loads(landing, warehouse):
    path = landing / "surveys" / "export.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheet.write_row(0, 0, ["Response ID", "Sent At", "Responded At", "NPS"])
        sheet.write_string(1, 0, "R1")
        sheet.write_datetime(1, 1, datetime(2026, 5, 6, 14, 30), stamp)
        sheet.write_datetime(1, 2, datetime(2026, 5, 6, 15, 0), stamp)
        sheet.write_number(1, 3, 9)
    assert ingest(landing, warehouse).ok
    assert query(warehouse, "select response_id, sent_at::varchar, nps_score from raw.surveys") == [
        ("R1", "2026-05-06 14:30:00+00", 9)
    ]


@pytest.mark.parametrize(
    ("name", "text", "names", "rows"),
    [
        pytest.param(
            "delighted.json",
            '[{"id": "1", "score": 9, "person": {"id": "p1", "email": "a@x.org"}, "tags": ["a", "b"]},\n'
            ' {"id": "2", "score": 3, "person": {"id": "p2"}, "extra": null}]',
            ["id", "score", "person.id", "person.email", "tags", "extra"],
            [("1", "9", "p1", "a@x.org", '["a","b"]', None), ("2", "3", "p2", None, None, None)],
            id="json_array_nested_objects_are_flattened_to_leaf_paths",
        ),
        pytest.param(
            "ctr.jsonl",
            '{"ContactId": "c1", "Agent": {"Username": "ann", "HierarchyGroups": {"Level1": {"GroupName": "T1"}}}}\n'
            '{"ContactId": "c2", "Agent": null}\n',
            ["ContactId", "Agent.Username", "Agent.HierarchyGroups.Level1.GroupName"],
            [("c1", "ann", "T1"), ("c2", None, None)],
            id="amazon_connect_deep_keys_are_parent_child_paths_and_a_null_parent_is_not_a_column",
        ),
    ],
)
def test_json_records_are_flattened_to_leaf_paths(tmp_path, name, text, names, rows):
    path = tmp_path / name
    path.write_text(text)
    assert read_columns(path, tmp_path) == (names, rows)


def test_json_with_one_object_per_line_is_read_like_jsonl(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text('{"id": "1"}\n{"id": "2"}\n')
    assert read_columns(path, tmp_path) == (["id"], [("1",), ("2",)])


def test_jsonl_with_a_long_line_a_control_byte_and_cp1252_rejects_only_the_bad_lines(landing, warehouse, put):
    good = '{{"response_id": "{}", "sent_at": "2025-01-10", "nps_comment": "{}"}}'
    lines = [
        good.format("R1", "x" * 3_000_000).encode(),
        good.format("R2", "raw\x01byte").encode(),
        good.format("R3", "très").encode("cp1252"),
        b"not json",
    ]
    put("surveys/robust.jsonl", b"\n".join(lines) + b"\n")
    report = ingest(landing, warehouse, max_rejected_share=1.0)
    assert report.ok
    assert query(warehouse, "select response_id, length(nps_comment) from raw.surveys order by 1") == [
        ("R1", 3_000_000),
        ("R3", 4),
    ]
    assert query(warehouse, "select nps_comment from raw.surveys where response_id = 'R3'") == [("très",)]
    assert query(warehouse, "select line_number, reason_code from quality.rejected_rows order by 1") == [
        (2, "malformed_record"),
        (4, "malformed_record"),
    ]
    assert query(warehouse, "select rows_in_file, rows_loaded, rows_rejected from quality.ingestion_log") == [(4, 2, 2)]


def test_rows_in_file_counts_records_and_line_numbers_count_records_when_a_comment_spans_lines(landing, warehouse, put):
    multi_line = survey_row("R1", '"a\nb\nc"')
    put("surveys/multi.csv", f"{SURVEY_HEADER}\n{multi_line}\n{survey_row('R2')}\n")
    assert ingest(landing, warehouse).ok
    assert query(warehouse, "select rows_in_file, rows_loaded from quality.ingestion_log") == [(2, 2)]
    assert query(warehouse, "select response_id, _line_number from raw.surveys order by 1") == [("R1", 2), ("R2", 3)]


def test_a_gzipped_csv_loads_under_a_small_memory_limit(landing, warehouse):
    (landing / "surveys" / "small.csv.gz").write_bytes(gzip.compress(f"{SURVEY_HEADER}\n{survey_row('R1')}\n".encode()))
    report = ingest(landing, warehouse, memory_limit="1GB")
    assert [(f.status, f.reason) for f in report.files] == [("loaded", None)]


def test_an_uncompressed_csv_or_jsonl_is_read_with_a_buffer_of_one_record_not_of_the_whole_file(tmp_path):
    # DuckDB buffers 16 x max_line_size by default, capped at the file's size: a 3.4 GB calls export needed one
    # 3.1 GiB block and failed under a 3 GB memory limit (docs/performance.md, issue 21 fourth pass)
    from ingestion.readers import CSV_BUFFER_SIZE, MAX_LINE_SIZE, csv_plan, json_plan

    csv = tmp_path / "surveys.csv"
    csv.write_text(f"{SURVEY_HEADER}\n{survey_row('R1')}\n", encoding="utf-8")
    jsonl = tmp_path / "surveys.jsonl"
    jsonl.write_text('{"response_id": "R1"}\n', encoding="utf-8")
    with duckdb.connect() as con:
        relations = [
            csv_plan(csv, tmp_path, "csv").relation,
            json_plan(jsonl, con, tmp_path, "jsonl", DEFAULT_OPTIONS).relation,
        ]
    assert CSV_BUFFER_SIZE == MAX_LINE_SIZE  # DuckDB refuses a smaller buffer than the longest record allowed
    for relation in relations:
        assert f"max_line_size = {MAX_LINE_SIZE}, buffer_size = {CSV_BUFFER_SIZE}" in relation
