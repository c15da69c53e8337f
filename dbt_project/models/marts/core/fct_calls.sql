{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='call_id',
        post_hook="{{ enforce_unique_key() }}",
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

-- One row per contact-centre interaction (newest file wins). Incremental: a build reprocesses the calls whose
-- rows came from files loaded since the last build, keyed on the load-order file id.
with calls as (

    select
        call_id, customer_id, agent_id, agent_name, team, queue, direction, channel, started_at, answered_at,
        ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition, is_answered, handle_seconds,
        is_transferred, started_date, _file_id
    from {{ ref('int_calls') }}
    {% if is_incremental() %}
    where _file_id > {{ built_through_watermark() }}
    {% endif %}

),

built_through as (

    select max(_file_id) as file_id from {{ ref('int_calls') }}

),

final as (

    select
        calls.*,
        built_through.file_id as _built_through_file_id
    from calls
    cross join built_through

)

select * from final
