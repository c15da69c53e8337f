import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nps.settings import Settings, parse_as_of


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


def test_v2_settings_have_the_contract_defaults() -> None:
    settings = Settings.from_env({}, landing_dir=Path("/in"))
    assert settings.sources_file == Path("/in/sources.yml")
    assert settings.low_sample_threshold == 30
    assert settings.orphan_max_share == 0.05
    assert settings.max_rejected_share == 0.10
    assert settings.file_settle_seconds == 0


def test_v2_settings_come_from_the_environment_and_the_sources_flag_wins() -> None:
    env = {
        "NPS_SOURCES_FILE": "/cfg/env.yml",
        "NPS_LOW_SAMPLE_THRESHOLD": "50",
        "NPS_ORPHAN_MAX_SHARE": "1",
        "NPS_MAX_REJECTED_SHARE": "0.25",
        "NPS_FILE_SETTLE_SECONDS": "60",
    }
    settings = Settings.from_env(env)
    assert (settings.sources_file, settings.low_sample_threshold) == (Path("/cfg/env.yml"), 50)
    assert (settings.orphan_max_share, settings.max_rejected_share, settings.file_settle_seconds) == (1.0, 0.25, 60.0)
    assert Settings.from_env(env, sources_file=Path("/flag.yml")).sources_file == Path("/flag.yml")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NPS_LOW_SAMPLE_THRESHOLD", "0"),
        ("NPS_ORPHAN_MAX_SHARE", "1.5"),
        ("NPS_MAX_REJECTED_SHARE", "-0.1"),
        ("NPS_FILE_SETTLE_SECONDS", "-1"),
        ("NPS_LOW_SAMPLE_THRESHOLD", "thirty"),
    ],
)
def test_out_of_range_v2_settings_are_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: value})


def test_pinning_fixes_as_of_once_and_keeps_a_given_one() -> None:
    given = Settings.from_env({"NPS_AS_OF": "2025-06-01T00:00:00Z"})
    assert given.pinned() is given
    pinned = Settings.from_env({}).pinned()
    assert pinned.as_of is not None and pinned.pinned().as_of == pinned.as_of


def test_reading_settings_never_writes_the_environment() -> None:
    before = dict(os.environ)
    Settings.from_env(landing_dir=Path("/elsewhere"), as_of="2025-01-01T00:00:00Z").to_env()
    assert dict(os.environ) == before


def test_the_engine_is_duckdb_unless_nps_engine_says_spark() -> None:
    assert Settings.from_env(env={}).engine == "duckdb"
    settings = Settings.from_env(env={"NPS_ENGINE": "Spark", "NPS_WAREHOUSE_PATH": "/d/w/nps.duckdb"})
    assert settings.engine == "spark"
    assert (settings.lake_dir, settings.spark_dir) == (Path("/d/w/lake"), Path("/d/w/spark"))
    assert settings.to_env()["NPS_ENGINE"] == "spark"


def test_an_unknown_engine_is_refused_naming_the_variable() -> None:
    with pytest.raises(ValueError, match=r"NPS_ENGINE.*duckdb, spark.*'postgres'"):
        Settings.from_env(env={"NPS_ENGINE": "postgres"})
