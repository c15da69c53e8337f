"""Survey-tool export profiles (contract section 2.2): detection, mapping and quirks, on the vendor fixtures.

The fixtures under tests/fixtures/vendors/surveys were written by hand from the vendors' public formats; the
expected values are those of tests/fixtures/vendors/canonical_equivalents.md (read from its tables here).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from ingestion.columns import SURVEYS
from ingestion.detect import choose_profile
from ingestion.inspect import inspect_path
from ingestion.loader import ingest
from ingestion.readers import plan_for
from tests.ingestion.conftest import query

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
EQUIVALENTS = VENDORS / "canonical_equivalents.md"
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
SOURCE_TZ = "Asia/Tokyo"  # no fixture is in Tokyo: every zone must come from the file, the entry or the profile

SURVEY_FILES = {
    "qualtrics/nps_relationship_2026-05.csv": "qualtrics",
    "qualtrics/legacy_nps_2026-04.csv": "qualtrics",
    "qualtrics/nps_fr_choice_text_2026-05.tsv": "qualtrics",
    "surveymonkey/post_call_nps_2026-05.csv": "surveymonkey",
    "typeform/onboarding_checkin_2026-05.csv": "typeform",
    "google_forms/store_visit_en_2026-05.csv": "google_forms",
    "google_forms/visite_boutique_fr_2026-05.csv": "google_forms",
    "google_forms/forms_download_en_2026-05.csv": "google_forms",
    "delighted/survey_responses_page1.json": "delighted",
    "delighted/survey_responses_page2.jsonl": "delighted",
    "formbricks/export-nps-in-app-2026-05-10.csv": "formbricks",
}
# the canonical columns the vendor fixtures' canonical equivalents carry (no touchpoint, no CES)
COMPARED = tuple(name for name in SURVEYS.names if name not in ("touchpoint", "ces_score"))


def equivalents_sources_yml() -> str:
    """The surveys part of the `sources.yml` printed in canonical_equivalents.md."""
    text = re.search(r"```yaml\n(.*?)```", EQUIVALENTS.read_text(encoding="utf-8"), re.S).group(1)
    return text.split("\ncrm:")[0] + "\n"


def expected_rows() -> dict[str, list[dict[str, str | None]]]:
    """Per survey table of canonical_equivalents.md (its heading's first word): the rows, as text."""
    tables: dict[str, list[dict[str, str | None]]] = {}
    heading, header = None, None
    for line in EQUIVALENTS.read_text(encoding="utf-8").split("## Calls")[0].splitlines():
        if line.startswith("### "):
            heading, header = line[4:].split(" ")[0], None
        elif line.startswith("|") and heading and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = [c.split(" ")[0] for c in cells]
            else:
                tables.setdefault(heading, []).append({h: (c or None) for h, c in zip(header, cells, strict=True)})
    return tables


def _expected(row: dict[str, str | None], table: str) -> tuple:
    out = dict(row)
    if table == "delighted":  # `218400101 (updated_at …)`; customer_id `person.id / person_properties.customer_id`
        out["response_id"] = out["response_id"].split(" ")[0]
        declared = out["customer_id"].split(" / ")[1]
        out["customer_id"] = None if declared == "(missing)" else declared
    if out["response_id"] == "(derived)":
        out["response_id"] = None  # derived ids are compared by count, not value
    if out["nps_comment"]:
        out["nps_comment"] = out["nps_comment"].replace("\\n", "\n")
    if out["email"]:
        out["email"] = out["email"].strip()
    return tuple(out[c] for c in COMPARED)


def _with(compared: tuple, **values: str) -> tuple:
    """A row of the COMPARED columns with some of them replaced."""
    return tuple(values.get(name, value) for name, value in zip(COMPARED, compared, strict=True))


def _loaded(row: tuple) -> tuple:
    values = dict(zip(COMPARED, row, strict=True))
    for name in ("sent_at", "responded_at"):
        if values[name] is not None:
            values[name] = values[name].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for name in ("nps_score", "csat_score"):
        if values[name] is not None:
            values[name] = str(values[name])
    return tuple(values[c] for c in COMPARED)


@pytest.fixture(scope="module")
def vendor_run(tmp_path_factory):
    """All survey fixtures in one landing folder, ingested once with the equivalents' sources.yml."""
    root = tmp_path_factory.mktemp("vendors")
    landing = root / "landing"
    shutil.copytree(VENDORS / "surveys", landing / "surveys")
    (landing / "sources.yml").write_text(equivalents_sources_yml(), encoding="utf-8")
    warehouse = root / "nps.duckdb"
    report = ingest(landing, warehouse, source_tz=SOURCE_TZ, as_of=AS_OF)
    return report, warehouse


def _plan_profile(path: Path, source_dir: Path) -> tuple[str, str]:
    with duckdb.connect() as con, tempfile.TemporaryDirectory() as tmp:
        plan = plan_for(SURVEYS, path, con, Path(tmp), "t")
        detection, _ = choose_profile(SURVEYS, plan, None)
    return detection.profile.name, detection.how


@pytest.mark.parametrize(("relpath", "profile"), sorted(SURVEY_FILES.items()))
def test_each_survey_export_is_detected_from_its_header_without_sources_yml(relpath, profile):
    assert _plan_profile(VENDORS / "surveys" / relpath, VENDORS / "surveys") == (profile, "detected")


def test_a_canonical_survey_file_is_not_taken_for_a_vendor_export(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("response_id,sent_at,responded_at,nps_score\nR1,2026-05-01,2026-05-01,9\n")
    assert _plan_profile(path, tmp_path) == ("canonical", "default")


def test_every_survey_fixture_loads_with_its_profile_and_as_responses_only(vendor_run):
    report, warehouse = vendor_run
    assert report.ok, report.lines()
    logged = query(
        warehouse,
        "select file_name, profile, invitations, rows_in_file, rows_rejected from quality.ingestion_log order by 1",
    )
    assert {r[0].removeprefix("surveys/"): r[1] for r in logged} == SURVEY_FILES
    assert all(r[2] is False and r[4] == 0 for r in logged), logged
    assert query(warehouse, "select count(*) from quality.rejected_values") == [(0,)]
    rows = query(warehouse, "select distinct _file_name, source_profile, is_invitation from raw.surveys")
    assert {r[0].removeprefix("surveys/"): r[1] for r in rows} == SURVEY_FILES
    assert {r[2] for r in rows} == {False}


@pytest.mark.parametrize(
    "table",
    [
        "qualtrics/nps_relationship_2026-05.csv",
        "qualtrics/legacy_nps_2026-04.csv",
        "qualtrics/nps_fr_choice_text_2026-05.tsv",
        "surveymonkey/post_call_nps_2026-05.csv",
        "typeform/onboarding_checkin_2026-05.csv",
        "google_forms/store_visit_en_2026-05.csv",
        "google_forms/visite_boutique_fr_2026-05.csv",
        "google_forms/forms_download_en_2026-05.csv",
        "delighted",
        "formbricks/export-nps-in-app-2026-05-10.csv",
    ],
)
def test_loaded_values_are_those_of_canonical_equivalents(vendor_run, table):
    _, warehouse = vendor_run
    where = "like 'surveys/delighted/%'" if table == "delighted" else f"= 'surveys/{table}'"
    got = query(
        warehouse,
        f"select {', '.join(COMPARED)} from raw.surveys where _file_name {where} order by _file_name, _line_number",
    )
    expected = [_expected(r, table) for r in expected_rows()[table]]
    if table.startswith("typeform"):
        # decision (canonical_equivalents "Decision needed"): a partial that answered the NPS question is a
        # response at its last activity, `Stage Date (UTC)`, like Qualtrics' partials, not a rejected row
        expected = [_with(e, responded_at="2026-05-07T09:10:25Z") if e[0].startswith("q0w9") else e for e in expected]
    if table.startswith("formbricks"):  # the table says `web`; its note and sources.yml give `in_app`
        expected = [_with(e, channel="in_app") for e in expected]
    loaded = [_loaded(r) for r in got]
    if expected[0][0] is None:  # Google Forms: ids derived, distinct per row
        assert len({r[0] for r in loaded}) == len(loaded) and all(len(r[0]) == 64 for r in loaded)
        loaded = [(None, *r[1:]) for r in loaded]
    assert sorted(loaded, key=str) == sorted(expected, key=str)


def test_qualtrics_extra_header_rows_are_not_records_and_line_numbers_match_the_file(vendor_run):
    _, warehouse = vendor_run
    got = query(
        warehouse,
        "select _line_number, response_id from raw.surveys "
        "where _file_name = 'surveys/qualtrics/nps_relationship_2026-05.csv' order by 1 limit 3",
    )
    assert got == [(4, "R_2xQm8dKc4TzLp1a"), (5, "R_3Fh7Jk2LwQ9sVb4"), (6, "R_1Mn4Bv6Cx8Zq2Wd")]
    logged = query(
        warehouse,
        "select file_name, rows_in_file, rows_loaded, encoding from quality.ingestion_log "
        "where file_name like 'surveys/qualtrics/%' order by 1",
    )
    assert [r[:3] for r in logged] == [
        ("surveys/qualtrics/legacy_nps_2026-04.csv", 5, 5),
        ("surveys/qualtrics/nps_fr_choice_text_2026-05.tsv", 4, 4),
        ("surveys/qualtrics/nps_relationship_2026-05.csv", 8, 8),
    ]
    assert logged[1][3].startswith("utf-16")


def test_qualtrics_group_column_is_an_attribute_not_a_score_and_row_names_are_ids(vendor_run):
    _, warehouse = vendor_run
    [(attributes,)] = query(warehouse, "select attributes from raw.surveys where response_id = 'R_2xQm8dKc4TzLp1a'")
    kept = json.loads(attributes)
    assert kept["Q1_NPS_GROUP"] == "3" and kept["Finished"] == "1" and "Q1" not in kept
    assert "ExternalReference" not in kept and kept["EndDate"] == "2026-05-06 08:49:03"


def _qualtrics_with_group(put, group: str) -> None:
    text = (VENDORS / "surveys/qualtrics/nps_relationship_2026-05.csv").read_text(encoding="utf-8-sig")
    text = text.replace(",EN,3,9,", f",EN,{group},9,", 1)  # R_2xQm…: score 9
    put("surveys/q.csv", text)


def test_a_qualtrics_nps_group_that_contradicts_the_score_rejects_the_row(landing, warehouse, put):
    _qualtrics_with_group(put, "1")  # 1 = Detractor, the score is 9
    report = ingest(landing, warehouse, as_of=AS_OF, max_rejected_share=0.5)  # 1 of 8 rows: over the default 10 %
    assert report.ok, report.lines()
    rejected = query(warehouse, "select line_number, reason_code, field, reason from quality.rejected_rows")
    assert len(rejected) == 1
    line, code, field, reason = rejected[0]
    assert (line, code, field) == (4, "nps_group_mismatch", "nps_score")
    assert reason == 'surveys/q.csv, line 4: nps_score "9" does not match its NPS group "1" (column Q1_NPS_GROUP)'
    assert query(warehouse, "select rows_in_file, rows_loaded, rows_rejected from quality.ingestion_log") == [(8, 7, 1)]


def test_qualtrics_naive_times_are_read_in_the_importid_zone_not_the_source_zone(landing, warehouse, put):
    _qualtrics_with_group(put, "3")
    ingest(landing, warehouse, source_tz="Asia/Tokyo", as_of=AS_OF)
    got = query(warehouse, "select sent_at from raw.surveys where response_id = 'R_2xQm8dKc4TzLp1a'")
    assert got == [(datetime(2026, 5, 6, 14, 47, 12, tzinfo=UTC),)]  # 08:47:12 America/Denver


def test_surveymonkey_continuation_columns_are_named_from_both_header_rows(vendor_run):
    _, warehouse = vendor_run
    [(attributes,)] = query(warehouse, "select attributes from raw.surveys where response_id = '114837262215'")
    kept = json.loads(attributes)
    question = "Which of these have you used in the last month? (select all that apply)"
    assert kept[f"{question} - Northwind app"] is None
    assert kept[f"{question} - Other (please specify)"] == "called the shop instead"
    assert kept["How satisfied are you with the support you received?"] == "Very dissatisfied"
    assert query(warehouse, "select nps_score from raw.surveys where response_id = '114837260011'") == [(10,)]


def test_hidden_fields_and_nested_properties_are_kept_as_attributes(vendor_run):
    _, warehouse = vendor_run
    [(typeform,)] = query(
        warehouse, "select attributes from raw.surveys where response_id = 'm5n4b3v2c1x0z9l8k7j6h5g4f3d2s1a0'"
    )
    assert json.loads(typeform)["plan"] == "pro"
    [(delighted,)] = query(
        warehouse,
        "select attributes from raw.surveys where response_id = '218400101' and _file_name like '%page1.json'",
    )
    kept = json.loads(delighted)
    assert kept["person_properties.plan"] == "pro" and kept["person.id"] == "90210001"


def test_delighted_person_id_is_the_customer_id_when_nothing_is_declared(landing, warehouse, put):
    put("surveys/d.jsonl", (VENDORS / "surveys/delighted/survey_responses_page2.jsonl").read_text())
    ingest(landing, warehouse, source_tz=SOURCE_TZ, as_of=AS_OF)
    got = query(warehouse, "select response_id, customer_id, sent_at, channel from raw.surveys order by _line_number")
    assert got[0] == ("218400131", "90210031", datetime(2026, 5, 8, 9, 58, 47, tzinfo=UTC), "web")


def test_google_forms_date_order_falls_back_to_the_header_language(landing, warehouse, put):
    put("surveys/en.csv", "Timestamp,How likely are you to recommend us?\n3/4/2026 9:12:44,9\n")
    put("surveys/fr.csv", "Horodateur,Recommanderiez-vous notre boutique ?\n03/04/2026 09:12:44,9\n")
    put("surveys/de.csv", "Zeitstempel,Würden Sie uns weiterempfehlen?\n03/04/2026 09:12:44,7\n")
    report = ingest(landing, warehouse, as_of=AS_OF)
    assert report.ok, report.lines()
    got = query(warehouse, "select _file_name, sent_at, responded_at, nps_score from raw.surveys order by 1")
    assert got == [
        ("surveys/de.csv", datetime(2026, 4, 3, 9, 12, 44, tzinfo=UTC), datetime(2026, 4, 3, 9, 12, 44, tzinfo=UTC), 7),
        ("surveys/en.csv", datetime(2026, 3, 4, 9, 12, 44, tzinfo=UTC), datetime(2026, 3, 4, 9, 12, 44, tzinfo=UTC), 9),
        ("surveys/fr.csv", datetime(2026, 4, 3, 9, 12, 44, tzinfo=UTC), datetime(2026, 4, 3, 9, 12, 44, tzinfo=UTC), 9),
    ]
    logged = query(warehouse, "select file_name, profile, date_order from quality.ingestion_log order by 1")
    assert logged == [
        ("surveys/de.csv", "google_forms", "dmy"),
        ("surveys/en.csv", "google_forms", "mdy"),
        ("surveys/fr.csv", "google_forms", "dmy"),
    ]


def test_a_day_above_12_decides_the_order_over_the_header_language(landing, warehouse, put):
    put(
        "surveys/en.csv",
        "Timestamp,How likely are you to recommend us?\n13/05/2026 10:00:00,8\n03/04/2026 10:00:00,9\n",
    )
    report = ingest(landing, warehouse, as_of=AS_OF)
    assert report.ok, report.lines()
    got = query(warehouse, "select sent_at::date::varchar from raw.surveys order by 1")
    assert got == [("2026-04-03",), ("2026-05-13",)]


TWO_QUESTIONS = (
    "Timestamp,How likely are you to recommend our shop?,How likely are you to recommend our app?\n"
    "5/6/2026 9:12:44,9,7\n"
)


def test_two_recommendation_questions_fail_the_file_naming_both_and_the_key_to_set(landing, warehouse, put):
    put("surveys/two.csv", TWO_QUESTIONS)
    report = ingest(landing, warehouse, as_of=AS_OF)
    [failed] = report.failed
    assert "How likely are you to recommend our shop?" in failed.reason
    assert "How likely are you to recommend our app?" in failed.reason
    assert "columns: {nps_score: <column>}" in failed.reason
    assert query(warehouse, "select count(*) from raw.surveys") == [(0,)]


def test_inspect_lists_the_nps_candidates_and_a_declared_column_settles_it(landing, put, tmp_path):
    put("surveys/two.csv", TWO_QUESTIONS)
    [found] = inspect_path(landing / "surveys" / "two.csv", as_of=AS_OF).files
    assert found.profile == "google_forms" and found.profile_how == "detected"
    assert found.nps_candidates == [
        "How likely are you to recommend our shop?",
        "How likely are you to recommend our app?",
    ]
    assert found.error is not None and "nps_score" in found.error
    sources = tmp_path / "sources.yml"
    sources.write_text(
        'surveys:\n  - files: "two.csv"\n    columns: {nps_score: "How likely are you to recommend our app?"}\n'
    )
    [settled] = inspect_path(landing / "surveys" / "two.csv", sources_file=sources, as_of=AS_OF).files
    assert settled.ok, settled.error
    assert settled.profile == "google_forms" and settled.preview[0]["nps_score"] == 7
    assert "How likely are you to recommend our shop?" in settled.attributes


def test_a_recommendation_question_whose_answers_are_not_0_to_10_is_not_the_score(landing, warehouse, put):
    put(
        "surveys/f.csv",
        "Timestamp,Would you recommend us? Why?,On a scale of 0-10 how happy are you?\n5/6/2026 9:12:44,Yes!,9\n",
    )
    report = ingest(landing, warehouse, as_of=AS_OF)
    [failed] = report.failed
    assert "no recommendation question answered 0–10" in failed.reason
    assert "'Would you recommend us? Why?' (recommendation question, answers not all 0–10)" in failed.reason
    assert "'On a scale of 0-10 how happy are you?' (answers 0–10)" in failed.reason


def test_a_declared_channel_and_profile_override_the_defaults(landing, warehouse, put, tmp_path):
    put("surveys/fb.csv", (VENDORS / "surveys/formbricks/export-nps-in-app-2026-05-10.csv").read_text())
    put("surveys/tf.csv", (VENDORS / "surveys/typeform/onboarding_checkin_2026-05.csv").read_text())
    sources = tmp_path / "sources.yml"
    sources.write_text('surveys:\n  - files: "fb.csv"\n    profile: formbricks\n    constants: {channel: in_app}\n')
    report = ingest(landing, warehouse, sources_file=sources, as_of=AS_OF)
    assert report.ok, report.lines()
    got = query(warehouse, "select _file_name, channel, count(*) from raw.surveys group by all order by 1")
    assert got == [("surveys/fb.csv", "in_app", 7), ("surveys/tf.csv", "web", 7)]
