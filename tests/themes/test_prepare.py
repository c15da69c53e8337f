"""themes.prepare: languages detected once per distinct comment without one, the vocabulary lemmatized once."""

from __future__ import annotations

import duckdb
import pytest

from themes.prepare import prepare_theme_inputs
from themes.taxonomy import load_preset


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.surveys (response_id varchar, nps_comment varchar, language varchar)")
    con.execute("""insert into raw.surveys values
        ('1', 'Les plantes étaient magnifiques', 'fr'),
        ('2', 'The agent was rude and I waited for ages', null),
        ('3', 'Der Parkplatz ist immer voll und das Personal unfreundlich', null),
        ('4', 'The agent was rude and I waited for ages', null),
        ('5', '   ', null)""")
    yield con
    con.close()


def test_only_comments_without_a_language_are_detected_each_distinct_text_once(con):
    report = prepare_theme_inputs(con, load_preset("retail"))
    assert report.comments_detected == 2
    detected = dict(
        con.execute("""select s.nps_comment, l.language from themes.comment_languages l
                       join (select distinct nps_comment from raw.surveys) s
                           on md5(s.nps_comment) = l.comment_md5""").fetchall()
    )
    assert detected == {
        "The agent was rude and I waited for ages": "en",
        "Der Parkplatz ist immer voll und das Personal unfreundlich": "de",
    }
    assert prepare_theme_inputs(con, load_preset("retail")).comments_detected == 0  # kept from run to run


def test_the_vocabulary_of_taxonomy_languages_is_lemmatized_and_other_languages_are_not(con):
    prepare_theme_inputs(con, load_preset("retail"))
    words = {
        (language, word): (word_key, lemma)
        for language, word, word_key, lemma in con.execute(
            "select language, word, word_key, lemma_key from themes.word_lemmas"
        ).fetchall()
    }
    assert words[("fr", "plantes")] == ("plantes", "plante")
    assert words[("fr", "étaient")][1] == "etre"
    assert words[("en", "waited")] == ("waited", "wait")
    assert not [key for key in words if key[0] == "de"]


def test_without_survey_data_the_tables_exist_and_hold_only_the_taxonomy():
    with duckdb.connect() as con:
        report = prepare_theme_inputs(con, load_preset("saas"))
        assert report.words == 0
        assert con.execute("select count(*) from themes.word_lemmas").fetchall() == [(0,)]
        assert con.execute("select count(*) from themes.taxonomy_terms").fetchall()[0][0] == report.taxonomy_words > 0
