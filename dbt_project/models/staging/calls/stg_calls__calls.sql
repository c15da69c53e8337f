with source as (

    select
        call_id, customer_id, phone, agent_id, agent_name, team, queue, direction, channel,
        started_at, answered_at, ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition,
        _file_id, _file_name, _file_mtime, _line_number, _loaded_at, _record_version
    from {{ source('calls', 'calls') }}

),

newest_version as (

    {{ newest_versions('source', ['call_id']) }}

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
        _line_number
    from newest_version

)

select * from final
