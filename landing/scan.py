"""What is new in the landing folder since a cursor (for the landing sensor): pure functions, no Dagster."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ingestion.loader import discover, sha256_of


@dataclass(frozen=True)
class LandingScan:
    new_files: list[tuple[str, str]]  # (file name relative to landing, sha256), not seen before
    cursor: str  # JSON: file name → [size, mtime_ns, sha256]

    @property
    def run_key(self) -> str:
        """Same new files → same run key: Dagster never starts two runs for one arrival."""
        return hashlib.sha256(json.dumps(sorted(self.new_files)).encode()).hexdigest()[:16]


def scan_landing(landing_dir: Path, cursor: str | None) -> LandingScan:
    """Files whose (name, sha256) pair was not in the cursor. A file re-sent with the same name and content
    does not count again; unchanged files (same size and mtime) are not hashed again."""
    seen: dict[str, list] = json.loads(cursor) if cursor else {}
    known_pairs = {(name, entry[2]) for name, entry in seen.items()}
    updated = dict(seen)
    new: list[tuple[str, str]] = []
    for file in discover(Path(landing_dir)):
        if file.problem is not None:  # a link leaving the landing folder, a FIFO…: never opened (ingestion logs it)
            continue
        stat = file.path.stat()
        previous = seen.get(file.file_name)
        if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
            continue
        sha = sha256_of(file.path)
        updated[file.file_name] = [stat.st_size, stat.st_mtime_ns, sha]
        if (file.file_name, sha) not in known_pairs:
            new.append((file.file_name, sha))
    return LandingScan(new, json.dumps(updated, sort_keys=True))
