{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rebuilt_theme_rows(ref('fct_survey_responses')) }}",
    )
}}

-- Response × theme for every non-empty verbatim, with the polarity and the entry that matched; comments that match
-- no theme appear once as `other` (also those in a language the taxonomy has no entries for: no theme is guessed).
-- Incremental on DuckDB and exact, by response: a response's rows depend only on its own rows upstream. A build
-- rebuilds the responses int_responses_enriched or fct_survey_responses rebuilt since its own (their matches and
-- comment language were rebuilt with them), or every response when the taxonomy changed; the pre_hook deletes
-- their rows first, so that a comment emptied since leaves the table.
with responses as (

    select
        response_id, customer_id, segment, channel, language, nps_score, nps_category, nps_comment, responded_at,
        responded_date
    from {{ ref('fct_survey_responses') }}
    where has_response and nullif(trim(nps_comment), '') is not null
    {%- if is_incremental_on_current_columns() %}
        and response_id in ({{ theme_responses_to_rebuild(ref('fct_survey_responses')) }})
    {%- endif %}

),

matches as (

    select response_id, theme, polarity, matched_term
    from {{ ref('int_verbatim_theme_matches') }}

),

comments as (

    select response_id, comment_language, language_source, has_taxonomy_language
    from {{ ref('int_theme_comments') }}

),

final as (

    select
        responses.response_id,
        coalesce(matches.theme, 'other') as theme,
        responses.customer_id,
        responses.segment,
        responses.channel,
        responses.language,
        responses.nps_score,
        responses.nps_category,
        responses.nps_comment,
        responses.responded_at,
        responses.responded_date,
        matches.polarity,
        matches.matched_term,
        comments.comment_language,
        comments.language_source,
        coalesce(comments.has_taxonomy_language, false) as has_taxonomy_language,
        {{ theme_build_columns() }}
    from responses
    left join matches on responses.response_id = matches.response_id
    left join comments on responses.response_id = comments.response_id

)

select * from final
