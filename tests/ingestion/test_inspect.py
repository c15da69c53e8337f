"""`inspect_path`: the dry run reports mapping, dates, preview and rejects, and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from ingestion.inspect import inspect_path

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def test_inspect_reports_mapping_dates_preview_and_rejects_and_writes_nothing(landing, put):
    put(
        "surveys/shop/export.csv",
        "Response ID;Sent At;Responded At;NPS;csat;magasin\n"
        "R1;13/05/2025 09:00;13/05/2025 10:00;9;4;Lyon\n"
        "R2;14/05/2025 09:00;14/05/2025 10:00;12;4;Lyon\n"
        "R3;15/05/2025 09:00;15/05/2025 10:00;7;9;Annecy\n",
    )
    before = sorted(p.relative_to(landing) for p in landing.rglob("*"))
    report = inspect_path(landing / "surveys" / "shop" / "export.csv", as_of=AS_OF)
    assert report.ok
    [found] = report.files
    assert (found.source, found.relpath, found.profile, found.delimiter, found.date_order) == (
        "surveys",
        "shop/export.csv",
        "canonical",
        ";",
        "dmy",
    )
    assert found.mapping == [
        ("Response ID", "response_id"),
        ("Sent At", "sent_at"),
        ("Responded At", "responded_at"),
        ("NPS", "nps_score"),
        ("csat", "csat_score"),
    ]
    assert found.attributes == ["magasin"] and found.rows_in_file == 3
    assert [row["response_id"] for row in found.preview] == ["R1", "R3"]
    assert found.preview[0]["attributes"] == '{"magasin":"Lyon"}'
    assert [(line, code, field) for line, code, field, _ in found.rejected_rows] == [
        (3, "score_out_of_range", "nps_score")
    ]
    assert [(line, field, value, code) for line, field, value, code, _ in found.rejected_values] == [
        (4, "csat_score", "9", "score_out_of_range")
    ]
    assert sorted(p.relative_to(landing) for p in landing.rglob("*")) == before


def test_inspect_of_an_unmappable_file_says_which_sources_yml_entry_would_fix_it(landing, put):
    put("surveys/typeform/x.csv", "#,Start Date (UTC),score\n1,9/7/16 1:03,9\n")
    report = inspect_path(landing, source="surveys", as_of=AS_OF)
    assert not report.ok
    [found] = report.files
    assert "required column sent_at missing" in found.error
    assert 'add an entry under `surveys:` in sources.yml with `files: "typeform/x.csv"`' in found.error


def test_inspect_uses_the_landing_sources_yml_and_names_its_key(landing, put):
    put("surveys/botanic/x.csv", "id;nps\n1;9\n")
    (landing / "sources.yml").write_text('surveys:\n  - files: "botanic/*.csv"\n    columns: {nps_score: note}\n')
    [found] = inspect_path(landing / "surveys" / "botanic" / "x.csv", as_of=AS_OF).files
    assert found.error.startswith('sources.yml surveys[0] (files "botanic/*.csv"), key `columns.nps_score`')
