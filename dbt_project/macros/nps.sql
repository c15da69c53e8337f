{#- The business rules of contract section 4, written once and used by every model. -#}

{% macro nps_category(score) -%}
    case
        when ({{ score }}) between 0 and 6 then 'detractor'
        when ({{ score }}) between 7 and 8 then 'passive'
        when ({{ score }}) between 9 and 10 then 'promoter'
    end
{%- endmacro %}

{#- The category counts of a group of rows (aggregates): responses are the rows with a category. -#}
{% macro nps_category_counts(category='nps_category') -%}
        count(*) filter (where {{ category }} = 'promoter') as promoters,
        count(*) filter (where {{ category }} = 'passive') as passives,
        count(*) filter (where {{ category }} = 'detractor') as detractors,
        count(*) filter (where {{ category }} is not null) as responses
{%- endmacro %}

{#- CSAT counts of a group of rows (aggregates): satisfied is a score of 4 or 5. -#}
{% macro csat_counts(score='csat_score') -%}
        count({{ score }}) as csat_responses,
        count(*) filter (where {{ score }} >= 4) as csat_satisfied
{%- endmacro %}

{#- Share (0–1) of CSAT responses that are satisfied; null without CSAT responses. -#}
{% macro csat_pct_satisfied(satisfied, responses) -%}
    case when ({{ responses }}) > 0 then {{ as_double(satisfied) }} / ({{ responses }}) end
{%- endmacro %}

{% macro nps(promoters, detractors, responses) -%}
    case when ({{ responses }}) > 0
        then 100.0 * (({{ promoters }}) - ({{ detractors }})) / {{ as_double(responses) }}
    end
{%- endmacro %}

{#- pP + pD - (pP - pD)^2: the variance of one response's NPS contribution (as a fraction). -#}
{% macro nps_spread(promoters, detractors, responses) -%}
    ({{ as_double(promoters) }} / ({{ responses }})) + ({{ as_double(detractors) }} / ({{ responses }}))
            - power(({{ as_double(promoters) }} / ({{ responses }})) - ({{ as_double(detractors) }} / ({{ responses }})), 2)
{%- endmacro %}

{#- Variance of the NPS (in points squared): (pP + pD - (pP - pD)^2) / n * 100^2. -#}
{% macro nps_variance(promoters, detractors, responses) -%}
    case when ({{ responses }}) > 0
        then 10000.0 * (
            {{ nps_spread(promoters, detractors, responses) }}
        ) / ({{ responses }})
    end
{%- endmacro %}

{% macro nps_moe_95(promoters, detractors, responses) -%}
    case when ({{ responses }}) > 0
        then 196.0 * sqrt((
            {{ nps_spread(promoters, detractors, responses) }}
        ) / ({{ responses }}))
    end
{%- endmacro %}

{#- The 95 % adjusted-Wald interval of the NPS (contract section 4, v2), in NPS points: with n' = n + 3,
    p'P = (P + 0.75) / n' and p'D = (D + 0.75) / n', centre 100 (p'P − p'D) ± 196 sqrt((p'P + p'D − (p'P − p'D)²) / n'),
    clipped to −100..100. The pseudo-counts make it defined at every n, n = 0 included: with no response the
    interval is the prior's alone, ±80.02 around 0 (the contract makes n = 0 an exception for nps and nps_moe_95
    only; a period without responses still says "anything from −80 to 80", not "unknown"). The half-width is
    never zero (p'P and p'D are both above 0) and the centre is strictly inside −100..100, so the clipped interval
    always has a width. `bound` is `low` or `high`. -#}
{% macro nps_adjusted_wald(promoters, detractors, responses, bound) -%}
    {%- set n_adj = "(" ~ as_double(responses) ~ " + 3.0)" -%}
    {%- set p_promoters = "((" ~ promoters ~ ") + 0.75) / " ~ n_adj -%}
    {%- set p_detractors = "((" ~ detractors ~ ") + 0.75) / " ~ n_adj -%}
    {%- set centre = "100.0 * ((" ~ p_promoters ~ ") - (" ~ p_detractors ~ "))" -%}
    {%- set half_width = "196.0 * sqrt(((" ~ p_promoters ~ ") + (" ~ p_detractors ~ ") - power((" ~ p_promoters
        ~ ") - (" ~ p_detractors ~ "), 2)) / " ~ n_adj ~ ")" -%}
    {%- if bound == 'low' -%}
        greatest(-100.0, {{ centre }} - {{ half_width }})
    {%- elif bound == 'high' -%}
        least(100.0, {{ centre }} + {{ half_width }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("nps_adjusted_wald: bound must be 'low' or 'high', not " ~ bound) }}
    {%- endif -%}
{%- endmacro %}

{% macro nps_ci_low_95(promoters, detractors, responses) -%}
    {{ nps_adjusted_wald(promoters, detractors, responses, 'low') }}
{%- endmacro %}

{% macro nps_ci_high_95(promoters, detractors, responses) -%}
    {{ nps_adjusted_wald(promoters, detractors, responses, 'high') }}
{%- endmacro %}

{#- A group is low-sample when it has fewer responses than var low_sample_threshold (NPS_LOW_SAMPLE_THRESHOLD,
    passed by the pipeline as a dbt var; the one place the threshold is read in SQL). -#}
{% macro is_low_sample(responses) -%}
    ({{ responses }}) < {{ var('low_sample_threshold') | int }}
{%- endmacro %}

{#- The NPS columns of a row of counts (columns promoters, detractors, responses of `relation`, e.g. a CTE):
    nps, its margin of error, its interval and the low-sample flag. -#}
{% macro nps_metric_columns(relation) -%}
        {{ nps(relation ~ '.promoters', relation ~ '.detractors', relation ~ '.responses') }} as nps,
        {{ nps_moe_95(relation ~ '.promoters', relation ~ '.detractors', relation ~ '.responses') }} as nps_moe_95,
        {{ nps_ci_low_95(relation ~ '.promoters', relation ~ '.detractors', relation ~ '.responses') }} as nps_ci_low_95,
        {{ nps_ci_high_95(relation ~ '.promoters', relation ~ '.detractors', relation ~ '.responses') }} as nps_ci_high_95,
        {{ is_low_sample(relation ~ '.responses') }} as is_low_sample
{%- endmacro %}

{#- Two-sided 95 % test of the change between two NPS values with their (Wald) variances. Null when either period
    is low-sample (contract section 4, v2): at a handful of responses the Wald variance is 0 or nearly (one
    response: 0), and any change would pass the test. Also null when either NPS is. -#}
{% macro nps_change_is_significant(nps_now, var_now, low_now, nps_before, var_before, low_before) -%}
    case
        when ({{ low_now }}) or ({{ low_before }}) then null
        when ({{ var_now }}) is not null and ({{ var_before }}) is not null
            then abs(({{ nps_now }}) - ({{ nps_before }})) > 1.96 * sqrt(({{ var_now }}) + ({{ var_before }}))
    end
{%- endmacro %}
