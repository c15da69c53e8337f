"""Emerging topics: the key phrases of the comments no theme covers, with their counts and NPS, per language.

Run after dbt (it reads marts.verbatim_themes and intermediate.int_comment_tokens) and writes
`marts.emerging_topics`. YAKE (unsupervised, offline) proposes candidate phrases from a sample of the distinct
uncovered comments of each language, read as one text; the counts are then taken over every uncovered comment in
SQL, matching the phrase's words in a row (the same words the theme matching cuts), so no Python runs per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import yake

from publishing.nps_metrics import nps_and_moe, nps_interval
from themes.taxonomy import words_of

TABLE = "marts.emerging_topics"
COLUMNS = (
    "language varchar, key_phrase varchar, phrase_rank integer, yake_score double, comments bigint, "
    "share_of_uncovered double, responses bigint, promoters bigint, passives bigint, detractors bigint, "
    "nps double, nps_ci_low_95 double, nps_ci_high_95 double, example_comment varchar"
)


@dataclass(frozen=True)
class EmergingSettings:
    sample_comments: int = 5000  # distinct uncovered comments per language given to YAKE
    candidates: int = 60  # key phrases YAKE proposes per language
    max_words: int = 3
    min_comments: int = 2  # a phrase in fewer uncovered comments is not listed


def uncovered_texts(con: duckdb.DuckDBPyConnection, sample: int) -> dict[str, list[str]]:
    """language → a deterministic sample of the distinct comments no theme covers (by md5, not by order)."""
    rows = con.execute(
        """
        with uncovered as (
            select distinct comment_language as language, nps_comment
            from marts.verbatim_themes where theme = 'other' and comment_language is not null
        ),
        ranked as (
            select language, nps_comment,
                row_number() over (partition by language order by md5(nps_comment)) as n
            from uncovered
        )
        select language, nps_comment from ranked where n <= ? order by language, n""",
        [sample],
    ).fetchall()
    texts: dict[str, list[str]] = {}
    for language, comment in rows:
        texts.setdefault(language, []).append(comment)
    return texts


def candidate_phrases(language: str, comments: list[str], settings: EmergingSettings) -> list[tuple[str, float]]:
    """YAKE's key phrases of the comments read as one text (one sentence per comment), best first."""
    text = "\n".join(c.strip().rstrip(".!?") + "." for c in comments)
    extractor = yake.KeywordExtractor(lan=language, n=settings.max_words, top=settings.candidates, dedup_lim=0.8)
    seen, out = set(), []
    for phrase, score in extractor.extract_keywords(text):
        key = " ".join(words_of(phrase))
        if key and key not in seen:
            seen.add(key)
            out.append((key, float(score)))
    return out


def _phrase_words(candidates: dict[str, list[tuple[str, float]]]) -> pa.Table:
    rows = [
        (language, rank, phrase, score, index, word, len(words_of(phrase)))
        for language, phrases in candidates.items()
        for rank, (phrase, score) in enumerate(phrases, start=1)
        for index, word in enumerate(words_of(phrase))
    ]
    schema = pa.schema(
        [
            ("language", pa.string()),
            ("phrase_rank", pa.int32()),
            ("key_phrase", pa.string()),
            ("yake_score", pa.float64()),
            ("word_index", pa.int32()),
            ("word", pa.string()),
            ("phrase_length", pa.int32()),
        ]
    )
    return pa.table({field.name: [row[i] for row in rows] for i, field in enumerate(schema)}, schema=schema)


COUNTS_SQL = """
with uncovered as (
    select response_id, comment_language as language, nps_category, nps_comment
    from marts.verbatim_themes where theme = 'other' and comment_language is not null
),
tokens as (
    select tokens.response_id, tokens.language, tokens.position, tokens.word
    from intermediate.int_comment_tokens as tokens
    where tokens.response_id in (select response_id from uncovered)
),
hits as (
    select tokens.response_id, phrases.language, phrases.key_phrase, tokens.position - phrases.word_index as start
    from tokens inner join phrase_words as phrases
        on tokens.language = phrases.language and tokens.word = phrases.word
    group by all
    having count(distinct phrases.word_index) = max(phrases.phrase_length)
),
comments_with as (
    select distinct response_id, language, key_phrase from hits
),
totals as (
    select language, count(*) as uncovered from uncovered group by language
),
phrases as (
    select distinct language, key_phrase, phrase_rank, yake_score from phrase_words
)
select
    phrases.language, phrases.key_phrase, phrases.phrase_rank, phrases.yake_score,
    count(*) as comments,
    1.0 * count(*) / max(totals.uncovered) as share_of_uncovered,
    count(uncovered.nps_category) as responses,
    count(*) filter (where uncovered.nps_category = 'promoter') as promoters,
    count(*) filter (where uncovered.nps_category = 'passive') as passives,
    count(*) filter (where uncovered.nps_category = 'detractor') as detractors,
    min(uncovered.nps_comment) as example_comment
from phrases
inner join comments_with using (language, key_phrase)
inner join uncovered using (response_id, language)
inner join totals using (language)
group by all
having count(*) >= ?
order by phrases.language, comments desc, phrases.phrase_rank
"""


def build_emerging_topics(con: duckdb.DuckDBPyConnection, settings: EmergingSettings | None = None) -> int:
    """(Re)write marts.emerging_topics; returns its number of rows. Tokens must cover the uncovered comments'
    languages: comments in a language the taxonomy lacks are not cut into words, so they are not listed."""
    settings = settings or EmergingSettings()
    candidates = {
        language: candidate_phrases(language, comments, settings)
        for language, comments in uncovered_texts(con, settings.sample_comments).items()
    }
    con.register("phrase_words", _phrase_words(candidates))
    try:
        counted = con.sql(COUNTS_SQL, params=[settings.min_comments]).to_arrow_table()
    finally:
        con.unregister("phrase_words")
    promoters, detractors, responses = (counted.column(c).to_numpy() for c in ("promoters", "detractors", "responses"))
    nps, _ = nps_and_moe(promoters, detractors, responses)
    low, high = nps_interval(promoters, detractors, responses)
    result = counted.append_column("nps", pa.array(nps, mask=responses == 0))
    result = result.append_column("nps_ci_low_95", pa.array(low)).append_column("nps_ci_high_95", pa.array(high))
    con.register("emerging", result)
    try:
        columns = ", ".join(name.split()[0] for name in COLUMNS.split(", "))
        con.execute(f"create or replace table {TABLE} ({COLUMNS})")
        con.execute(f"insert into {TABLE} select {columns} from emerging")
    finally:
        con.unregister("emerging")
    return result.num_rows
