{#- Every response's category agrees with its score (0–6 detractor, 7–8 passive, 9–10 promoter). -#}
{% test responses_categorised_consistently(model) %}
select *
from {{ model }}
where coalesce(nps_category, '-') <> coalesce({{ nps_category('nps_score') }}, '-')
{% endtest %}
