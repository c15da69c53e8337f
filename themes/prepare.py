"""The Python half of verbatim themes, run between ingestion and dbt: what SQL cannot do well.

It writes three tables in schema `themes`, which the dbt models read as the source `themes` (the matching rules
stay in dbt, `models/intermediate/themes`):

- `comment_languages` (comment_md5, language): the language of each distinct comment whose export gives none,
  detected with lingua; kept from run to run, so only new comments are detected.
- `word_lemmas` (language, word, word_key, lemma_key): the distinct vocabulary of the comments, per language
  of the taxonomy, lemmatized with simplemma (tens of thousands of words, not one call per comment).
- `taxonomy_terms`: every word of every entry of the taxonomy in use (`themes.taxonomy.term_words`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from themes.taxonomy import Taxonomy, lemma_key, term_words, word_key

SCHEMA = "themes"
# the comment tokenizer, as the dbt macro `comment_words` (RE2 syntax): runs of letters and combining marks
WORD_PATTERN = r"[\p{L}\p{M}]+"
# languages the detector chooses among, besides the taxonomy's: a comment in one of these with no taxonomy gets
# no theme (rather than being read as French or English and matched wrongly)
DETECTABLE = ("en", "fr", "de", "es", "it", "nl", "pt", "sv", "da", "nb", "fi", "pl", "cs", "ro", "hu", "tr", "ru")
TERM_COLUMNS = (
    "term_id integer, theme varchar, language varchar, kind varchar, term_text varchar, term_length integer, "
    "word_index integer, match_on varchar, match_key varchar"
)


@dataclass(frozen=True)
class PrepareReport:
    comments_detected: int
    words: int
    taxonomy_words: int
    languages: tuple[str, ...]


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return bool(con.execute(sql, [schema, table]).fetchall()[0][0])


def _comments_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Every non-empty comment of raw.surveys with the export's language (ISO 639-1 part), or none."""
    if not _has_table(con, "raw", "surveys"):
        return "select null::varchar as nps_comment, null::varchar as language where false"
    return """
        select nps_comment, nullif(substring(lower(trim(language)), 1, 2), '') as language
        from raw.surveys where nullif(trim(nps_comment), '') is not null"""


def detector(languages: tuple[str, ...]):
    codes = sorted(set(DETECTABLE) | set(languages))
    chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    return LanguageDetectorBuilder.from_languages(*chosen).build()


def detect_languages(con: duckdb.DuckDBPyConnection, languages: tuple[str, ...]) -> int:
    """Detect the language of each distinct comment without one not detected before; returns how many."""
    con.execute(f"create table if not exists {SCHEMA}.comment_languages (comment_md5 varchar, language varchar)")
    texts = [
        row[0]
        for row in con.execute(f"""
            select distinct nps_comment from ({_comments_sql(con)}) as comments
            where language is null
              and md5(nps_comment) not in (select comment_md5 from {SCHEMA}.comment_languages)""").fetchall()
    ]
    if not texts:
        return 0
    found = detector(languages).detect_languages_in_parallel_of(texts)
    detected = pa.table(
        {
            "nps_comment": texts,
            "language": [lang.iso_code_639_1.name.lower() if lang else None for lang in found],
        }
    )
    con.register("detected_languages", detected)
    con.execute(f"insert into {SCHEMA}.comment_languages select md5(nps_comment), language from detected_languages")
    con.unregister("detected_languages")
    return len(texts)


def write_word_lemmas(con: duckdb.DuckDBPyConnection, languages: tuple[str, ...]) -> int:
    """The distinct words of the comments in each taxonomy language, with their match keys."""
    vocabulary = con.execute(
        f"""
        with comments as ({_comments_sql(con)}),
        typed as (
            select coalesce(comments.language, detected.language) as language, comments.nps_comment
            from comments left join {SCHEMA}.comment_languages as detected
                on comments.language is null and detected.comment_md5 = md5(comments.nps_comment)
        )
        select distinct language, unnest(regexp_extract_all(lower(nps_comment), '{WORD_PATTERN}')) as word
        from typed where list_contains(?, language)
        order by all""",
        [list(languages)],
    ).fetchall()
    words = pa.table(
        {
            "language": [language for language, _ in vocabulary],
            "word": [word for _, word in vocabulary],
            "word_key": [word_key(word) for _, word in vocabulary],
            "lemma_key": [lemma_key(word, language) for language, word in vocabulary],
        }
    )
    con.register("vocabulary", words)
    con.execute(f"create or replace table {SCHEMA}.word_lemmas as select * from vocabulary")
    con.unregister("vocabulary")
    return len(vocabulary)


def write_taxonomy_terms(con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> int:
    rows = term_words(taxonomy)
    con.execute(f"create or replace table {SCHEMA}.taxonomy_terms ({TERM_COLUMNS})")
    if rows:
        columns = [name.split()[0] for name in TERM_COLUMNS.split(", ")]
        terms = pa.table({column: [getattr(row, column) for row in rows] for column in columns})
        con.register("terms", terms)
        con.execute(f"insert into {SCHEMA}.taxonomy_terms select * from terms")
        con.unregister("terms")
    return len(rows)


def prepare_theme_inputs(con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> PrepareReport:
    """Write schema `themes` (languages, lemmas, taxonomy) from raw.surveys and `taxonomy`, in one transaction."""
    languages = tuple(taxonomy.languages())
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {SCHEMA}")
        detected = detect_languages(con, languages)
        words = write_word_lemmas(con, languages)
        terms = write_taxonomy_terms(con, taxonomy)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return PrepareReport(detected, words, terms, languages)
