{{ config(materialized='view') }}

-- Every contact-centre interaction (newest file wins) with what the facts and metrics derive from it: answered,
-- handle time, transferred, and the local day of the start. A view: fct_calls reads only the new files' rows
-- of it, and the other models read it once each.
with calls as (

    select
        call_id, customer_id, agent_id, agent_name, team, queue, direction, channel, started_at, answered_at,
        ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition, _file_id
    from {{ ref('stg_calls__calls') }}

),

final as (

    select
        call_id, customer_id, agent_id, agent_name, team, queue, direction, channel, started_at, answered_at,
        ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition,
        answered_at is not null as is_answered,
        coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(acw_seconds, 0) as handle_seconds,
        disposition = 'transferred' as is_transferred,
        {{ local_date('started_at') }} as started_date,
        _file_id
    from calls

)

select * from final
