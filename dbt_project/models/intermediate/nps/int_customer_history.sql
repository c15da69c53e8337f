-- SCD2 history of each CRM customer, rebuilt from every landed version (not a dbt snapshot: the raw layer
-- keeps every version, so a full rebuild gives the same history). Segments are spelled as int_segment_names says.
with versions as (

    select
        customer_id, email, phone, first_name, last_name, company, segment, region, country, plan,
        signup_date, status, churned_at, lifetime_value, updated_at, attributes, _file_id
    from {{ ref('stg_crm__customers') }}

),

segment_names as (

    select segment_key, segment
    from {{ ref('int_segment_names') }}

),

final as (

    select
        versions.customer_id,
        versions.email,
        versions.phone,
        versions.first_name,
        versions.last_name,
        versions.company,
        segment_names.segment,
        versions.region,
        versions.country,
        versions.plan,
        versions.signup_date,
        versions.status,
        versions.churned_at,
        versions.lifetime_value,
        versions.attributes,
        versions.updated_at as valid_from,
        lead(versions.updated_at) over by_customer as valid_to,
        row_number() over by_customer = 1 as is_first_version,
        lead(versions.updated_at) over by_customer is null as is_current,
        versions._file_id
    from versions
    left join segment_names on {{ segment_key('versions.segment') }} = segment_names.segment_key
    window by_customer as (partition by versions.customer_id order by versions.updated_at)

)

select * from final
