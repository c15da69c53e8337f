"""Issue 16, end to end: vendor exports read by their profiles give the same marts as the canonical format.

One landing folder holds only the vendor fixtures (tests/fixtures/vendors/{surveys,crm,calls}) plus the
minimal `sources.yml` (only what a profile cannot know: question-specific columns, ids, touchpoints and the
zones of naive timestamps). A second landing folder holds the same records written in the canonical format
(tests/fixtures/vendors/canonical, from canonical_equivalents.md). Both run through the whole pipeline in
process; the marts users read must be equal.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nps.settings import Settings
from orchestration.pipeline import RunSummary, run_pipeline
from tests.builds import AS_OF, rows

pytestmark = pytest.mark.slow

VENDORS = Path(__file__).parents[1] / "fixtures" / "vendors"
SOURCES = ("surveys", "crm", "calls")

# The sources.yml of canonical_equivalents.md, less `dimensions` (optional, no mart compared here needs it).
VENDOR_SOURCES_YML = """\
version: 1
surveys:
  - files: "qualtrics/legacy_*.csv"
    profile: qualtrics
    columns: {nps_comment: Q2}
    timezone: America/Denver
  - files: "qualtrics/*.tsv"
    profile: qualtrics
    columns: {nps_comment: Q2}
  - files: "qualtrics/*.csv"
    profile: qualtrics
    columns: {nps_comment: Q2, csat_score: Q3, interaction_id: interaction_id}
    constants: {touchpoint: relationship}
  - files: "surveymonkey/*.csv"
    profile: surveymonkey
    columns: {nps_comment: "What is the main reason for your score?", interaction_id: "Custom Data 1"}
    constants: {touchpoint: post_call}
    timezone: America/Los_Angeles
  - files: "typeform/*.csv"
    profile: typeform
    columns: {customer_id: customer_id, email: "What's your email address?",
              nps_comment: "What's the one thing we should improve?"}
    constants: {touchpoint: onboarding}
  - files: "google_forms/store_visit_en_*.csv"
    profile: google_forms
    columns: {nps_comment: "What is the main reason for your score?"}
    timezone: America/New_York
  - files: "google_forms/forms_download_*.csv"
    profile: google_forms
    columns: {nps_comment: "What is the main reason for your score?"}
  - files: "google_forms/visite_boutique_fr_*.csv"
    profile: google_forms
    columns: {nps_comment: "Pourquoi cette note ?"}
    timezone: Europe/Paris
  - files: "delighted/*"
    profile: delighted
    columns: {customer_id: person_properties.customer_id}
  - files: "formbricks/*.csv"
    profile: formbricks
    columns: {nps_comment: "2. What made you give that score?"}
    constants: {channel: in_app}
crm:
  - files: "salesforce/*.csv"
    profile: salesforce
    timezone: America/New_York
  - files: "hubspot/*.csv"
    profile: hubspot
    timezone: America/Chicago
calls:
  - files: "five9/*.csv"
    profile: five9
    timezone: America/Los_Angeles
  - files: "talkdesk/*.json"
    profile: talkdesk
    timezone: America/New_York
"""

# Every survey tool of the vendor folder exports responses only (contract 2.2): the same rows in the
# canonical format must not count as invitations either.
CANONICAL_SOURCES_YML = """\
version: 1
surveys:
  - files: "**/*.csv"
    profile: canonical
    invitations: false
"""

# Google Forms exports carry no response id: the profile derives one (contract 2.1) and the canonical files
# hold made-up `gf-…` ids. Those rows are identified by what is defined, their timestamp and score
# (unique among the Google Forms rows); every other row by its response id.
RECORD_KEY = """case when r.source_profile = 'google_forms' or r.response_id like 'gf-%'
    then 'derived|' || strftime(r.responded_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%S') || '|' || r.nps_score
    else r.response_id end"""


def land(root: Path, source_root: Path, sources_yml: str) -> Path:
    landing = root / "landing"
    for source in SOURCES:
        shutil.copytree(source_root / source, landing / source)
    (landing / "sources.yml").write_text(sources_yml, encoding="utf-8")
    return landing


def run(root: Path, landing: Path) -> tuple[Path, RunSummary]:
    warehouse = root / "wh" / "nps.duckdb"
    settings = Settings.from_env(env={"DAGSTER_HOME": ""}, landing_dir=landing, warehouse_path=warehouse, as_of=AS_OF)
    summary = run_pipeline(settings, log_level="WARNING", dagster_home_dir=settings.data_dir / "dagster_home")
    return warehouse, summary


@pytest.fixture(scope="module")
def vendor_run(tmp_path_factory) -> tuple[Path, RunSummary]:
    root = tmp_path_factory.mktemp("vendor")
    return run(root, land(root, VENDORS, VENDOR_SOURCES_YML))


@pytest.fixture(scope="module")
def canonical_run(tmp_path_factory) -> tuple[Path, RunSummary]:
    root = tmp_path_factory.mktemp("canonical")
    return run(root, land(root, VENDORS / "canonical", CANONICAL_SOURCES_YML))


def assert_green(warehouse: Path, summary: RunSummary) -> None:
    assert summary.exit_code == 0, summary
    assert summary.blocking_failed == []
    assert summary.failed_files == []
    assert summary.rows_rejected == 0
    assert rows(warehouse, "select * from quality.rejected_rows") == []


def responses(warehouse: Path) -> list[tuple]:
    return rows(
        warehouse,
        f"""select {RECORD_KEY} as record_key, r.nps_score, r.nps_category, r.responded_at, r.segment, r.channel
        from marts.fct_survey_responses as r order by record_key""",
    )


def table(warehouse: Path, name: str) -> list[tuple]:
    return rows(warehouse, f"select * from marts.{name} order by all")


def loop_keys(warehouse: Path) -> list[tuple]:
    return rows(
        warehouse,
        f"""select {RECORD_KEY} as record_key, l.customer_id, l.nps_score, l.loop_status
        from marts.close_the_loop as l join marts.fct_survey_responses as r using (response_id)
        order by record_key""",
    )


def call_counts(warehouse: Path) -> list[tuple]:
    return rows(
        warehouse,
        "select direction, disposition, count(*) from marts.fct_calls group by all order by all",
    )


def test_a_landing_folder_of_vendor_exports_runs_green_with_only_question_specific_columns_declared(
    vendor_run,
) -> None:
    assert_green(*vendor_run)


def test_the_canonical_equivalents_run_green(canonical_run) -> None:
    assert_green(*canonical_run)


def test_vendor_exports_give_the_same_survey_responses_as_the_canonical_format(vendor_run, canonical_run) -> None:
    assert responses(vendor_run[0]) == responses(canonical_run[0])


@pytest.mark.parametrize("mart", ["nps_by_period", "nps_by_segment", "nps_by_channel"])
def test_vendor_exports_give_the_same_nps_marts_as_the_canonical_format(mart, vendor_run, canonical_run) -> None:
    assert table(vendor_run[0], mart) == table(canonical_run[0], mart)


def test_vendor_exports_give_the_same_close_the_loop_as_the_canonical_format(vendor_run, canonical_run) -> None:
    assert loop_keys(vendor_run[0]) == loop_keys(canonical_run[0])


def test_vendor_exports_give_the_same_calls_per_direction_and_disposition(vendor_run, canonical_run) -> None:
    assert call_counts(vendor_run[0]) == call_counts(canonical_run[0])
