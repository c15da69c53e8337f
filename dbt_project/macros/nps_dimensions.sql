{#- The reporting dimensions of marts.nps_by_dimension (contract section 5, v2): the built-in ones (CRM region,
    country and plan as of the response, like segment; the survey's touchpoint and language), then every name in
    var `dimensions` (the attribute names declared under `dimensions` in sources.yml, passed by the pipeline;
    default none). A declared name equal to a built-in one (compared case-insensitively) is that built-in
    dimension, listed once; a name declared twice is listed once. -#}
{% macro builtin_nps_dimensions() -%}
    {{ return(['region', 'country', 'plan', 'touchpoint', 'language']) }}
{%- endmacro %}

{% macro declared_nps_dimensions() -%}
    {%- set declared = var('dimensions', []) -%}
    {%- if declared is string -%}
        {#- `--vars '{dimensions: store}'` or a comma-separated list -#}
        {%- set declared = declared.split(',') -%}
    {%- endif -%}
    {%- set names = [] -%}
    {%- set seen = builtin_nps_dimensions() | map('lower') | list -%}
    {%- for name in declared -%}
        {%- set name = name | string | trim -%}
        {%- if name and name | lower not in seen -%}
            {%- do names.append(name) -%}
            {%- do seen.append(name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- A text constant as a SQL literal, any character included (a French header such as `Type d'achat`). Spark
    does not read a doubled quote as a quote, and its backslash escapes are off in our session
    (spark.sql.parser.escapedStringLiterals), so there a quote is spliced in with chr(39). -#}
{% macro string_literal(text) -%}
    {{ return(adapter.dispatch('string_literal', 'nps_warehouse')(text)) }}
{%- endmacro %}

{% macro default__string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(text) -%}
    {%- if "'" in text -%}
        concat({% for part in text.split("'") %}'{{ part }}'{{ ", chr(39), " if not loop.last }}{% endfor %})
    {%- else -%}
        '{{ text }}'
    {%- endif -%}
{%- endmacro %}

{#- The value a group is reported under: the text trimmed, `unknown` when empty or missing. -#}
{% macro dimension_value(expr) -%}
    coalesce(nullif(trim(cast({{ expr }} as {{ dbt.type_string() }})), ''), 'unknown')
{%- endmacro %}

{#- The text value of key `name` in a JSON-text column of attributes (export header -> value); null when the key
    is missing or its value is JSON null. The name is matched exactly as declared. -#}
{% macro json_attribute(attributes, name) -%}
    {{ return(adapter.dispatch('json_attribute', 'nps_warehouse')(attributes, name)) }}
{%- endmacro %}

{% macro default__json_attribute(attributes, name) -%}
    (cast({{ attributes }} as json) ->> '{{ name | replace("'", "''") }}')
{%- endmacro %}

{% macro duckdb__json_attribute(attributes, name) -%}
    json_extract_string({{ attributes }}, '$."{{ name | replace("\\", "\\\\") | replace('"', '\\"') | replace("'", "''") }}"')
{%- endmacro %}

{% macro spark__json_attribute(attributes, name) -%}
    from_json({{ attributes }}, 'map<string,string>')[{{ string_literal(name) }}]
{%- endmacro %}

{#- A declared dimension of a response: the survey row's attribute, else the one of the customer's CRM version in
    force at the response (contract section 5, nps_by_dimension). -#}
{% macro declared_dimension_value(name, survey_attributes='attributes', crm_attributes='crm_attributes') -%}
    coalesce(
        nullif(trim({{ json_attribute(survey_attributes, name) }}), ''),
        nullif(trim({{ json_attribute(crm_attributes, name) }}), '')
    )
{%- endmacro %}
