{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_partitions_touched(ref('int_customer_history'), 'customer_id') }}",
    )
}}

-- The current CRM version of each customer. No contact details: those appear only in the action marts
-- (close_the_loop, non_respondents), which read them from int_customer_history.
-- Incremental on DuckDB, by customer: the pre_hook deletes the customers int_customer_history rebuilt since the
-- last build, and a build adds every customer the table lacks.
with history as (

    select
        history.customer_id, history.company, history.segment, history.region, history.country, history.plan,
        history.signup_date, history.status, history.churned_at, history.lifetime_value, history.valid_from
    from {{ ref('int_customer_history') }} as history
    where history.is_current
        and {{ rows_of_partitions_missing('history', 'customer_id') }}

),

built_through as (

    select {{ built_through_watermark(ref('int_customer_history')) }} as file_id

),

final as (

    select
        history.customer_id,
        history.company,
        history.segment,
        history.region,
        history.country,
        history.plan,
        history.signup_date,
        history.status,
        history.churned_at,
        history.lifetime_value,
        history.valid_from as updated_at,
        built_through.file_id as _built_through_file_id
    from history
    cross join built_through

)

select * from final
