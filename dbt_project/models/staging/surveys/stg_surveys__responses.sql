with source as (

    select
        response_id, customer_id, email, channel, touchpoint, interaction_id,
        sent_at, responded_at, nps_score, nps_comment, csat_score, ces_score, language,
        attributes, source_profile, is_invitation,
        _file_id, _file_name, _file_mtime, _line_number, _loaded_at, _record_version
    from {{ source('surveys', 'surveys') }}

),

newest_version as (

    -- the same invitation re-sent in several exports: the newest file wins (then the last line)
    {{ newest_versions('source', ['response_id']) }}

),

final as (

    select
        response_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(lower(trim(email)), '') as email,
        {{ normalise_channel('channel') }} as channel,
        nullif(lower(trim(touchpoint)), '') as touchpoint,
        nullif(trim(interaction_id), '') as interaction_id,
        sent_at,
        responded_at,
        responded_at is not null as has_response,
        nps_score,
        nps_comment,
        csat_score,
        ces_score,
        nullif(lower(trim(language)), '') as language,
        attributes,
        source_profile,
        is_invitation,
        _file_id,
        _file_name,
        _line_number,
        _loaded_at
    from newest_version

)

select * from final
