from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.settings import Settings, parse_as_of


def test_defaults_follow_the_contract() -> None:
    settings = Settings.from_env({})
    assert settings.landing_dir == Path("data/landing")
    assert settings.warehouse_path == Path("data/warehouse/nps.duckdb")
    assert settings.published_path == Path("data/warehouse/nps_published.duckdb")
    assert settings.reporting_tz == "UTC"
    assert settings.source_tz == "UTC"
    assert settings.followup_sla_hours == 24
    assert settings.as_of is None


def test_environment_overrides_defaults_and_flags_override_environment() -> None:
    env = {
        "NPS_LANDING_DIR": "/in",
        "NPS_WAREHOUSE_PATH": "/wh/a.duckdb",
        "NPS_REPORTING_TZ": "Europe/Paris",
        "NPS_FOLLOWUP_SLA_HOURS": "48",
        "NPS_AS_OF": "2025-03-01T12:00:00+01:00",
    }
    settings = Settings.from_env(env, landing_dir=Path("/flag"), warehouse_path=None)
    assert settings.landing_dir == Path("/flag")
    assert settings.warehouse_path == Path("/wh/a.duckdb")
    assert settings.published_path == Path("/wh/nps_published.duckdb")
    assert settings.reporting_tz == "Europe/Paris"
    assert settings.followup_sla_hours == 48
    assert settings.as_of == datetime(2025, 3, 1, 11, 0, tzinfo=UTC)


def test_published_path_follows_a_warehouse_flag() -> None:
    settings = Settings.from_env({}, warehouse_path=Path("/tmp/x/other.duckdb"))
    assert settings.published_path == Path("/tmp/x/nps_published.duckdb")
    assert settings.published_marts_dir == Path("/tmp/x/marts")


def test_naive_as_of_is_read_as_utc() -> None:
    assert parse_as_of("2025-01-31 23:30") == datetime(2025, 1, 31, 23, 30, tzinfo=UTC)
    assert parse_as_of("2025-01-31T23:30:00Z") == datetime(2025, 1, 31, 23, 30, tzinfo=UTC)


def test_unknown_time_zone_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        Settings.from_env({"NPS_REPORTING_TZ": "Mars/Olympus"})


def test_to_env_fixes_as_of_once() -> None:
    settings = Settings.from_env({"NPS_AS_OF": "2025-06-01T00:00:00Z"})
    env = settings.to_env()
    assert env["NPS_AS_OF"] == "2025-06-01T00:00:00+00:00"
    assert Path(env["NPS_WAREHOUSE_PATH"]).is_absolute()
