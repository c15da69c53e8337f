-- Month × queue × interaction channel: the agent metrics, by where the contact came in; from the monthly sums of
-- the calls.
with call_counts as (

    select *
    from {{ ref('int_call_counts_monthly') }}

),

queue_months as (

    select
        period_start,
        coalesce(queue, 'unknown') as queue,
        coalesce(channel, 'unknown') as channel,
        {{ contact_centre_aggregates() }}
    from call_counts
    group by period_start, coalesce(queue, 'unknown'), coalesce(channel, 'unknown')

),

final as (

    select
        'month' as period_grain,
        queue_months.period_start,
        queue_months.queue,
        queue_months.channel,
        {{ contact_centre_metrics('queue_months') }}
    from queue_months

)

select * from final
