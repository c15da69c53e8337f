-- Month × agent: volume, handling time, waiting, transfers, repeat contacts and the post-call NPS and CSAT of
-- the surveys triggered by the agent's calls.
with calls as (

    select *
    from {{ ref('int_calls_enriched') }}
    where agent_id is not null

),

final as (

    select
        'month' as period_grain,
        {{ period_start('started_date', 'month') }} as period_start,
        agent_id,
        max(agent_name) as agent_name,
        max(team) as team,
        {{ contact_centre_metrics() }}
    from calls
    group by 2, 3

)

select * from final
