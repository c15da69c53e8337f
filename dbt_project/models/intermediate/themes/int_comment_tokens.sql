{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rebuilt_theme_rows() }}",
    )
}}

-- The words of every verbatim in a taxonomy language, with their position and the keys they match the taxonomy
-- on: the word form and the lemma, both lower-case without accents (source themes.word_lemmas; a word missing
-- there matches as written). Incremental on DuckDB (a table on Spark) and exact: a build rebuilds the responses
-- int_responses_enriched rebuilt since its own, or every response when the taxonomy changed
-- (macros/themes.sql: theme_responses_to_rebuild).
with comments as (

    select response_id, comment_language, nps_comment
    from {{ ref('int_theme_comments') }}
    where has_taxonomy_language
    {%- if is_incremental_on_current_columns() %}
        and response_id in ({{ theme_responses_to_rebuild() }})
    {%- endif %}

),

words as (

    {{ comment_words('comments', ['response_id', 'comment_language'], 'nps_comment') }}

),

lemmas as (

    select language, word, word_key, lemma_key
    from {{ source('themes', 'word_lemmas') }}

),

final as (

    select
        words.response_id,
        words.comment_language as language,
        words.position,
        words.word,
        coalesce(lemmas.word_key, words.word) as word_key,
        coalesce(lemmas.lemma_key, words.word) as lemma_key,
        {{ theme_build_columns() }}
    from words
    left join lemmas
        on words.comment_language = lemmas.language
        and words.word = lemmas.word

)

select * from final
