create schema if not exists raw;
create table if not exists raw.surveys (
    response_id varchar, customer_id varchar, email varchar, channel varchar, touchpoint varchar,
    interaction_id varchar, sent_at timestamptz, responded_at timestamptz, nps_score integer,
    nps_comment varchar, csat_score integer, ces_score integer, language varchar,
    _file_id bigint, _file_name varchar, _file_sha256 varchar, _line_number bigint, _loaded_at timestamptz
);
create table if not exists raw.crm_customers (
    customer_id varchar, email varchar, phone varchar, first_name varchar, last_name varchar, company varchar,
    segment varchar, region varchar, country varchar, plan varchar, signup_date date, status varchar,
    churned_at timestamptz, lifetime_value decimal(18, 2), updated_at timestamptz,
    _file_id bigint, _file_name varchar, _file_sha256 varchar, _line_number bigint, _loaded_at timestamptz
);
create table if not exists raw.calls (
    call_id varchar, customer_id varchar, phone varchar, agent_id varchar, agent_name varchar, team varchar,
    queue varchar, direction varchar, channel varchar, started_at timestamptz, answered_at timestamptz,
    ended_at timestamptz, wait_seconds integer, talk_seconds integer, hold_seconds integer, acw_seconds integer,
    disposition varchar,
    _file_id bigint, _file_name varchar, _file_sha256 varchar, _line_number bigint, _loaded_at timestamptz
);
