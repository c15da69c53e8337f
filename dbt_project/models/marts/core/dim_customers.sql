-- The current CRM version of each customer. No contact details: those appear only in the action marts
-- (close_the_loop, non_respondents), which read them from int_customer_history.
with history as (

    select
        customer_id, company, segment, region, country, plan,
        signup_date, status, churned_at, lifetime_value, valid_from, is_current
    from {{ ref('int_customer_history') }}

),

final as (

    select
        customer_id,
        company,
        segment,
        region,
        country,
        plan,
        signup_date,
        status,
        churned_at,
        lifetime_value,
        valid_from as updated_at
    from history
    where is_current

)

select * from final
