"""Synthetic, realistic contact-centre exports in the landing layout of the contract (section 2).

`generate_exports(out_dir, scale, seed, locale, clean, end_date)` writes
`<out>/surveys/`, `<out>/crm/`, `<out>/calls/` and `<out>/manifest.json`. Everything is built as numpy
arrays and written by DuckDB (no per-row Python), so `large` (10M invitations, 1M customers, 20M calls)
stays within minutes. Same arguments → byte-identical files with deterministic modification times
(later exports are newer, so "newest file wins" follows the export order).

Manifest (`manifest.json`):
- `scale`, `seed`, `locale`, `clean`, `start_date`, `end_date`;
- `files`: one entry per written file: `source`, `file_name` (relative to the landing folder), `format`,
  `encoding`, `delimiter`, `rows` (records in the file, bad rows included), `variant`, `duplicate_of`;
- `planted`: `duplicate_files`, `overlap_rows` per source (rows re-sent in a later export),
  `bad_rows[source][reason_code]` with the loader's reason codes (docs/architecture.md), and
  `bad_values[source][reason_code]`: a bad value in an optional field, whose row still loads (contract v2 section 3);
- `expected[source]`: `rows_in_files` (duplicate files excluded), `rows_rejected`, `rows_loaded`,
  and for surveys `unique_response_ids`, for crm `unique_versions`, for calls `unique_call_ids`.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from ingestion.columns import CALLS, CRM, SURVEYS

SCALES: dict[str, tuple[int, int, int]] = {
    # invitations, customers, calls
    "tiny": (2_000, 300, 3_000),
    "small": (50_000, 8_000, 80_000),
    "medium": (1_000_000, 100_000, 2_000_000),
    "large": (10_000_000, 1_000_000, 20_000_000),
}
HISTORY_DAYS = 548  # 18 months
SEGMENTS = np.array(["enterprise", "smb", "consumer"])
PLANS = np.array(["basic", "standard", "premium"])
REGIONS = np.array(["north", "south", "east", "west"])
COUNTRIES = np.array(["GB", "FR", "DE", "US", "BE"])
FIRST = np.array(["Alice", "Bruno", "Chloé", "David", "Emma", "François", "Grace", "Hugo", "Inès", "Jack"])
LAST = np.array(["Martin", "Smith", "Dubois", "Jones", "Lefèvre", "Brown", "Moreau", "Taylor"])
# canonical channel, spellings seen in exports, response rate
CHANNELS = np.array(["email", "sms", "web", "in_app", "phone"])
CHANNEL_P = np.array([0.45, 0.2, 0.15, 0.12, 0.08])
RESPONSE_RATE = np.array([0.22, 0.12, 0.30, 0.40, 0.35])
CHANNEL_SPELLINGS = {
    "email": ["email", "E-mail", "EMAIL", "e-mail"],
    "sms": ["sms", "SMS", "text"],
    "web": ["web", "website", "Web"],
    "in_app": ["in_app", "In-App", "app"],
    "phone": ["phone", "Phone", "IVR"],
}
TOUCHPOINTS = np.array(["post_call", "post_purchase", "relationship", "onboarding"])
DISPOSITIONS = np.array(["resolved", "unresolved", "transferred", "abandoned", "callback", "followup"])
DISPOSITION_P = np.array([0.62, 0.1, 0.12, 0.08, 0.04, 0.04])
CALL_CHANNELS = np.array(["phone", "chat", "email", "social"])
TEAMS = np.array(["billing", "technical", "sales", "retention"])
QUEUES = np.array(["general", "billing", "tech_support", "vip"])

NEGATIVE = {
    "en": [
        "The wait time was far too long, I waited {n} minutes",
        "Too expensive, the price went up again",
        "Billing error on my last invoice, charged twice",
        "The agent did not know the answer and transferred me",
        "The app keeps crashing when I log in",
        'Delivery was late, "express" my foot',
        "Nobody called me back, terrible service",
    ],
    "fr": [
        "Délai d'attente beaucoup trop long, {n} minutes",
        "Trop cher, le prix a encore augmenté",
        "Erreur de facturation, prélevé deux fois",
        "Le conseiller ne connaissait pas la réponse; très déçu",
        "L'application plante à chaque connexion",
        "Livraison en retard, encore une fois",
        "Personne ne m'a rappelé, service très décevant",
    ],
}
NEUTRAL = {
    "en": ["OK overall, but the app could be faster", "Fine, price is a bit high", "Average, nothing special"],
    "fr": ["Correct, mais l'application pourrait être plus rapide", "Bien, un peu cher", "Moyen, sans plus"],
}
POSITIVE = {
    "en": [
        "Great service, the agent was very helpful",
        "Fast delivery, thank you!",
        "Excellent, problem solved in minutes",
        "Love the app, so easy to use",
    ],
    "fr": [
        "Très bon service, conseiller compétent",
        "Livraison rapide, merci !",
        "Excellent, problème réglé en quelques minutes",
        "J'adore l'application, très pratique",
    ],
}

# the canonical export's columns, in order: the one definition is ingestion.columns (contract section 2)
SURVEY_COLUMNS = SURVEYS.names
CRM_COLUMNS = CRM.names
CALL_COLUMNS = CALLS.names
SURVEY_ALIASES = {
    "response_id": "Response ID",
    "customer_id": "Customer ID",
    "email": "E-mail",
    "channel": "Channel",
    "touchpoint": "Touch Point",
    "interaction_id": "Interaction ID",
    "sent_at": "Sent At",
    "responded_at": "Responded At",
    "nps_score": "NPS Score",
    "nps_comment": "NPS Comment",
    "csat_score": "CSAT",
    "ces_score": "CES",
    "language": "Language",
}
TS_COLUMNS = {"sent_at", "responded_at", "started_at", "answered_at", "ended_at", "updated_at", "churned_at"}
DURATION_COLUMNS = {"wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds"}


@dataclass(frozen=True)
class Plan:
    """How one export file is written."""

    variant: str  # standard | french | aliases | gzip | jsonl | parquet | bom
    delimiter: str = ","


def _ts(base: np.datetime64, seconds: np.ndarray) -> np.ndarray:
    return base + seconds.astype("timedelta64[s]")


def _choice(rng: np.random.Generator, values: np.ndarray, n: int, p: np.ndarray | None = None) -> np.ndarray:
    return values[rng.choice(len(values), size=n, p=p)]


def _day_weights(days: int, start: np.datetime64) -> np.ndarray:
    """Share of the volume on each day of history: it grows (trend) and peaks around New Year (season)."""
    day = np.arange(days)
    doy = (start.astype("datetime64[D]") + day - start.astype("datetime64[Y]")).astype(np.int64) % 365
    weight = (1 + 0.5 * day / days) * (1 + 0.3 * np.cos(2 * np.pi * doy / 365))
    return weight / weight.sum()


def _seasonal_seconds(
    rng: np.random.Generator, n: int, days: int, start: np.datetime64, slice_days: np.ndarray
) -> np.ndarray:
    """Offsets (s) from the start of history, on the days of `slice_days`, following `_day_weights`."""
    weight = _day_weights(days, start)[slice_days]
    picked = rng.choice(slice_days, size=n, p=weight / weight.sum())
    hour = rng.normal(13, 3, n).clip(7, 21)
    return (picked * 86400 + hour * 3600).astype(np.int64) + rng.integers(0, 60, n)


def _customers(rng: np.random.Generator, n: int, start: np.datetime64, days: int) -> dict[str, np.ndarray]:
    idx = np.arange(1, n + 1)
    first = _choice(rng, FIRST, n)
    last = _choice(rng, LAST, n)
    ids = np.char.add("C", np.char.zfill(idx.astype(str), 7))
    email = np.char.add(
        np.char.add(np.char.lower(np.char.add(np.char.add(first, "."), last)), idx.astype(str)), "@example.com"
    )
    phone = np.char.add("+4470", np.char.zfill((idx * 7919 % 10_000_000).astype(str), 8))
    segment = _choice(rng, SEGMENTS, n, np.array([0.12, 0.33, 0.55]))
    signup = start - np.timedelta64(400, "D") + rng.integers(0, 400 + days // 2, n).astype("timedelta64[D]")
    return {
        "customer_id": ids,
        "email": email,
        "phone": phone,
        "first_name": first,
        "last_name": last,
        "company": np.where(segment == "consumer", "", np.char.add("Company ", (idx % 997).astype(str))),
        "segment": segment,
        "region": _choice(rng, REGIONS, n),
        "country": _choice(rng, COUNTRIES, n),
        "plan": _choice(rng, PLANS, n),
        "signup_date": signup,
    }


def _crm_snapshots(rng: np.random.Generator, cust: dict[str, np.ndarray], start: np.datetime64, days: int) -> dict:
    """One snapshot per customer at history start, plus a second one for ~25 % (segment or plan change)."""
    n = len(cust["customer_id"])
    first_at = _ts(start.astype("datetime64[s]"), rng.integers(0, 86400 * 30, n))
    changed = rng.random(n) < 0.25
    k = int(changed.sum())
    idx = np.flatnonzero(changed)
    second_at = _ts(start.astype("datetime64[s]"), rng.integers(86400 * 60, 86400 * (days - 1), k))
    new_segment = cust["segment"][idx].copy()
    seg_change = rng.random(k) < 0.6
    new_segment[seg_change] = SEGMENTS[(np.searchsorted(SEGMENTS, new_segment[seg_change]) + 1) % 3]
    new_plan = cust["plan"][idx].copy()
    new_plan[~seg_change] = PLANS[(np.searchsorted(PLANS, new_plan[~seg_change]) + 1) % 3]
    churned = rng.random(k) < 0.15
    out: dict[str, np.ndarray] = {}
    for col in ("customer_id", "email", "phone", "first_name", "last_name", "company", "region", "country"):
        out[col] = np.concatenate([cust[col], cust[col][idx]])
    out["segment"] = np.concatenate([cust["segment"], new_segment])
    out["plan"] = np.concatenate([cust["plan"], new_plan])
    out["signup_date"] = np.concatenate([cust["signup_date"], cust["signup_date"][idx]])
    out["status"] = np.concatenate([np.full(n, "active"), np.where(churned, "churned", "active")])
    out["updated_at"] = np.concatenate([first_at, second_at])
    out["churned_at"] = np.concatenate(
        [np.full(n, np.datetime64("NaT"), "datetime64[s]"), np.where(churned, second_at, np.datetime64("NaT"))]
    )
    ltv = np.round(rng.gamma(2.0, 600.0, n + k) * np.where(out["segment"] == "enterprise", 20, 1), 2)
    out["lifetime_value"] = ltv
    return out


def _calls(
    rng, n: int, cust: dict, start: np.datetime64, days: int, n_agents: int, slice_days: np.ndarray, first_id: int
) -> dict[str, np.ndarray]:
    n_cust = len(cust["customer_id"])
    ci = rng.integers(0, n_cust, n)
    started = _ts(start.astype("datetime64[s]"), _seasonal_seconds(rng, n, days, start, slice_days))
    agent = rng.integers(0, n_agents, n)
    disposition = _choice(rng, DISPOSITIONS, n, DISPOSITION_P)
    wait = rng.exponential(90, n).astype(np.int64) + np.where(rng.random(n) < 0.1, 600, 0)
    answered = disposition != "abandoned"
    talk = np.where(answered, rng.gamma(3, 110, n).astype(np.int64), 0)
    hold = np.where(answered, (rng.exponential(30, n) * (rng.random(n) < 0.4)).astype(np.int64), 0)
    acw = np.where(answered, rng.integers(10, 120, n), 0)
    ans_at = np.where(answered, started + wait.astype("timedelta64[s]"), np.datetime64("NaT"))
    ended = started + (wait + talk + hold).astype("timedelta64[s]")
    return {
        **_call_parties(first_id, cust, ci, agent),
        "team": TEAMS[agent % len(TEAMS)],
        "queue": QUEUES[agent % len(QUEUES)],
        "direction": np.where(rng.random(n) < 0.9, "inbound", "outbound"),
        "channel": _choice(rng, CALL_CHANNELS, n, np.array([0.7, 0.15, 0.1, 0.05])),
        "started_at": started,
        "answered_at": ans_at,
        "ended_at": ended,
        "wait_seconds": wait,
        "talk_seconds": talk,
        "hold_seconds": hold,
        "acw_seconds": acw,
        "disposition": disposition,
    }


def _verbatims(rng, score: np.ndarray, french: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Comments whose theme matches the score direction; vectorised through per-bank index arrays."""
    n = len(score)
    out = np.full(n, "", dtype=object)
    for lang, mask_lang in (("en", ~french), ("fr", french)):
        for bank, mask in ((NEGATIVE, score <= 6), (NEUTRAL, (score >= 7) & (score <= 8)), (POSITIVE, score >= 9)):
            sel = np.flatnonzero(has & mask & mask_lang)
            phrases = np.array([p.replace("{n}", "45") for p in bank[lang]], dtype=object)
            out[sel] = phrases[rng.integers(0, len(phrases), len(sel))]
    return out


def _surveys(
    rng, n: int, cust: dict, crm: dict, calls: dict, start, days: int, slice_days: np.ndarray, first_id: int
) -> dict[str, np.ndarray]:
    n_cust = len(cust["customer_id"])
    touch = _choice(rng, TOUCHPOINTS, n, np.array([0.4, 0.3, 0.2, 0.1]))
    inbound_answered = np.flatnonzero((calls["direction"] == "inbound") & ~np.isnat(calls["answered_at"]))
    if len(inbound_answered) == 0:
        touch = np.where(touch == "post_call", "relationship", touch)
        inbound_answered = np.zeros(1, dtype=np.int64)
    post_call = touch == "post_call"
    call_pick = inbound_answered[rng.integers(0, len(inbound_answered), n)]
    ci = np.where(post_call, calls["_ci"][call_pick], rng.integers(0, n_cust, n))
    sent = np.where(
        post_call,
        calls["ended_at"][call_pick] + rng.integers(300, 3600, n).astype("timedelta64[s]"),
        _ts(start.astype("datetime64[s]"), _seasonal_seconds(rng, n, days, start, slice_days)),
    )
    channel_idx = rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)
    responded = rng.random(n) < RESPONSE_RATE[channel_idx]
    delay = (rng.exponential(14, n) * 3600).astype(np.int64) + 60
    responded_at = np.where(responded, sent + delay.astype("timedelta64[s]"), np.datetime64("NaT"))
    segment = cust["segment"][ci]
    progress = (sent - start.astype("datetime64[s]")).astype(np.int64) / (days * 86400)
    month = (sent.astype("datetime64[M]").astype(np.int64) % 12) + 1
    latent = (
        7.2
        + np.select([segment == "enterprise", segment == "smb"], [0.5, 0.0], -0.3)
        + np.array([0.0, -0.4, 0.2, 0.5, -0.2])[channel_idx]
        + np.select([touch == "onboarding", touch == "post_purchase"], [0.5, 0.2], 0.0)
        + 0.8 * progress
        - 0.4 * np.isin(month, [11, 12])
        - np.where(post_call, np.minimum(calls["wait_seconds"][call_pick] / 200.0, 3.0), 0.0)
        - np.where(post_call & (calls["disposition"][call_pick] == "transferred"), 1.5, 0.0)
        + rng.normal(0, 2.0, n)
    )
    score = np.rint(latent).clip(0, 10).astype(np.int64)
    skipped = responded & (rng.random(n) < 0.03)
    has_score = responded & ~skipped
    french = (cust["country"][ci] == "FR") | (rng.random(n) < 0.15)
    comment = _verbatims(rng, score, french, has_score & (rng.random(n) < 0.55))
    csat = np.rint((score / 10 * 4 + 1 + rng.normal(0, 0.6, n)).clip(1, 5)).astype(np.int64)
    ces = np.rint((7 - score / 10 * 5 + rng.normal(0, 0.8, n)).clip(1, 7)).astype(np.int64)
    spell = np.empty(n, dtype=object)
    for i, canon in enumerate(CHANNELS):
        sel = np.flatnonzero(channel_idx == i)
        opts = np.array(CHANNEL_SPELLINGS[canon], dtype=object)
        spell[sel] = opts[np.where(rng.random(len(sel)) < 0.8, 0, rng.integers(0, len(opts), len(sel)))]
    # email-only rows: the survey tool lost the customer id; the email differs in case and spacing
    email_only = rng.random(n) < 0.05
    email = np.where(email_only, np.char.add(" ", np.char.upper(cust["email"][ci].astype(str))), cust["email"][ci])
    # ~3 % of invitations go to addresses the CRM has never seen (orphans)
    orphan = rng.random(n) < 0.02
    customer_id = np.where(email_only | orphan, "", cust["customer_id"][ci])
    email = np.where(orphan, np.char.add(np.char.add("guest", np.arange(n).astype(str)), "@mail.test"), email)
    return {
        "response_id": np.char.add("R", np.char.zfill(np.arange(first_id, first_id + n).astype(str), 9)),
        "customer_id": customer_id,
        "email": email,
        "channel": spell,
        "touchpoint": touch,
        "interaction_id": np.where(post_call, calls["call_id"][call_pick], ""),
        "sent_at": sent,
        "responded_at": responded_at,
        "nps_score": np.where(has_score, score, -1),
        "nps_comment": comment,
        "csat_score": np.where(responded, csat, -1),
        "ces_score": np.where(responded & (rng.random(n) < 0.6), ces, -1),
        "language": np.where(french, "fr", "en"),
        "_ci": ci,
        "_orphan": orphan,
    }


def _followups(rng, surveys: dict, cust: dict, n_agents: int, first_id: int) -> dict[str, np.ndarray]:
    """Outbound calls to ~65 % of identified detractors: within 24 h, late (1–6 days), or a no_answer first."""
    det = np.flatnonzero((surveys["nps_score"] >= 0) & (surveys["nps_score"] <= 6) & ~surveys["_orphan"])
    chosen = det[rng.random(len(det)) < 0.65]
    k = len(chosen)
    kind = rng.choice(3, size=k, p=[0.5, 0.3, 0.2])  # 0 within SLA, 1 late, 2 no_answer then success
    delay_h = np.select(
        [kind == 0, kind == 1], [rng.uniform(0.5, 23, k), rng.uniform(25, 150, k)], rng.uniform(2, 20, k)
    )
    base = surveys["responded_at"][chosen]
    first_at = base + (delay_h * 3600).astype(np.int64).astype("timedelta64[s]")
    retry = np.flatnonzero(kind == 2)
    retry_at = first_at[retry] + (rng.uniform(20, 60, len(retry)) * 3600).astype(np.int64).astype("timedelta64[s]")
    started = np.concatenate([first_at, retry_at])
    ci = np.concatenate([surveys["_ci"][chosen], surveys["_ci"][chosen][retry]])
    disposition = np.concatenate([np.where(kind == 2, "no_answer", "resolved"), np.full(len(retry), "resolved")])
    m = len(started)
    retention_agents = np.flatnonzero(np.arange(n_agents) % len(TEAMS) == list(TEAMS).index("retention"))
    agent = retention_agents[rng.integers(0, len(retention_agents), m)]  # follow-ups are the retention team's job
    talk = np.where(disposition == "resolved", rng.integers(120, 900, m), 0)
    answered = np.where(disposition == "resolved", started, np.datetime64("NaT"))
    return {
        **_call_parties(first_id, cust, ci, agent),
        "team": np.full(m, "retention"),
        "queue": np.full(m, "outbound"),
        "direction": np.full(m, "outbound"),
        "channel": np.full(m, "phone"),
        "started_at": started,
        "answered_at": answered,
        "ended_at": started + talk.astype("timedelta64[s]"),
        "wait_seconds": np.zeros(m, np.int64),
        "talk_seconds": talk,
        "hold_seconds": np.zeros(m, np.int64),
        "acw_seconds": np.where(talk > 0, 60, 0),
        "disposition": disposition,
    }


def _call_parties(first_id: int, cust: dict, ci: np.ndarray, agent: np.ndarray) -> dict[str, np.ndarray]:
    """Who is on each generated call: ids numbered from `first_id`, the customer at index `ci`, the agent."""
    return {
        "call_id": np.char.add("K", np.char.zfill(np.arange(first_id, first_id + len(ci)).astype(str), 9)),
        "customer_id": cust["customer_id"][ci],
        "phone": cust["phone"][ci],
        "_ci": ci,
        "agent_id": np.char.add("A", np.char.zfill(agent.astype(str), 4)),
        "agent_name": np.char.add("Agent ", agent.astype(str)),
    }


def _keep(data: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in data.items()}


def _censor_surveys(surveys: dict[str, np.ndarray], export_at: np.datetime64) -> dict[str, np.ndarray]:
    """Responses given after the export moment are not in the export: those invitations are unanswered yet."""
    late = ~np.isnat(surveys["responded_at"]) & (surveys["responded_at"] >= export_at)
    out = dict(surveys)
    out["responded_at"] = np.where(late, np.datetime64("NaT"), surveys["responded_at"])
    for score in ("nps_score", "csat_score", "ces_score"):
        out[score] = np.where(late, -1, surveys[score])
    out["nps_comment"] = np.where(late, "", surveys["nps_comment"])
    return out


def _concat(a: dict, b: dict) -> dict:
    return {k: np.concatenate([a[k], b[k]]) for k in a}


def _arrow(cols: list[str], data: dict[str, np.ndarray], order: np.ndarray) -> pa.Table:
    """Typed arrow table in export order; -1 integers and NaT timestamps become nulls, '' stays ''."""
    arrays = {}
    for c in cols:
        v = data[c][order]
        if v.dtype.kind == "M":
            arrays[c] = pa.array(v.astype("datetime64[s]"), mask=np.isnat(v))
        elif v.dtype.kind in "iu":
            arrays[c] = pa.array(v, mask=v < 0) if c != "lifetime_value" else pa.array(v)
        elif v.dtype.kind == "f":
            arrays[c] = pa.array(v)
        else:
            arrays[c] = pa.array(v.astype(str))
    return pa.table(arrays)


def _format_sql(cols: list[str], french: bool) -> str:
    """SELECT list turning typed columns into export text (ISO by default, French Excel when asked)."""
    parts = []
    for c in cols:
        if c in TS_COLUMNS:
            fmt = "%d/%m/%Y %H:%M:%S" if french else "%Y-%m-%dT%H:%M:%SZ"
            parts.append(f"strftime({c}, '{fmt}') as {c}")
        elif c == "signup_date":
            parts.append(f"strftime({c}, '{'%d/%m/%Y' if french else '%Y-%m-%d'}') as {c}")
        elif c == "lifetime_value" and french:
            parts.append(f"replace(replace(format('{{:,.2f}}', {c}), ',', chr(160)), '.', ',') as {c}")
        elif c in DURATION_COLUMNS and french:
            parts.append(
                f"lpad(({c} // 3600)::varchar, 2, '0') || ':' || lpad((({c} % 3600) // 60)::varchar, 2, '0')"
                f" || ':' || lpad(({c} % 60)::varchar, 2, '0') as {c}"
            )
        else:
            parts.append(f"{c}::varchar as {c}")
    return ", ".join(parts)


def _write(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    path: Path,
    plan: Plan,
    cols: list[str],
    header: list[str],
    bad_lines: list[str],
) -> None:
    """Write one export; bad raw lines (already formatted for the file's dialect) are appended."""
    con.register("export_t", table)
    french = plan.variant == "french"
    select = _format_sql(cols, french)
    renamed = ", ".join(f'{c} as "{h}"' for c, h in zip(cols, header, strict=True))
    query = f"select {renamed} from (select {select} from export_t)"
    if plan.variant == "parquet":
        con.execute(f"copy ({query}) to '{path}' (format parquet)")
    elif plan.variant == "jsonl":
        con.execute(f"copy ({query}) to '{path}' (format json)")
        with path.open("a", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in bad_lines)
    else:
        tmp = path.with_suffix(path.suffix + ".tmp")
        con.execute(f"copy ({query}) to '{tmp}' (header, delimiter '{plan.delimiter}', quote '\"', compression 'none')")
        with tmp.open("a", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in bad_lines)
        encoding = "cp1252" if french else "utf-8"
        opener = gzip.GzipFile if plan.variant == "gzip" else None
        with tmp.open("r", encoding="utf-8", newline="") as src, path.open("wb") as raw:
            sink = opener(fileobj=raw, mode="wb", mtime=0, filename="") if opener else raw
            if plan.variant == "bom":
                sink.write("\ufeff".encode())
            while chunk := src.read(1 << 20):
                sink.write(chunk.encode(encoding, errors="replace"))
            if opener:
                sink.close()
        tmp.unlink()
    con.unregister("export_t")


def _file_plans(n_files: int, clean: bool, locale: str, source: str) -> list[Plan]:
    """Which variant each export of a source is written in (messiness only when not clean)."""
    if locale == "fr":
        return [Plan("french", ";")] * n_files
    plans = [Plan("standard", ",")] * n_files
    if clean:
        return plans
    special = {
        "surveys": [Plan("french", ";"), Plan("aliases", "\t"), Plan("gzip", ","), Plan("bom", ",")],
        "crm": [Plan("french", ";"), Plan("parquet"), Plan("bom", ",")],
        "calls": [Plan("french", ";"), Plan("jsonl"), Plan("gzip", ",")],
    }[source]
    for i, plan in enumerate(special[: n_files - 1]):
        plans[i] = plan
    return plans


def _extension(plan: Plan) -> str:
    return {"parquet": ".parquet", "jsonl": ".jsonl", "gzip": ".csv.gz"}.get(plan.variant, ".csv")


# planted defects in optional fields: the row loads with the field empty, the value in quality.rejected_values
VALUE_DEFECTS = {"surveys": {"RBAD0002"}}


def _bad_lines(source: str, plan: Plan, template: dict[str, str], cols: list[str]) -> dict[str, list[str]]:
    """Rows with exactly one defect each, formatted for the file's dialect; keyed by reason code. The rows
    keyed in VALUE_DEFECTS have their defect in an optional field (counted as bad values, not bad rows)."""

    def row(**changes: str) -> str:
        values = {**template, **changes}
        if plan.variant == "jsonl":
            return json.dumps({c: values[c] for c in cols}, ensure_ascii=False)
        d = plan.delimiter
        return d.join(values[c] for c in cols)

    ts_bad = "31/02/2025 10:00" if plan.variant == "french" else "2025-02-30 10:00:00"
    if source == "surveys":
        return {
            "score_out_of_range": [
                row(response_id="RBAD0001", nps_score="11"),
                row(response_id="RBAD0002", csat_score="6"),
            ],
            "missing_required_field": [row(response_id="")],
            "unparseable_timestamp": [row(response_id="RBAD0003", sent_at=ts_bad)],
            "responded_before_sent": [row(response_id="RBAD0004", responded_at=template["_before"])],
        }
    if source == "calls":
        return {
            "missing_required_field": [row(call_id="")],
            "unparseable_timestamp": [row(call_id="KBAD0001", started_at=ts_bad)],
        }
    return {"missing_required_field": [row(customer_id="")]}


def _split(keys: np.ndarray, n_files: int) -> list[np.ndarray]:
    """Indices per export file, by time order (keys are timestamps), in contiguous time ranges."""
    order = np.argsort(keys, kind="stable")
    return np.array_split(order, n_files)


UNIQUE_KEY = {"surveys": "unique_response_ids", "crm": "unique_versions", "calls": "unique_call_ids"}


class _ExportWriter:
    """Writes the export files of one source in order, with the planted messiness, and keeps the manifest."""

    def __init__(
        self,
        source: str,
        columns: list[str],
        plans: list[Plan],
        clean: bool,
        out_dir: Path,
        con: duckdb.DuckDBPyConnection,
        first_mtime: int,
    ) -> None:
        self.source, self.columns, self.plans, self.clean, self.con = source, columns, plans, clean, con
        self.folder = out_dir / source
        self.folder.mkdir(parents=True, exist_ok=True)
        self.out_dir, self.mtime = out_dir, first_mtime
        self.entries: list[dict] = []
        self.duplicates: list[str] = []
        self.bad_counts: dict[str, int] = {}
        self.bad_value_counts: dict[str, int] = {}
        self.overlap_rows = 0
        self.unique_rows = 0
        self.previous: pa.Table | None = None

    def write(self, table: pa.Table) -> None:
        """Write the next export; after the first, it re-sends the tail (2 %) of the previous one."""
        plan = self.plans[len(self.entries)]
        self.unique_rows += table.num_rows
        body = table
        if not self.clean and self.previous is not None and self.source != "crm":
            resent = self.previous.slice(self.previous.num_rows - max(1, self.previous.num_rows // 50))
            body = pa.concat_tables([resent, table])
            self.overlap_rows += resent.num_rows
        self.previous = table
        name = f"{self.source}_{len(self.entries) + 1:02d}_{plan.variant}{_extension(plan)}"
        header = [SURVEY_ALIASES[c] for c in self.columns] if plan.variant == "aliases" else list(self.columns)
        bad: dict[str, list[str]] = {}
        if not self.clean and plan.variant in ("standard", "french", "jsonl") and not self.bad_counts:
            bad = _bad_lines(self.source, plan, _template_row(self.con, body, self.columns, plan), self.columns)
            for code, lines in bad.items():
                values = [line for line in lines if any(key in line for key in VALUE_DEFECTS.get(self.source, ()))]
                for counts, n in ((self.bad_counts, len(lines) - len(values)), (self.bad_value_counts, len(values))):
                    if n:
                        counts[code] = counts.get(code, 0) + n
            self.unique_rows += sum(
                any(key in line for key in VALUE_DEFECTS.get(self.source, ()))
                for lines in bad.values()
                for line in lines
            )
        bad_flat = [line for lines in bad.values() for line in lines]
        path = self.folder / name
        _write(self.con, body, path, plan, self.columns, header, bad_flat)
        self._touch(path)
        self.entries.append(
            {
                "source": self.source,
                "file_name": f"{self.source}/{name}",
                "format": _extension(plan).lstrip("."),
                "encoding": "cp1252" if plan.variant == "french" else "utf-8",
                "delimiter": plan.delimiter if plan.variant not in ("parquet", "jsonl") else None,
                "rows": body.num_rows + len(bad_flat),
                "variant": plan.variant,
                "duplicate_of": None,
            }
        )

    def resend_copy_of_previous_file(self) -> None:
        """The same file landed twice: a byte-identical copy of the second-to-last export."""
        original = self.entries[-2]
        name = f"{self.source}/{self.source}_resent_copy{Path(original['file_name']).suffix}"
        shutil.copyfile(self.out_dir / original["file_name"], self.out_dir / name)
        self._touch(self.out_dir / name)
        self.entries.append({**original, "file_name": name, "duplicate_of": original["file_name"]})
        self.duplicates.append(name)

    def _touch(self, path: Path) -> None:
        """Later exports are newer (modification time), so "newest file wins" follows the export order."""
        os.utime(path, (self.mtime, self.mtime))
        self.mtime += 60

    def expected(self) -> dict[str, int]:
        rows = sum(e["rows"] for e in self.entries if not e["duplicate_of"])
        rejected = sum(self.bad_counts.values())
        return {
            "rows_in_files": rows,
            "rows_rejected": rejected,
            "rows_loaded": rows - rejected,
            UNIQUE_KEY[self.source]: self.unique_rows,
        }


def generate_exports(
    out_dir: Path,
    scale: str = "small",
    seed: int = 42,
    locale: str = "en",
    clean: bool = False,
    end_date: date | None = None,
) -> dict:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    if locale not in ("en", "fr"):
        raise ValueError(f"unknown locale {locale!r}: choose en or fr")
    end = end_date or datetime.now(UTC).date() - timedelta(days=1)
    start = end - timedelta(days=HISTORY_DAYS - 1)
    start64 = np.datetime64(start.isoformat())
    n_inv, n_cust, n_calls = SCALES[scale]
    rng = np.random.default_rng(seed)
    n_agents = max(8, n_calls // 4000)

    cust = _customers(rng, n_cust, start64, HISTORY_DAYS)
    crm = _crm_snapshots(rng, cust, start64, HISTORY_DAYS)
    # the exports are taken at midnight after the last day: nothing in them happens later than that
    export_at = np.datetime64((end + timedelta(days=1)).isoformat()).astype("datetime64[s]")

    out_dir = Path(out_dir)
    files_per_source = {"tiny": 6, "small": 6, "medium": 12, "large": 18}[scale]
    manifest: dict = {
        "scale": scale,
        "seed": seed,
        "locale": locale,
        "clean": clean,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "files": [],
        "planted": {"duplicate_files": [], "overlap_rows": {}, "bad_rows": {}, "bad_values": {}},
        "expected": {},
    }
    base_mtime = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp())
    con = duckdb.connect()
    con.execute("set threads to 2")
    sources = (("surveys", SURVEY_COLUMNS), ("crm", CRM_COLUMNS), ("calls", CALL_COLUMNS))
    writers = {
        source: _ExportWriter(
            source,
            columns,
            _file_plans(files_per_source, clean, locale, source),
            clean,
            out_dir,
            con,
            base_mtime + k * 6000,
        )
        for k, (source, columns) in enumerate(sources)
    }
    for idx in _split(crm["updated_at"], files_per_source):
        writers["crm"].write(_arrow(CRM_COLUMNS, crm, idx))
    # surveys and calls are generated one export (a slice of history) at a time: memory stays one slice
    weights = _day_weights(HISTORY_DAYS, start64)
    next_call, next_response, next_followup = 1, 1, n_calls + 1
    for slice_days in np.array_split(np.arange(HISTORY_DAYS), files_per_source):
        share = weights[slice_days].sum()
        n_slice_calls, n_slice_inv = int(np.rint(n_calls * share)), int(np.rint(n_inv * share))
        calls = _calls(rng, n_slice_calls, cust, start64, HISTORY_DAYS, n_agents, slice_days, next_call)
        surveys = _surveys(rng, n_slice_inv, cust, crm, calls, start64, HISTORY_DAYS, slice_days, next_response)
        next_call, next_response = next_call + n_slice_calls, next_response + n_slice_inv
        calls = _keep(calls, calls["ended_at"] < export_at)
        surveys = _censor_surveys(_keep(surveys, surveys["sent_at"] < export_at), export_at)
        followups = _followups(rng, surveys, cust, n_agents, next_followup)
        next_followup += len(followups["call_id"])
        calls = _concat(calls, _keep(followups, followups["ended_at"] < export_at))
        writers["surveys"].write(_arrow(SURVEY_COLUMNS, surveys, np.argsort(surveys["sent_at"], kind="stable")))
        writers["calls"].write(_arrow(CALL_COLUMNS, calls, np.argsort(calls["started_at"], kind="stable")))
        del calls, surveys, followups
    if not clean:
        writers["calls"].resend_copy_of_previous_file()
    for source, writer in writers.items():
        manifest["files"].extend(writer.entries)
        manifest["planted"]["duplicate_files"].extend(writer.duplicates)
        manifest["planted"]["overlap_rows"][source] = writer.overlap_rows
        manifest["planted"]["bad_rows"][source] = writer.bad_counts
        manifest["planted"]["bad_values"][source] = writer.bad_value_counts
        manifest["expected"][source] = writer.expected()
    con.close()
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _template_row(con: duckdb.DuckDBPyConnection, table: pa.Table, cols: list[str], plan: Plan) -> dict[str, str]:
    """A valid record of this file, as text in the file's format, for planting one defect into."""
    con.register("tpl_t", table.slice(0, 1))
    select = _format_sql(cols, plan.variant == "french")
    row = con.execute(f"select {select} from tpl_t").fetchall()[0]
    con.unregister("tpl_t")
    values = {c: ("" if v is None else str(v)) for c, v in zip(cols, row, strict=True)}
    values = {c: v.replace(plan.delimiter, " ").replace('"', "").replace("\n", " ") for c, v in values.items()}
    if "sent_at" in values:
        # a response one day before its invitation, in the file's timestamp format
        fmt = "%d/%m/%Y %H:%M:%S" if plan.variant == "french" else "%Y-%m-%dT%H:%M:%SZ"
        sent = table.column("sent_at")[0].as_py()
        values["_before"] = (sent - timedelta(days=1)).strftime(fmt)
        values["responded_at"] = (sent + timedelta(hours=2)).strftime(fmt)
        values["nps_score"] = values["nps_score"] or "8"
    return values


def generate_command(out: Path, *, scale: str, seed: int, locale: str, clean: bool, end_date: str | None) -> int:
    try:
        end = date.fromisoformat(end_date) if end_date else None
        manifest = generate_exports(out, scale=scale, seed=seed, locale=locale, clean=clean, end_date=end)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    print(f"wrote {len(manifest['files'])} files to {out} ({manifest['start_date']} → {manifest['end_date']})")
    for source, exp in manifest["expected"].items():
        bad = manifest["planted"]["bad_rows"][source]
        print(f"  {source:8s} {exp['rows_in_files']:>10,} rows, {exp['rows_rejected']} planted bad rows {bad or ''}")
    if manifest["planted"]["duplicate_files"]:
        print(f"  duplicate files: {', '.join(manifest['planted']['duplicate_files'])}")
    print(f"  manifest: {Path(out) / 'manifest.json'}")
    return 0
