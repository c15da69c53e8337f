{#- Contact-centre metrics over int_calls_enriched rows, written once for agents and queues. -#}
{% macro contact_centre_metrics() -%}
        count(*) filter (where is_answered) as calls_handled,
        count(*) filter (where is_inbound_answered) as inbound_calls_answered,
        avg(case when is_inbound_answered then handle_seconds end) as aht_seconds,
        avg(case when direction = 'inbound' then wait_seconds end) as avg_wait_seconds,
        1.0 * count(*) filter (where is_inbound_answered and is_transferred)
            / nullif(count(*) filter (where is_inbound_answered), 0) as transfer_rate,
        1.0 * count(*) filter (where is_inbound_answered and is_repeat_contact)
            / nullif(count(*) filter (where is_inbound_answered), 0) as repeat_contact_rate,
        sum(responses) as responses,
        sum(promoters) as promoters,
        sum(passives) as passives,
        sum(detractors) as detractors,
        {{ nps('sum(promoters)', 'sum(detractors)', 'sum(responses)') }} as nps,
        {{ nps_moe_95('sum(promoters)', 'sum(detractors)', 'sum(responses)') }} as nps_moe_95,
        sum(csat_responses) as csat_responses,
        {{ csat_pct_satisfied('sum(csat_satisfied)', 'sum(csat_responses)') }} as csat_pct_satisfied
{%- endmacro %}
