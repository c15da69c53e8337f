{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rebuilt_theme_rows() }}",
    )
}}

-- Every (response, theme) that a taxonomy entry mentions, with its polarity. An entry matches whole words in a
-- row, each on its lemma (or, written `=word`, on its form), in the comment's language only. Polarity: a praise
-- or complaint entry, or a praise/complaint cue within var theme_polarity_window words of a mention; a negation
-- within var theme_negation_window words before it flips it; both → mixed. A mention inside an `exclude` entry of
-- its theme does not count ("waiting for a call back" is not wait_time).
-- Incremental on DuckDB (a table on Spark) and exact, as int_comment_tokens: a build rebuilds the responses
-- int_responses_enriched rebuilt since its own, or every response when the taxonomy changed.
with tokens as (

    select response_id, language, position, word_key, lemma_key
    from {{ ref('int_comment_tokens') }}
    {%- if is_incremental_on_current_columns() %}
    where response_id in ({{ theme_responses_to_rebuild() }})
    {%- endif %}

),

term_words as (

    select term_id, language, word_index, match_on, match_key
    from {{ source('themes', 'taxonomy_terms') }}

),

terms as (

    select distinct term_id, theme, kind, term_text, term_length
    from {{ source('themes', 'taxonomy_terms') }}

),

token_keys as (

    -- each word twice: once keyed by its lemma, once by its form (entries written `=word`)
    select response_id, language, position, 'lemma' as match_on, lemma_key as match_key from tokens
    union all
    select response_id, language, position, 'word' as match_on, word_key as match_key from tokens

),

word_hits as (

    select token_keys.response_id, term_words.term_id, term_words.word_index,
        token_keys.position - term_words.word_index as start_position
    from token_keys
    inner join term_words
        on token_keys.language = term_words.language
        and token_keys.match_on = term_words.match_on
        and token_keys.match_key = term_words.match_key

),

occurrences as (

    select word_hits.response_id, terms.theme, terms.kind, terms.term_text, terms.term_length, word_hits.start_position
    from word_hits
    inner join terms on word_hits.term_id = terms.term_id
    group by word_hits.response_id, terms.term_id, terms.theme, terms.kind, terms.term_text, terms.term_length,
        word_hits.start_position
    having count(distinct word_hits.word_index) = terms.term_length

),

excluded_spans as (

    select response_id, theme, start_position, start_position + term_length - 1 as end_position
    from occurrences
    where kind = 'exclude'

),

mentions as (

    select occurrences.response_id, occurrences.theme, occurrences.kind, occurrences.term_text, occurrences.start_position
    from occurrences
    left join excluded_spans
        on occurrences.response_id = excluded_spans.response_id
        and occurrences.theme = excluded_spans.theme
        and occurrences.start_position >= excluded_spans.start_position
        and occurrences.start_position + occurrences.term_length - 1 <= excluded_spans.end_position
    where occurrences.kind in ('term', 'praise', 'complaint')
        and excluded_spans.response_id is null

),

negations as (

    select distinct response_id, start_position as position
    from occurrences
    where kind = 'negation'

),

polar as (

    select response_id, theme, start_position, kind as polarity
    from mentions
    where kind in ('praise', 'complaint')

    union all

    select distinct cues.response_id, cues.theme, cues.start_position,
        case when cues.kind = 'praise_cue' then 'praise' else 'complaint' end as polarity
    from occurrences as cues
    inner join mentions
        on cues.response_id = mentions.response_id
        and cues.theme = mentions.theme
        and abs(cues.start_position - mentions.start_position) <= {{ var('theme_polarity_window', 4) | int }}
    where cues.kind in ('praise_cue', 'complaint_cue')

),

polar_negated as (

    select
        polar.response_id,
        polar.theme,
        polar.start_position,
        polar.polarity,
        count(negations.position) > 0 as is_negated
    from polar
    left join negations
        on polar.response_id = negations.response_id
        and negations.position between polar.start_position - {{ var('theme_negation_window', 3) | int }}
            and polar.start_position - 1
    group by polar.response_id, polar.theme, polar.start_position, polar.polarity

),

polarity_counts as (

    select
        response_id,
        theme,
        count(*) filter (where (polarity = 'praise') != is_negated) as praise,
        count(*) filter (where (polarity = 'complaint') != is_negated) as complaint
    from polar_negated
    group by response_id, theme

),

themes_mentioned as (

    select response_id, theme, min(term_text) as matched_term
    from mentions
    group by response_id, theme

),

final as (

    select
        themes_mentioned.response_id,
        themes_mentioned.theme,
        case
            when polarity_counts.praise > 0 and polarity_counts.complaint > 0 then 'mixed'
            when polarity_counts.praise > 0 then 'praise'
            when polarity_counts.complaint > 0 then 'complaint'
        end as polarity,
        themes_mentioned.matched_term,
        {{ theme_build_columns() }}
    from themes_mentioned
    left join polarity_counts
        on themes_mentioned.response_id = polarity_counts.response_id
        and themes_mentioned.theme = polarity_counts.theme

)

select * from final
