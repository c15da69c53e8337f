{{ config(materialized='view') }}

-- Every contact-centre interaction (newest file wins) with what the facts and metrics derive from it: answered,
-- handle time, transferred, and the local day of the start (call_measures). A view: fct_calls reads only the new
-- files' rows of it, and int_detractor_followups reads it once (int_calls_enriched applies call_measures itself).
with calls as (

    select
        call_id, customer_id, agent_id, agent_name, team, queue, direction, channel, started_at, answered_at,
        ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition, _file_id
    from {{ ref('stg_calls__calls') }}

),

final as (

    {{ call_measures('calls') }}

)

select * from final
