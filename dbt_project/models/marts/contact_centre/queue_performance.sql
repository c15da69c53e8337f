-- Month × queue × interaction channel: the agent metrics, by where the contact came in.
with calls as (

    select *
    from {{ ref('int_calls_enriched') }}

),

final as (

    select
        'month' as period_grain,
        {{ period_start('started_date', 'month') }} as period_start,
        coalesce(queue, 'unknown') as queue,
        coalesce(channel, 'unknown') as channel,
        {{ contact_centre_metrics() }}
    from calls
    group by 2, 3, 4

)

select * from final
