{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='call_id',
        post_hook="{{ enforce_unique_key() }}",
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Incremental on DuckDB: a build recomputes the newest version of the call_ids that files loaded since the last
-- build carry, from all their landed rows (where_touched_keys), and replaces them.
with landed as (

    select
        call_id, customer_id, phone, agent_id, agent_name, team, queue, direction, channel,
        started_at, answered_at, ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition,
        _file_id, _file_name, _file_mtime, _line_number, _loaded_at, _record_version
    from {{ source('calls', 'calls') }}
    {{ where_touched_keys(source('calls', 'calls'), 'call_id') }}

),

newest_version as (

    {{ newest_versions('landed', ['call_id']) }}

),

built_through as (

    select max(_file_id) as file_id from {{ source('calls', 'calls') }}

),

final as (

    select
        call_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(phone), '') as phone,
        agent_id,
        agent_name,
        nullif(lower(trim(team)), '') as team,
        nullif(lower(trim(queue)), '') as queue,
        lower(trim(direction)) as direction,
        coalesce(nullif(lower(trim(channel)), ''), 'phone') as channel,
        started_at,
        answered_at,
        ended_at,
        wait_seconds,
        talk_seconds,
        hold_seconds,
        acw_seconds,
        lower(trim(disposition)) as disposition,
        _file_id,
        _file_name,
        _line_number,
        built_through.file_id as _built_through_file_id
    from newest_version
    cross join built_through

)

select * from final
