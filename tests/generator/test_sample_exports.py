"""The export generator: reproducible, in the landing layout, realistic, and honest about what it planted."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from generator.sample_exports import generate_exports
from nps.cli import app

END = date(2026, 6, 30)


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen") / "landing"
    return out, generate_exports(out, scale="tiny", seed=5, end_date=END)


@pytest.fixture(scope="module")
def con(messy):
    out, _ = messy
    connection = duckdb.connect()
    for source in ("surveys", "calls", "crm"):
        connection.execute(f"""create table {source} as select * from read_csv('{out}/{source}/*_standard.csv',
                               header = true, all_varchar = true, delim = ',', quote = '"')""")
    yield connection
    connection.close()


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(messy, tmp_path):
    out, _ = messy
    again = generate_exports(tmp_path / "a", scale="tiny", seed=5, end_date=END)
    assert digest(tmp_path / "a") == digest(out)
    assert again["expected"] == messy[1]["expected"]
    generate_exports(tmp_path / "b", scale="tiny", seed=6, end_date=END)
    assert digest(tmp_path / "b")["surveys/surveys_05_standard.csv"] != digest(out)["surveys/surveys_05_standard.csv"]


def test_the_landing_layout_holds_every_format_and_the_manifest_counts_match(messy):
    out, manifest = messy
    suffixes = {Path(f["file_name"]).name.split(".", 1)[1] for f in manifest["files"]}
    assert suffixes == {"csv", "csv.gz", "jsonl", "parquet"}
    for entry in manifest["files"]:
        path = out / entry["file_name"]
        if entry["format"] == "parquet":
            rows = duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]
        else:
            opener = gzip.open if entry["format"] == "csv.gz" else open
            with opener(path, "rb") as fh:
                lines = fh.read().count(b"\n")
            rows = lines - (entry["format"] != "jsonl")  # header line in CSVs
        assert rows == entry["rows"], entry["file_name"]
    mtimes = [(out / f["file_name"]).stat().st_mtime for f in manifest["files"] if f["source"] == "surveys"]
    assert mtimes == sorted(mtimes)


def test_the_french_excel_variant(messy):
    out, _ = messy
    raw = (out / "crm" / "crm_01_french.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    header, first = text.splitlines()[:2]
    assert header.count(";") == 14
    fields = dict(zip(header.split(";"), first.split(";"), strict=True))
    assert fields["updated_at"][2] == "/" and fields["updated_at"][5] == "/"  # dd/mm/yyyy HH:MM:SS
    assert "," in fields["lifetime_value"]  # decimal comma
    calls = (out / "calls" / "calls_01_french.csv").read_bytes().decode("cp1252").splitlines()
    assert dict(zip(calls[0].split(";"), calls[1].split(";"), strict=True))["talk_seconds"].count(":") == 2


def test_aliases_bom_and_gzip_variants(messy):
    out, _ = messy
    assert (out / "surveys" / "surveys_02_aliases.csv").read_text().startswith("Response ID\tCustomer ID")
    assert (out / "surveys" / "surveys_04_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert gzip.decompress((out / "surveys" / "surveys_03_gzip.csv.gz").read_bytes()).startswith(b"response_id,")


def test_the_duplicate_file_is_byte_identical_to_its_original(messy):
    out, manifest = messy
    [dup] = [f for f in manifest["files"] if f["duplicate_of"]]
    assert (out / dup["file_name"]).read_bytes() == (out / dup["duplicate_of"]).read_bytes()


def test_planted_bad_rows_are_in_the_files(messy):
    out, manifest = messy
    text = (out / "surveys" / "surveys_01_french.csv").read_bytes().decode("cp1252")
    assert ";11;" in text.split("RBAD0001", 1)[1].splitlines()[0]
    assert manifest["planted"]["bad_rows"]["surveys"] == {
        "score_out_of_range": 1,
        "missing_required_field": 1,
        "unparseable_timestamp": 1,
        "responded_before_sent": 1,
    }
    assert manifest["planted"]["bad_values"]["surveys"] == {"score_out_of_range": 1}  # csat 6: the row loads
    assert "KBAD0001" in (out / "calls" / "calls_01_french.csv").read_bytes().decode("cp1252")


def test_clean_exports_have_no_bad_rows_duplicates_or_overlap(tmp_path):
    manifest = generate_exports(tmp_path, scale="tiny", seed=5, clean=True, end_date=END)
    assert manifest["planted"]["duplicate_files"] == []
    assert all(not codes for codes in manifest["planted"]["bad_rows"].values())
    assert all(n == 0 for n in manifest["planted"]["overlap_rows"].values())
    assert {f["variant"] for f in manifest["files"]} == {"standard"}


def test_history_spans_18_months_and_nothing_happens_after_the_export(messy, con):
    out, manifest = messy
    assert (date.fromisoformat(manifest["end_date"]) - date.fromisoformat(manifest["start_date"])).days == 547
    first = duckdb.sql(f"""select min(strptime(sent_at, '%d/%m/%Y %H:%M:%S')) from read_csv(
        '{out}/surveys/surveys_01_french.csv', delim = ';', header = true, all_varchar = true, encoding = 'latin-1')
        where response_id like 'R0%'""").fetchall()[0][0]
    last = con.execute("select max(sent_at::timestamptz) from surveys").fetchall()[0][0]
    assert (last.date() - first.date()).days >= 540
    assert con.execute("select count(*) from surveys where responded_at::timestamptz >= '2026-07-01'").fetchall() == [
        (0,)
    ]


def test_response_rates_differ_by_channel_and_scores_follow_wait_times(con):
    rates = con.execute("""select lower(channel), avg((responded_at is not null)::int) from surveys
                           where lower(channel) in ('email', 'in_app') group by 1""").fetchall()
    assert dict(rates)["in_app"] > dict(rates)["email"] + 0.05
    long_short = con.execute("""
        select avg(s.nps_score::int) filter (where c.wait_seconds::int > 300),
               avg(s.nps_score::int) filter (where c.wait_seconds::int < 60)
        from surveys s join calls c on s.interaction_id = c.call_id where s.nps_score is not null""").fetchall()[0]
    assert long_short[0] < long_short[1]


def test_verbatims_in_two_languages_crm_changes_and_late_and_timely_followups(messy, con):
    out, _ = messy
    languages = {r[0] for r in con.execute("select distinct language from surveys where nps_comment <> ''").fetchall()}
    assert languages == {"en", "fr"}
    crm = duckdb.sql(f"""select customer_id, count(distinct segment || plan) as versions
                         from read_csv('{out}/crm/*_standard.csv', all_varchar = true) group by 1""")
    assert crm.filter("versions > 1").count("*").fetchall()[0][0] > 0
    delays = con.execute("""
        select date_diff('hour', s.responded_at::timestamptz, min(c.started_at::timestamptz))
        from surveys s join calls c on c.customer_id = s.customer_id and c.direction = 'outbound'
             and c.started_at::timestamptz > s.responded_at::timestamptz
        where s.nps_score::int <= 6 group by s.response_id, s.responded_at""").fetchall()
    hours = [d for (d,) in delays]
    assert any(h < 24 for h in hours) and any(24 < h <= 168 for h in hours)


def test_nps_generate_cli(tmp_path):
    result = CliRunner().invoke(
        app, ["generate", "--out", str(tmp_path / "x"), "--scale", "tiny", "--seed", "1", "--end-date", "2026-06-30"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "x" / "manifest.json").read_text())["scale"] == "tiny"
    bad = CliRunner().invoke(app, ["generate", "--out", str(tmp_path / "y"), "--scale", "huge"])
    assert bad.exit_code != 0 and "unknown scale" in bad.output
