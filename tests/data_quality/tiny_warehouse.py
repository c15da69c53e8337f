"""A tiny, clean warehouse with the contract's table shapes, built by SQL (no dbt needed).

Staging objects are views created the way dbt-duckdb creates views: through the `warehouse` alias, so their
definitions name `warehouse.raw.…` (the validation adapter must attach the file under that alias; dbt
materialises staging as tables, but a view anywhere in the warehouse must still resolve).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

AS_OF = datetime(2025, 3, 1, tzinfo=UTC)
DAYS = 10  # 2025-02-01 .. 2025-02-10
INVITATIONS_PER_DAY = 3
SEGMENTS = ("enterprise", "smb", "consumer", "smb", "consumer")  # of customers c1..c5

RAW_SQL = f"""
create schema raw;
create schema quality;
create schema staging;
create schema marts;

create table quality.ingestion_log as
select * from (values
    (1, 'run-1', 'surveys', 'surveys/export_1.csv', 'sha-1', timestamptz '2025-02-11 00:00:00+00', 'loaded',
        31, 30, 1, null, timestamptz '2025-02-11 01:00:00+00'),
    (2, 'run-1', 'crm', 'crm/customers.csv', 'sha-2', timestamptz '2025-02-11 00:00:00+00', 'loaded',
        5, 5, 0, null, timestamptz '2025-02-11 01:00:00+00'),
    (3, 'run-1', 'calls', 'calls/calls.csv', 'sha-3', timestamptz '2025-02-11 00:00:00+00', 'loaded',
        20, 20, 0, null, timestamptz '2025-02-11 01:00:00+00'),
    (4, 'run-2', 'surveys', 'surveys/export_1_copy.csv', 'sha-1', timestamptz '2025-02-12 00:00:00+00',
        'skipped_duplicate', 31, 0, 0, 'same sha256 as surveys/export_1.csv', timestamptz '2025-02-12 01:00:00+00')
) as log(file_id, run_id, source, file_name, file_sha256, file_mtime, status, rows_in_file, rows_loaded,
        rows_rejected, reason, loaded_at);

create table quality.rejected_rows as
select * from (values
    ('run-1', 1::bigint, 'surveys', 'surveys/export_1.csv', 17::bigint, 'score_out_of_range', 'nps_score',
        'surveys/export_1.csv, line 17: nps_score 11 is outside 0..10', '{{"nps_score": "11"}}',
        timestamptz '2025-02-11 01:00:00+00')
) as rejected(run_id, file_id, source, file_name, line_number, reason_code, field, reason, raw_record, loaded_at);

create table raw.crm_customers as
select
    'c' || i as customer_id,
    'c' || i || '@example.test' as email,
    null::varchar as phone, 'First' as first_name, 'Last' as last_name, 'Co' as company,
    {{segments}}[i] as segment,
    'emea' as region, 'FR' as country, 'pro' as plan, date '2024-01-01' as signup_date,
    'active' as status, null::timestamptz as churned_at, 100.00::decimal(18, 2) as lifetime_value,
    timestamptz '2025-01-01 00:00:00+00' as updated_at,
    2::bigint as _file_id, 'crm/customers.csv' as _file_name, 'sha-2' as _file_sha256,
    (i + 1)::bigint as _line_number, timestamptz '2025-02-11 01:00:00+00' as _loaded_at
from range(1, 6) as t(i);

create table raw.surveys as
with invitations as (
    select
        i,
        timestamptz '2025-02-01 09:00:00+00' + to_days(cast(i // {INVITATIONS_PER_DAY} as integer))
            + to_minutes(cast(i % {INVITATIONS_PER_DAY} as integer)) as sent_at
    from range(0, {DAYS * INVITATIONS_PER_DAY}) as t(i)
)
select
    printf('r%03d', i) as response_id,
    'c' || (i % 5 + 1) as customer_id,
    'c' || (i % 5 + 1) || '@example.test' as email,
    ['email', 'sms', 'web', 'in_app', 'phone', 'other'][i % 6 + 1] as channel,
    'post_call' as touchpoint,
    null::varchar as interaction_id,
    sent_at,
    case when i % 6 <> 5 then sent_at + interval 2 hour end as responded_at,
    case when i % 6 <> 5 then cast(i % 11 as integer) end as nps_score,
    'fine' as nps_comment,
    case when i % 6 <> 5 then cast(i % 5 + 1 as integer) end as csat_score,
    case when i % 6 <> 5 then cast(i % 7 + 1 as integer) end as ces_score,
    'en' as language,
    1::bigint as _file_id, 'surveys/export_1.csv' as _file_name, 'sha-1' as _file_sha256,
    (i + 2)::bigint as _line_number, timestamptz '2025-02-11 01:00:00+00' as _loaded_at
from invitations;

create table raw.calls as
select
    printf('k%03d', i) as call_id,
    'c' || (i % 5 + 1) as customer_id,
    null::varchar as phone, 'a' || (i % 2) as agent_id, 'Agent' as agent_name, 'care' as team, 'main' as queue,
    ['inbound', 'outbound'][i % 2 + 1] as direction,
    'phone' as channel,
    timestamptz '2025-02-01 08:00:00+00' + to_days(cast(i // 2 as integer)) as started_at,
    timestamptz '2025-02-01 08:00:30+00' + to_days(cast(i // 2 as integer)) as answered_at,
    timestamptz '2025-02-01 08:10:00+00' + to_days(cast(i // 2 as integer)) as ended_at,
    30 as wait_seconds, 500 as talk_seconds, 20 as hold_seconds, 50 as acw_seconds,
    'resolved' as disposition,
    3::bigint as _file_id, 'calls/calls.csv' as _file_name, 'sha-3' as _file_sha256,
    (i + 2)::bigint as _line_number, timestamptz '2025-02-11 01:00:00+00' as _loaded_at
from range(0, {DAYS * 2}) as t(i);
"""

# Through the `warehouse` alias, like dbt-duckdb's attach.
STAGING_SQL = """
create view warehouse.staging.stg_surveys__responses as
select response_id, customer_id, lower(email) as email, channel, touchpoint, interaction_id, sent_at,
    responded_at, responded_at is not null as has_response, nps_score, nps_comment, csat_score, ces_score,
    language, _file_id, _file_name, _line_number, _loaded_at
from warehouse.raw.surveys;

create view warehouse.staging.stg_crm__customers as
select customer_id, email, phone, first_name, last_name, company, coalesce(trim(segment), 'unknown') as segment,
    region, country, plan, signup_date, lower(status) as status, churned_at, lifetime_value, updated_at,
    _file_id, _file_name, _line_number
from warehouse.raw.crm_customers;

create view warehouse.staging.stg_calls__calls as
select call_id, customer_id, phone, agent_id, agent_name, team, queue, direction, channel, started_at,
    answered_at, ended_at, wait_seconds, talk_seconds, hold_seconds, acw_seconds, disposition,
    _file_id, _file_name, _line_number
from warehouse.raw.calls;
"""

MARTS_SQL = """
create table warehouse.marts.dim_customers as
select customer_id, email, phone, first_name, last_name, company, segment, region, country, plan,
    signup_date, status, churned_at, lifetime_value, updated_at
from warehouse.staging.stg_crm__customers;

create table warehouse.marts.fct_survey_responses as
select
    s.response_id, s.customer_id, s.channel, s.touchpoint, s.interaction_id, s.sent_at, s.responded_at,
    s.has_response, s.nps_score,
    case when s.nps_score between 0 and 6 then 'detractor'
         when s.nps_score between 7 and 8 then 'passive'
         when s.nps_score between 9 and 10 then 'promoter' end as nps_category,
    s.csat_score, s.ces_score, s.nps_comment, coalesce(c.segment, 'unknown') as segment,
    cast(s.sent_at as date) as sent_date, cast(s.responded_at as date) as responded_date
from warehouse.staging.stg_surveys__responses as s
left join warehouse.marts.dim_customers as c on c.customer_id = s.customer_id;
"""


def _period_sql(table: str, extra: str | None) -> str:
    """An `nps_by_*` table at day and month grain, computed from the fact table with the contract's formulas."""
    extra_select = f"{extra}, " if extra else ""
    extra_source = f"f.{extra} as {extra}, " if extra else ""
    extra_group = f", f.{extra}" if extra else ""
    return f"""
create table warehouse.marts.{table} as
with grains as (
    select unnest(['day', 'month']) as period_grain
),
counts as (
    select
        grains.period_grain,
        cast(date_trunc(grains.period_grain, f.responded_at) as date) as period_start,
        {extra_source}
        count(*) filter (where f.nps_category = 'promoter') as promoters,
        count(*) filter (where f.nps_category = 'passive') as passives,
        count(*) filter (where f.nps_category = 'detractor') as detractors
    from warehouse.marts.fct_survey_responses as f
    cross join grains
    where f.nps_score is not null
    group by grains.period_grain, period_start{extra_group}
)
select
    period_grain, period_start, {extra_select}
    promoters + passives + detractors as responses, promoters, passives, detractors,
    100.0 * (promoters - detractors) / (promoters + passives + detractors) as nps,
    196.0 * sqrt((1.0 * promoters / (promoters + passives + detractors)
        + 1.0 * detractors / (promoters + passives + detractors)
        - power(1.0 * promoters / (promoters + passives + detractors)
            - 1.0 * detractors / (promoters + passives + detractors), 2))
        / (promoters + passives + detractors)) as nps_moe_95
from counts;
"""


RATES_SQL = """
alter table warehouse.marts.nps_by_period add column invitations bigint;
alter table warehouse.marts.nps_by_period add column response_rate double;
update warehouse.marts.nps_by_period as p set
    invitations = s.invitations,
    response_rate = 1.0 * s.responded / s.invitations
from (
    select grains.period_grain, cast(date_trunc(grains.period_grain, f.sent_at) as date) as period_start,
        count(*) as invitations, count(f.responded_at) as responded
    from warehouse.marts.fct_survey_responses as f
    cross join (select unnest(['day', 'month']) as period_grain) as grains
    group by 1, 2
) as s
where s.period_grain = p.period_grain and s.period_start = p.period_start;
"""


SURVEY_ONLY_SQL = """
delete from raw.crm_customers;
delete from raw.calls;
delete from quality.ingestion_log where source in ('crm', 'calls');
"""


def build_tiny_warehouse(path: Path, segments: tuple[str, ...] = SEGMENTS, survey_only: bool = False) -> Path:
    """Write a clean warehouse to `path`: every suite passes against it at `AS_OF`. `segments`: the CRM segment
    of customers c1..c5 (any names); `survey_only`: no CRM and no call rows (a survey-only deployment)."""
    literal = "[" + ", ".join("'" + name.replace("'", "''") + "'" for name in segments) + "]"
    with duckdb.connect(str(path)) as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(RAW_SQL.replace("{segments}", literal))
        if survey_only:
            connection.execute(SURVEY_ONLY_SQL)
    with duckdb.connect(":memory:") as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"attach '{path}' as warehouse")
        connection.execute(STAGING_SQL)
        connection.execute(MARTS_SQL)
        connection.execute(_period_sql("nps_by_period", None))
        connection.execute(_period_sql("nps_by_segment", "segment"))
        connection.execute(_period_sql("nps_by_channel", "channel"))
        connection.execute(RATES_SQL)
    return path


def execute(path: Path, sql: str) -> None:
    """Plant a change in the warehouse (direct file connection, like a bad load would)."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(sql)
