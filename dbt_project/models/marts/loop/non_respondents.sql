{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='response_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ enforce_unique_key() }}",
        pre_hook=[
            "{{ not_null_constraints_in_place() }}",
            "{{ delete_keys_leaving(ref('fct_survey_responses'), 'response_id', 'has_response') }}",
        ],
    )
}}

-- One row per invitation without a response, with contact details, for reach-out by another channel.
-- An action table: it carries contact details on purpose.
-- Incremental on DuckDB and exact: a row depends only on its invitation's row in fct_survey_responses and in
-- int_response_contacts, and each stamps the rows it (re)built with _built_through_file_id. A build reprocesses
-- the invitations with a row in either rebuilt since this model's last build (stamped above its watermark): those
-- still without a response are replaced (delete+insert), and the pre_hook deletes those answered since
-- (delete_keys_leaving), which the batch cannot carry. An invitation never leaves fct_survey_responses (raw is
-- append-only). A table built by an earlier release is reprocessed whole (is_incremental_on_current_columns).
with {% if is_incremental_on_current_columns() %}
reprocessed_responses as (

    select response_id
    from {{ ref('fct_survey_responses') }}
    where _built_through_file_id > {{ built_through_watermark() }}
    union
    select response_id
    from {{ ref('int_response_contacts') }}
    where _built_through_file_id > {{ built_through_watermark() }}

),

{% endif %}
reprocessed_invitations as (

    select response_id, customer_id, channel, touchpoint, segment, sent_at, sent_date
    from {{ ref('fct_survey_responses') }}
    {%- if is_incremental_on_current_columns() %}
    {{ where_rows(ref('fct_survey_responses'),
        'not has_response and response_id in (select response_id from reprocessed_responses)') }}
    {%- else %}
    where not has_response
    {%- endif %}

),

reprocessed_contacts as (

    select response_id, first_name, last_name, email, phone
    from {{ ref('int_response_contacts') }}
    {%- if is_incremental_on_current_columns() %}
    {{ where_rows(ref('int_response_contacts'), 'response_id in (select response_id from reprocessed_responses)') }}
    {%- endif %}

),

built_through as (

    select max(file_id) as file_id
    from (
        select max(_built_through_file_id) as file_id from {{ ref('fct_survey_responses') }}
        union all
        select max(_built_through_file_id) as file_id from {{ ref('int_response_contacts') }}
    ) as file_ids

),

final as (

    select
        reprocessed_invitations.response_id,
        reprocessed_invitations.customer_id,
        reprocessed_contacts.first_name,
        reprocessed_contacts.last_name,
        reprocessed_contacts.email,
        reprocessed_contacts.phone,
        reprocessed_invitations.channel,
        reprocessed_invitations.touchpoint,
        reprocessed_invitations.segment,
        reprocessed_invitations.sent_at,
        reprocessed_invitations.sent_date,
        built_through.file_id as _built_through_file_id
    from reprocessed_invitations
    cross join built_through
    left join reprocessed_contacts on reprocessed_invitations.response_id = reprocessed_contacts.response_id

)

select * from final
