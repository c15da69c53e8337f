{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_partitions_touched(ref('int_responses_enriched'), 'customer_id', 'response_id') }}",
    )
}}

-- For each response with a score, the same customer's next scored response (for recovery of detractors).
-- Incremental on DuckDB and exact, by customer: a response's next response depends only on its customer's scored
-- responses. The pre_hook deletes the rows of every customer with an invitation rebuilt in int_responses_enriched
-- since the last build (its customer now, and the one its built row had), and a build adds the rows of every
-- customer the table lacks, whole: a daily build orders the responses of a day's customers, not of all of them.
with scored as (

    select enriched.response_id, enriched.customer_id, enriched.responded_at, enriched.nps_score, enriched.nps_category
    from {{ ref('int_responses_enriched') }} as enriched
    where enriched.nps_category is not null
        and enriched.customer_id is not null
        and {{ rows_of_partitions_missing('enriched', 'customer_id') }}

),

built_through as (

    select {{ built_through_watermark(ref('int_responses_enriched')) }} as file_id

),

next_responses as (

    select
        response_id,
        customer_id,
        lead(response_id) over by_customer as next_response_id,
        lead(responded_at) over by_customer as next_responded_at,
        lead(nps_score) over by_customer as next_nps_score,
        lead(nps_category) over by_customer as next_nps_category
    from scored
    window by_customer as (partition by customer_id order by responded_at, response_id)

),

final as (

    select
        next_responses.response_id,
        next_responses.customer_id,
        next_responses.next_response_id,
        next_responses.next_responded_at,
        next_responses.next_nps_score,
        next_responses.next_nps_category,
        built_through.file_id as _built_through_file_id
    from next_responses
    cross join built_through

)

select * from final
