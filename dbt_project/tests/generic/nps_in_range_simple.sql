{#- An NPS value between -100 and 100 (null allowed). -#}
{% test nps_in_range_simple(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < -100 or {{ column_name }} > 100
{% endtest %}
