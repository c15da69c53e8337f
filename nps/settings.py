"""Runtime configuration: flags, then environment variables, then defaults (contract section 1).

Settings are resolved once (`Settings.from_env`, which only ever *reads* the environment) and then passed
explicitly: to the Dagster resource `NpsSettings` (run config), to dbt (`--vars` and the child process's
environment), and as plain arguments to the libraries. Nothing here writes `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_LANDING_DIR = Path("data/landing")
DEFAULT_WAREHOUSE_PATH = Path("data/warehouse/nps.duckdb")
PUBLISHED_FILE_NAME = "nps_published.duckdb"
SOURCES_FILE_NAME = "sources.yml"
# DuckDB's buffer limit in each process that opens the warehouse (the run itself and dbt's child): with the
# process's own memory (Python, Dagster, Great Expectations: about 0.5 GiB) a one-day run at 20M calls peaks at
# 3.8 GiB, within a 4 GiB laptop budget (issue 21); "4GB" peaked at 4.7 GiB, 5 s faster (docs/performance.md)
DEFAULT_MEMORY_LIMIT = "3GB"
DEFAULT_LOW_SAMPLE_THRESHOLD = 30
DEFAULT_ORPHAN_MAX_SHARE = 0.05
DEFAULT_MAX_REJECTED_SHARE = 0.10
DEFAULT_FILE_SETTLE_SECONDS = 0.0
DEFAULT_KEEP_RUNS = 20  # finished Dagster runs kept (records, event logs, compute logs); older ones deleted
# the engine dbt builds on (NPS_ENGINE): DuckDB, embedded (default), or Apache Spark through dbt-spark, reading the
# raw layer from the lake's Parquet files (README, "When one machine is not enough")
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"

# setting → environment variable (contract section 1)
ENV_VARS: dict[str, str] = {
    "landing_dir": "NPS_LANDING_DIR",
    "warehouse_path": "NPS_WAREHOUSE_PATH",
    "published_path": "NPS_PUBLISHED_PATH",
    "reporting_tz": "NPS_REPORTING_TZ",
    "source_tz": "NPS_SOURCE_TZ",
    "followup_sla_hours": "NPS_FOLLOWUP_SLA_HOURS",
    "as_of": "NPS_AS_OF",
    "duckdb_memory_limit": "NPS_DUCKDB_MEMORY_LIMIT",
    "sources_file": "NPS_SOURCES_FILE",
    "low_sample_threshold": "NPS_LOW_SAMPLE_THRESHOLD",
    "orphan_max_share": "NPS_ORPHAN_MAX_SHARE",
    "max_rejected_share": "NPS_MAX_REJECTED_SHARE",
    "file_settle_seconds": "NPS_FILE_SETTLE_SECONDS",
    "keep_runs": "NPS_KEEP_RUNS",
    "engine": "NPS_ENGINE",
}


def parse_as_of(value: str) -> datetime:
    """Parse an ISO 8601 moment; a naive one is read as UTC. Always returns an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _as_of(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return parse_as_of(str(value))


# setting → how a flag or environment value becomes the field's type
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "landing_dir": lambda v: Path(str(v)),
    "warehouse_path": lambda v: Path(str(v)),
    "published_path": lambda v: Path(str(v)),
    "sources_file": lambda v: Path(str(v)),
    "reporting_tz": str,
    "source_tz": str,
    "duckdb_memory_limit": str,
    "followup_sla_hours": int,
    "low_sample_threshold": int,
    "orphan_max_share": float,
    "max_rejected_share": float,
    "file_settle_seconds": float,
    "keep_runs": int,
    "as_of": _as_of,
    "engine": lambda v: str(v).strip().lower(),
}


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    published_path: Path
    reporting_tz: str
    source_tz: str
    followup_sla_hours: int
    as_of: datetime | None  # None: "now", fixed once when a run starts (`pinned`)
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT  # DuckDB spills to disk beyond it (NPS_DUCKDB_MEMORY_LIMIT)
    sources_file: Path = None  # type: ignore[assignment]  # None: <landing>/sources.yml (NPS_SOURCES_FILE)
    low_sample_threshold: int = DEFAULT_LOW_SAMPLE_THRESHOLD
    orphan_max_share: float = DEFAULT_ORPHAN_MAX_SHARE
    max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE
    file_settle_seconds: float = DEFAULT_FILE_SETTLE_SECONDS
    keep_runs: int = DEFAULT_KEEP_RUNS  # Dagster run history kept after each run (NPS_KEEP_RUNS)
    engine: str = DEFAULT_ENGINE  # duckdb | spark (NPS_ENGINE)

    def __post_init__(self) -> None:
        if self.sources_file is None:
            object.__setattr__(self, "sources_file", self.landing_dir / SOURCES_FILE_NAME)

    @property
    def data_dir(self) -> Path:
        """The folder holding the warehouse: DAGSTER_HOME, Data Docs and run artefacts live beside it."""
        return self.warehouse_path.parent

    @property
    def lake_dir(self) -> Path:
        """The raw layer as Parquet (`ingestion.lake`), beside the warehouse: the sources of a Spark build."""
        return self.data_dir / "lake"

    @property
    def spark_dir(self) -> Path:
        """The Spark session's warehouse (its tables' Parquet files) and metastore, beside the warehouse."""
        return self.data_dir / "spark"

    @property
    def published_marts_dir(self) -> Path:
        return self.published_path.parent / "marts"

    def as_of_or_now(self) -> datetime:
        return self.as_of or datetime.now(UTC)

    def pinned(self) -> Settings:
        """These settings with `as_of` fixed (now, when it was not given): one moment for a whole run."""
        return self if self.as_of is not None else replace(self, as_of=datetime.now(UTC))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **flags: object) -> Settings:
        """Build settings from `env` (default: the process environment, read only) and the non-None `flags`,
        which win. A flag is named like the field (`landing_dir=...`)."""
        env = os.environ if env is None else env
        unknown = set(flags) - set(ENV_VARS)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        given: dict[str, object] = {}
        for name, var in ENV_VARS.items():
            value = flags.get(name)
            source = f"--{name.replace('_', '-')}"
            if value is None:
                value, source = env.get(var) or None, var
            if value is None:
                continue
            try:
                given[name] = _CONVERT[name](value)
            except ValueError as exc:
                raise ValueError(f"{source}: cannot read {value!r} ({exc})") from exc
        warehouse = Path(str(given.get("warehouse_path", DEFAULT_WAREHOUSE_PATH)))
        values: dict[str, Any] = {
            "landing_dir": DEFAULT_LANDING_DIR,
            "warehouse_path": warehouse,
            "published_path": warehouse.parent / PUBLISHED_FILE_NAME,
            "reporting_tz": "UTC",
            "source_tz": "UTC",
            "followup_sla_hours": 24,
            "as_of": None,
            **given,
        }
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for name in ("reporting_tz", "source_tz"):
            try:
                ZoneInfo(getattr(self, name))
            except Exception as exc:  # ZoneInfoNotFoundError, ValueError
                raise ValueError(f"{name}: unknown time zone {getattr(self, name)!r}") from exc
        if self.followup_sla_hours <= 0:
            raise ValueError(f"followup_sla_hours must be positive, got {self.followup_sla_hours}")
        if self.low_sample_threshold < 1:
            raise ValueError(
                f"low_sample_threshold ({ENV_VARS['low_sample_threshold']}) must be at least 1, "
                f"got {self.low_sample_threshold}"
            )
        for name in ("orphan_max_share", "max_rejected_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} ({ENV_VARS[name]}) must be within 0..1, got {getattr(self, name)}")
        if self.keep_runs < 1:
            raise ValueError(f"keep_runs ({ENV_VARS['keep_runs']}) must be at least 1, got {self.keep_runs}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine ({ENV_VARS['engine']}) must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.file_settle_seconds < 0:
            raise ValueError(
                f"file_settle_seconds ({ENV_VARS['file_settle_seconds']}) must be >= 0, got {self.file_settle_seconds}"
            )

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for a child process's `env` (e.g. the dashboard)."""
        values: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "as_of":
                value = self.as_of_or_now().isoformat()
            elif isinstance(value, Path):
                value = value.resolve()
            values[ENV_VARS[item.name]] = str(value)
        return values
