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

{#- What every call carries beyond its staging row, from `relation` (rows of stg_calls__calls): answered, handle
    time, transferred and the local day of the start. int_calls is this over every call; int_calls_enriched applies
    it to the calls it reprocesses only (over a view, DuckDB would compute the local day of every call first). -#}
{% macro call_measures(relation) -%}
    select
        call_id, customer_id, agent_id, agent_name, team, queue, direction, channel, started_at, answered_at,
        ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition,
        answered_at is not null as is_answered,
        coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(acw_seconds, 0) as handle_seconds,
        disposition = 'transferred' as is_transferred,
        {{ local_date('started_at') }} as started_date,
        _file_id
    from {{ relation }}
{%- endmacro %}
