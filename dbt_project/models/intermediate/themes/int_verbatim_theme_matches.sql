-- Every (response, theme) whose pattern matches the comment, ignoring case and accents; the pattern of a
-- language applies to comments in that language (or of unknown language); `any` applies to all.
with comments as (

    select response_id, language, {{ normalise_text('nps_comment') }} as comment_text
    from {{ ref('fct_survey_responses') }}
    where has_response and nullif(trim(nps_comment), '') is not null

),

taxonomy as (

    select theme, lower(language) as language, {{ normalise_text('pattern') }} as pattern
    from {{ ref('verbatim_theme_keywords') }}

),

final as (

    select distinct
        comments.response_id,
        taxonomy.theme
    from comments
    inner join taxonomy
        on (taxonomy.language = 'any' or comments.language is null or taxonomy.language = comments.language)
        and {{ regex_matches('comments.comment_text', 'taxonomy.pattern') }}

)

select * from final
