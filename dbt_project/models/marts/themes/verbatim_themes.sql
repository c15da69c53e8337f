-- Response × theme for every non-empty verbatim; comments that match no theme appear once as `other`.
with responses as (

    select
        response_id, customer_id, segment, channel, language, nps_score, nps_category, nps_comment, responded_at,
        responded_date
    from {{ ref('fct_survey_responses') }}
    where has_response and nullif(trim(nps_comment), '') is not null

),

matches as (

    select response_id, theme
    from {{ ref('int_verbatim_theme_matches') }}

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
        responses.responded_date
    from responses
    left join matches on responses.response_id = matches.response_id

)

select * from final
