-- Month × queue × interaction channel: the agent metrics, by where the contact came in.
with calls as (

    select *
    from {{ ref('int_calls_enriched') }}

),

queue_months as (

    select
        {{ period_start('started_date', 'month') }} as period_start,
        coalesce(queue, 'unknown') as queue,
        coalesce(channel, 'unknown') as channel,
        {{ contact_centre_aggregates() }}
    from calls
    group by 1, 2, 3

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
