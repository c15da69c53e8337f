"""Load every new landing file into the raw layer, with lineage, nothing lost (contract sections 2 and 3).

`ingest(landing_dir, warehouse_path, source_tz)` is the entry point (used by the Dagster `raw_*` assets and
`nps ingest`). One run is one DuckDB transaction: killed part-way, the warehouse is as it was and the next
run loads the same files again. A file that cannot be read at all is logged `failed` and the others load;
if DuckDB itself fails on a file mid-run, the transaction is rolled back and the run is redone without it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.columns import SOURCES, Source
from ingestion.mapping import map_plan
from ingestion.readers import FileProblem, ReadPlan, plan_for
from ingestion.schema import ensure_schema
from ingestion.validate import quote_ident, quote_literal, reason_select, text_select, typed_select

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


@dataclass
class IngestReport:
    run_id: str
    files: list[FileResult] = field(default_factory=list)

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
        }

    def lines(self) -> list[str]:
        out = []
        for f in self.files:
            if f.status == "loaded":
                out.append(f"loaded   {f.file_name}: {f.rows_loaded:,} rows, {f.rows_rejected:,} rejected")
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


def _checked_sql(source: Source, plan: ReadPlan, mapped: dict[str, str]) -> str:
    """One pass over the file: text → typed values → first failing check, raw record kept for rejects."""
    typed = ", ".join(quote_ident(c.name) for c in source.columns)
    return f"""
        select {typed}, _line_number, _reason_code, _reason_field, _reason,
               case when _reason_code is not null then {plan.raw_record} end as _raw_record
        from (
            select *, {", ".join(reason_select(source, plan.malformed_reason))}
            from (
                select *, {", ".join(typed_select(source))}
                from (select *, {", ".join(text_select(source, mapped))} from {plan.relation})
            )
        )"""


def _fix_line_numbers(con: duckdb.DuckDBPyConnection, rejects: str) -> int:
    """DuckDB drops records with a wrong number of fields from the scan: renumber the kept ones so that
    `_line_number` is the record's line (header = 1) again. Returns how many records were dropped."""
    dropped = con.execute(f"select count(distinct line) from {rejects}").fetchall()[0][0]
    if dropped:
        con.execute(f"""
            update _checked set _line_number = kept.line
            from (
                select line, row_number() over (order by line) + 1 as position
                from range(2, (select count(*) from _checked) + {dropped} + 2) as r(line)
                where line not in (select line from {rejects})
            ) as kept
            where _checked._line_number = kept.position""")
    return dropped


def _load_file(
    con: duckdb.DuckDBPyConnection,
    file: LandingFile,
    plan: ReadPlan,
    *,
    mapped: dict[str, str],
    file_id: int,
    sha: str,
    run_id: str,
    loaded_at: str,
) -> FileResult:
    source = SOURCES[file.source]
    con.execute(f"create or replace temp table _checked as {_checked_sql(source, plan, mapped)}")
    dropped = _fix_line_numbers(con, plan.rejects_table) if plan.rejects_table else 0
    lineage = f"{file_id}, {quote_literal(file.file_name)}, {quote_literal(sha)}, _line_number, {loaded_at}"
    columns = ", ".join(quote_ident(c.name) for c in source.columns)
    con.execute(f"""
        insert into raw.{source.table} ({columns}, _file_id, _file_name, _file_sha256, _line_number, _loaded_at)
        select {columns}, {lineage} from _checked where _reason_code is null order by _line_number""")
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
            from {plan.rejects_table} group by line order by line""")
    loaded, rejected = con.execute(
        "select count(*) filter (where _reason_code is null), count(*) filter (where _reason_code is not null) "
        "from _checked"
    ).fetchall()[0]
    return FileResult(
        file.source,
        file.file_name,
        "loaded",
        sha,
        loaded + rejected + dropped,
        loaded,
        rejected + dropped,
        None,
        file_id,
    )


def _log(con: duckdb.DuckDBPyConnection, result: FileResult, file: LandingFile, run_id: str, loaded_at: str) -> None:
    con.execute(
        f"insert into quality.ingestion_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {loaded_at})",
        [
            result.file_id,
            run_id,
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
        ],
    )


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
    run_id: str,
    tmp_dir: Path,
    on_file_done: Callable[[FileResult], None] | None,
    settle_seconds: float = 0,
) -> list[FileResult]:
    ensure_schema(con)
    now = datetime.now(UTC)
    loaded_at = f"'{now.isoformat()}'::timestamptz"
    known = _known_files(con)
    next_id = con.execute("select coalesce(max(file_id), 0) + 1 from quality.ingestion_log").fetchall()[0][0]
    results: list[FileResult] = []
    for file in files:
        result = FileResult(file.source, file.file_name, "failed", None, file_id=next_id)
        gated = _gate(file, settle_seconds, now)
        if gated is None:
            try:
                result.file_sha256 = sha = sha256_of(file.path)
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
            try:
                plan = plan_for(SOURCES[file.source], file.path, con.cursor(), tmp_dir, f"f{next_id}")
                mapped = map_plan(SOURCES[file.source], plan)
            except FileProblem as problem:
                result.reason = str(problem)
            except (OSError, EOFError, UnicodeError) as exc:
                result.reason = f"cannot read the file: {exc}"
            else:
                try:
                    result = _load_file(
                        con, file, plan, mapped=mapped, file_id=next_id, sha=sha, run_id=run_id, loaded_at=loaded_at
                    )
                except (duckdb.Error, OSError, EOFError) as exc:
                    raise _RedoWithout(file.file_name, f"cannot read the file: {str(exc).splitlines()[0]}") from exc
                if why := _changed(file):
                    raise _RedoWithout(file.file_name, why, status="deferred")
                known.loaded.add(sha)
        if result.status == "failed" and (file.file_name, result.file_sha256, result.reason) in known.failed:
            continue  # the same content failed for the same reason before: logged once
        _log(con, result, file, run_id, loaded_at)
        if result.status in ("loaded", "skipped_duplicate"):
            known.seen.add((file.file_name, result.file_sha256))
        elif result.status == "failed":
            known.failed.add((file.file_name, result.file_sha256, result.reason))
        results.append(result)
        next_id += 1
        if on_file_done is not None:
            on_file_done(result)
    return results


def ingest(
    landing_dir: Path,
    warehouse_path: Path | None = None,
    source_tz: str = "UTC",
    sources: Iterable[str] | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    on_file_done: Callable[[FileResult], None] | None = None,
    memory_limit: str | None = None,
    settle_seconds: float = 0,
) -> IngestReport:
    """Load every new file of `sources` (default all) into `raw`, in one transaction.

    Pass `con` to use an open read-write connection (the pipeline's), else `warehouse_path` is opened.
    `on_file_done` is called after each file inside the transaction (progress; tests kill the run there).
    `memory_limit` (e.g. "4GB") caps DuckDB's memory on a connection opened here; beyond it DuckDB spills.
    `settle_seconds` (NPS_FILE_SETTLE_SECONDS): a file modified less than that long ago is `deferred`.
    """
    if con is None and warehouse_path is None:
        raise ValueError("give warehouse_path or con")
    unknown = set(sources or ()) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown source(s) {sorted(unknown)}: choose from {', '.join(SOURCES)}")
    own = con is None
    if own:
        Path(warehouse_path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(warehouse_path), config={"memory_limit": memory_limit} if memory_limit else {})
    report = IngestReport(run_id=uuid.uuid4().hex[:12])
    try:
        con.execute(f"set TimeZone = {quote_literal(source_tz)}")
        files = discover(Path(landing_dir), sources)
        redo_files: dict[str, tuple[str, str]] = {}
        with tempfile.TemporaryDirectory(prefix="nps-ingest-") as tmp:
            while True:
                con.execute("begin transaction")
                try:
                    report.files = _run_once(
                        con, files, redo_files, report.run_id, Path(tmp), on_file_done, settle_seconds
                    )
                    con.execute("commit")
                    break
                except _RedoWithout as redo:
                    con.execute("rollback")
                    redo_files[redo.file_name] = (redo.status, redo.reason)
                except BaseException:
                    con.execute("rollback")
                    raise
    finally:
        con.execute("set TimeZone = 'UTC'")
        if own:
            con.close()
    return report
