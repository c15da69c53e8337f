-- Theme × period at every grain: mentions, share among detractors, and the NPS of responses mentioning the
-- theme (with its adjusted-Wald interval and low-sample flag) against the NPS of the other responses of the period,
-- and nps_points_lost = NPS of all − NPS without the theme (negative: the theme pulls the score down), with its
-- interval, ranked within the period (impact_rank 1 = the most negative: costs the most points).
with theme_daily as (

    select
        responded_date as day,
        theme,
        count(*) as mentions,
        {{ nps_category_counts('nps_category') }}
    from {{ ref('verbatim_themes') }}
    group by 1, 2

),

theme_periods as (

    {{ rollup_daily('theme_daily', 'day', ['theme'], ['mentions', 'promoters', 'passives', 'detractors', 'responses']) }}

),

all_periods as (

    {{ rollup_daily(ref('int_response_counts_daily'), 'day', [], ['promoters', 'passives', 'detractors', 'responses']) }}

),

impact as (

    select
        theme_periods.period_grain,
        theme_periods.period_start,
        theme_periods.theme,
        theme_periods.mentions,
        theme_periods.responses,
        theme_periods.detractors as detractor_mentions,
        {{ as_double('theme_periods.detractors') }} / nullif(all_periods.detractors, 0) as detractor_share,
        {{ nps('theme_periods.promoters', 'theme_periods.detractors', 'theme_periods.responses') }} as nps_with_theme,
        {{ nps_ci_low_95('theme_periods.promoters', 'theme_periods.detractors', 'theme_periods.responses') }}
            as nps_ci_low_95,
        {{ nps_ci_high_95('theme_periods.promoters', 'theme_periods.detractors', 'theme_periods.responses') }}
            as nps_ci_high_95,
        {{ is_low_sample('theme_periods.responses') }} as is_low_sample,
        {{ nps('all_periods.promoters - theme_periods.promoters', 'all_periods.detractors - theme_periods.detractors',
               'all_periods.responses - theme_periods.responses') }} as nps_without_theme,
        {{ nps('all_periods.promoters', 'all_periods.detractors', 'all_periods.responses') }}
            - {{ nps('all_periods.promoters - theme_periods.promoters', 'all_periods.detractors - theme_periods.detractors',
               'all_periods.responses - theme_periods.responses') }} as nps_points_lost,
        {{ nps_points_lost_interval(
            ['theme_periods.promoters', 'theme_periods.detractors', 'theme_periods.responses'],
            ['all_periods.promoters - theme_periods.promoters', 'all_periods.detractors - theme_periods.detractors',
             'all_periods.responses - theme_periods.responses'], 'low') }} as nps_points_lost_ci_low_95,
        {{ nps_points_lost_interval(
            ['theme_periods.promoters', 'theme_periods.detractors', 'theme_periods.responses'],
            ['all_periods.promoters - theme_periods.promoters', 'all_periods.detractors - theme_periods.detractors',
             'all_periods.responses - theme_periods.responses'], 'high') }} as nps_points_lost_ci_high_95
    from theme_periods
    inner join all_periods
        on theme_periods.period_grain = all_periods.period_grain
        and theme_periods.period_start = all_periods.period_start

),

final as (

    select
        impact.*,
        rank() over (
            partition by impact.period_grain, impact.period_start
            order by impact.nps_points_lost asc nulls last
        ) as impact_rank
    from impact

)

select * from final
