{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='response_id',
        post_hook="{{ enforce_unique_key() }}",
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- For each invitation, how to reach its customer: the CRM's current contact details, else the email given in
-- the survey export. Read by the action marts only (close_the_loop, non_respondents).
-- Incremental on DuckDB and exact: a build reprocesses the invitations int_responses_enriched rebuilt since the
-- last build (their customer or survey row changed) and those of customers with a CRM version from a file loaded
-- since (their current contact details may have changed).
with all_responses as (

    select response_id, customer_id, _built_through_file_id
    from {{ ref('int_responses_enriched') }}

),

customer_versions as (

    select customer_id, _file_id
    from {{ ref('int_customer_history') }}

),

{% if is_incremental_on_current_columns() %}
responses as (

    select response_id, customer_id
    from all_responses
    where _built_through_file_id > {{ built_through_watermark() }}
        or customer_id in (
            select customer_id from customer_versions where _file_id > {{ built_through_watermark() }}
        )

),
{% else %}
responses as (

    select response_id, customer_id from all_responses

),
{% endif %}

survey_contacts as (

    select response_id, email
    from {{ ref('stg_surveys__responses') }}
    {%- if is_incremental_on_current_columns() %}
    {{ where_rows(ref('stg_surveys__responses'), 'response_id in (select response_id from responses)') }}
    {%- endif %}

),

customers as (

    select customer_id, email, phone, first_name, last_name, company
    from {{ ref('int_customer_history') }}
    {%- if is_incremental_on_current_columns() %}
    {{ where_rows(ref('int_customer_history'), 'is_current and customer_id in (select customer_id from responses)') }}
    {%- else %}
    where is_current
    {%- endif %}

),

built_through as (

    select max(file_id) as file_id
    from (
        select max(_built_through_file_id) as file_id from all_responses
        union all
        select max(_file_id) as file_id from customer_versions
    ) as file_ids

),

final as (

    select
        responses.response_id,
        customers.first_name,
        customers.last_name,
        customers.company,
        coalesce(customers.email, survey_contacts.email) as email,
        customers.phone,
        built_through.file_id as _built_through_file_id
    from responses
    cross join built_through
    left join survey_contacts on responses.response_id = survey_contacts.response_id
    left join customers on responses.customer_id = customers.customer_id

)

select * from final
