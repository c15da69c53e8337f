-- NPS, response rate and their context for every period at every grain (contract section 5).
with responses as (

    {{ rollup_daily(ref('int_response_counts_daily'), 'day', [], ['promoters', 'passives', 'detractors', 'responses']) }}

),

invitations as (

    {{ rollup_daily(ref('int_invitation_counts_daily'), 'day', [], ['invitations', 'invitations_responded']) }}

),

periods as (

    select
        coalesce(responses.period_grain, invitations.period_grain) as period_grain,
        coalesce(responses.period_start, invitations.period_start) as period_start,
        coalesce(invitations.invitations, 0) as invitations,
        coalesce(invitations.invitations_responded, 0) as invitations_responded,
        coalesce(responses.promoters, 0) as promoters,
        coalesce(responses.passives, 0) as passives,
        coalesce(responses.detractors, 0) as detractors,
        coalesce(responses.responses, 0) as responses
    from responses
    full outer join invitations
        on responses.period_grain = invitations.period_grain
        and responses.period_start = invitations.period_start

),

metrics as (

    select
        *,
        {{ nps('promoters', 'detractors', 'responses') }} as nps,
        {{ nps_moe_95('promoters', 'detractors', 'responses') }} as nps_moe_95,
        {{ nps_variance('promoters', 'detractors', 'responses') }} as nps_variance,
        case when invitations > 0 then 1.0 * invitations_responded / invitations end as response_rate
    from periods

),

final as (

    select
        metrics.period_grain,
        metrics.period_start,
        metrics.invitations,
        metrics.response_rate,
        metrics.responses,
        metrics.promoters,
        metrics.passives,
        metrics.detractors,
        metrics.nps,
        metrics.nps_moe_95,
        metrics.responses < {{ var('low_sample_threshold') }} as is_low_sample,
        previous.nps as previous_nps,
        metrics.nps - previous.nps as nps_change,
        {{ nps_change_is_significant('metrics.nps', 'metrics.nps_variance', 'previous.nps', 'previous.nps_variance') }}
            as nps_change_is_significant
    from metrics
    left join metrics as previous
        on previous.period_grain = metrics.period_grain
        and previous.period_start = {{ previous_period_start('metrics.period_grain', 'metrics.period_start') }}

)

select * from final
