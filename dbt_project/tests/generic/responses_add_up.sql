{#- promoters + passives + detractors = responses on every row. -#}
{% test responses_add_up(model) %}
select *
from {{ model }}
where promoters + passives + detractors <> responses
{% endtest %}
