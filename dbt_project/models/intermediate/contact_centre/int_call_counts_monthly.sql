{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='period_start',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_months_left_empty() }}",
    )
}}

-- The sums of the contact-centre metrics (contact_centre_sums) by month, agent, queue and channel, which
-- agent_performance and queue_performance add up: neither reads the 20M calls of int_calls_enriched again.
-- Incremental on DuckDB and exact, by whole month (delete+insert on period_start): a build recomputes the months
-- that hold a call int_calls_enriched (re)built since this model's last build (its _built_through_file_id above the
-- watermark: a new call, a changed one where it starts now, one with new post-call survey counts), and the months
-- whose number of calls changed (a call that moved to another month left this one; calls never leave
-- int_calls_enriched). A month left without any call has no row to insert: the pre_hook deletes it.
with {% if is_incremental_on_current_columns() %}
call_months as (

    select {{ period_start('started_date', 'month') }} as period_start, count(*) as calls
    from {{ ref('int_calls_enriched') }}
    group by 1

),

built_months as (

    select period_start, sum(calls) as calls
    from {{ this }}
    group by period_start

),

touched_months as (

    select distinct {{ period_start('started_date', 'month') }} as period_start
    from {{ ref('int_calls_enriched') }}
    where _built_through_file_id > {{ built_through_watermark() }}
    union
    select call_months.period_start
    from call_months
    left join built_months on call_months.period_start = built_months.period_start
    where built_months.calls is null or built_months.calls <> call_months.calls

),

{% endif %}
recomputed_calls as (

    select
        {{ period_start('started_date', 'month') }} as period_start,
        agent_id, agent_name, team, queue, channel, direction, wait_seconds, handle_seconds, is_answered,
        is_transferred, is_inbound_answered, is_repeat_contact, responses, promoters, passives, detractors,
        csat_responses, csat_satisfied
    from {{ ref('int_calls_enriched') }}
    {%- if is_incremental_on_current_columns() %}
    {{ where_rows(ref('int_calls_enriched'), period_start('started_date', 'month')
        ~ ' in (select period_start from touched_months)') }}
    {%- endif %}

),

built_through as (

    select max(_built_through_file_id) as file_id from {{ ref('int_calls_enriched') }}

),

monthly_sums as (

    select
        period_start,
        agent_id,
        queue,
        channel,
        max(agent_name) as agent_name,
        max(team) as team,
        {{ contact_centre_sums() }}
    from recomputed_calls
    group by period_start, agent_id, queue, channel

),

final as (

    select
        monthly_sums.*,
        built_through.file_id as _built_through_file_id
    from monthly_sums
    cross join built_through

)

select * from final
