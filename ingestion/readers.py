"""How to read one landing file with DuckDB: a relation of text columns, every export column, the raw record.

No header mapping here (see `ingestion.mapping`). Python streams the bytes once to detect the encoding and
line endings (`ingestion.decode`) and transcodes to UTF-8 with LF when DuckDB cannot read them as they are;
every record is read and parsed by DuckDB. DuckDB expands globs in every path it is given, so it only ever
reads files under safe names in the run's temporary folder (a transcoded copy or a symbolic link).

`_line_number` of a CSV record is its record number counting the header as 1 (DuckDB numbers the records it
rejects the same way): it is the physical line where the record starts as long as no earlier quoted field
spans lines. Parquet and JSON arrays: the row's position (first = 1); JSON lines: the physical line.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

from ingestion.columns import Source
from ingestion.decode import DEFAULT_OPTIONS, ReadOptions, detect, open_bytes, transcode
from ingestion.profiles import SINGLE_HEADER, Layout
from ingestion.validate import quote_ident, quote_literal

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".jsonl", ".json", ".parquet", ".xlsx")
# A JSON line or CSV record may be this long (DuckDB's default is 2 MB). Only for uncompressed files: on a
# compressed one DuckDB allocates 16 times this up front (DuckDB 2.0), so `.csv.gz` keeps the default.
MAX_LINE_SIZE = 1 << 28
# DuckDB's CSV reader otherwise buffers 16 times max_line_size, capped at the file's size: a 3.4 GB export took one
# 3.1 GiB block (out of memory under a 3 GB limit, and most of a 4 GB one). One record's maximum as the buffer keeps
# the reader's memory independent of the file's size (about 0.8 GB at most, measured on 20M calls, same speed).
CSV_BUFFER_SIZE = MAX_LINE_SIZE


class FileProblem(Exception):
    """The file cannot be read at all (not text, no header, a required column missing...)."""


@dataclass(frozen=True)
class ReadPlan:
    relation: str  # SQL usable in FROM: raw text columns, `_line_number` and `_malformed`
    columns: list[tuple[str, str]]  # every export column in file order: header (or JSON key path) → SQL text
    raw_record: str  # SQL: the whole record as read, as JSON text
    malformed_reason: str  # SQL: why a record is malformed (used where `_malformed`)
    rejects_table: str | None = None  # DuckDB's CSV rejects for records with a wrong number of fields
    encoding: str = (
        "utf-8"  # for `quality.ingestion_log.encoding`, e.g. `cp1252+cp850 (repaired)`; `binary`: Parquet, xlsx
    )
    delimiter: str | None = None  # CSV only
    file_format: str = "csv"  # csv | parquet | json | xlsx (JSON columns may spell one canonical column twice)
    head: tuple[tuple[str, ...], ...] = ()  # CSV/XLSX: the first records as read (header rows for detection)
    aliases: tuple[tuple[str, ...], ...] = ()  # per column: its other names (other header rows, ImportId)
    header_lines: int = 1  # CSV/XLSX: header records before the data (0 for JSON and Parquet)
    timezone: str | None = None  # the zone the file states for its naive timestamps (Qualtrics' ImportId row)

    def names_of(self, position: int) -> tuple[str, ...]:
        """Every name of a column: its header, then its aliases."""
        extra = self.aliases[position] if position < len(self.aliases) else ()
        return (self.columns[position][0], *extra)


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in SUPPORTED_SUFFIXES:
        if name.endswith(suffix):
            return suffix.lstrip(".")
    return None


def safe_name(path: Path, tmp_dir: Path, tag: str, suffix: str) -> Path:
    """A symbolic link to `path` named `<tag><suffix>` in `tmp_dir`: no glob characters reach DuckDB."""
    link = tmp_dir / f"{tag}{suffix}"
    link.unlink(missing_ok=True)
    os.symlink(path.resolve(), link)
    return link


def utf8_copy(path: Path, tmp_dir: Path, tag: str, options: ReadOptions, suffix: str) -> tuple[Path, str]:
    """A safe-named path DuckDB can read as UTF-8 with consistent line endings, and the encoding label."""
    detected = detect(path, options)
    if not detected.needs_transcoding:
        compressed = ".gz" if path.name.lower().endswith(".gz") else ""
        return safe_name(path, tmp_dir, tag, suffix + compressed), detected.encoding
    out = tmp_dir / f"{tag}{suffix}"
    try:
        label = transcode(path, detected, out)
    except UnicodeDecodeError as exc:
        raise FileProblem(
            f"does not decode as {detected.encoding} (byte {exc.object[exc.start : exc.start + 1]!r}); "
            "check `encoding` in sources.yml"
        ) from exc
    except LookupError as exc:
        raise FileProblem(f"unknown encoding {detected.encoding!r} (`encoding` in sources.yml)") from exc
    return out, label


def read_header(path: Path) -> tuple[list[str], str]:
    """Header fields and delimiter (`,` `;` or tab: the most frequent in the header line) of a UTF-8 file."""
    with open_bytes(path) as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise FileProblem("the file is empty: no header line")
    if b"\x00" in head:
        raise FileProblem("not a text file (contains NUL bytes)")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max((",", ";", "\t"), key=first_line.count)
    fields = next(csv.reader([first_line], delimiter=delimiter), [])
    if not any(f.strip() for f in fields):
        raise FileProblem("the first line is empty: no header")
    return fields, delimiter


HEAD_RECORDS = 6  # records read for detection (header rows and a few data rows)


def read_head(path: Path, delimiter: str) -> tuple[tuple[str, ...], ...]:
    """The first records of a UTF-8 CSV file, parsed (quoted fields may span lines), BOM removed."""
    with open_bytes(path) as fh:
        text = fh.read(1 << 16).decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut by the read
    rows: list[tuple[str, ...]] = []
    try:
        for row in csv.reader(lines, delimiter=delimiter):
            rows.append(tuple(row))
            if len(rows) == HEAD_RECORDS:
                break
    except csv.Error:
        pass
    return tuple(rows)


def _meta_cell(cell: str) -> dict[str, str]:
    """A Qualtrics ImportId cell `{"ImportId":"QID1","timeZone":"America/Denver"}` as a dict ({} if not one)."""
    try:
        value = json.loads(cell)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _padded(row: tuple[str, ...], width: int) -> list[str]:
    return [*row[:width], *([""] * (width - len(row)))]


def with_layout(plan: ReadPlan, layout: Layout) -> ReadPlan:
    """The plan of a CSV/XLSX file whose header takes `layout.header_rows` records: the extra header records
    are not data (not counted, not rejected; line numbers stay those of the file), columns are named by
    `layout.name_row` (with continuation columns `<question> - <row 2>`), every header row's other cells and
    each ImportId are aliases, and the ImportId row's `timeZone` is the file's zone."""
    if layout == SINGLE_HEADER or plan.file_format not in ("csv", "xlsx"):
        return plan
    width = len(plan.columns)
    rows = [_padded(r, width) for r in plan.head[: layout.header_rows]]
    rows += [[""] * width] * (layout.header_rows - len(rows))
    meta = [_meta_cell(c) for c in rows[layout.meta_row - 1]] if layout.meta_row else [{} for _ in range(width)]
    named = rows[layout.name_row - 1]
    names: list[str] = []
    for i in range(width):
        name = named[i].strip()
        if layout.continuation and len(rows) > 1:
            question = next((named[j].strip() for j in range(i, -1, -1) if named[j].strip()), "")
            continued = i + 1 < width and not named[i + 1].strip() and bool(rows[1][i + 1].strip())
            if (not name or continued) and question and rows[1][i].strip():
                name = f"{question} - {rows[1][i].strip()}"
        names.append(name or f"column_{i + 1}")
    aliases = []
    for i in range(width):
        cells = [r[i].strip() for n, r in enumerate(rows, 1) if n != layout.meta_row] + [meta[i].get("ImportId", "")]
        aliases.append(tuple(dict.fromkeys(c for c in cells if c and c != names[i])))
    zone = next((m["timeZone"] for m in meta if m.get("timeZone")), None)
    sql_names = [sql for _, sql in plan.columns]
    skip = layout.header_rows
    return replace(
        plan,
        relation=f"(select * from {plan.relation} where _line_number > {skip})",
        columns=list(zip(names, sql_names, strict=True)),
        raw_record=_json_object(list(zip(names, sql_names, strict=True))),
        aliases=tuple(aliases),
        header_lines=skip,
        timezone=zone or plan.timezone,
    )


def _json_object(pairs: list[tuple[str, str]]) -> str:
    return "json_object(" + ", ".join(f"{quote_literal(k)}, {v}" for k, v in pairs) + ")::varchar"


def _csv_relation(read_path: Path, tag: str, *, encoding: str, file_format_name: str = "csv") -> ReadPlan:
    headers, delimiter = read_header(read_path)
    names = [f"c{i}" for i in range(len(headers))]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    rejects = f"_rejects_{tag}"
    line_size = (
        "" if read_path.name.endswith(".gz") else f"max_line_size = {MAX_LINE_SIZE}, buffer_size = {CSV_BUFFER_SIZE}, "
    )
    read = (
        f"read_csv({quote_literal(str(read_path))}, columns = {columns}, header = true, auto_detect = false, "
        f"delim = {quote_literal(delimiter)}, quote = '\"', escape = '\"', compression = 'auto', {line_size}"
        f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan')"
    )
    relation = f"(select *, row_number() over () + 1 as _line_number, false as _malformed from {read})"
    return ReadPlan(
        relation=relation,
        columns=list(zip(headers, names, strict=True)),
        raw_record=_json_object([(h or f"column_{i + 1}", names[i]) for i, h in enumerate(headers)]),
        malformed_reason="null",
        rejects_table=rejects,
        encoding=encoding,
        delimiter=delimiter,
        file_format=file_format_name,
        head=read_head(read_path, delimiter),
    )


def csv_plan(path: Path, tmp_dir: Path, tag: str, options: ReadOptions = DEFAULT_OPTIONS) -> ReadPlan:
    read_path, encoding = utf8_copy(path, tmp_dir, tag, options, ".csv")
    return _csv_relation(read_path, tag, encoding=encoding)


def cell_text(value: object) -> str:
    """An `.xlsx` cell as text without loss: `9` not `9.0`, ISO datetimes and dates, empty cells empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def xlsx_plan(path: Path, tmp_dir: Path, tag: str, options: ReadOptions = DEFAULT_OPTIONS) -> ReadPlan:
    """The first sheet (or `options.sheet`) written as a UTF-8 CSV in `tmp_dir`, then read as CSV."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        if options.sheet is not None and options.sheet not in names:
            raise FileProblem(f"no sheet named {options.sheet!r} (sheets: {', '.join(map(repr, names))})")
        sheet = workbook.get_sheet_by_name(options.sheet) if options.sheet else workbook.get_sheet_by_index(0)
        out = tmp_dir / f"{tag}.csv"
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
            for row in sheet.iter_rows():
                writer.writerow([cell_text(v).replace("\r\n", "\n").replace("\r", "\n") for v in row])
    except CalamineError as exc:
        raise FileProblem(f"not a readable .xlsx workbook ({exc})") from exc
    return _csv_relation(out, tag, encoding="binary", file_format_name="xlsx")


def parquet_plan(path: Path, con: duckdb.DuckDBPyConnection, tmp_dir: Path, tag: str) -> ReadPlan:
    link = quote_literal(str(safe_name(path, tmp_dir, tag, ".parquet")))
    try:
        described = con.execute(f"describe select * from read_parquet({link})").fetchall()
    except duckdb.Error as exc:
        raise FileProblem(f"not a readable Parquet file ({str(exc).splitlines()[0]})") from exc
    headers = [row[0] for row in described]
    names = [f"c{i}" for i in range(len(headers))]
    select = ", ".join(f"{quote_ident(h)}::varchar as {n}" for h, n in zip(headers, names, strict=True))
    relation = f"(select {select}, row_number() over () as _line_number, false as _malformed from read_parquet({link}))"
    return ReadPlan(
        relation=relation,
        columns=list(zip(headers, names, strict=True)),
        raw_record=_json_object(list(zip(headers, names, strict=True))),
        malformed_reason="null",
        encoding="binary",
        file_format="parquet",
        header_lines=0,
    )


def _lines(path: Path) -> str:
    """Every physical line of a UTF-8 LF file as one text column (NUL, the field separator, cuts a line)."""
    return (
        f"read_csv({quote_literal(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"auto_detect = false, delim = chr(0), quote = '', escape = '', compression = 'auto', "
        f"max_line_size = {MAX_LINE_SIZE}, buffer_size = {CSV_BUFFER_SIZE}, strict_mode = false)"
    )


def _starts_with_array(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")


def json_paths(con: duckdb.DuckDBPyConnection, records: str) -> list[tuple[str, str]]:
    """(display path `Parent.Child`, JSON path `$."Parent"."Child"`) of every leaf in `records` (columns `_j`,
    `_line_number`), in order of first appearance; arrays are leaves (kept as JSON text)."""
    rows = con.execute(f"""
        select t.fullkey, min([r._line_number, t.id]) as first_seen
        from (select _j, _line_number from {records} where _j is not null) as r, json_tree(r._j) as t
        where t.type <> 'OBJECT' and not regexp_matches(t.fullkey, '\\[\\d+\\]')
        group by t.fullkey order by first_seen""").fetchall()
    paths = [r[0] for r in rows]
    parents = {p[:i] for p in paths for i, ch in enumerate(p) if ch == "." and i > 1}
    kept = [p for p in paths if p not in parents]  # `Agent` null here, an object elsewhere: keep its leaves
    return [(_display(p), p) for p in kept]


def json_key(key: str) -> str:
    """A JSON object key as one JSONPath segment (`"..."`)."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _display(fullkey: str) -> str:
    """`$.person."x.y"` → `person.x.y`."""
    segments: list[str] = []
    rest = fullkey[2:]
    while rest:
        if rest.startswith('"'):
            end = rest.index('"', 1)
            segments.append(rest[1:end])
            rest = rest[end + 1 :].removeprefix(".")
        else:
            head, _, rest = rest.partition(".")
            segments.append(head)
    return ".".join(segments)


def _envelope_key(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """The key of a `.json` file's record array when the file is one object wrapping its records (Talkdesk's
    legacy `{"entries": [...], "total": n}`): exactly one object, exactly one of its keys holding an array of
    objects and none holding an object. None for any other file."""
    with path.open("rb") as fh:
        if not fh.read(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return None
    try:
        rows = con.execute(f"""
            select o.n, e.key, e.type,
                   e.type = 'ARRAY' and json_array_length(e.value) > 0
                       and json_type(e.value, '$[0]') = 'OBJECT' as holds_records
            from (select row_number() over () as n, json
                  from read_json_objects({quote_literal(str(path))}, format = 'unstructured',
                                         maximum_object_size = {MAX_LINE_SIZE})) as o,
                 json_each(o.json) as e""").fetchall()
    except duckdb.Error:
        return None
    holders = [r[1] for r in rows if r[3]]
    if {r[0] for r in rows} != {1} or len(holders) != 1 or any(r[2] == "OBJECT" for r in rows):
        return None
    return holders[0]


def json_plan(path: Path, con: duckdb.DuckDBPyConnection, tmp_dir: Path, tag: str, options: ReadOptions) -> ReadPlan:
    """`.jsonl`, or `.json` with one object per line: each line is a record; a line that is not a JSON object
    is a malformed record (the others load). `.json` holding an array: each element is a record; one object
    wrapping the array (`{"entries": [...], "total": n}`): each element of the array is a record."""
    read_path, encoding = utf8_copy(path, tmp_dir, tag, options, ".jsonl")
    valid = "json_valid(line) and json_type(line) = 'OBJECT'"
    envelope = _envelope_key(con, read_path) if path.name.lower().endswith(".json") else None
    if envelope is not None:
        source = (
            f"read_json_objects({quote_literal(str(read_path))}, format = 'unstructured', "
            f"maximum_object_size = {MAX_LINE_SIZE})"
        )
        elements = f"json_each(o.json, {quote_literal('$.' + json_key(envelope))})"
        records = (
            f"(select line, _line_number, case when {valid} then line::json end as _j, not ({valid}) as _malformed "
            f"from (select e.value::varchar as line, e.key::bigint + 1 as _line_number "
            f"from {source} as o, {elements} as e))"
        )
    elif path.name.lower().endswith(".json") and _starts_with_array(read_path):
        source = (
            f"read_json_objects({quote_literal(str(read_path))}, format = 'array', "
            f"maximum_object_size = {MAX_LINE_SIZE})"
        )
        records = (
            f"(select line, _line_number, case when {valid} then line::json end as _j, not ({valid}) as _malformed "
            f"from (select json::varchar as line, row_number() over () as _line_number from {source}))"
        )
    else:
        records = (
            f"(select line, _line_number, _j, _j is null as _malformed from ("
            f"select line, row_number() over () as _line_number, case when {valid} then line::json end as _j "
            f"from {_lines(read_path)}) where nullif(trim(line), '') is not null)"
        )
    try:
        paths = json_paths(con, records)
    except duckdb.Error as exc:
        raise FileProblem(f"not a readable JSON file ({str(exc).splitlines()[0]})") from exc
    if not paths:
        raise FileProblem("no JSON object found in the file")
    return ReadPlan(
        relation=records,
        columns=[(name, f"(_j ->> {quote_literal(json_path)})") for name, json_path in paths],
        raw_record="to_json(line)::varchar",
        malformed_reason="'not a JSON object: ' || left(line, 200)",
        encoding=encoding,
        file_format="json",
        header_lines=0,
    )


def plan_for(
    source: Source,
    path: Path,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    tag: str,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> ReadPlan:
    """How to read `path` as text columns. No header mapping here (see `ingestion.mapping.map_plan`);
    `source` is not used by the readers (kept for the mapper's profiles)."""
    fmt = file_format(path)
    if fmt in ("csv", "csv.gz", "tsv", "tsv.gz"):  # the delimiter is read from the header either way
        return csv_plan(path, tmp_dir, tag, options)
    if fmt == "parquet":
        return parquet_plan(path, con, tmp_dir, tag)
    if fmt in ("jsonl", "json"):
        return json_plan(path, con, tmp_dir, tag, options)
    if fmt == "xlsx":
        return xlsx_plan(path, tmp_dir, tag, options)
    raise FileProblem(f"unsupported file type (expected one of {', '.join(SUPPORTED_SUFFIXES)})")
