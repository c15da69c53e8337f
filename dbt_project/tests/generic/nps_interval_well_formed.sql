{#- The adjusted-Wald interval (contract section 4, v2) on every row: both bounds set, within −100..100, and of
    positive width (never a point, even at one response or none). -#}
{% test nps_interval_well_formed(model) %}
select *
from {{ model }}
where nps_ci_low_95 is null
   or nps_ci_high_95 is null
   or nps_ci_low_95 < -100
   or nps_ci_high_95 > 100
   or nps_ci_low_95 >= nps_ci_high_95
{% endtest %}
