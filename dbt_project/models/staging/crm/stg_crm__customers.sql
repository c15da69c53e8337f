with source as (

    select
        customer_id, email, phone, first_name, last_name, company, segment, region, country, plan,
        signup_date, status, churned_at, lifetime_value, updated_at, attributes,
        _file_id, _file_name, _file_mtime, _line_number, _loaded_at, _record_version
    from {{ source('crm', 'crm_customers') }}

),

newest_version as (

    -- one row per customer version (customer_id, updated_at); a re-sent version: the newest file wins
    {{ newest_versions('source', ['customer_id', 'updated_at']) }}

),

final as (

    select
        trim(customer_id) as customer_id,
        nullif(lower(trim(email)), '') as email,
        nullif(trim(phone), '') as phone,
        first_name,
        last_name,
        company,
        {{ segment_name('segment') }} as segment,
        nullif(lower(trim(region)), '') as region,
        nullif(upper(trim(country)), '') as country,
        nullif(lower(trim(plan)), '') as plan,
        signup_date,
        lower(status) as status,
        churned_at,
        lifetime_value,
        updated_at,
        attributes,
        _file_id,
        _file_name,
        _line_number
    from newest_version

)

select * from final
