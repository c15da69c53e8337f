{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='call_id',
        post_hook="{{ enforce_unique_key() }}",
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Every call with what the contact-centre metrics need: whether it is an answered inbound call, whether the
-- same customer came back (another inbound contact within var repeat_contact_window_days: a
-- first-contact-resolution proxy), and
-- the post-call surveys whose interaction_id is this call.
-- Incremental on DuckDB and exact: a build reprocesses the calls from files loaded since the last build, every call
-- whose post-call survey counts differ from the built ones (late or re-sent responses), and, for each customer
-- such a call belongs (or belonged) to, the customer's calls from var repeat_contact_window_days before the
-- earliest of those calls' start times (new and built) on. A call's repeat flag depends only on the customer's
-- next inbound call: a call starting earlier than the window before a changed call keeps its next inbound call,
-- or gets the changed one, which is then beyond its window either way; a reprocessed call's later calls are all
-- reprocessed with it. The calls' measures (call_measures, as int_calls) are computed for the reprocessed calls
-- only.
with post_call_surveys as (

    select
        interaction_id as call_id,
        {{ nps_category_counts('nps_category') }},
        {{ csat_counts('csat_score') }}
    from {{ ref('int_responses_enriched') }}
    where interaction_id is not null and has_response
    group by interaction_id

),

{% if is_incremental_on_current_columns() %}
changed_calls as (

    select call_id, customer_id, started_at
    from {{ ref('stg_calls__calls') }}
    where _file_id > {{ built_through_watermark() }}

),

changed_survey_counts as (

    select coalesce(counted.call_id, built.call_id) as call_id
    from post_call_surveys as counted
    full outer join (
        select call_id, responses, promoters, passives, detractors, csat_responses, csat_satisfied
        from {{ this }}
        where responses > 0 or csat_responses > 0
    ) as built
        on counted.call_id = built.call_id
    where counted.call_id is null
        or built.call_id is null
        or counted.responses <> built.responses
        or counted.promoters <> built.promoters
        or counted.passives <> built.passives
        or counted.detractors <> built.detractors
        or counted.csat_responses <> built.csat_responses
        or counted.csat_satisfied <> built.csat_satisfied

),

changed_starts as (

    -- where each changed call starts now, where its built row started (it may have moved to another customer
    -- or time), and where each call with changed survey counts starts
    select customer_id, started_at from changed_calls
    union all
    select customer_id, started_at
    from {{ this }}
    {{ where_rows(this, 'call_id in (select call_id from changed_calls)') }}
    union all
    select customer_id, started_at
    from {{ ref('stg_calls__calls') }}
    {{ where_rows(ref('stg_calls__calls'), 'call_id in (select call_id from changed_survey_counts)') }}

),

touched_customers as (

    select
        customer_id,
        {{ dbt.dateadd('day', -1 * var('repeat_contact_window_days'), 'min(started_at)') }} as reprocess_from
    from changed_starts
    where customer_id is not null
    group by customer_id

),

reprocessed_calls as (

    select stg_calls.call_id
    from {{ ref('stg_calls__calls') }} as stg_calls
    inner join touched_customers
        on stg_calls.customer_id = touched_customers.customer_id
        and stg_calls.started_at >= touched_customers.reprocess_from

    union

    select call_id from changed_calls

    union

    select call_id from changed_survey_counts

),

{% endif %}
staged_calls as (

    select
        call_id, customer_id, agent_id, agent_name, team, queue, direction, channel, started_at, answered_at,
        ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition, _file_id
    from {{ ref('stg_calls__calls') }}
    {%- if is_incremental_on_current_columns() %}
    -- every column is read for the reprocessed calls only
    {{ where_rows(ref('stg_calls__calls'), 'call_id in (select call_id from reprocessed_calls)') }}
    {%- endif %}

),

calls as (

    {{ call_measures('staged_calls') }}

),

built_through as (

    -- the highest file id behind the rows: of the calls and of the post-call surveys, so that a build for new
    -- survey counts alone (no new call file) stamps its rows above the last watermark too (int_call_counts_monthly
    -- finds them by it); file ids are one sequence over every source, so new call files stay above it
    select greatest(
        (select max(_file_id) from {{ ref('stg_calls__calls') }}),
        {{ built_through_watermark(ref('int_responses_enriched')) }}
    ) as file_id

),

inbound as (

    select call_id, customer_id, started_at
    from calls
    where direction = 'inbound'

),

next_inbound as (

    select
        call_id,
        lead(started_at) over (partition by customer_id order by started_at, call_id) as next_inbound_at
    from inbound
    where customer_id is not null

),

final as (

    select
        calls.call_id,
        calls.customer_id,
        calls.agent_id,
        calls.agent_name,
        calls.team,
        calls.queue,
        calls.direction,
        calls.channel,
        calls.started_at,
        calls.started_date,
        calls.wait_seconds,
        calls.handle_seconds,
        calls.is_answered,
        calls.is_transferred,
        calls.direction = 'inbound' and calls.is_answered as is_inbound_answered,
        next_inbound.next_inbound_at is not null
            and next_inbound.next_inbound_at <= {{ dbt.dateadd('day', var('repeat_contact_window_days'), 'calls.started_at') }}
            as is_repeat_contact,
        coalesce(post_call_surveys.responses, 0) as responses,
        coalesce(post_call_surveys.promoters, 0) as promoters,
        coalesce(post_call_surveys.passives, 0) as passives,
        coalesce(post_call_surveys.detractors, 0) as detractors,
        coalesce(post_call_surveys.csat_responses, 0) as csat_responses,
        coalesce(post_call_surveys.csat_satisfied, 0) as csat_satisfied,
        built_through.file_id as _built_through_file_id
    from calls
    cross join built_through
    left join next_inbound on calls.call_id = next_inbound.call_id
    left join post_call_surveys on calls.call_id = post_call_surveys.call_id

)

select * from final
