"""Load every new landing file into the raw layer, with lineage, nothing lost (contract sections 2 and 3).

`ingest(landing_dir, warehouse_path, source_tz, sources_file=…, as_of=…)` is the entry point (used by the
Dagster `raw_*` assets). Each file is mapped by its `sources.yml` entry (`ingestion.sources_file`,
`ingestion.mapping`) and checked in one DuckDB pass (`ingestion.validate`). One run is one DuckDB
transaction: killed part-way, the warehouse is as it was and the next run loads the same files again. A
file that cannot be read at all is logged `failed` and the others load; if DuckDB itself fails on a file
mid-run, the transaction is rolled back and the run is redone without it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.columns import SOURCES, Source
from ingestion.dates import OrderDecision
from ingestion.decode import DEFAULT_OPTIONS, ReadOptions
from ingestion.detect import choose_profile
from ingestion.digests import Digest, known_digests, remember, reusable, status_of
from ingestion.lake import export_lake
from ingestion.mapping import FileMapping, date_order_text, decide_orders, map_plan
from ingestion.readers import FileProblem, ReadPlan, plan_for
from ingestion.schema import ensure_schema
from ingestion.sources_file import SourcesConfig, entry_for, load_sources_file
from ingestion.sql import quote_ident, quote_literal
from ingestion.validate import checked_sql

IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")


@dataclass(frozen=True)
class LandingFile:
    source: str
    path: Path
    file_name: str  # relative to the landing folder, with `/`
    size: int
    mtime: datetime
    problem: str | None = None  # why it is never read (a symbolic link leaving the landing folder, a FIFO...)


@dataclass
class FileResult:
    source: str
    file_name: str
    status: str  # loaded | skipped_duplicate | failed | deferred
    file_sha256: str | None = None
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    file_id: int | None = None
    values_rejected: int = 0  # optional fields emptied, listed in quality.rejected_values
    encoding: str | None = None
    delimiter: str | None = None
    profile: str | None = None
    date_order: str | None = None  # e.g. `mdy`, or `sent_at=dmy, churned_at=mdy`; None without numeric dates
    score_min: int | None = None  # the observed NPS score range of the loaded rows (surveys)
    score_max: int | None = None
    most_common_reason: str | None = None  # reason_code of the most frequent row reject
    invitations: bool | None = None  # the rows are invitations (sources.yml `invitations`, else the profile)
    too_many_rejected: bool = False  # refused: more than max_rejected_share of its rows rejected (blocking)
    rejected_share_seen: float = 0.0  # the share of rows rejected when it was refused

    @property
    def rejected_share(self) -> float:
        return self.rows_rejected / self.rows_in_file if self.rows_in_file else 0.0


@dataclass(frozen=True)
class TooManyRejected:
    file_name: str
    share: float
    most_common_reason: str | None


@dataclass
class IngestReport:
    run_id: str
    files: list[FileResult] = field(default_factory=list)
    max_rejected_share: float = 0.10

    def too_many_rejected(self) -> list[TooManyRejected]:
        """Files refused because more than `max_rejected_share` of their rows were rejected (a blocking failure,
        reported by every run until the file loads: its mapping fixed in sources.yml, or the file removed)."""
        return [
            TooManyRejected(f.file_name, f.rejected_share_seen, f.most_common_reason)
            for f in self.files
            if f.too_many_rejected
        ]

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def totals(self, source: str | None = None) -> dict[str, int]:
        chosen = [f for f in self.files if source is None or f.source == source]
        return {
            "files_loaded": sum(f.status == "loaded" for f in chosen),
            "files_skipped": sum(f.status == "skipped_duplicate" for f in chosen),
            "files_failed": sum(f.status == "failed" for f in chosen),
            "rows_loaded": sum(f.rows_loaded for f in chosen),
            "rows_rejected": sum(f.rows_rejected for f in chosen),
            "values_rejected": sum(f.values_rejected for f in chosen),
        }

    def lines(self, source: str | None = None) -> list[str]:
        """One line per file of this run (of `source` only, when given)."""
        out = []
        for f in (f for f in self.files if source is None or f.source == source):
            if f.status == "loaded":
                out.append(
                    f"loaded   {f.file_name}: {f.rows_loaded:,} rows, {f.rows_rejected:,} rejected, "
                    f"{f.values_rejected:,} values emptied"
                )
            elif f.status == "skipped_duplicate":
                out.append(f"skipped  {f.file_name}: same content as a file loaded before")
            elif f.status == "deferred":
                out.append(f"deferred {f.file_name}: {f.reason}")
            else:
                out.append(f"FAILED   {f.file_name}: {f.reason}")
        return out


class _RedoWithout(Exception):
    def __init__(self, file_name: str, reason: str, status: str = "failed") -> None:
        super().__init__(reason)
        self.file_name = file_name
        self.reason = reason
        self.status = status  # failed | deferred


def _unsafe(path: Path, root: Path) -> str | None:
    """Why `path` must not be read (decided from lstat/stat, nothing is opened), or None for a regular file
    or a symbolic link that stays inside the landing folder `root` (resolved)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(root):
            return f"symbolic link to {target} leaves the landing folder: not followed"
        try:
            info = target.stat()
        except OSError:
            return f"symbolic link to {target}, which does not exist"
        if not stat.S_ISREG(info.st_mode):
            return f"symbolic link to {target}, which is not a regular file: not read"
        return None
    if stat.S_ISREG(info.st_mode):
        return None
    kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "a device"
    return f"{kind}, not a regular file: never read"


def _landing_entries(folder: Path) -> Iterable[Path]:
    """Every file, link or special file under `folder`, without following symbolic links to folders
    (a link to a folder is returned itself, to be refused)."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        for name in dirnames:
            if (here / name).is_symlink():
                yield here / name
        for name in filenames:
            yield here / name


def discover(landing_dir: Path, sources: Iterable[str] | None = None) -> list[LandingFile]:
    """Files under `<landing>/<source>/`, per source in order of modification time, then name.
    Hidden files and partial downloads (`.tmp`, `.part`…) are not considered. Symbolic links leaving the
    landing folder, FIFOs and devices are listed with `problem` set (to be logged `failed`), never opened."""
    root = Path(os.path.realpath(landing_dir))
    found: list[LandingFile] = []
    for name in sources or SOURCES:
        folder = Path(landing_dir) / name
        if not folder.is_dir():
            continue
        files = []
        for path in _landing_entries(folder):
            if path.name.startswith(".") or path.name.lower().endswith(IGNORED_SUFFIXES):
                continue
            try:
                problem = _unsafe(path, root)
                info = path.lstat() if problem else path.stat()
            except FileNotFoundError:
                continue  # removed since it was listed
            mtime = datetime.fromtimestamp(info.st_mtime, UTC)
            relative = path.relative_to(landing_dir).as_posix()
            files.append(LandingFile(name, path, relative, info.st_size, mtime, problem))
        found.extend(sorted(files, key=lambda f: (f.mtime, f.file_name)))
    return found


def sha256_of(path: Path) -> str:
    """The sha256 of a regular file's bytes. Anything else (a FIFO, a device) is never opened: its digest
    is that of a marker naming its kind, so callers that only compare digests keep working."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        return hashlib.sha256(f"not a regular file: mode {mode:o}".encode()).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _digest(con: duckdb.DuckDBPyConnection, file: LandingFile, digests: dict[str, Digest]) -> str:
    """The file's sha256: remembered when its status proves it unchanged (`ingestion.digests`), else read."""
    status = status_of(file.path)
    if (sha := reusable(digests.get(file.file_name), status)) is not None:
        return sha
    started = time.time_ns()
    sha = sha256_of(file.path)
    if status is not None and status_of(file.path) == status:  # not written to while it was read
        remember(con, file.file_name, Digest(status, sha, started))
    return sha


@dataclass(frozen=True)
class _Known:
    seen: set[tuple[str, str]]  # (file name, sha256) logged loaded or skipped: not new
    loaded: set[str]  # sha256 of loaded files
    failed: set[tuple[str, str | None, str]]  # (file name, sha256, reason) logged failed: not logged again


def _known_files(con: duckdb.DuckDBPyConnection) -> _Known:
    """What earlier runs logged. No size+mtime shortcut: every file is hashed (a rewrite that keeps the size
    and mtime is new content)."""
    rows = con.execute(
        "select file_name, file_sha256, status, reason from quality.ingestion_log "
        "where status in ('loaded', 'skipped_duplicate', 'failed')"
    ).fetchall()
    return _Known(
        seen={(r[0], r[1]) for r in rows if r[2] != "failed"},
        loaded={r[1] for r in rows if r[2] == "loaded"},
        failed={(r[0], r[1], r[3]) for r in rows if r[2] == "failed"},
    )


@dataclass(frozen=True)
class RunContext:
    """What every file of one run shares."""

    run_id: str
    loaded_at: str  # SQL timestamptz literal
    as_of: str  # SQL timestamptz literal: later than a day after it is an implausible timestamp
    source_tz: str
    sources_config: SourcesConfig
    tmp_dir: Path
    max_rejected_share: float = 0.10


def ts_literal(moment: datetime) -> str:
    return f"'{moment.astimezone(UTC).isoformat()}'::timestamptz"


def _fix_line_numbers(con: duckdb.DuckDBPyConnection, rejects: str, header_lines: int = 1) -> int:
    """DuckDB drops records with a wrong number of fields from the scan: renumber the kept ones so that
    `_line_number` is the record's line (header = 1) again. Returns how many data records were dropped
    (records within the `header_lines` header records are not data)."""
    first = header_lines + 1
    dropped = con.execute(f"select count(distinct line) from {rejects} where line >= {first}").fetchall()[0][0]
    if dropped:
        con.execute(f"""
            update _checked set _line_number = kept.line
            from (
                select line, row_number() over (order by line) + {first - 1} as position
                from range({first}, (select count(*) from _checked) + {dropped} + {first}) as r(line)
                where line not in (select line from {rejects})
            ) as kept
            where _checked._line_number = kept.position""")
    return dropped


FOOTER_BLANK = r'^[\s",;]*$'  # an empty line (or only empty quoted fields) between footer lines


def _skip_footer(con: duckdb.DuckDBPyConnection, rejects: str, patterns: tuple[str, ...]) -> None:
    """Report footer lines (`Grand Totals…`, `Confidential Information…`, `Copyright…` and the blank lines
    among them) are not records: removed from DuckDB's rejects when they come after every record of the file.

    A rejected line L is after every record when the records before it (L - 2, the header being line 1)
    minus the rejected lines before it are all the records DuckDB read, and every later rejected line is a
    footer line too."""
    footer = " or ".join(f"regexp_matches(csv_line, {quote_literal(p)})" for p in (*patterns, FOOTER_BLANK))
    con.execute(f"""
        delete from {rejects} where line in (
            select line from (
                select line, is_footer,
                       bool_and(is_footer) over (order by line rows between current row and unbounded following)
                           as footer_to_end,
                       count(*) over (order by line rows between unbounded preceding and 1 preceding) as rejected_before
                from (select line, bool_and({footer}) as is_footer from {rejects} group by line)
            )
            where footer_to_end and line - 2 - coalesce(rejected_before, 0) = (select count(*) from _checked)
        )""")


def stage_checked(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    plan: ReadPlan,
    mapping: FileMapping,
    orders: dict[str, OrderDecision],
    as_of: str,
) -> int:
    """The file's records checked into the temp table `_checked` in one pass (text → typed values → row reason
    and value rejects, raw record kept for rejects), report footers skipped, line numbers made the file's own.
    Returns how many data records DuckDB dropped as malformed (they stay in `plan.rejects_table`)."""
    sql = checked_sql(
        source,
        plan.relation,
        mapping.mapped,
        raw_record=plan.raw_record,
        malformed_reason=plan.malformed_reason,
        orders={name: d.order for name, d in orders.items()},
        as_of=as_of,
    )
    con.execute(f"create or replace temp table _checked as {sql}")
    if plan.rejects_table and mapping.profile.footer:
        _skip_footer(con, plan.rejects_table, mapping.profile.footer)
    return _fix_line_numbers(con, plan.rejects_table, plan.header_lines) if plan.rejects_table else 0


def _load_file(
    con: duckdb.DuckDBPyConnection,
    file: LandingFile,
    plan: ReadPlan,
    *,
    mapping: FileMapping,
    orders: dict[str, OrderDecision],
    file_id: int,
    sha: str,
    context: RunContext,
) -> FileResult:
    source = SOURCES[file.source]
    run_id, loaded_at = context.run_id, context.loaded_at
    dropped = stage_checked(con, source, plan, mapping, orders, context.as_of)
    lineage = (
        f"{file_id}, {quote_literal(file.file_name)}, {quote_literal(sha)}, {ts_literal(file.mtime)}, "
        f"_line_number, {loaded_at}"
    )
    columns = ", ".join(quote_ident(c.name) for c in source.columns)
    described = {"source_profile": quote_literal(mapping.profile.name)}
    if source.name == "surveys":
        described["is_invitation"] = "true" if mapping.invitations else "false"
    con.execute(f"""
        insert into raw.{source.table}
            ({columns}, attributes, {", ".join(described)},
             _file_id, _file_name, _file_sha256, _file_mtime, _line_number, _loaded_at, _record_version)
        select {columns}, _attributes, {", ".join(described.values())}, {lineage}, _record_version
        from _checked where _reason_code is null""")  # in line order: `_checked` holds the scan's order
    prefix = f"{quote_literal(file.file_name + ', line ')} || _line_number || ': '"
    common = f"{quote_literal(run_id)}, {file_id}, {quote_literal(file.source)}, {quote_literal(file.file_name)}"
    con.execute(f"""
        insert into quality.rejected_rows
        select {common}, _line_number, _reason_code, _reason_field, {prefix} || _reason, _raw_record, {loaded_at}
        from _checked where _reason_code is not null order by _line_number""")
    if dropped:
        con.execute(f"""
            insert into quality.rejected_rows
            select {common}, line, 'malformed_record', null,
                   {quote_literal(file.file_name + ", line ")} || line || ': '
                       || string_agg(distinct error_message, '; '),
                   to_json(any_value(csv_line))::varchar, {loaded_at}
            from {plan.rejects_table} where line > {plan.header_lines} group by line order by line""")
    con.execute(f"""
        insert into quality.rejected_values
            (run_id, file_id, source, file_name, line_number, field, value, reason_code, reason, loaded_at)
        select {common}, _line_number, v.field, v.value, v.code, {prefix} || v.reason, {loaded_at}
        from (select _line_number, unnest(_value_rejects) as v from _checked where _reason_code is null)
        order by _line_number, v.field""")
    score = "nps_score" if any(c.name == "nps_score" for c in source.columns) else "null::integer"
    loaded, rejected, values_rejected, score_min, score_max = con.execute(f"""
        select count(*) filter (where _reason_code is null), count(*) filter (where _reason_code is not null),
               coalesce(sum(len(_value_rejects)), 0), min({score}), max({score})
        from _checked""").fetchall()[0]
    top = con.execute(
        "select reason_code from quality.rejected_rows where file_id = ? group by 1 order by count(*) desc, 1 limit 1",
        [file_id],
    ).fetchall()
    return FileResult(
        file.source,
        file.file_name,
        "loaded",
        sha,
        rows_in_file=loaded + rejected + dropped,
        rows_loaded=loaded,
        rows_rejected=rejected + dropped,
        file_id=file_id,
        values_rejected=int(values_rejected),
        encoding=plan.encoding,
        delimiter=plan.delimiter,
        profile=mapping.profile.name,
        date_order=date_order_text(orders),
        score_min=score_min,
        score_max=score_max,
        most_common_reason=top[0][0] if top else None,
        invitations=mapping.invitations,
    )


LOG_COLUMNS = (
    "file_id, run_id, source, file_name, file_sha256, file_size, file_mtime, status, rows_in_file, rows_loaded, "
    "rows_rejected, reason, loaded_at, values_rejected, encoding, delimiter, profile, date_order, score_min, "
    "score_max, most_common_reason, invitations"
)


def _log(con: duckdb.DuckDBPyConnection, result: FileResult, file: LandingFile, context: RunContext) -> None:
    con.execute(
        f"insert into quality.ingestion_log ({LOG_COLUMNS}) "
        f"values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {context.loaded_at}, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.file_id,
            context.run_id,
            result.source,
            result.file_name,
            result.file_sha256,
            file.size,
            file.mtime,
            result.status,
            result.rows_in_file,
            result.rows_loaded,
            result.rows_rejected,
            result.reason,
            result.values_rejected,
            result.encoding,
            result.delimiter,
            result.profile,
            result.date_order,
            result.score_min,
            result.score_max,
            result.most_common_reason,
            result.invitations,
        ],
    )


def _read_options(entry) -> ReadOptions:
    if entry is None:
        return DEFAULT_OPTIONS
    return ReadOptions(encoding=entry.entry.encoding, sheet=entry.entry.sheet)


def _plan_and_load(
    con: duckdb.DuckDBPyConnection, file: LandingFile, *, file_id: int, sha: str, context: RunContext
) -> FileResult:
    """Read, map and load one file. A file that cannot be read or mapped is a `failed` result; a DuckDB
    error while loading raises `_RedoWithout` (the run is redone without the file)."""
    source = SOURCES[file.source]
    result = FileResult(file.source, file.file_name, "failed", sha, file_id=file_id)
    entry = entry_for(context.sources_config, file.source, file.file_name.split("/", 1)[1])
    con.execute(f"set TimeZone = {quote_literal(context.source_tz)}")
    try:
        plan = plan_for(source, file.path, con.cursor(), context.tmp_dir, f"f{file_id}", _read_options(entry))
        detection, plan = choose_profile(source, plan, entry)
        mapping = map_plan(source, plan, entry, con, detection)
        result.encoding, result.delimiter, result.profile = plan.encoding, plan.delimiter, mapping.profile.name
        con.execute(f"set TimeZone = {quote_literal(mapping.timezone or context.source_tz)}")  # naive timestamps
        orders = decide_orders(con, mapping, plan.relation, file.file_name)
    except FileProblem as problem:
        result.reason = str(problem)
        return result
    except (OSError, EOFError, UnicodeError) as exc:
        result.reason = f"cannot read the file: {exc}"
        return result
    try:
        return _load_file(con, file, plan, mapping=mapping, orders=orders, file_id=file_id, sha=sha, context=context)
    except (duckdb.Error, OSError, EOFError) as exc:
        raise _RedoWithout(file.file_name, f"cannot read the file: {str(exc).splitlines()[0]}") from exc


def _version_key(source: Source) -> str:
    kinds = {c.name: c.kind for c in source.columns}
    parts = [
        f"strftime(timezone('UTC', {quote_ident(n)}), '%Y-%m-%dT%H:%M:%SZ')"
        if kinds[n] == "timestamp"
        else f"{quote_ident(n)}::varchar"
        for n in source.versions_by
    ]
    return parts[0] if len(parts) == 1 else "concat_ws(' @ ', " + ", ".join(parts) + ")"


VERSION_ORDER = "_record_version desc nulls last, _file_mtime desc nulls last, _file_name desc, _line_number desc"


def _superseded_select(source: Source, where: str = "true") -> str:
    """The superseded rows of `source` among the raw rows whose version key passes `where` (over `key`)."""
    key = _version_key(source)
    return f"""
        select {quote_literal(source.name)} as source, key, _file_id, _file_name, _line_number,
               winner_file_id, winner_file, winner_line
        from (
            select key, _file_id, _file_name, _line_number,
                   row_number() over w as version_rank,
                   first_value(_file_id) over w as winner_file_id,
                   first_value(_file_name) over w as winner_file,
                   first_value(_line_number) over w as winner_line
            from (select {key} as key, * from raw.{source.table})
            where {where}
            window w as (partition by key order by {VERSION_ORDER})
        )
        where version_rank > 1"""


def refresh_superseded_rows(con: duckdb.DuckDBPyConnection, loaded: dict[str, list[int]] | None = None) -> None:
    """`quality.superseded_rows` recomputed from raw: every row whose version key has a newer row, newest
    by the record's own version (`_record_version`, e.g. Connect's LastUpdateTimestamp; rows without one
    come after rows with one), then (_file_mtime, _file_name, _line_number) whatever order the files
    arrived in. The same order as the dbt macro `newest_versions`.

    `loaded` (source → ids of the files this run loaded): only the version keys those files hold are
    recomputed (no other key's versions changed since the table was last refreshed, in the same transaction
    as the rows it was refreshed from); None recomputes every key. Either way the table ends up the same,
    in the same order: per source (in `SOURCES` order), by key, file name, line."""
    if loaded is None:
        con.execute("delete from quality.superseded_rows")
        for source in SOURCES.values():
            con.execute(
                f"insert into quality.superseded_rows {_superseded_select(source)} "
                "order by key, _file_name, _line_number, _file_id"
            )
        return
    changed = {name: ids for name, ids in loaded.items() if ids}
    if not changed:
        return
    parts = []
    for name, ids in changed.items():
        source = SOURCES[name]
        id_list = ", ".join(str(int(i)) for i in ids)
        con.execute(f"""
            create or replace temp table "_keys_{name}" as
            select distinct {_version_key(source)} as key from raw.{source.table} where _file_id in ({id_list})""")
        parts.append(_superseded_select(source, f'key in (select key from "_keys_{name}")'))
    kept = " and ".join(
        f'not (source = {quote_literal(name)} and key in (select key from "_keys_{name}"))' for name in changed
    )
    rank = "case source " + " ".join(f"when {quote_literal(n)} then {i}" for i, n in enumerate(SOURCES)) + " end"
    con.execute(f"""
        create or replace temp table _superseded as
        select * from quality.superseded_rows where {kept}
        union all {" union all ".join(parts)}""")
    con.execute("delete from quality.superseded_rows")
    con.execute(f"""
        insert into quality.superseded_rows
        select * from _superseded order by {rank}, key, file_name, line_number, file_id""")
    con.execute("drop table _superseded")
    for name in changed:
        con.execute(f'drop table "_keys_{name}"')


def _refuse_for_rejects(con: duckdb.DuckDBPyConnection, result: FileResult, max_share: float) -> FileResult:
    """A file with more than `max_share` of its rows rejected is not loaded at all (contract section 3): a
    mapping problem (a wrong `date_order`, a column mapped to the wrong header) rather than bad rows, so it is
    refused whole, and loads once sources.yml is fixed (a loaded file would never be read again)."""
    example = con.execute(
        "select reason from quality.rejected_rows where file_id = ? and reason_code = ? order by line_number limit 1",
        [result.file_id, result.most_common_reason],
    ).fetchall()
    for table in (*(f"raw.{s.table}" for s in SOURCES.values()), "quality.rejected_rows", "quality.rejected_values"):
        column = "_file_id" if table.startswith("raw.") else "file_id"
        con.execute(f"delete from {table} where {column} = ?", [result.file_id])
    share = result.rejected_share
    result.reason = (
        f"{share:.0%} of its {result.rows_in_file:,} rows would be rejected, more than NPS_MAX_REJECTED_SHARE "
        f"({max_share:.0%}); most common reason {result.most_common_reason}"
        + (f" (e.g. {example[0][0]})" if example else "")
        + f"; nothing of it was loaded: check the mapping with `nps inspect {result.file_name}` and sources.yml"
    )
    result.status, result.too_many_rejected, result.rejected_share_seen = "failed", True, share
    result.rows_loaded = result.rows_rejected = result.values_rejected = 0
    return result


def _changed(file: LandingFile) -> str | None:
    """Why `file` is not as `discover` saw it (size or mtime changed, removed), or None."""
    try:
        info = file.path.stat()
    except FileNotFoundError:
        return "removed while it was read"
    if info.st_size != file.size or datetime.fromtimestamp(info.st_mtime, UTC) != file.mtime:
        return "changed while it was read (size or modification time): a later run loads it"
    return None


def _gate(file: LandingFile, settle_seconds: float, now: datetime) -> tuple[str, str] | None:
    """(status, reason) for a file that is not read at all this run, decided without opening it."""
    if file.problem is not None:
        return "failed", file.problem
    age = (now - file.mtime).total_seconds()
    if settle_seconds > 0 and age < settle_seconds:
        return "deferred", f"changed {max(age, 0):.0f} s ago, less than NPS_FILE_SETTLE_SECONDS={settle_seconds:g}"
    return None


def _run_once(
    con: duckdb.DuckDBPyConnection,
    files: list[LandingFile],
    redo: dict[str, tuple[str, str]],
    context: RunContext,
    on_file_done: Callable[[FileResult], None] | None,
    settle_seconds: float = 0,
) -> list[FileResult]:
    had_superseded = bool(
        con.execute(
            "select 1 from duckdb_tables() where schema_name = 'quality' and table_name = 'superseded_rows'"
        ).fetchall()
    )
    ensure_schema(con)
    now = datetime.now(UTC)
    known = _known_files(con)
    digests = known_digests(con)
    next_id = con.execute("select coalesce(max(file_id), 0) + 1 from quality.ingestion_log").fetchall()[0][0]
    results: list[FileResult] = []
    for file in files:
        result = FileResult(file.source, file.file_name, "failed", None, file_id=next_id)
        gated = _gate(file, settle_seconds, now)
        if gated is None:
            try:
                result.file_sha256 = sha = _digest(con, file, digests)
            except FileNotFoundError:
                gated = ("deferred", "removed while it was read")
            else:
                if (file.file_name, sha) in known.seen:
                    continue  # logged by an earlier run: not new
                gated = redo.get(file.file_name) or (("deferred", why) if (why := _changed(file)) else None)
        if gated is not None:
            result.status, result.reason = gated
        elif sha in known.loaded:
            result.status = "skipped_duplicate"
            result.reason = "same sha256 as a file loaded before"
        else:
            result = _plan_and_load(con, file, file_id=next_id, sha=sha, context=context)
            if result.status == "loaded" and result.rejected_share > context.max_rejected_share:
                result = _refuse_for_rejects(con, result, context.max_rejected_share)
            if result.status == "loaded":
                if why := _changed(file):
                    raise _RedoWithout(file.file_name, why, status="deferred")
                known.loaded.add(sha)
        if result.status == "failed" and (file.file_name, result.file_sha256, result.reason) in known.failed:
            if result.too_many_rejected:  # logged once, but blocking in every run until it loads
                results.append(result)
            continue  # the same content failed for the same reason before: logged once
        _log(con, result, file, context)
        if result.status in ("loaded", "skipped_duplicate"):
            known.seen.add((file.file_name, result.file_sha256))
        elif result.status == "failed":
            known.failed.add((file.file_name, result.file_sha256, result.reason))
        results.append(result)
        next_id += 1
        if on_file_done is not None:
            on_file_done(result)
    loaded: dict[str, list[int]] = {}
    for result in results:
        if result.status == "loaded" and result.file_id is not None:
            loaded.setdefault(result.source, []).append(result.file_id)
    # a table created by this run (a warehouse of the previous release) is computed whole
    refresh_superseded_rows(con, loaded if had_superseded else None)
    return results


def ingest(
    landing_dir: Path,
    warehouse_path: Path,
    source_tz: str = "UTC",
    sources: Iterable[str] | None = None,
    *,
    sources_file: Path | None = None,
    as_of: datetime | None = None,
    max_rejected_share: float = 0.10,
    on_file_done: Callable[[FileResult], None] | None = None,
    memory_limit: str | None = None,
    settle_seconds: float = 0,
    lake_dir: Path | None = None,
) -> IngestReport:
    """Load every new file of `sources` (default all) into `raw`, in one transaction.

    `sources_file` is the `sources.yml` (default `<landing>/sources.yml`; none is fine); an invalid one raises
    `SourcesFileError` before anything is read. `as_of` (default now) bounds plausible timestamps.
    `max_rejected_share` (NPS_MAX_REJECTED_SHARE): a file with more of its rows rejected is refused whole, and
    listed by `IngestReport.too_many_rejected()` in this run and every later one until it loads (the caller blocks).
    `on_file_done` is called after each file inside the transaction (progress; tests kill the run there).
    `memory_limit` (e.g. "4GB") caps DuckDB's memory; beyond it DuckDB spills.
    `settle_seconds` (NPS_FILE_SETTLE_SECONDS): a file modified less than that long ago is `deferred`.
    `lake_dir` (default `<warehouse folder>/lake`): after the commit, each loaded file's raw rows and the quality
    tables are also written there as Parquet (`ingestion.lake`), the sources of engines other than DuckDB.
    """
    unknown = set(sources or ()) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown source(s) {sorted(unknown)}: choose from {', '.join(SOURCES)}")
    config = load_sources_file(Path(sources_file) if sources_file else Path(landing_dir) / "sources.yml")
    Path(warehouse_path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse_path), config={"memory_limit": memory_limit} if memory_limit else {})
    report = IngestReport(run_id=uuid.uuid4().hex[:12], max_rejected_share=max_rejected_share)
    try:
        con.execute(f"set TimeZone = {quote_literal(source_tz)}")
        files = discover(Path(landing_dir), sources)
        redo_files: dict[str, tuple[str, str]] = {}
        with tempfile.TemporaryDirectory(prefix="nps-ingest-") as tmp:
            context = RunContext(
                run_id=report.run_id,
                loaded_at=ts_literal(datetime.now(UTC)),
                as_of=ts_literal(as_of or datetime.now(UTC)),
                source_tz=source_tz,
                sources_config=config,
                tmp_dir=Path(tmp),
                max_rejected_share=max_rejected_share,
            )
            while True:
                con.execute("begin transaction")
                try:
                    report.files = _run_once(con, files, redo_files, context, on_file_done, settle_seconds)
                    con.execute("commit")
                    break
                except _RedoWithout as redo:
                    con.execute("rollback")
                    redo_files[redo.file_name] = (redo.status, redo.reason)
                except BaseException:
                    con.execute("rollback")
                    raise
        export_lake(con, Path(lake_dir) if lake_dir else Path(warehouse_path).parent / "lake")
    finally:
        con.close()
    return report
