"""The taxonomy file: presets, the user's YAML, how entries become match keys, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.sources_file import SourcesFileError, parse_sources
from themes.taxonomy import PRESETS, TaxonomyError, entry_words, load_preset, load_taxonomy, parse_taxonomy, term_words


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_loads_with_french_and_english_entries(preset):
    taxonomy = load_preset(preset)
    assert taxonomy.languages() == ["en", "fr"]
    assert all(set(theme.languages()) == {"en", "fr"} for theme in taxonomy.themes.values())
    assert term_words(taxonomy)


def test_an_entry_word_matches_its_lemma_and_an_equals_word_its_form_without_accents():
    assert entry_words("plantes", "fr") == [("lemma", "plante")]
    assert entry_words("=Délais", "fr") == [("word", "delais")]
    assert entry_words("temps d'attente", "fr") == [("lemma", "temps"), ("lemma", "de"), ("lemma", "attente")]


def test_the_users_file_adds_and_replaces_themes_of_the_preset(tmp_path):
    own = tmp_path / "my_themes.yml"
    own.write_text("themes:\n  price:\n    fr: {terms: [tarif]}\n  parking:\n    fr: {terms: [parking]}\n")
    merged = load_taxonomy("retail", own)
    assert {"parking", "price", "welcome_staff"} <= set(merged.themes)
    assert merged.themes["price"].languages()["fr"].terms == ["tarif"]
    assert set(load_taxonomy(None, own).themes) == {"price", "parking"}


def test_no_choice_is_the_contact_centre_preset():
    assert set(load_taxonomy().themes) == set(load_preset("contact_centre").themes)


def test_a_bad_taxonomy_names_the_file_the_theme_and_the_key(tmp_path):
    with pytest.raises(TaxonomyError, match=r"my\.yml, key `themes\.price\.fr\.termz`: unknown key"):
        parse_taxonomy("themes:\n  price:\n    fr: {termz: [prix]}\n", "my.yml")
    with pytest.raises(TaxonomyError, match=r"theme 'price'.*'french' is not an ISO 639-1"):
        parse_taxonomy("themes:\n  price:\n    french: {terms: [prix]}\n", "my.yml")
    with pytest.raises(TaxonomyError, match="unknown theme preset 'shop'"):
        load_taxonomy("shop")
    with pytest.raises(TaxonomyError, match="does not exist"):
        load_taxonomy(None, tmp_path / "missing.yml")


def test_sources_yml_chooses_the_preset_and_the_file_relative_to_itself():
    config = parse_sources("version: 1\nthemes: {preset: retail, file: my_themes.yml}\n")
    assert config.themes.preset == "retail"
    assert config.themes.file_path(Path("/data/landing/sources.yml")) == Path("/data/landing/my_themes.yml")
    assert parse_sources("version: 1\n").themes.file_path(Path("sources.yml")) is None
    with pytest.raises(SourcesFileError, match=r"themes\.presett"):
        parse_sources("themes: {presett: retail}\n")
