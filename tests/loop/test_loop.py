"""Close the loop and contact-centre figures against an independent recomputation; `nps loop` CSV safety."""

from __future__ import annotations

import csv

import duckdb
from typer.testing import CliRunner

from loop.followups import export_followups, read_followups
from nps.cli import app


def test_loop_statuses_match_the_baseline_recomputation(clean_built):
    _, con = clean_built
    diff = con.execute("""
        select coalesce(m.response_id, b.response_id), m.loop_status, b.loop_status
        from wh.marts.close_the_loop m full join baseline.close_the_loop b using (response_id)
        where m.loop_status is distinct from b.loop_status
           or m.first_followup_at is distinct from b.first_followup_at
           or m.followup_due_at is distinct from b.followup_due_at""").fetchall()
    assert diff == []
    statuses = dict(con.execute("select loop_status, count(*) from wh.marts.close_the_loop group by 1").fetchall())
    assert set(statuses) >= {"closed_within_sla", "closed_late", "overdue"}


def test_recovery_counts_the_next_response_of_the_same_customer(clean_built):
    _, con = clean_built
    mismatches = con.execute("""
        with scored as (
            select response_id, customer_id, nps_score,
                   lead(nps_score) over (partition by customer_id order by responded_at, response_id) as next_score
            from baseline.responses where nps_score is not null and responded_at is not null
              and customer_id is not null
        )
        select count(*) from wh.marts.close_the_loop m join scored s using (response_id)
        where m.is_recovered is distinct from (case when s.next_score is not null then s.next_score >= 7 end)
        """).fetchall()
    assert mismatches == [(0,)]


def test_agent_figures_match_a_recomputation_from_raw(clean_built):
    warehouse, _ = clean_built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'America/New_York'")
        diff = con.execute("""
            with calls as (select * from raw.calls),
            surveys as (select interaction_id, nps_score from raw.surveys
                        where interaction_id is not null and nps_score is not null),
            expected as (
                select date_trunc('month', c.started_at)::date as period_start, c.agent_id,
                       count(*) filter (where c.answered_at is not null) as calls_handled,
                       avg(c.talk_seconds + c.hold_seconds + c.acw_seconds)
                           filter (where c.direction = 'inbound' and c.answered_at is not null) as aht_seconds
                from calls c group by all
            ),
            post_call as (
                select date_trunc('month', c.started_at)::date as period_start, c.agent_id,
                       count(*) as responses,
                       100.0 * (count(*) filter (where s.nps_score >= 9) - count(*) filter (where s.nps_score <= 6))
                           / count(*) as nps
                from surveys s join calls c on s.interaction_id = c.call_id group by all
            )
            select * from marts.agent_performance a
            full join expected e using (period_start, agent_id)
            left join post_call p using (period_start, agent_id)
            where a.calls_handled is distinct from e.calls_handled
               or abs(coalesce(a.aht_seconds, -1) - coalesce(e.aht_seconds, -1)) > 1e-9
               or a.responses <> coalesce(p.responses, 0)
               or abs(coalesce(a.nps, -999) - coalesce(p.nps, -999)) > 1e-9""").fetchall()
    assert diff == []


def _loop_warehouse(path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("""create table marts.close_the_loop as select * from (values
            ('R1', 'C1', '=HYPERLINK(\"http://evil\")', 'Smith', null, 'a@x.com', '+441234', 'smb', 'email', 2,
             '@SUM(A1) terrible', timestamptz '2025-03-01 10:00:00+00', timestamptz '2025-03-02 10:00:00+00', null,
             'overdue', 24.0),
            ('R2', 'C2', 'Ann', '-Lee', null, 'b@x.com', null, 'smb', 'sms', 5, 'Délai trop long',
             timestamptz '2025-03-01 08:00:00+00', timestamptz '2025-03-02 08:00:00+00', null, 'overdue', 26.0),
            ('R3', 'C3', 'Bo', 'Ek', null, 'c@x.com', null, 'smb', 'sms', 5, 'ok',
             timestamptz '2025-03-03 08:00:00+00', timestamptz '2025-03-04 08:00:00+00', null, 'open', null),
            ('R4', 'C4', 'Cy', 'Ek', null, 'd@x.com', null, 'smb', 'sms', 5, 'called back',
             timestamptz '2025-03-01 08:00:00+00', timestamptz '2025-03-02 08:00:00+00',
             timestamptz '2025-03-01 09:00:00+00', 'closed_within_sla', null)
            ) t(response_id, customer_id, first_name, last_name, company, email, phone, segment, channel, nps_score,
                nps_comment, responded_at, followup_due_at, first_followup_at, loop_status, hours_overdue)""")
    # loop_status and hours_overdue as the run judged them at 2025-03-03 10:00 UTC


def test_followups_are_open_or_overdue_most_overdue_first(tmp_path):
    db = tmp_path / "w.duckdb"
    _loop_warehouse(db)
    followups = read_followups(db)
    ids = [r[0] for r in followups.rows]
    assert ids == ["R2", "R1", "R3"]  # R4 was followed up; R2 due first
    assert (followups.count("overdue"), followups.count("open")) == (2, 1)


def test_loop_csv_neutralises_formula_cells_and_keeps_accents(tmp_path):
    db = tmp_path / "w.duckdb"
    _loop_warehouse(db)
    out = tmp_path / "crm" / "followups.csv"
    assert export_followups(db, out) == 3
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["response_id"]: r for r in csv.DictReader(fh)}
    assert rows["R1"]["first_name"] == '\'=HYPERLINK("http://evil")'
    assert rows["R1"]["nps_comment"] == "'@SUM(A1) terrible"
    assert rows["R1"]["phone"] == "'+441234"
    assert rows["R2"]["last_name"] == "'-Lee"
    assert rows["R2"]["nps_comment"] == "Délai trop long"
    risky = [v for r in rows.values() for v in r.values() if v and v[0] in "=+-@"]
    assert risky == []


def test_nps_loop_cli_prints_and_writes_the_csv(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    _loop_warehouse(db)
    monkeypatch.setenv("NPS_PUBLISHED_PATH", str(tmp_path / "absent.duckdb"))
    out = tmp_path / "loop.csv"
    result = CliRunner().invoke(app, ["loop", "--warehouse", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 overdue, 1 open" in result.output
    assert out.exists()


def test_nps_loop_without_a_warehouse_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("NPS_PUBLISHED_PATH", str(tmp_path / "absent.duckdb"))
    result = CliRunner().invoke(app, ["loop", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "run `nps run` first" in result.output
