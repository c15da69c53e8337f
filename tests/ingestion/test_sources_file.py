"""sources.yml (contract 2.1): a typed model, errors naming the entry and the key, first matching entry wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.sources_file import SourcesFileError, entry_for, glob_regex, load_sources_file, parse_sources

FULL = """
version: 1
surveys:
  - files: "botanic/*.csv"
    profile: canonical
    columns: {response_id: id, customer_id: id, nps_score: nps, nps_comment: explication}
    constants: {sent_at: 2022-02-01, responded_at: "2022-02-01", language: fr, channel: web}
    values:
      channel: {anonymous: web, smsinvite: sms}
    null_values: ["NSP"]
    date_order: dmy
    timezone: Europe/Paris
    encoding: cp1252
    sheet: "Responses"
    invitations: false
    dimensions: [store, brand]
  - files: "**/*.csv"
crm:
  - files: "salesforce/*.csv"
    columns: {segment: "Customer Tier"}
calls:
  - files: "connect/*.json*"
    columns: {customer_id: Attributes.customer_id}
"""


def test_every_key_of_the_contract_example_is_read_typed():
    config = parse_sources(FULL)
    entry = config.surveys[0]
    assert entry.constants["sent_at"] == "2022-02-01"  # a YAML date is kept as the text a file would hold
    assert entry.values == {"channel": {"anonymous": "web", "smsinvite": "sms"}}
    assert (entry.date_order, entry.timezone, entry.encoding, entry.sheet) == (
        "dmy",
        "Europe/Paris",
        "cp1252",
        "Responses",
    )
    assert entry.invitations is False and entry.dimensions == ["store", "brand"] and entry.null_values == ["NSP"]
    assert config.calls[0].columns == {"customer_id": "Attributes.customer_id"}


def test_a_missing_file_is_an_empty_configuration(tmp_path: Path):
    config = load_sources_file(tmp_path / "sources.yml")
    assert entry_for(config, "surveys", "a.csv") is None


def test_an_unknown_key_names_the_entry_and_the_key():
    with pytest.raises(SourcesFileError) as error:
        parse_sources('surveys:\n  - files: "botanic/*.csv"\n    colums: {nps_score: nps}\n')
    assert str(error.value) == 'sources.yml surveys[0] (files "botanic/*.csv"), key `colums`: unknown key'


def test_an_unknown_profile_names_the_entry_and_the_key():
    with pytest.raises(SourcesFileError, match=r'surveys\[1\] \(files "x/\*"\), key `profile`: unknown profile'):
        parse_sources('surveys:\n  - files: "a.csv"\n  - files: "x/*"\n    profile: qualtrix\n')


def test_a_bad_date_order_and_an_unknown_canonical_column_are_named():
    with pytest.raises(SourcesFileError, match=r"key `date_order`"):
        parse_sources('crm:\n  - files: "*.csv"\n    date_order: dym\n')
    with pytest.raises(SourcesFileError, match=r"key `columns.nps_scor`: 'nps_scor' is not a column of surveys"):
        parse_sources('surveys:\n  - files: "*.csv"\n    columns: {nps_scor: x}\n')


def test_an_unknown_source_or_version_is_an_error():
    with pytest.raises(SourcesFileError, match="key `survey`: unknown key"):
        parse_sources('survey:\n  - files: "*.csv"\n')
    with pytest.raises(SourcesFileError, match="key `version`"):
        parse_sources("version: 2\n")


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.csv", "a.csv", True),
        ("*.csv", "botanic/a.csv", False),  # `*` does not cross `/`
        ("**/*.csv", "a.csv", True),
        ("**/*.csv", "x/y/a.csv", True),  # `**` does
        ("botanic/**", "botanic/2026/a.csv", True),
        ("connect/*.json*", "connect/a.jsonl", True),
        ("br[ab].csv", "brb.csv", True),
        ("br[!ab].csv", "brb.csv", False),
        ("q?.csv", "q1.csv", True),
        ("a.csv", "a_csv", False),
    ],
)
def test_files_globs(pattern, path, matches):
    assert bool(glob_regex(pattern).fullmatch(path)) is matches


def test_the_first_matching_entry_wins():
    config = parse_sources(FULL)
    assert entry_for(config, "surveys", "botanic/june.csv").index == 0
    assert entry_for(config, "surveys", "other/june.csv").index == 1
    assert entry_for(config, "crm", "hubspot/x.csv") is None
    assert entry_for(config, "surveys", "botanic/june.csv").where("constants.sent_at") == (
        'sources.yml surveys[0] (files "botanic/*.csv"), key `constants.sent_at`'
    )
