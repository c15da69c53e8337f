{#- The `metrics` and `final` CTEs shared by the NPS period marts: NPS, margin of error and variance from the
    counts of `periods_cte`, and the change against the previous period of the same grain (and group) with
    its 95 % significance. `extra_columns` are carried through (e.g. invitations, response_rate). -#}
{% macro nps_periods_with_change(periods_cte, dims=[], extra_columns=[], extra_metrics={}, only_with_responses=false) -%}
metrics as (

    select
        *,
        {%- for name, expr in extra_metrics.items() %}
        {{ expr }} as {{ name }},
        {%- endfor %}
        {{ nps('promoters', 'detractors', 'responses') }} as nps,
        {{ nps_moe_95('promoters', 'detractors', 'responses') }} as nps_moe_95,
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
        {%- for dim in dims %}
        and previous.{{ dim }} = metrics.{{ dim }}
        {%- endfor %}
        and previous.period_start = {{ previous_period_start('metrics.period_grain', 'metrics.period_start') }}

)
{%- endmacro %}
