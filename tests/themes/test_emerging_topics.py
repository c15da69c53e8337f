"""A file the taxonomy was never tuned on, through sources.yml (retail preset), language detection, dbt and the
emerging-topics step: its uncovered subjects surface, its German comments get no theme, the impact interval holds."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.loader import ingest
from orchestration.assets.themes import taxonomy_of
from themes.emerging import build_emerging_topics
from themes.prepare import prepare_theme_inputs
from themes.quality import run_dbt

FIXTURE = Path(__file__).parent / "fixtures" / "unseen_garden_centre.csv"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("unseen")
    landing = work / "landing"
    (landing / "surveys").mkdir(parents=True)
    shutil.copy(FIXTURE, landing / "surveys" / FIXTURE.name)
    (landing / "sources.yml").write_text("version: 1\nthemes: {preset: retail}\n")
    warehouse = work / "nps.duckdb"
    ingest(landing, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        prepare_theme_inputs(con, taxonomy_of(landing / "sources.yml"))
    run_dbt(warehouse, work, "run", "--select", "+verbatim_themes", "+int_comment_tokens", "+theme_impact")
    with duckdb.connect(str(warehouse)) as con:
        build_emerging_topics(con)
    return warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_uncovered_subjects_of_an_unseen_file_surface_per_language(warehouse):
    phrases = query(warehouse, "select language, key_phrase, comments, nps from marts.emerging_topics")
    french = {phrase: (count, nps) for language, phrase, count, nps in phrases if language == "fr"}
    english = {phrase for language, phrase, _, _ in phrases if language == "en"}
    assert french["parking"][0] == 5 and french["parking"][1] == -100.0
    assert any("horaires" in phrase for phrase in french)
    assert any("toilettes" in phrase for phrase in french)
    assert any("car park" in phrase or phrase == "park" for phrase in english)
    assert any("opening hours" in phrase or phrase == "hours" for phrase in english)
    covered = {"accueil", "caisse", "choix", "prix", "staff", "queue"}
    assert not covered & {word for phrase in french.keys() | english for word in phrase.split()}


def test_comments_without_a_language_are_detected_and_german_gets_no_theme(warehouse):
    rows = query(
        warehouse,
        """select comment_language, language_source, theme, has_taxonomy_language
                               from marts.verbatim_themes where nps_comment like 'Der Parkplatz%'""",
    )
    assert rows == [("de", "detected", "other", False)] * 2
    welcomed = query(
        warehouse,
        "select theme, polarity, comment_language from marts.verbatim_themes "
        "where nps_comment = 'Accueil très agréable, vendeuse souriante'",
    )
    assert welcomed == [("welcome_staff", "praise", "fr")]


def adjusted(promoters: int, detractors: int, responses: int) -> tuple[float, float]:
    """Centre (points) and variance (fraction) with the pseudo-counts of contract section 4."""
    p, d = (promoters + 0.75) / (responses + 3), (detractors + 0.75) / (responses + 3)
    return 100 * (p - d), (p + d - (p - d) ** 2) / (responses + 3)


def test_nps_points_lost_is_all_minus_without_and_its_interval_is_adjusted_wald(warehouse):
    ((all_p, all_d, all_n),) = query(
        warehouse,
        "select sum(promoters), sum(detractors), sum(responses) from intermediate.int_response_counts_daily",
    )
    counts = query(
        warehouse,
        """select theme, count(*) filter (where nps_category = 'promoter'),
                  count(*) filter (where nps_category = 'detractor'), count(nps_category)
           from marts.verbatim_themes group by theme""",
    )
    impact = {
        theme: (lost, low, high, rank)
        for theme, lost, low, high, rank in query(
            warehouse,
            """select theme, nps_points_lost, nps_points_lost_ci_low_95, nps_points_lost_ci_high_95, impact_rank
               from marts.theme_impact where period_grain = 'year'""",
        )
    }
    assert len(impact) == len(counts) >= 4
    for theme, p, d, n in counts:
        lost, low, high, _ = impact[theme]
        nps_all, nps_without = 100 * (all_p - all_d) / all_n, 100 * ((all_p - p) - (all_d - d)) / (all_n - n)
        assert lost == pytest.approx(nps_all - nps_without)
        share = n / all_n
        (c_with, v_with), (c_without, v_without) = adjusted(p, d, n), adjusted(all_p - p, all_d - d, all_n - n)
        centre, half = share * (c_with - c_without), 196 * share * math.sqrt(v_with + v_without)
        assert low == pytest.approx(max(-200 * share, centre - half))
        assert high == pytest.approx(min(200 * share, centre + half))
        assert low < high
    by_rank = sorted(impact.values(), key=lambda row: row[3])
    assert [row[0] for row in by_rank] == sorted(row[0] for row in by_rank)  # rank 1 costs the most points
