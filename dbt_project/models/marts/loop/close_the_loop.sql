-- One row per detractor response: who to call back (contact details from the CRM), by when, whether it
-- happened, and whether the customer recovered. An action table: it carries contact details on purpose.
with detractors as (

    select
        response_id, customer_id, channel, touchpoint, segment, nps_score, nps_comment, responded_at, responded_date
    from {{ ref('fct_survey_responses') }}
    where nps_category = 'detractor'

),

contacts as (

    select response_id, first_name, last_name, company, email, phone
    from {{ ref('int_response_contacts') }}

),

followups as (

    select response_id, first_followup_at
    from {{ ref('int_detractor_followups') }}

),

next_responses as (

    select response_id, next_response_id, next_responded_at, next_nps_score, next_nps_category
    from {{ ref('int_next_responses') }}

),

timed as (

    select
        detractors.*,
        {{ dbt.dateadd('hour', var('followup_sla_hours'), 'detractors.responded_at') }} as followup_due_at,
        followups.first_followup_at
    from detractors
    left join followups on detractors.response_id = followups.response_id

),

final as (

    select
        timed.response_id,
        timed.customer_id,
        contacts.first_name,
        contacts.last_name,
        contacts.company,
        contacts.email,
        contacts.phone,
        timed.segment,
        timed.channel,
        timed.touchpoint,
        timed.nps_score,
        timed.nps_comment,
        timed.responded_at,
        timed.responded_date,
        timed.followup_due_at,
        timed.first_followup_at,
        {{ hours_between('timed.responded_at', 'timed.first_followup_at') }} as hours_to_followup,
        {{ loop_status('timed.first_followup_at', 'timed.followup_due_at') }} as loop_status,
        case when timed.first_followup_at is null and {{ as_of_timestamp() }} > timed.followup_due_at
            then {{ hours_between('timed.followup_due_at', as_of_timestamp()) }}
        end as hours_overdue,
        next_responses.next_response_id,
        next_responses.next_responded_at,
        next_responses.next_nps_score,
        next_responses.next_nps_category,
        next_responses.next_nps_category in ('passive', 'promoter') as is_recovered,
        {{ as_of_timestamp() }} as status_judged_at,
        {{ local_date('timed.followup_due_at') }} = {{ local_date(as_of_timestamp()) }} as is_due_today
    from timed
    left join contacts on timed.response_id = contacts.response_id
    left join next_responses on timed.response_id = next_responses.response_id

)

select * from final
