-- Every (response, theme) whose pattern matches the comment, ignoring case and accents; the pattern of a
-- language applies to comments in that language (or of unknown language); `any` applies to all.
-- depends_on: {{ ref('verbatim_theme_keywords') }}
{%- set taxonomy = theme_taxonomy() %}
with comments as (

    select response_id, language, {{ normalise_text('nps_comment') }} as comment_text
    from {{ ref('int_responses_enriched') }}
    where has_response and nullif(trim(nps_comment), '') is not null

),

matches as (

    {%- for theme, language, pattern in taxonomy %}
    select response_id, '{{ theme }}' as theme
    from comments
    where {{ regex_matches('comment_text', "'" ~ (pattern | replace("'", "''")) ~ "'") }}
        {%- if language != 'any' %}
        and (language is null or language = '{{ language }}')
        {%- endif %}
    {{ "union all" if not loop.last }}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as response_id, cast(null as {{ dbt.type_string() }}) as theme
    where 1 = 0
    {%- endfor %}

),

final as (

    select distinct response_id, theme
    from matches

)

select * from final
