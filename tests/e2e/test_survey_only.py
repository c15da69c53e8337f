"""Issue 15, contract section 4: a survey-only deployment (no CRM, no calls) runs green end to end.

The landing folder holds the generator's clean survey exports and nothing else. In process through
`run_pipeline` (with the `crm/` and `calls/` folders absent) and through the `nps` command (with them
present but empty): the run exits 0, the marts are built and published, every response's segment is
`unknown`, and the 100 % orphan share is a warning only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.sample_exports import generate_exports
from nps.settings import Settings
from orchestration.pipeline import RunSummary, run_pipeline
from tests.builds import AS_OF, END, rows

pytestmark = pytest.mark.slow

NPS = Path(sys.executable).parent / "nps"
ORPHAN_CHECK = "orphan_share_within_limit"
CORE_MARTS = {"fct_survey_responses", "nps_by_period", "nps_by_segment", "nps_by_channel", "close_the_loop"}


def survey_only_landing(root: Path, empty_folders: bool) -> Path:
    """The clean tiny generated exports, less CRM and calls (their folders kept empty or removed)."""
    landing = root / "landing"
    generate_exports(landing, scale="tiny", seed=5, clean=True, end_date=END)
    (landing / "manifest.json").unlink()
    for source in ("crm", "calls"):
        shutil.rmtree(landing / source)
        if empty_folders:
            (landing / source).mkdir()
    return landing


def settings_for(root: Path, landing: Path) -> Settings:
    return Settings.from_env(
        env={"DAGSTER_HOME": ""}, landing_dir=landing, warehouse_path=root / "wh" / "nps.duckdb", as_of=AS_OF
    )


@pytest.fixture(scope="module")
def survey_only_run(tmp_path_factory) -> tuple[Settings, RunSummary]:
    root = tmp_path_factory.mktemp("survey_only")
    settings = settings_for(root, survey_only_landing(root, empty_folders=False))
    return settings, run_pipeline(settings, log_level="WARNING", dagster_home_dir=root / "dagster_home")


@pytest.fixture(scope="module")
def survey_only_command(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("survey_only_cli")
    landing = survey_only_landing(root, empty_folders=True)
    warehouse = root / "wh" / "nps.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(root / "dagster_home")}
    env.pop("NPS_ORPHAN_MAX_SHARE", None)
    command = [str(NPS), "run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", AS_OF]
    return warehouse, subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def test_a_survey_only_landing_folder_runs_green(survey_only_run) -> None:
    _, summary = survey_only_run
    assert summary.exit_code == 0, summary.lines()
    assert summary.blocking_failed == []
    assert summary.failed_files == []
    assert summary.failed_steps == []
    assert summary.files["files_loaded"] > 0 and summary.rows_loaded > 0
    assert summary.rows_rejected == 0


def test_a_survey_only_run_builds_and_publishes_the_marts(survey_only_run) -> None:
    settings, summary = survey_only_run
    assert set(summary.published) >= CORE_MARTS
    assert summary.published["fct_survey_responses"] > 0
    published = rows(settings.published_path, "select count(*) from marts.fct_survey_responses")[0][0]
    assert published == rows(settings.warehouse_path, "select count(*) from marts.fct_survey_responses")[0][0]
    assert rows(settings.warehouse_path, "select count(*) from marts.dim_customers") == [(0,)]
    assert rows(settings.warehouse_path, "select count(*) from marts.fct_calls") == [(0,)]


def test_every_response_of_a_survey_only_run_is_in_the_unknown_segment(survey_only_run) -> None:
    settings, _ = survey_only_run
    assert rows(
        settings.warehouse_path, "select distinct segment from marts.fct_survey_responses where has_response"
    ) == [("unknown",)]
    assert rows(settings.published_path, "select distinct segment from marts.nps_by_segment") == [("unknown",)]
    by_segment, by_period = (
        rows(
            settings.published_path,
            f"select sum(responses) from marts.{mart} where period_grain = 'year'",
        )[0][0]
        for mart in ("nps_by_segment", "nps_by_period")
    )
    assert by_segment == by_period > 0


def test_the_orphan_share_of_a_survey_only_run_is_a_warning_only(survey_only_run) -> None:
    _, summary = survey_only_run
    # "<asset>: warning_expectations (WARN)" then one line per failed expectation, this one among them
    [orphans] = [line for line in summary.checks_failed if f": {ORPHAN_CHECK} (" in line]
    assert orphans.splitlines()[0].endswith("(WARN)")
    assert f"[warning] marts.fct_survey_responses.customer_id: {ORPHAN_CHECK}" in orphans
    assert not any(ORPHAN_CHECK in line for line in summary.blocking_failed)
    assert all(line.splitlines()[0].endswith("(WARN)") for line in summary.checks_failed), summary.checks_failed


def test_nps_run_on_a_survey_only_landing_folder_exits_0_and_publishes(survey_only_command) -> None:
    warehouse, done = survey_only_command
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "error:" not in done.stderr
    assert "published: nothing" not in done.stdout
    assert f"[warning] marts.fct_survey_responses.customer_id: {ORPHAN_CHECK}" in done.stdout
    assert rows(
        warehouse.parent / "nps_published.duckdb", "select distinct segment from marts.fct_survey_responses"
    ) == [("unknown",)]
