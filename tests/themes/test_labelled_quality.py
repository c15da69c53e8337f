"""Precision and recall of every preset theme on the hand-labelled comments, through ingestion, themes.prepare
and the dbt models; the false friends of issue 20 one by one; the table of docs/themes.md is these numbers."""

from __future__ import annotations

import pytest

from themes.quality import (
    DOCS,
    TARGET_PRECISION,
    TARGET_RECALL,
    evaluate,
    labelled_path,
    markdown_table,
    read_labelled,
    table_in_docs,
)
from themes.taxonomy import PRESETS, load_preset

PRESET_THEMES = [(preset, theme) for preset in PRESETS for theme in sorted(load_preset(preset).themes)]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    return evaluate(tmp_path_factory.mktemp("labelled"))


def themes_of(evaluated, preset: str, comment_id: str) -> set[str]:
    return evaluated.predicted[preset][comment_id]


def comment(preset: str, comment_id: str) -> str:
    return next(c.comment for c in read_labelled(labelled_path(preset)) if c.id == comment_id)


@pytest.mark.parametrize(("preset", "theme"), PRESET_THEMES)
def test_every_preset_theme_meets_the_precision_and_recall_targets(evaluated, preset, theme):
    score = next(s for s in evaluated.scores if (s.preset, s.theme) == (preset, theme))
    assert score.labelled >= 8, "too few labelled comments to measure the theme"
    assert score.precision is not None and score.precision >= TARGET_PRECISION, score
    assert score.recall is not None and score.recall >= TARGET_RECALL, score


def test_the_table_in_docs_is_the_measured_one(evaluated):
    assert table_in_docs(DOCS.read_text(encoding="utf-8")) == markdown_table(evaluated)


def test_plantes_the_plants_are_not_an_app_crash_but_the_app_that_crashes_is(evaluated):
    assert "plante" in comment("contact_centre", "cc034") and "app" not in themes_of(
        evaluated, "contact_centre", "cc034"
    )
    assert "reliability" not in themes_of(evaluated, "saas", "fr030")  # mes plantes vertes
    assert "reliability" not in themes_of(evaluated, "saas", "fr043")  # nous avons planté le décor
    assert "app" in themes_of(evaluated, "contact_centre", "cc025")  # l'application plante
    assert "reliability" in themes_of(evaluated, "saas", "fr001")
    assert "assortment_stock" in themes_of(evaluated, "retail", "rt013")  # les plantes étaient magnifiques


def test_cher_is_not_chercher(evaluated):
    for preset, comment_id in [("contact_centre", "cc035"), ("contact_centre", "cc043"), ("retail", "rt046")]:
        assert "cherch" in comment(preset, comment_id)
        assert "price" not in themes_of(evaluated, preset, comment_id)
    assert "price" in themes_of(evaluated, "contact_centre", "cc020")  # trop cher
    assert "pricing" not in themes_of(evaluated, "saas", "fr031")


def test_attentes_the_expectations_are_not_waiting_time(evaluated):
    for comment_id in ("cc036", "cc037"):
        assert "attentes" in comment("contact_centre", comment_id)
        assert "wait_time" not in themes_of(evaluated, "contact_centre", comment_id)
    assert "checkout" not in themes_of(evaluated, "retail", "rt047")
    assert "wait_time" in themes_of(evaluated, "contact_centre", "cc001")  # temps d'attente
    assert "checkout" in themes_of(evaluated, "retail", "rt030")  # trop d'attente en caisse


def test_livres_the_books_are_not_delivery(evaluated):
    assert "delivery" not in themes_of(evaluated, "contact_centre", "cc038")
    assert "delivery" not in themes_of(evaluated, "retail", "rt045")
    assert "delivery" in themes_of(evaluated, "contact_centre", "cc031")  # marqué livré


def test_helpful_alone_is_not_an_agent_nor_support(evaluated):
    for comment_id in ("en035", "en036"):
        assert "helpful" in comment("contact_centre", comment_id).lower()
        assert "agent" not in themes_of(evaluated, "contact_centre", comment_id)
    for comment_id in ("sa043", "sa044", "sa045"):
        assert "support" not in themes_of(evaluated, "saas", comment_id)
    assert "agent" in themes_of(evaluated, "contact_centre", "en006")  # the agent was really helpful


def test_appreciate_is_not_an_app(evaluated):
    for comment_id in ("en034", "en038"):
        assert "appreciate" in comment("contact_centre", comment_id)
        assert "app" not in themes_of(evaluated, "contact_centre", comment_id)
    assert themes_of(evaluated, "saas", "sa042") == set()
    assert "app" in themes_of(evaluated, "contact_centre", "en025")


@pytest.mark.parametrize("preset", PRESETS)
def test_comments_in_a_language_without_taxonomy_get_no_theme(evaluated, preset):
    foreign = [c for c in read_labelled(labelled_path(preset)) if c.language not in ("fr", "en")]
    assert len(foreign) >= 3
    assert all(themes_of(evaluated, preset, c.id) == set() for c in foreign)
