{#- Contact-centre metrics, written once for agents and queues, in two steps. The sums of a group of calls
    (rows of int_calls_enriched): int_call_counts_monthly keeps them by month, agent, queue and channel, where a
    daily build recomputes only the months its calls touch. Every average is kept as a sum and a count, so that
    the marts can add groups up exactly. -#}
{% macro contact_centre_sums() -%}
        count(*) as calls,
        count(*) filter (where is_answered) as calls_handled,
        count(*) filter (where is_inbound_answered) as inbound_calls_answered,
        cast(sum(case when is_inbound_answered then handle_seconds end) as {{ dbt.type_bigint() }})
            as inbound_handle_seconds,
        count(wait_seconds) filter (where direction = 'inbound') as inbound_waits,
        cast(sum(case when direction = 'inbound' then wait_seconds end) as {{ dbt.type_bigint() }})
            as inbound_wait_seconds,
        count(*) filter (where is_inbound_answered and is_transferred) as inbound_transferred,
        count(*) filter (where is_inbound_answered and is_repeat_contact) as inbound_repeat_contacts,
        {{ post_call_count_sums() }}
{%- endmacro %}

{#- ... then the aggregates of a group of those sums (rows of int_call_counts_monthly): the answered-inbound
    averages and rates (counts as bigint: DuckDB sums are hugeint, which BI tools and Spark refuse) ... -#}
{% macro contact_centre_aggregates() -%}
        cast(sum(calls_handled) as {{ dbt.type_bigint() }}) as calls_handled,
        cast(sum(inbound_calls_answered) as {{ dbt.type_bigint() }}) as inbound_calls_answered,
        {{ as_double('sum(inbound_handle_seconds)') }} / nullif(sum(inbound_calls_answered), 0) as aht_seconds,
        {{ as_double('sum(inbound_wait_seconds)') }} / nullif(sum(inbound_waits), 0) as avg_wait_seconds,
        {{ as_double('sum(inbound_transferred)') }} / nullif(sum(inbound_calls_answered), 0) as transfer_rate,
        {{ as_double('sum(inbound_repeat_contacts)') }} / nullif(sum(inbound_calls_answered), 0)
            as repeat_contact_rate,
        {{ post_call_count_sums() }}
{%- endmacro %}

{#- The post-call survey counts of a group of rows that carry them (calls, or monthly sums of calls), added up:
    the same in both steps above. -#}
{% macro post_call_count_sums() -%}
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

{#- The pre_hook of int_call_counts_monthly: in an incremental build, delete the months that no call of
    int_calls_enriched starts in any more (their calls moved to other months). delete+insert replaces only the
    months of the new rows, and such a month has none. Nothing in a full build, on Spark (a table) or in a unit
    test. -#}
{% macro delete_months_left_empty() -%}
    {%- if model.resource_type != 'unit_test' and this is not none and is_incremental() -%}
    delete from {{ this }}
    where period_start not in (
        select distinct {{ period_start('started_date', 'month') }}
        from {{ ref('int_calls_enriched') }}
    )
    {%- endif -%}
{%- endmacro %}
