{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Incremental on DuckDB: a build recomputes the newest version of the customer_ids that files loaded since the last
-- build carry, from all their landed rows (where_touched_keys), and replaces them.
with landed as (

    select
        customer_id, email, phone, first_name, last_name, company, segment, region, country, plan,
        signup_date, status, churned_at, lifetime_value, updated_at, attributes,
        _file_id, _file_name, _file_mtime, _line_number, _loaded_at, _record_version
    from {{ source('crm', 'crm_customers') }}
    {{ where_touched_keys(source('crm', 'crm_customers'), 'customer_id') }}

),

newest_version as (

    -- one row per customer version (customer_id, updated_at); a re-sent version: the newest file wins
    {{ newest_versions('landed', ['customer_id', 'updated_at']) }}

),

built_through as (

    select max(_file_id) as file_id from {{ source('crm', 'crm_customers') }}

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
        _line_number,
        built_through.file_id as _built_through_file_id
    from newest_version
    cross join built_through

)

select * from final
