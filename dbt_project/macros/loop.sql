{#- Loop status of a detractor response judged at NPS_AS_OF (contract sections 4 and 5). -#}
{% macro loop_status(first_followup_at, followup_due_at) -%}
    case
        when {{ first_followup_at }} <= {{ followup_due_at }} then 'closed_within_sla'
        when {{ first_followup_at }} is not null then 'closed_late'
        when {{ as_of_timestamp() }} <= {{ followup_due_at }} then 'open'
        else 'overdue'
    end
{%- endmacro %}

{#- Neutral hours between two timestamps, to the second. -#}
{% macro hours_between(start, finish) -%}
    {{ as_double(dbt.datediff(start, finish, 'second')) }} / 3600
{%- endmacro %}
