{#- Contact-centre metrics over int_calls_enriched rows, written once for agents and queues: the aggregates of a
    group of calls (counts as bigint: DuckDB sums are hugeint, which BI tools and Spark refuse) ... -#}
{% macro contact_centre_aggregates() -%}
        count(*) filter (where is_answered) as calls_handled,
        count(*) filter (where is_inbound_answered) as inbound_calls_answered,
        avg(case when is_inbound_answered then handle_seconds end) as aht_seconds,
        avg(case when direction = 'inbound' then wait_seconds end) as avg_wait_seconds,
        {{ as_double('count(*) filter (where is_inbound_answered and is_transferred)') }}
            / nullif(count(*) filter (where is_inbound_answered), 0) as transfer_rate,
        {{ as_double('count(*) filter (where is_inbound_answered and is_repeat_contact)') }}
            / nullif(count(*) filter (where is_inbound_answered), 0) as repeat_contact_rate,
        cast(sum(responses) as {{ dbt.type_bigint() }}) as responses,
        cast(sum(promoters) as {{ dbt.type_bigint() }}) as promoters,
        cast(sum(passives) as {{ dbt.type_bigint() }}) as passives,
        cast(sum(detractors) as {{ dbt.type_bigint() }}) as detractors,
        cast(sum(csat_responses) as {{ dbt.type_bigint() }}) as csat_responses,
        cast(sum(csat_satisfied) as {{ dbt.type_bigint() }}) as csat_satisfied
{%- endmacro %}

{#- ... and the metric columns of those aggregates (a relation holding them), in the marts' order: the post-call
    NPS with its margin of error, adjusted-Wald interval and low-sample flag, and the CSAT. -#}
{% macro contact_centre_metrics(relation) -%}
        {{ relation }}.calls_handled,
        {{ relation }}.inbound_calls_answered,
        {{ relation }}.aht_seconds,
        {{ relation }}.avg_wait_seconds,
        {{ relation }}.transfer_rate,
        {{ relation }}.repeat_contact_rate,
        {{ relation }}.responses,
        {{ relation }}.promoters,
        {{ relation }}.passives,
        {{ relation }}.detractors,
        {{ nps_metric_columns(relation) }},
        {{ relation }}.csat_responses,
        {{ csat_pct_satisfied(relation ~ '.csat_satisfied', relation ~ '.csat_responses') }} as csat_pct_satisfied
{%- endmacro %}
