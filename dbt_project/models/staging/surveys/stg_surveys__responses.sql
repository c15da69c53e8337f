{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='response_id',
        post_hook="{{ enforce_unique_key() }}",
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Incremental on DuckDB: a build recomputes the newest version of the response_ids that files loaded since the last
-- build carry, from all their landed rows (where_touched_keys), and replaces them.
with landed as (

    select
        response_id, customer_id, email, channel, touchpoint, interaction_id,
        sent_at, responded_at, nps_score, nps_comment, csat_score, ces_score, language,
        attributes, source_profile, is_invitation,
        _file_id, _file_name, _file_mtime, _line_number, _loaded_at, _record_version
    from {{ source('surveys', 'surveys') }}
    {{ where_touched_keys(source('surveys', 'surveys'), 'response_id') }}

),

newest_version as (

    -- the same invitation re-sent in several exports: the newest file wins (then the last line)
    {{ newest_versions('landed', ['response_id']) }}

),

built_through as (

    select max(_file_id) as file_id from {{ source('surveys', 'surveys') }}

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
        _loaded_at,
        built_through.file_id as _built_through_file_id
    from newest_version
    cross join built_through

)

select * from final
