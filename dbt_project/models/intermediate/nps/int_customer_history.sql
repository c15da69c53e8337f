-- SCD2 history of each CRM customer, rebuilt from every landed version (not a dbt snapshot: the raw layer
-- keeps every version, so a full rebuild gives the same history).
with versions as (

    select
        customer_id, email, phone, first_name, last_name, company, segment, region, country, plan,
        signup_date, status, churned_at, lifetime_value, updated_at, _file_id
    from {{ ref('stg_crm__customers') }}

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
        updated_at as valid_from,
        lead(updated_at) over (partition by customer_id order by updated_at) as valid_to,
        row_number() over (partition by customer_id order by updated_at) = 1 as is_first_version,
        lead(updated_at) over (partition by customer_id order by updated_at) is null as is_current,
        _file_id
    from versions

)

select * from final
