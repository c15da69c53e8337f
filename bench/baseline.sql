-- Hand-written baseline: the core marts straight from clean landing CSVs in one DuckDB script, no dbt, no
-- framework. Used as the benchmark's yardstick (bench/run.py) and as an independent check of the dbt marts
-- (tests/dbt). Placeholders: ${landing} (folder), ${tz} (reporting time zone), ${as_of}, ${sla_hours}.
set TimeZone = 'UTC';
create schema if not exists baseline;

create or replace table baseline.surveys as
select
    response_id,
    nullif(trim(customer_id), '') as customer_id,
    lower(trim(email)) as email,
    case lower(replace(replace(trim(channel), '-', ''), '_', ''))
        when 'email' then 'email' when 'sms' then 'sms' when 'text' then 'sms'
        when 'web' then 'web' when 'website' then 'web'
        when 'inapp' then 'in_app' when 'app' then 'in_app'
        when 'phone' then 'phone' when 'ivr' then 'phone'
        else 'other'
    end as channel,
    sent_at::timestamptz as sent_at,
    responded_at::timestamptz as responded_at,
    nps_score::integer as nps_score
from read_csv('${landing}/surveys/*.csv', header = true, all_varchar = true, delim = ',', quote = '"');

create or replace table baseline.crm as
select customer_id, lower(trim(email)) as email, segment, updated_at::timestamptz as updated_at
from read_csv('${landing}/crm/*.csv', header = true, all_varchar = true, delim = ',', quote = '"');

create or replace table baseline.calls as
select call_id, customer_id, direction, disposition, started_at::timestamptz as started_at
from read_csv('${landing}/calls/*.csv', header = true, all_varchar = true, delim = ',', quote = '"');

-- customer: the id, else the customer whose latest version has that email; segment in force at the response
-- (ASOF join), the earliest version covering the time before it, 'unknown' outside the CRM.
create or replace table baseline.responses as
with email_owner as (
    select email, arg_max(customer_id, updated_at) as customer_id from baseline.crm group by email
),
resolved as (
    select s.*, coalesce(s.customer_id, e.customer_id) as cid, coalesce(s.responded_at, s.sent_at) as at
    from baseline.surveys s left join email_owner e on s.customer_id is null and s.email = e.email
),
first_version as (
    select customer_id, arg_min(segment, updated_at) as segment from baseline.crm group by customer_id
)
select r.response_id, r.cid as customer_id, r.channel, r.sent_at, r.responded_at, r.nps_score,
       coalesce(v.segment, f.segment, 'unknown') as segment
from resolved r
asof left join baseline.crm v on r.cid = v.customer_id and r.at >= v.updated_at
left join first_version f on r.cid = f.customer_id;

create or replace macro baseline_month(ts) as date_trunc('month', timezone('${tz}', ts))::date;

create or replace table baseline.nps_by_period as
with answered as (
    select baseline_month(responded_at) as period_start,
           count(*) filter (where nps_score >= 9) as promoters,
           count(*) filter (where nps_score between 7 and 8) as passives,
           count(*) filter (where nps_score <= 6) as detractors
    from baseline.responses where responded_at is not null and nps_score is not null group by 1
),
sent as (
    select baseline_month(sent_at) as period_start, count(*) as invitations,
           count(responded_at) as invitations_responded
    from baseline.responses group by 1
)
select period_start, invitations, invitations_responded / invitations as response_rate,
       coalesce(promoters, 0) + coalesce(passives, 0) + coalesce(detractors, 0) as responses,
       coalesce(promoters, 0) as promoters, coalesce(passives, 0) as passives, coalesce(detractors, 0) as detractors,
       100.0 * (promoters - detractors) / (promoters + passives + detractors) as nps
from sent full join answered using (period_start);

create or replace table baseline.nps_by_segment as
select baseline_month(responded_at) as period_start, segment, count(*) as responses,
       count(*) filter (where nps_score >= 9) as promoters, count(*) filter (where nps_score <= 6) as detractors,
       100.0 * (count(*) filter (where nps_score >= 9) - count(*) filter (where nps_score <= 6)) / count(*) as nps
from baseline.responses where responded_at is not null and nps_score is not null group by all;

create or replace table baseline.nps_by_channel as
select baseline_month(responded_at) as period_start, channel, count(*) as responses,
       count(*) filter (where nps_score >= 9) as promoters, count(*) filter (where nps_score <= 6) as detractors,
       100.0 * (count(*) filter (where nps_score >= 9) - count(*) filter (where nps_score <= 6)) / count(*) as nps
from baseline.responses where responded_at is not null and nps_score is not null group by all;

-- close the loop: first outbound call to the customer after the response, within 7 days, that reached them.
create or replace table baseline.close_the_loop as
with detractors as (
    select response_id, customer_id, responded_at, responded_at + to_hours(${sla_hours}) as followup_due_at
    from baseline.responses where nps_score <= 6 and responded_at is not null
),
followups as (
    select d.response_id, min(c.started_at::timestamptz) as first_followup_at
    from detractors d join baseline.calls c
      on c.customer_id = d.customer_id and c.direction = 'outbound'
     and c.disposition not in ('no_answer', 'abandoned')
     and c.started_at > d.responded_at and c.started_at <= d.responded_at + interval 7 day
    group by 1
)
select d.*, f.first_followup_at,
       case when f.first_followup_at <= d.followup_due_at then 'closed_within_sla'
            when f.first_followup_at is not null then 'closed_late'
            when '${as_of}'::timestamptz <= d.followup_due_at then 'open'
            else 'overdue' end as loop_status
from detractors d left join followups f using (response_id);
