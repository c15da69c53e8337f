"""How to read one landing file with DuckDB: a relation of text columns, the header mapping, the raw record.

Python only looks at the first bytes of a file (header, delimiter) and, for CSV, checks the encoding by
streaming the bytes; every record is read, parsed and validated by DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.columns import Source
from ingestion.decode import DEFAULT_OPTIONS, ReadOptions
from ingestion.validate import quote_ident, quote_literal

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".parquet")
CHUNK = 1 << 22


class FileProblem(Exception):
    """The file cannot be read at all (not text, no header, a required column missing...)."""


@dataclass(frozen=True)
class ReadPlan:
    relation: str  # SQL usable in FROM: raw text columns, `_line_number` and `_malformed`
    columns: list[tuple[str, str]]  # every export column in file order: header (or JSON key path) → SQL text
    raw_record: str  # SQL: the whole record as read, as JSON text
    malformed_reason: str  # SQL: why a record is malformed (used where `_malformed`)
    rejects_table: str | None = None  # DuckDB's CSV rejects for records with a wrong number of fields
    encoding: str = "utf-8"  # what `quality.ingestion_log.encoding` says, e.g. `cp1252+cp850 (repaired)`
    delimiter: str | None = None  # CSV only
    file_format: str = "csv"  # csv | parquet | json | xlsx (JSON columns may spell one canonical column twice)


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in SUPPORTED_SUFFIXES:
        if name.endswith(suffix):
            return suffix.lstrip(".")
    return None


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def detect_encoding(path: Path) -> str:
    """`utf-8` when the whole file decodes as UTF-8, else `cp1252` (Windows-1252), else `latin-1`."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with _open_bytes(path) as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    decoder = codecs.getincrementaldecoder("cp1252")()
    try:
        with _open_bytes(path) as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def transcode_to_utf8(path: Path, encoding: str, out: Path) -> Path:
    """Stream `path` (maybe gzipped) decoded from `encoding` into an uncompressed UTF-8 file `out`."""
    with _open_bytes(path) as src, out.open("wb") as dst:
        reader = codecs.getreader(encoding)(src)
        writer = codecs.getwriter("utf-8")(dst)
        shutil.copyfileobj(reader, writer, CHUNK)
    return out


def read_header(path: Path, encoding: str) -> tuple[list[str], str]:
    """Header fields and delimiter (`,` `;` or tab: the most frequent in the header line)."""
    with _open_bytes(path) as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise FileProblem("the file is empty: no header line")
    if b"\x00" in head:
        raise FileProblem("not a text file (contains NUL bytes)")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max((",", ";", "\t"), key=first_line.count)
    fields = next(csv.reader([first_line], delimiter=delimiter), [])
    if not any(f.strip() for f in fields):
        raise FileProblem("the first line is empty: no header")
    return fields, delimiter


def _json_object(pairs: list[tuple[str, str]]) -> str:
    return "json_object(" + ", ".join(f"{quote_literal(k)}, {v}" for k, v in pairs) + ")::varchar"


def csv_plan(source: Source, path: Path, tmp_dir: Path, tag: str) -> ReadPlan:
    encoding = source_encoding = detect_encoding(path)
    read_path = path
    if encoding != "utf-8":
        read_path = transcode_to_utf8(path, encoding, tmp_dir / f"{tag}.csv")
        encoding = "utf-8"
    headers, delimiter = read_header(read_path, encoding)
    names = [f"c{i}" for i in range(len(headers))]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    rejects = f"_rejects_{tag}"
    read = (
        f"read_csv({quote_literal(str(read_path))}, columns = {columns}, header = true, auto_detect = false, "
        f"delim = {quote_literal(delimiter)}, quote = '\"', escape = '\"', compression = 'auto', "
        f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan')"
    )
    relation = f"(select *, row_number() over () + 1 as _line_number, false as _malformed from {read})"
    return ReadPlan(
        relation=relation,
        columns=list(zip(headers, names, strict=True)),
        raw_record=_json_object([(h or f"column_{i + 1}", names[i]) for i, h in enumerate(headers)]),
        malformed_reason="null",
        rejects_table=rejects,
        encoding=source_encoding,
        delimiter=delimiter,
    )


def parquet_plan(source: Source, path: Path, con: duckdb.DuckDBPyConnection) -> ReadPlan:
    try:
        described = con.execute(f"describe select * from read_parquet({quote_literal(str(path))})").fetchall()
    except duckdb.Error as exc:
        raise FileProblem(f"not a readable Parquet file ({str(exc).splitlines()[0]})") from exc
    headers = [row[0] for row in described]
    names = [f"c{i}" for i in range(len(headers))]
    select = ", ".join(f"{quote_ident(h)}::varchar as {n}" for h, n in zip(headers, names, strict=True))
    relation = (
        f"(select {select}, row_number() over () as _line_number, false as _malformed "
        f"from read_parquet({quote_literal(str(path))}))"
    )
    return ReadPlan(
        relation=relation,
        columns=list(zip(headers, names, strict=True)),
        raw_record=_json_object(list(zip(headers, names, strict=True))),
        malformed_reason="null",
        encoding="binary",
        file_format="parquet",
    )


def _lines(path: Path) -> str:
    return (
        f"read_csv({quote_literal(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"auto_detect = false, delim = chr(31), quote = '', escape = '', compression = 'auto')"
    )


def jsonl_plan(source: Source, path: Path, con: duckdb.DuckDBPyConnection) -> ReadPlan:
    valid = "json_valid(line) and json_type(line) = 'OBJECT'"
    try:
        keys = [
            row[0]
            for row in con.execute(
                f"select distinct unnest(json_keys(line)) from {_lines(path)} where {valid} order by 1"
            ).fetchall()
        ]
    except duckdb.Error as exc:
        raise FileProblem(f"not a readable JSON lines file ({str(exc).splitlines()[0]})") from exc
    if not keys:
        raise FileProblem("no JSON object found in the file")
    relation = (
        f"(select line, _line_number, _j, _j is null as _malformed from ("
        f"select line, row_number() over () as _line_number, case when {valid} then line::json end as _j "
        f"from {_lines(path)}) where nullif(trim(line), '') is not null)"
    )
    return ReadPlan(
        relation=relation,
        columns=[(k, f"_j ->> {quote_literal(k)}") for k in keys],
        raw_record="to_json(line)::varchar",
        malformed_reason="'not a JSON object: ' || left(line, 200)",
        file_format="json",
    )


def plan_for(
    source: Source,
    path: Path,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    tag: str,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> ReadPlan:
    """How to read `path` as text columns. No header mapping here (see `ingestion.mapping.map_plan`)."""
    fmt = file_format(path)
    if fmt in ("csv", "csv.gz"):
        return csv_plan(source, path, tmp_dir, tag)
    if fmt == "parquet":
        return parquet_plan(source, path, con)
    if fmt == "jsonl":
        return jsonl_plan(source, path, con)
    raise FileProblem(f"unsupported file type (expected one of {', '.join(SUPPORTED_SUFFIXES)})")
