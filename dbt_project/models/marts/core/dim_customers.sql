-- The current CRM version of each customer, with contact details (used only by the action marts).
with history as (

    select
        customer_id, email, phone, first_name, last_name, company, segment, region, country, plan,
        signup_date, status, churned_at, lifetime_value, valid_from, is_current
    from {{ ref('int_customer_history') }}

),

final as (

    select
        customer_id,
        email,
        phone,
        first_name,
        last_name,
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
