"""Mapping with sources.yml: columns, constants, values, null tokens, derived ids, attributes (contract 2.1, 3)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from ingestion.loader import ingest
from tests.ingestion.conftest import query

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)

GOOGLE_FORMS_FR = (
    "Horodateur;Adresse e-mail;Quelle est la probabilité que vous nous recommandiez ?;Pourquoi ?\n"
    "13/05/2025 09:12:44;a@x.fr;9;Très bon accueil\n"
    "14/05/2025 18:03:10;b@x.fr;4;NA\n"
    "02/06/2025 07:45:00;c@x.fr;10;N/A\n"
)


def test_a_french_google_forms_export_reads_day_first_and_na_is_empty(warehouse, put, ingest_with_sources):
    put("surveys/gforms/avis.csv", GOOGLE_FORMS_FR)
    report = ingest_with_sources(
        'surveys:\n  - files: "gforms/*.csv"\n    columns: {email: Adresse e-mail, sent_at: Horodateur, '
        "responded_at: Horodateur, "
        'nps_score: "Quelle est la probabilité que vous nous recommandiez ?", nps_comment: "Pourquoi ?"}\n'
        "    timezone: Europe/Paris\n    invitations: false\n",
        as_of=AS_OF,
    )
    assert report.ok, report.lines()
    rows = query(warehouse, "select email, responded_at, nps_score, nps_comment from raw.surveys order by 1")
    assert rows == [
        ("a@x.fr", datetime(2025, 5, 13, 7, 12, 44, tzinfo=UTC), 9, "Très bon accueil"),
        ("b@x.fr", datetime(2025, 5, 14, 16, 3, 10, tzinfo=UTC), 4, None),
        ("c@x.fr", datetime(2025, 6, 2, 5, 45, tzinfo=UTC), 10, None),
    ]
    ids = query(warehouse, "select response_id from raw.surveys")
    assert all(len(i) == 64 for (i,) in ids) and len(set(ids)) == 3  # derived: sha256 of the mapped values
    assert query(warehouse, "select date_order, delimiter from quality.ingestion_log") == [("dmy", ";")]


RETAILER = (
    "id;nps;explication;valeur panier;magasin;enseigne\n"
    "1001;9;Super conseils;54,20;Lyon Part-Dieu;Botanic\n"
    "1002;3;Trop d'attente;NSP;Grenoble;Botanic\n"
    "1003;10;;12,00;Annecy;Jardiland\n"
)
RETAILER_SOURCES = """surveys:
  - files: "botanic/*.csv"
    columns: {response_id: id, customer_id: id, nps_score: nps, nps_comment: explication}
    constants: {sent_at: "2022-02-01", responded_at: "2022-02-01", language: fr, channel: web}
    null_values: ["NSP"]
"""


def test_a_retailer_file_with_no_dates_loads_with_five_lines_of_sources_yml(warehouse, put, ingest_with_sources):
    put("surveys/botanic/export.csv", RETAILER)
    assert len(RETAILER_SOURCES.strip().splitlines()) == 5
    report = ingest_with_sources(RETAILER_SOURCES, as_of=AS_OF)
    assert report.ok, report.lines()
    rows = query(
        warehouse,
        "select response_id, customer_id, sent_at, responded_at, nps_score, language, channel, attributes "
        "from raw.surveys order by 1",
    )
    assert [r[:7] for r in rows] == [
        (i, i, datetime(2022, 2, 1, tzinfo=UTC), datetime(2022, 2, 1, tzinfo=UTC), s, "fr", "web")
        for i, s in (("1001", 9), ("1002", 3), ("1003", 10))
    ]
    assert [json.loads(r[7]) for r in rows] == [
        {"valeur panier": "54,20", "magasin": "Lyon Part-Dieu", "enseigne": "Botanic"},
        {"valeur panier": None, "magasin": "Grenoble", "enseigne": "Botanic"},  # NSP is a null token here
        {"valeur panier": "12,00", "magasin": "Annecy", "enseigne": "Jardiland"},
    ]


def test_a_mapped_column_the_file_lacks_fails_the_file_naming_entry_and_key(warehouse, put, ingest_with_sources):
    put("surveys/botanic/export.csv", RETAILER.replace("explication", "pourquoi"))
    [failed] = ingest_with_sources(RETAILER_SOURCES, as_of=AS_OF).failed
    assert failed.reason.startswith(
        "sources.yml surveys[0] (files \"botanic/*.csv\"), key `columns.nps_comment`: column 'explication' is not"
    )
    assert query(warehouse, "select count(*) from raw.surveys") == [(0,)]


def test_a_constant_that_does_not_parse_fails_the_file(warehouse, put, ingest_with_sources):
    put("surveys/botanic/export.csv", RETAILER)
    [failed] = ingest_with_sources(
        RETAILER_SOURCES.replace('sent_at: "2022-02-01"', 'sent_at: "février 2022"'), as_of=AS_OF
    ).failed
    assert "key `constants.sent_at`: 'février 2022' is not a valid timestamp" in failed.reason
    assert query(warehouse, "select status, rows_loaded from quality.ingestion_log") == [("failed", 0)]


def test_values_maps_are_case_insensitive_and_free_crm_segments_stay_as_written(warehouse, put, ingest_with_sources):
    put(
        "crm/crm.csv",
        "customer_id,segment,status,updated_at\n"
        "C1,Grands comptes,Actif,2025-01-01\nC2,PME,RÉSILIÉ,2025-01-01\nC3,pme,dormant,2025-01-01\n",
    )
    ingest_with_sources(
        'crm:\n  - files: "*.csv"\n    values: {status: {actif: active, "résilié": churned}}\n', as_of=AS_OF
    )
    assert query(warehouse, "select customer_id, segment, status from raw.crm_customers order by 1") == [
        ("C1", "Grands comptes", "active"),
        ("C2", "PME", "churned"),
        ("C3", "pme", None),
    ]
    assert query(warehouse, "select field, value, reason_code from quality.rejected_values") == [
        ("status", "dormant", "invalid_value")
    ]


def test_identical_rows_without_ids_are_one_invitation_and_the_older_is_superseded(landing, warehouse, put):
    put("surveys/a.csv", "sent_at,responded_at,nps_score\n2025-01-10,2025-01-11,9\n2025-01-10,2025-01-11,9\n")
    ingest(landing, warehouse, as_of=AS_OF)
    assert query(warehouse, "select count(distinct response_id), count(*) from raw.surveys") == [(1, 2)]
    assert query(
        warehouse,
        "select source, file_name, line_number, replaced_by_file, replaced_by_line from quality.superseded_rows",
    ) == [("surveys", "surveys/a.csv", 2, "surveys/a.csv", 3)]


def test_newest_is_by_file_mtime_whatever_order_files_arrive_in(landing, warehouse, put):
    header = "response_id,sent_at,responded_at,nps_score"
    put("surveys/new.csv", f"{header}\nR1,2025-01-10,2025-01-12,9\n")
    ingest(landing, warehouse, as_of=AS_OF)
    old = put("surveys/old.csv", f"{header}\nR1,2025-01-10,2025-01-11,2\nR2,2025-01-10,,\n")
    os.utime(old, (1_600_000_000, 1_600_000_000))  # arrives late, exported earlier
    ingest(landing, warehouse, as_of=AS_OF)
    assert query(warehouse, "select key, file_name, replaced_by_file from quality.superseded_rows") == [
        ("R1", "surveys/old.csv", "surveys/new.csv")
    ]
    mtimes = query(
        warehouse, "select _file_name, _file_mtime < timestamptz '2021-01-01' from raw.surveys order by 1, 2"
    )
    assert mtimes == [("surveys/new.csv", False), ("surveys/old.csv", True), ("surveys/old.csv", True)]


def test_crm_versions_with_the_same_updated_at_supersede_but_history_does_not(landing, warehouse, put):
    put("crm/a.csv", "customer_id,segment,updated_at\nC1,PME,2025-01-01\nC1,ETI,2025-03-01\n")
    put("crm/b.csv", "customer_id,segment,updated_at\nC1,Grands comptes,2025-03-01\n")
    ingest(landing, warehouse, as_of=AS_OF)
    assert query(warehouse, "select key, file_name, line_number, replaced_by_file from quality.superseded_rows") == [
        ("C1 @ 2025-03-01T00:00:00Z", "crm/a.csv", 3, "crm/b.csv")
    ]


def test_a_file_with_most_rows_rejected_is_refused_whole_naming_its_most_common_reason(landing, warehouse, put):
    rows = "\n".join([f"R{i},2025-01-10,2025-01-11,{11 + i}" for i in range(9)] + ["R9,2025-01-10,2025-01-11,9"])
    put("surveys/bad.csv", f"response_id,sent_at,responded_at,nps_score\n{rows}\n")
    put("surveys/good.csv", "response_id,sent_at,responded_at,nps_score\nG1,2025-01-10,2025-01-11,9\n")
    report = ingest(landing, warehouse, as_of=AS_OF, max_rejected_share=0.5)
    [(name, share, reason)] = [(t.file_name, t.share, t.most_common_reason) for t in report.too_many_rejected()]
    assert (name, share, reason) == ("surveys/bad.csv", 0.9, "score_out_of_range")
    logged = query(warehouse, "select file_name, status, most_common_reason, reason from quality.ingestion_log")
    assert [row[:3] for row in logged] == [
        ("surveys/bad.csv", "failed", "score_out_of_range"),
        ("surveys/good.csv", "loaded", None),
    ]
    assert "90% of its 10 rows would be rejected" in logged[0][3] and 'nps_score "11"' in logged[0][3]
    assert query(warehouse, "select response_id from raw.surveys") == [("G1",)]  # nothing of the refused file
    assert query(warehouse, "select count(*) from quality.rejected_rows") == [(0,)]


def test_a_refused_file_blocks_every_run_until_it_loads(landing, warehouse, put):
    bad = "response_id,sent_at,responded_at,nps_score\nR1,2025-01-10,2025-01-11,11\nR2,2025-01-10,2025-01-11,9\n"
    put("surveys/bad.csv", bad)
    assert len(ingest(landing, warehouse, as_of=AS_OF).too_many_rejected()) == 1
    again = ingest(landing, warehouse, as_of=AS_OF)
    assert [t.file_name for t in again.too_many_rejected()] == ["surveys/bad.csv"]
    assert query(warehouse, "select count(*) from quality.ingestion_log") == [(1,)]  # logged once
    assert ingest(landing, warehouse, as_of=AS_OF, max_rejected_share=0.6).too_many_rejected() == []
    assert query(warehouse, "select response_id from raw.surveys") == [("R2",)]


def test_a_rejected_row_keeps_the_whole_record_and_a_loaded_row_its_attributes(landing, warehouse, put):
    put("surveys/s.csv", "response_id,sent_at,nps_score,basket value,store\nR1,2025-01-10,12,54.2,Lyon\n")
    ingest(landing, warehouse, as_of=AS_OF, max_rejected_share=1.0)
    [(raw_record,)] = query(warehouse, "select raw_record from quality.rejected_rows")
    assert json.loads(raw_record) == {
        "response_id": "R1",
        "sent_at": "2025-01-10",
        "nps_score": "12",
        "basket value": "54.2",
        "store": "Lyon",
    }
