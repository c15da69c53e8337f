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
    case when ({{ responses }}) > 0 then 1.0 * ({{ satisfied }}) / ({{ responses }}) end
{%- endmacro %}

{% macro nps(promoters, detractors, responses) -%}
    case when ({{ responses }}) > 0
        then 100.0 * (({{ promoters }}) - ({{ detractors }})) / ({{ responses }})
    end
{%- endmacro %}

{#- pP + pD - (pP - pD)^2: the variance of one response's NPS contribution (as a fraction). -#}
{% macro nps_spread(promoters, detractors, responses) -%}
    (1.0 * ({{ promoters }}) / ({{ responses }})) + (1.0 * ({{ detractors }}) / ({{ responses }}))
            - power((1.0 * ({{ promoters }}) / ({{ responses }})) - (1.0 * ({{ detractors }}) / ({{ responses }})), 2)
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

{#- Two-sided 95 % test of the change between two NPS values with their variances. -#}
{% macro nps_change_is_significant(nps_now, var_now, nps_before, var_before) -%}
    case when ({{ var_now }}) is not null and ({{ var_before }}) is not null
        then abs(({{ nps_now }}) - ({{ nps_before }})) > 1.96 * sqrt(({{ var_now }}) + ({{ var_before }}))
    end
{%- endmacro %}
