"""The one ingestion step: every source in one `ingest`, one materialization with its own metadata and checks
per raw asset, and an invalid sources.yml failing the step naming the entry and key."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, materialize

from orchestration.assets.ingestion import INGESTION_STEP, raw_sources
from orchestration.pipeline import step_failure_line
from orchestration.resources import NpsSettings
from tests.ingestion.conftest import CALL_HEADER, SURVEY_HEADER
from tests.orchestration.conftest import settings_for

SURVEYS = f"{SURVEY_HEADER}\nr1,c1,a@x.com,email,post_call,2026-01-05 10:00:00,2026-01-05 11:00:00,9,great\n"
GOOD_CALLS = "".join(f"k{i},c1,inbound,phone,2026-01-05T10:00:00Z,3,40,resolved\n" for i in range(11))
CALLS = f"{CALL_HEADER}\n{GOOD_CALLS}k99,c1,inbound,phone,,3,40,resolved\n"  # 1 of 12 rejected: within the limit


def landing_with_files(root: Path) -> Path:
    landing = root / "landing"
    for source, name, text in (("surveys", "s.csv", SURVEYS), ("calls", "c.csv", CALLS)):
        (landing / source).mkdir(parents=True)
        (landing / source / name).write_text(text)
    (landing / "crm").mkdir()
    return landing


def test_one_step_materialises_each_raw_asset_with_only_its_own_files_and_checks(tmp_path):
    settings = settings_for(tmp_path, landing_with_files(tmp_path))
    result = materialize([raw_sources], resources={"nps": NpsSettings.of(settings)}, raise_on_error=False)
    assert result.success
    assert [e.step_key for e in result.all_events if e.is_step_success] == [INGESTION_STEP]
    by_key = {
        e.event_specific_data.materialization.asset_key: {
            k: v.value for k, v in e.event_specific_data.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }
    assert set(by_key) == {AssetKey("raw_surveys"), AssetKey("raw_crm"), AssetKey("raw_calls")}
    assert by_key[AssetKey("raw_calls")]["rows_loaded"] == 11 and by_key[AssetKey("raw_calls")]["rows_rejected"] == 1
    assert (
        "calls/c.csv" in by_key[AssetKey("raw_calls")]["files"]
        and "s.csv" not in by_key[AssetKey("raw_calls")]["files"]
    )
    assert (
        by_key[AssetKey("raw_surveys")]["rows_loaded"] == 1 and by_key[AssetKey("raw_crm")]["files"] == "no new files"
    )
    assert len({meta["run_id"] for meta in by_key.values()}) == 1  # one ingestion
    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        (f"raw_{s}", name): True
        for s in ("surveys", "crm", "calls")
        for name in ("all_landed_files_readable", "rejected_share_within_limit")
    }


def test_an_invalid_sources_file_fails_the_ingestion_step_naming_the_entry_and_key(tmp_path):
    landing = landing_with_files(tmp_path)
    (landing / "sources.yml").write_text('surveys:\n  - files: "*.csv"\n    colums: {nps_score: score}\n')
    settings = settings_for(tmp_path, landing)
    result = materialize([raw_sources], resources={"nps": NpsSettings.of(settings)}, raise_on_error=False)
    assert not result.success
    failures = [step_failure_line(e) for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1 and failures[0].startswith(f"{INGESTION_STEP}: ")
    assert "surveys[0]" in failures[0] and "colums" in failures[0]
