-- Responses per local day, reporting dimension and value (contract section 5, nps_by_dimension): one branch per
-- dimension, each splitting all the day's responses, so every dimension adds up to the day's responses. The
-- additive base nps_by_dimension rolls up, as int_response_counts_daily is for the other period marts.
with responses as (

    select responded_date, nps_category, region, country, plan, touchpoint, language
    from {{ ref('int_responses_enriched') }}
    where has_response

),

final as (

    {%- for dimension in builtin_nps_dimensions() %}
    select
        responded_date as day,
        {{ dimension_literal(dimension) }} as dimension,
        {{ dimension_value(dimension) }} as dimension_value,
        {{ nps_category_counts('nps_category') }}
    from responses
    group by 1, 2, 3
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final
