{#- The `metrics` and `final` CTEs shared by the NPS period marts (contract section 5): from the counts of
    `periods_cte`, the NPS with its margin of error, adjusted-Wald interval and low-sample flag, and the change
    against the previous period of the same grain (and group) with its 95 % significance (null when either period
    is low-sample). The counts come out as bigint (DuckDB sums are hugeint, which BI tools and Spark refuse).
    `extra_columns` are carried through after the dimensions (e.g. invitations, response_rate), `extra_metrics`
    are computed from the counts (name: expression), `trailing_columns` are carried through last. -#}
{% macro nps_periods_with_change(
    periods_cte, dims=[], extra_columns=[], extra_metrics={}, only_with_responses=false, trailing_columns=[]
) -%}
metrics as (

    select
        *,
        {%- for name, expr in extra_metrics.items() %}
        {{ expr }} as {{ name }},
        {%- endfor %}
        {{ nps_metric_columns(periods_cte) }},
        {{ nps_variance('promoters', 'detractors', 'responses') }} as nps_variance
    from {{ periods_cte }}
    {%- if only_with_responses %}
    where responses > 0
    {%- endif %}

),

final as (

    select
        metrics.period_grain,
        metrics.period_start,
        {%- for column in dims + extra_columns %}
        metrics.{{ column }},
        {%- endfor %}
        cast(metrics.responses as {{ dbt.type_bigint() }}) as responses,
        cast(metrics.promoters as {{ dbt.type_bigint() }}) as promoters,
        cast(metrics.passives as {{ dbt.type_bigint() }}) as passives,
        cast(metrics.detractors as {{ dbt.type_bigint() }}) as detractors,
        metrics.nps,
        metrics.nps_moe_95,
        metrics.nps_ci_low_95,
        metrics.nps_ci_high_95,
        metrics.is_low_sample,
        previous.nps as previous_nps,
        metrics.nps - previous.nps as nps_change,
        {{ nps_change_is_significant(
            'metrics.nps', 'metrics.nps_variance', 'metrics.is_low_sample',
            'previous.nps', 'previous.nps_variance', 'previous.is_low_sample'
        ) }} as nps_change_is_significant
        {%- for column in trailing_columns %},
        metrics.{{ column }}
        {%- endfor %}
    from metrics
    left join metrics as previous
        on previous.period_grain = metrics.period_grain
        {%- for dim in dims %}
        and previous.{{ dim }} = metrics.{{ dim }}
        {%- endfor %}
        and previous.period_start = {{ previous_period_start('metrics.period_grain', 'metrics.period_start') }}

)
{%- endmacro %}
