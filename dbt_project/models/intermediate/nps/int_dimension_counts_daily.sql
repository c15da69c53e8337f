-- Responses per local day, reporting dimension and value (contract section 5, nps_by_dimension): one branch per
-- dimension, each splitting all the day's responses, so every dimension adds up to the day's responses. The
-- additive base nps_by_dimension rolls up, as int_response_counts_daily is for the other period marts.
-- Declared dimensions (var dimensions) are read from the survey row's attributes, else from the customer's CRM
-- version in force at the response.
{%- set declared = declared_nps_dimensions() %}
with responses as (

    select
        responded_date,
        {%- for dimension in builtin_nps_dimensions() %}
        {{ dimension_value(dimension) }} as dimension_{{ loop.index }},
        {%- endfor %}
        {%- for name in declared %}
        {{ dimension_value(declared_dimension_value(name)) }} as declared_{{ loop.index }},
        {%- endfor %}
        nps_category
    from {{ ref('int_responses_enriched') }}
    where has_response

),

final as (

    {%- set branches = [] %}
    {%- for dimension in builtin_nps_dimensions() %}
    {%- do branches.append((dimension, 'dimension_' ~ loop.index)) %}
    {%- endfor %}
    {%- for name in declared %}
    {%- do branches.append((name, 'declared_' ~ loop.index)) %}
    {%- endfor %}
    {%- for name, column in branches %}
    select
        responded_date as day,
        {{ string_literal(name) }} as dimension,
        {{ column }} as dimension_value,
        {{ nps_category_counts('nps_category') }}
    from responses
    group by 1, 2, 3
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final
