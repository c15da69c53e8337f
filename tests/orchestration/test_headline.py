"""The `nps demo` headline reads the marts' interval and low-sample mark (contract v2, section 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.pipeline import headline

PERIOD_COLUMNS = """period_grain varchar, period_start date, responses bigint, promoters bigint, passives bigint,
    detractors bigint, nps double, nps_moe_95 double, nps_ci_low_95 double, nps_ci_high_95 double,
    is_low_sample boolean"""


def published_copy(path: Path) -> Path:
    """A published copy holding only what the headline reads: June 2026 with one large and one tiny segment."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.nps_by_period ({PERIOD_COLUMNS})")
        con.execute(f"create table marts.nps_by_segment (segment varchar, {PERIOD_COLUMNS})")
        con.execute(f"create table marts.nps_by_channel (channel varchar, {PERIOD_COLUMNS})")
        con.execute("create table marts.close_the_loop (loop_status varchar)")
        con.execute("""insert into marts.nps_by_period values
            ('year', '2026-01-01', 41, 31, 5, 5, 63.41, 21.1, 36.9, 79.0, false),
            ('month', '2026-06-01', 41, 31, 5, 5, 63.41, 21.1, 36.9, 79.0, false)""")
        con.execute("""insert into marts.nps_by_segment values
            ('smb', 'month', '2026-06-01', 40, 30, 5, 5, 62.5, 21.568350655532285, 36.8, 79.5, false),
            ('vip', 'month', '2026-06-01', 1, 1, 0, 0, 100.0, 0.0, -48.5, 98.5, true)""")
        con.execute("""insert into marts.nps_by_channel values
            ('email', 'month', '2026-06-01', 41, 31, 5, 5, 63.41, 21.1, 36.9, 79.0, false)""")
        con.execute("insert into marts.close_the_loop values ('open'), ('overdue')")
    return path


def test_a_low_sample_segment_shows_its_interval_not_a_zero_margin(tmp_path):
    lines = headline(published_copy(tmp_path / "published.duckdb"), datetime(2026, 7, 1, tzinfo=UTC))
    vip = next(line for line in lines if line.strip().startswith("vip"))
    smb = next(line for line in lines if line.strip().startswith("smb"))
    assert "95 % interval -48.5 to +98.5" in vip and "low sample" in vip and "±" not in vip
    assert "± 21.6" in smb and "interval" not in smb


def test_the_overall_line_uses_the_interval_below_the_threshold(tmp_path):
    path = published_copy(tmp_path / "published.duckdb")
    assert headline(path, datetime(2026, 7, 1, tzinfo=UTC))[0].startswith("Overall NPS: +63.4 ± ")
    overall = headline(path, datetime(2026, 7, 1, tzinfo=UTC), low_sample_threshold=100)[0]
    assert "95 % interval" in overall and overall.endswith("on 41 responses (low sample)")
