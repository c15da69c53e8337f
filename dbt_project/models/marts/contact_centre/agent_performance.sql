-- Month × agent: volume, handling time, waiting, transfers, repeat contacts and the post-call NPS (with its
-- interval) and CSAT of the surveys triggered by the agent's calls; from the monthly sums of the calls.
with agent_counts as (

    select *
    from {{ ref('int_call_counts_monthly') }}
    where agent_id is not null

),

agent_months as (

    select
        period_start,
        agent_id,
        max(agent_name) as agent_name,
        max(team) as team,
        {{ contact_centre_aggregates() }}
    from agent_counts
    group by period_start, agent_id

),

final as (

    select
        'month' as period_grain,
        agent_months.period_start,
        agent_months.agent_id,
        agent_months.agent_name,
        agent_months.team,
        {{ contact_centre_metrics('agent_months') }}
    from agent_months

)

select * from final
