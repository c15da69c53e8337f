-- Every non-empty verbatim with the language its themes are matched in: the export's (ISO 639-1 part), else the
-- one detected from the text (source themes.comment_languages, written by themes/prepare.py before dbt runs).
with responses as (

    select response_id, nps_comment, nullif(substring(language, 1, 2), '') as export_language
    from {{ ref('int_responses_enriched') }}
    where has_response and nullif(trim(nps_comment), '') is not null

),

detected as (

    select comment_md5, max(language) as detected_language
    from {{ source('themes', 'comment_languages') }}
    group by comment_md5

),

taxonomy_languages as (

    select distinct language
    from {{ source('themes', 'taxonomy_terms') }}
    where theme is not null

),

typed as (

    select
        responses.response_id,
        responses.nps_comment,
        coalesce(responses.export_language, detected.detected_language) as comment_language,
        case
            when responses.export_language is not null then 'export'
            when detected.detected_language is not null then 'detected'
        end as language_source
    from responses
    left join detected
        on responses.export_language is null
        and md5(responses.nps_comment) = detected.comment_md5

),

final as (

    select
        typed.response_id,
        typed.nps_comment,
        typed.comment_language,
        typed.language_source,
        taxonomy_languages.language is not null as has_taxonomy_language
    from typed
    left join taxonomy_languages on typed.comment_language = taxonomy_languages.language

)

select * from final
