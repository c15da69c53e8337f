"""`nps inspect PATH`: a dry run on one file or folder, writing nothing (contract section 1).

`inspect_path` reads each file with the same functions as `ingest` (`plan_for`, `map_plan`, `decide_orders`,
`checked_sql`) on an in-memory DuckDB, and reports the profile, encoding, delimiter, date order, the column
mapping and the columns kept as attributes, a preview of the first mapped rows, and every row or value that
would be rejected with its reason. A file that cannot be read or mapped has `error` set, saying which
`sources.yml` entry or key would fix it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.columns import SOURCES
from ingestion.decode import DEFAULT_OPTIONS, ReadOptions
from ingestion.detect import choose_profile
from ingestion.loader import discover, stage_checked, ts_literal
from ingestion.mapping import date_order_text, decide_orders, map_plan
from ingestion.questions import NpsQuestionUndecided
from ingestion.readers import FileProblem, plan_for
from ingestion.sources_file import EntryRef, SourcesConfig, entry_for, load_sources_file
from ingestion.sql import quote_literal


@dataclass
class FileInspection:
    path: Path
    source: str
    relpath: str  # relative to the source folder: what a `files` glob matches
    entry: str | None = None  # the sources.yml entry that applies, e.g. `sources.yml surveys[0] (files "x/*")`
    profile: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    date_order: str | None = None
    mapping: list[tuple[str, str]] = field(default_factory=list)  # export column (or `= constant`) → canonical
    attributes: list[str] = field(default_factory=list)  # export columns kept in `attributes`
    profile_how: str | None = None  # declared | detected | default
    nps_candidates: list[str] = field(default_factory=list)  # columns the NPS question rule considered
    rows_in_file: int = 0
    preview: list[dict[str, object]] = field(default_factory=list)
    rejected_rows: list[tuple[int | None, str, str | None, str]] = field(default_factory=list)  # line, code, field, why
    rejected_values: list[tuple[int | None, str, str | None, str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class InspectReport:
    files: list[FileInspection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.files) and all(f.ok for f in self.files)


def _source_of(path: Path, declared: str | None) -> tuple[str, str]:
    """(source, path relative to the source folder): the nearest parent folder named like a source."""
    for parent in path.parents:
        if parent.name in SOURCES and (declared is None or parent.name == declared):
            return parent.name, path.relative_to(parent).as_posix()
    if declared is None:
        raise FileProblem(f"{path}: not under a surveys/, crm/ or calls/ folder; give --source surveys|crm|calls")
    return declared, path.name


def _files(path: Path, source: str | None) -> list[tuple[Path, str, str]]:
    if path.is_file():
        return [(path, *_source_of(path, source))]
    if any((path / name).is_dir() for name in SOURCES):  # a landing folder
        chosen = [source] if source else None
        return [(f.path, f.source, f.file_name.split("/", 1)[1]) for f in discover(path, chosen) if f.problem is None]
    found = sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink() and not p.name.startswith("."))
    return [(p, *_source_of(p, source)) for p in found]


def _fix_hint(source: str, relpath: str, entry: EntryRef | None) -> str:
    if entry is not None:
        return f"check {entry.where()}"
    return f'add an entry under `{source}:` in sources.yml with `files: "{relpath}"` (e.g. `encoding`, `columns`)'


def inspect_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: str,
    relpath: str,
    config: SourcesConfig,
    *,
    tmp_dir: Path,
    tag: str,
    source_tz: str,
    as_of: datetime,
    preview_rows: int,
    limit: int,
) -> FileInspection:
    found = FileInspection(path, source, relpath)
    entry = entry_for(config, source, relpath)
    found.entry = entry.where() if entry else None
    options = ReadOptions(entry.entry.encoding, entry.entry.sheet) if entry else DEFAULT_OPTIONS
    spec = SOURCES[source]
    con.execute(f"set TimeZone = {quote_literal(source_tz)}")
    try:
        plan = plan_for(spec, path, con, tmp_dir, tag, options)
        found.encoding, found.delimiter = plan.encoding, plan.delimiter
        detection, plan = choose_profile(spec, plan, entry)
        found.profile, found.profile_how = detection.profile.name, detection.how
        mapping = map_plan(spec, plan, entry, con, detection)
        found.mapping, found.attributes = mapping.used, mapping.attribute_columns
        found.nps_candidates = list(mapping.nps_candidates)
        con.execute(f"set TimeZone = {quote_literal(mapping.timezone or source_tz)}")
        orders = decide_orders(con, mapping, plan.relation, relpath)
        found.date_order = date_order_text(orders)
        dropped = stage_checked(con, spec, plan, mapping, orders, ts_literal(as_of))
    except FileProblem as problem:
        if isinstance(problem, NpsQuestionUndecided):
            found.nps_candidates = problem.candidates
        found.error = f"{problem} — {_fix_hint(source, relpath, entry)}"
        return found
    except (OSError, EOFError, UnicodeError, duckdb.Error) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        found.error = f"{path}: cannot read the file: {first} — {_fix_hint(source, relpath, entry)}"
        return found
    finally:
        con.execute(f"set TimeZone = {quote_literal(source_tz)}")
    columns = [c.name for c in spec.columns]
    cursor = con.execute(
        f"select {', '.join(columns)}, attributes from (select *, _attributes as attributes from _checked) "
        f"where _reason_code is null order by _line_number limit {int(preview_rows)}"
    )
    names = [d[0] for d in cursor.description]
    found.preview = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    found.rejected_rows = con.execute(
        "select _line_number, _reason_code, _reason_field, _reason from _checked where _reason_code is not null "
        f"order by _line_number limit {int(limit)}"
    ).fetchall()
    if dropped:
        found.rejected_rows += con.execute(
            f"select line, 'malformed_record', null, string_agg(distinct error_message, '; ') "
            f"from {plan.rejects_table} where line > {plan.header_lines} group by line order by line "
            f"limit {int(limit)}"
        ).fetchall()
    found.rejected_values = con.execute(
        "select _line_number, v.field, v.value, v.code, v.reason from "
        "(select _line_number, unnest(_value_rejects) as v from _checked where _reason_code is null) "
        f"order by _line_number, v.field limit {int(limit)}"
    ).fetchall()
    found.rows_in_file = con.execute("select count(*) from _checked").fetchall()[0][0] + dropped
    return found


def inspect_path(
    path: Path,
    source: str | None = None,
    sources_file: Path | None = None,
    *,
    source_tz: str = "UTC",
    as_of: datetime | None = None,
    preview_rows: int = 5,
    limit: int = 200,
) -> InspectReport:
    """Dry run of `ingest` on a file or folder: nothing is written anywhere (an in-memory DuckDB).
    `sources_file` defaults to `<landing>/sources.yml` when `path` is inside a landing folder."""
    path = Path(path)
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: choose from {', '.join(SOURCES)}")
    if sources_file is None:
        landing = next((p.parent for p in [path, *path.parents] if p.name in SOURCES), path)
        sources_file = landing / "sources.yml"
    config = load_sources_file(sources_file)
    report = InspectReport()
    try:
        listed = _files(path, source)
    except FileProblem as problem:
        report.files.append(FileInspection(path, source or "", path.name, error=str(problem)))
        return report
    with duckdb.connect() as con, tempfile.TemporaryDirectory(prefix="nps-inspect-") as tmp:
        for i, (file, file_source, relpath) in enumerate(listed):
            report.files.append(
                inspect_file(
                    con,
                    file,
                    file_source,
                    relpath,
                    config,
                    tmp_dir=Path(tmp),
                    tag=f"i{i}",
                    source_tz=source_tz,
                    as_of=as_of or datetime.now(UTC),
                    preview_rows=preview_rows,
                    limit=limit,
                )
            )
    return report


def _cell(value: object, width: int = 40) -> str:
    text = "" if value is None else str(value)
    text = "".join(ch if ch.isprintable() else " " for ch in text)  # no control characters reach the terminal
    return text if len(text) <= width else text[: width - 1] + "…"


def render_inspection(found: FileInspection) -> list[str]:
    """What `nps inspect` prints for one file: a person writing their sources.yml reads this."""
    lines = [f"{found.source}/{found.relpath}"]
    lines.append(f"  sources.yml entry: {found.entry or 'none (the profile is detected from the header)'}")
    if found.error:
        return [*lines, f"  ERROR: {found.error}"]
    lines.append(
        f"  profile: {found.profile}   encoding: {found.encoding}   delimiter: {found.delimiter!r}   "
        f"date order: {found.date_order or 'no numeric dates'}   records: {found.rows_in_file:,}"
    )
    lines.append("  mapping (export column → canonical column):")
    width = max((len(export) for export, _ in found.mapping), default=0)
    lines += [f"    {export:<{width}} → {canonical}" for export, canonical in found.mapping]
    lines.append(f"  kept as attributes: {', '.join(found.attributes) if found.attributes else 'none'}")
    lines.append(f"  preview (first {len(found.preview)} mapped rows):")
    for row in found.preview:
        shown = ", ".join(f"{k}={_cell(v)}" for k, v in row.items() if v is not None)
        lines.append(f"    {shown}")
    lines.append(f"  rows that would be rejected: {len(found.rejected_rows)}")
    lines += [
        f"    line {line}: {code} ({field or '-'}): {_cell(why, 160)}" for line, code, field, why in found.rejected_rows
    ]
    lines.append(f"  values that would be emptied: {len(found.rejected_values)}")
    lines += [
        f"    line {line}: {field} {_cell(value)!r}: {code}: {_cell(why, 160)}"
        for line, field, value, code, why in found.rejected_values
    ]
    return lines
