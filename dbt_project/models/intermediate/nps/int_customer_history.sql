{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ delete_partitions_touched(ref('stg_crm__customers'), 'customer_id') }}",
            "{{ delete_customers_respelled() }}",
        ],
    )
}}

-- SCD2 history of each CRM customer, rebuilt from every landed version (not a dbt snapshot: the raw layer
-- keeps every version, so a full rebuild gives the same history). Segments are spelled as int_segment_names says.
-- Incremental on DuckDB and exact, by customer: a customer's rows depend only on its versions and on how their
-- segments are spelled. The pre_hooks delete the customers with a version from a file loaded since the last
-- build, and those whose segment int_segment_names now spells otherwise; a build adds every customer the table
-- lacks, whole.
with versions as (

    select
        staged.customer_id, staged.email, staged.phone, staged.first_name, staged.last_name, staged.company,
        staged.segment, staged.region, staged.country, staged.plan, staged.signup_date, staged.status,
        staged.churned_at, staged.lifetime_value, staged.updated_at, staged.attributes, staged._file_id
    from {{ ref('stg_crm__customers') }} as staged
    where {{ rows_of_partitions_missing('staged', 'customer_id') }}

),

built_through as (

    select {{ built_through_watermark(ref('stg_crm__customers')) }} as file_id

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
        versions._file_id,
        built_through.file_id as _built_through_file_id
    from versions
    cross join built_through
    left join segment_names on {{ segment_key('versions.segment') }} = segment_names.segment_key
    window by_customer as (partition by versions.customer_id order by versions.updated_at)

)

select * from final
