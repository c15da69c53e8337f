"""Runtime configuration: flags, then environment variables, then defaults (contract section 1)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_LANDING_DIR = Path("data/landing")
DEFAULT_WAREHOUSE_PATH = Path("data/warehouse/nps.duckdb")
PUBLISHED_FILE_NAME = "nps_published.duckdb"
DEFAULT_MEMORY_LIMIT = "4GB"


def parse_as_of(value: str) -> datetime:
    """Parse an ISO 8601 moment; a naive one is read as UTC. Always returns an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    published_path: Path
    reporting_tz: str
    source_tz: str
    followup_sla_hours: int
    as_of: datetime | None  # None: "now", judged when the run starts
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT  # DuckDB spills to disk beyond it (NPS_DUCKDB_MEMORY_LIMIT)

    @property
    def data_dir(self) -> Path:
        """The folder holding the warehouse: DAGSTER_HOME, Data Docs and run artefacts live beside it."""
        return self.warehouse_path.parent

    @property
    def published_marts_dir(self) -> Path:
        return self.published_path.parent / "marts"

    def as_of_or_now(self) -> datetime:
        return self.as_of or datetime.now(UTC)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from `env` (default `os.environ`); non-None `overrides` (flags) win."""
        env = os.environ if env is None else env
        warehouse = Path(env.get("NPS_WAREHOUSE_PATH") or DEFAULT_WAREHOUSE_PATH)
        if overrides.get("warehouse_path") is not None:
            warehouse = Path(str(overrides["warehouse_path"]))
        published_env = env.get("NPS_PUBLISHED_PATH")
        as_of_env = env.get("NPS_AS_OF")
        settings = cls(
            landing_dir=Path(env.get("NPS_LANDING_DIR") or DEFAULT_LANDING_DIR),
            warehouse_path=warehouse,
            published_path=Path(published_env) if published_env else warehouse.parent / PUBLISHED_FILE_NAME,
            reporting_tz=env.get("NPS_REPORTING_TZ") or "UTC",
            source_tz=env.get("NPS_SOURCE_TZ") or "UTC",
            followup_sla_hours=int(env.get("NPS_FOLLOWUP_SLA_HOURS") or 24),
            as_of=parse_as_of(as_of_env) if as_of_env else None,
            duckdb_memory_limit=env.get("NPS_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
        )
        flags = {k: v for k, v in overrides.items() if v is not None and k != "warehouse_path"}
        if isinstance(flags.get("as_of"), str):
            flags["as_of"] = parse_as_of(str(flags["as_of"]))
        for key in ("landing_dir", "published_path"):
            if key in flags:
                flags[key] = Path(str(flags[key]))
        settings = replace(settings, **flags)
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

    def to_env(self) -> dict[str, str]:
        """The environment that dbt, the quality suites and child processes read."""
        return {
            "NPS_LANDING_DIR": str(self.landing_dir.resolve()),
            "NPS_WAREHOUSE_PATH": str(self.warehouse_path.resolve()),
            "NPS_PUBLISHED_PATH": str(self.published_path.resolve()),
            "NPS_REPORTING_TZ": self.reporting_tz,
            "NPS_SOURCE_TZ": self.source_tz,
            "NPS_FOLLOWUP_SLA_HOURS": str(self.followup_sla_hours),
            "NPS_AS_OF": self.as_of_or_now().isoformat(),
            "NPS_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
        }
