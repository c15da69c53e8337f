{#- NPS between -100 and 100, and null exactly when there are no responses. -#}
{% test nps_in_range(model, column_name) %}
select *
from {{ model }}
where ({{ column_name }} is not null and ({{ column_name }} < -100 or {{ column_name }} > 100))
   or ({{ column_name }} is null and responses > 0)
   or ({{ column_name }} is not null and responses = 0)
{% endtest %}
