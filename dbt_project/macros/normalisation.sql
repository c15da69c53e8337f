{#- Normalising spellings from the exports: channels (contract section 2), segment names (contract section 4,
    v2: the CRM's own text, trimmed, compared case-insensitively) and free text for matching. -#}

{#- Lower-case, trimmed, without spaces, hyphens and underscores: for matching spellings. -#}
{% macro squash(expr) -%}
    replace(replace(replace(lower(trim({{ expr }})), ' ', ''), '-', ''), '_', '')
{%- endmacro %}

{% macro normalise_channel(expr) -%}
    case
        when {{ squash(expr) }} in ('email', 'mail', 'emailsurvey') then 'email'
        when {{ squash(expr) }} in ('sms', 'text', 'textmessage') then 'sms'
        when {{ squash(expr) }} in ('web', 'website', 'online', 'webform', 'webpage') then 'web'
        when {{ squash(expr) }} in ('inapp', 'app', 'mobileapp', 'mobile') then 'in_app'
        when {{ squash(expr) }} in ('phone', 'ivr', 'call', 'telephone', 'voice') then 'phone'
        else 'other'
    end
{%- endmacro %}

{#- The segment of a customer outside the CRM, or of a CRM version without one. -#}
{% macro unknown_segment() -%}
    'unknown'
{%- endmacro %}

{#- A CRM segment as written, trimmed; `unknown` when empty. -#}
{% macro segment_name(expr) -%}
    coalesce(nullif(trim({{ expr }}), ''), {{ unknown_segment() }})
{%- endmacro %}

{#- What segment names are grouped by: the trimmed name, lower-case. -#}
{% macro segment_key(expr) -%}
    lower({{ segment_name(expr) }})
{%- endmacro %}

{#- Lower-case, accents removed: for matching verbatims against the theme taxonomy. -#}
{% macro normalise_text(expr) -%}
    {{ return(adapter.dispatch('normalise_text', 'nps_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__normalise_text(expr) -%}
    lower({{ expr }})
{%- endmacro %}

{% macro duckdb__normalise_text(expr) -%}
    strip_accents(lower({{ expr }}))
{%- endmacro %}

{#- Spark has no strip_accents: the accented Latin letters of the languages served, mapped to their base letter. -#}
{% macro spark__normalise_text(expr) -%}
    translate(lower({{ expr }}), 'àáâãäåāăąçćčďèéêëēĕėęěìíîïīĭįñńňòóôõöōŏőùúûüūŭůűųýÿźżž',
        'aaaaaaaaacccdeeeeeeeeeiiiiiiinnnoooooooouuuuuuuuuyyzzz')
{%- endmacro %}
