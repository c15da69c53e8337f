"""`nps loop`: open and overdue detractor follow-ups, most overdue first, and a formula-safe CSV for the CRM.

Reads `marts.close_the_loop` from the published copy when there is one (never blocked by a running
pipeline), else from the warehouse read-only. The status is the mart's `loop_status`, judged by the run at its
NPS_AS_OF (the rule lives once, in dbt); run the pipeline again to judge it at a later moment.

The terminal and the CSV treat CRM text differently, on purpose. The terminal is not data: every field printed
goes through `printable`, which removes control characters and escape sequences, so a name holding
`\x1b]8;;…` or `\x1b[2J` cannot retitle, clear or hyperlink the operator's terminal. The CSV is data for the
CRM: it keeps the text as the mart holds it (the CSV writer quotes newlines and quotes), and only defuses
cells a spreadsheet would run as a formula. The output path is bound as a parameter, never pasted into SQL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from nps.settings import Settings
from publishing.publish import process_is_running

EXPORT_COLUMNS = [
    "response_id",
    "customer_id",
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "segment",
    "channel",
    "nps_score",
    "nps_comment",
    "responded_at",
    "followup_due_at",
    "loop_status",
    "hours_overdue",
]
FORMULA_START = "^[=+\\-@\t\r]"  # cells a spreadsheet would run as a formula (OWASP CSV injection)
UTF8_BOM = b"\xef\xbb\xbf"

# What a terminal would act on rather than show: OSC strings (title, hyperlink, clipboard; ended by BEL or ST),
# CSI sequences (cursor, colour, clear; 7-bit `ESC [` or 8-bit 0x9B), other escape sequences, then any single
# C0 or C1 control character, DEL and the Unicode bidirectional overrides (which reorder what is shown).
TERMINAL_CONTROLS = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC … BEL | ST (unterminated: to the end)
    r"|(?:\x1b\[|\x9b)[0-9:;<=>?]*[ -/]*[@-~]?"  # CSI parameters, intermediates, final byte
    r"|\x1b[ -/]*[0-~]?"  # other ESC sequences (charset, keypad, reset)
    r"|[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


@dataclass(frozen=True)
class Followups:
    columns: list[str]
    rows: list[tuple]
    source: Path

    def count(self, status: str) -> int:
        position = self.columns.index("loop_status")
        return sum(1 for row in self.rows if row[position] == status)


FOLLOWUPS_SQL = """
    select
        response_id, customer_id, first_name, last_name, company, email, phone, segment, channel,
        nps_score, nps_comment, responded_at, followup_due_at, loop_status, hours_overdue
    from marts.close_the_loop
    where loop_status in ('open', 'overdue')
    order by followup_due_at, response_id"""  # unclosed follow-ups, most overdue (earliest due) first


def printable(text: object) -> str:
    """`text` as it may be shown on a terminal: escape sequences and control characters removed (a tab or a
    line break becomes a space, so one follow-up stays on one line)."""
    return TERMINAL_CONTROLS.sub(lambda m: " " if m.group() in ("\t", "\n", "\r") else "", str(text))


def neutralised(column: str) -> str:
    """SQL: the cell as text, prefixed with `'` when a spreadsheet would read it as a formula."""
    text = f"cast({column} as varchar)"
    return f"case when regexp_matches({text}, '{FORMULA_START}') then '''' || {text} else {text} end as {column}"


def source_database(settings: Settings) -> Path:
    return settings.published_path if settings.published_path.exists() else settings.warehouse_path


def read_followups(database: Path) -> Followups:
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        result = con.execute(FOLLOWUPS_SQL)
        columns = [d[0] for d in result.description]
        return Followups(columns, result.fetchall(), database)


def stale_exports(out: Path, is_running: Callable[[int], bool] = process_is_running) -> list[Path]:
    """The temporaries a killed `nps loop --out` left beside `out` (`.NAME.<pid>.body|tmp` of a process gone)."""
    pattern = re.compile(re.escape(f".{out.name}.") + r"(\d+)\.(?:body|tmp)")
    if not out.parent.is_dir():
        return []
    return sorted(
        path
        for path in out.parent.iterdir()
        if (found := pattern.fullmatch(path.name)) is not None and not is_running(int(found[1]))
    )


def export_followups(database: Path, out: Path) -> int:
    """Write the follow-ups to `out` as CSV (UTF-8 with BOM, so spreadsheets read accents), formula-safe.

    DuckDB writes the CSV to a temporary file named by a bound parameter (any file name works, quotes included);
    the BOM and that file are then copied to `out` under a temporary name and renamed over it, so the CRM never
    reads a half-written file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in stale_exports(out):
        path.unlink(missing_ok=True)
    body = out.with_name(f".{out.name}.{os.getpid()}.body")
    whole = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            con.execute("set TimeZone = 'UTC'")
            select = ", ".join(neutralised(c) for c in EXPORT_COLUMNS)
            con.execute(
                f"copy (select {select} from ({FOLLOWUPS_SQL})) to $path (header, delimiter ',')", {"path": str(body)}
            )
            count = con.execute(f"select count(*) from ({FOLLOWUPS_SQL})").fetchall()[0][0]
        with whole.open("wb") as target, body.open("rb") as source:
            target.write(UTF8_BOM)
            while chunk := source.read(1 << 20):
                target.write(chunk)
        os.replace(whole, out)
    finally:
        body.unlink(missing_ok=True)
        whole.unlink(missing_ok=True)
    return count


def loop_command(settings: Settings, out: Path | None) -> int:
    database = source_database(settings)
    if not database.exists():
        print(
            f"error: no warehouse at {settings.warehouse_path} and no published copy at {settings.published_path}; "
            "run `nps run` first"
        )
        return 2
    try:
        followups = read_followups(database)
    except duckdb.IOException as exc:
        print(f"error: cannot open {database} ({str(exc).splitlines()[0]}); a pipeline run may be writing it")
        return 2
    except duckdb.CatalogException:
        print(f"error: {database} has no marts.close_the_loop yet; run `nps run` first")
        return 2
    print(
        f"Detractor follow-ups as the last run judged them (from {printable(database)}): "
        f"{followups.count('overdue')} overdue, {followups.count('open')} open"
    )
    idx = {c: i for i, c in enumerate(followups.columns)}
    for row in followups.rows[:20]:
        hours = row[idx["hours_overdue"]]
        late = f"{hours:>7.1f} h late" if hours is not None else "   not yet due"
        name = " ".join(str(row[idx[c]]) for c in ("first_name", "last_name") if row[idx[c]]) or row[idx["customer_id"]]
        contact = row[idx["phone"]] or row[idx["email"]] or ""
        print(
            f"  {printable(row[idx['loop_status']]):8s} {late}  score {row[idx['nps_score']]:>2}  "
            f"{printable(row[idx['response_id']])}  {printable(name or '(unknown customer)')}  {printable(contact)}"
        )
    if len(followups.rows) > 20:
        print(f"  … {len(followups.rows) - 20} more")
    if out is not None:
        written = export_followups(database, out)
        print(f"wrote {written} follow-ups to {printable(out)} (cells starting with = + - @ are prefixed with ')")
    return 0
