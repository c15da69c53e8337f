-- For each invitation, how to reach its customer: the CRM's current contact details, else the email given in
-- the survey export. Read by the action marts only (close_the_loop, non_respondents).
with responses as (

    select response_id, customer_id
    from {{ ref('int_responses_enriched') }}

),

survey_contacts as (

    select response_id, email
    from {{ ref('stg_surveys__responses') }}

),

customers as (

    select customer_id, email, phone, first_name, last_name, company
    from {{ ref('int_customer_history') }}
    where is_current

),

final as (

    select
        responses.response_id,
        customers.first_name,
        customers.last_name,
        customers.company,
        coalesce(customers.email, survey_contacts.email) as email,
        customers.phone
    from responses
    left join survey_contacts on responses.response_id = survey_contacts.response_id
    left join customers on responses.customer_id = customers.customer_id

)

select * from final
