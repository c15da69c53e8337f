"""`nps loop` (issue 19): the CSV path is never pasted into SQL; CRM text reaches the terminal without the
control characters and escape sequences a terminal would act on, and reaches the CSV as it is."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from loop.followups import export_followups, printable, stale_exports
from nps.cli import app

OSC_HYPERLINK = "\x1b]8;;http://evil.example\x07Ann\x1b]8;;\x07"
CSI_CLEAR = "\x1b[2J\x1b[31mLee\x1b[0m"


def _warehouse(path: Path, first_name: str = "Ann", last_name: str = "Lee") -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            """create table marts.close_the_loop as select * from (values
            ('R1', 'C1', $first, $last, null, 'a@x.com', '+441234', 'smb', 'email', 2, 'slow',
             timestamptz '2025-03-01 10:00:00+00', timestamptz '2025-03-02 10:00:00+00', null, 'overdue', 24.0)
            ) t(response_id, customer_id, first_name, last_name, company, email, phone, segment, channel, nps_score,
                nps_comment, responded_at, followup_due_at, first_followup_at, loop_status, hours_overdue)""",
            {"first": first_name, "last": last_name},
        )
    return path


def _rows(out: Path) -> list[dict[str, str]]:
    with out.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", ["it's here.csv", "x.csv' (format json); --", 'q"uote.csv', "spa ce;semi.csv"])
def test_the_csv_is_written_to_exactly_the_file_named_whatever_its_characters(tmp_path, name):
    db = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "crm" / name
    assert export_followups(db, out) == 1
    assert sorted(p.name for p in out.parent.iterdir()) == [name]  # no json file beside it, no temporary left
    assert out.read_bytes().startswith(b"\xef\xbb\xbfresponse_id,")
    assert [r["response_id"] for r in _rows(out)] == ["R1"]


def test_the_injection_path_through_the_cli_writes_a_csv_literally_named_so(tmp_path, monkeypatch):
    db = _warehouse(tmp_path / "w.duckdb")
    monkeypatch.setenv("NPS_PUBLISHED_PATH", str(tmp_path / "absent.duckdb"))
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "x.csv' (format json); --"
    result = CliRunner().invoke(app, ["loop", "--warehouse", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == [out.name]
    assert _rows(out)[0]["phone"] == "'+441234"  # formula-safe cells still


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (OSC_HYPERLINK, "Ann"),
        ("\x1b]0;pwned title\x1b\\Bo", "Bo"),  # OSC ended by ST
        ("\x9d0;eight-bit osc\x9cCy", "Cy"),  # C1 OSC and ST
        (CSI_CLEAR, "Lee"),
        ("\x9b2JDee", "Dee"),  # 8-bit CSI
        ("Ed\x1bcdy", "Eddy"),  # ESC c (full reset)
        ("Fay\x00\x07\x08\x7f\x85", "Fay"),  # NUL, BEL, backspace, DEL, C1 NEL
        ("Gus\u202etxt.exe", "Gustxt.exe"),  # bidi override
        ("Hal\tLine\nTwo", "Hal Line Two"),
        ("Zoë Ñúñez 李", "Zoë Ñúñez 李"),
        ("\x1b]8;;unterminated", ""),
    ],
)
def test_printable_removes_what_a_terminal_would_act_on_and_keeps_the_text(text, shown):
    assert printable(text) == shown


def test_printable_leaves_no_escape_or_control_character_in_any_mix():
    sample = "".join(chr(c) for c in range(0x00, 0xA0)) + OSC_HYPERLINK + CSI_CLEAR + "\x1b["
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in printable(sample))


def test_nps_loop_prints_no_escape_sequence_but_the_csv_keeps_the_data(tmp_path, monkeypatch):
    db = _warehouse(tmp_path / "w.duckdb", first_name=OSC_HYPERLINK, last_name=CSI_CLEAR)
    monkeypatch.setenv("NPS_PUBLISHED_PATH", str(tmp_path / "absent.duckdb"))
    out = tmp_path / "loop.csv"
    result = CliRunner().invoke(app, ["loop", "--warehouse", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Ann Lee" in result.output
    row = _rows(out)[0]
    assert (row["first_name"], row["last_name"]) == (OSC_HYPERLINK, CSI_CLEAR)


def test_a_killed_export_s_temporaries_are_removed_by_the_next_export_and_a_live_one_s_kept(tmp_path):
    db = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "crm" / "followups.csv"
    out.parent.mkdir()
    dead = [out.with_name(".followups.csv.999999999.body"), out.with_name(".followups.csv.999999999.tmp")]
    live = out.with_name(f".followups.csv.{os.getppid()}.tmp")  # a running process (this test's parent) writing
    other = out.with_name(".other.csv.999999999.tmp")
    for path in [*dead, live, other]:
        path.write_text("half written")
    assert stale_exports(out) == sorted(dead)
    assert export_followups(db, out) == 1
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, live.name, other.name])
