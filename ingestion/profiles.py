"""Export profiles (contract section 2.2) as data: how a tool's export maps to the canonical columns.

A profile is declarative: header candidates per canonical column (header text or a JSON path
`Parent.Child`; the first the file has wins), default `values` maps (export value → canonical value,
compared case-insensitively; the key `*` is the value for anything else, an empty value is NULL), named
value transforms (`ingestion.transforms`), extra null tokens, report footer lines, the column whose value
orders re-delivered versions of one record, the default date order, the time zone and whether rows are
invitations. `variants` are overrides that apply when the file has given columns (a vendor's legacy
export). Vendor profiles map only what they name (`match_headers=False`): every other column is an
attribute. One engine (`ingestion.mapping`) reads them all; `sources.yml` overrides any part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

DateOrder = Literal["dmy", "mdy", "ymd"]


def _frozen(mapping: Mapping | None = None) -> MappingProxyType:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Transform:
    """A named transform of `ingestion.transforms` applied to a canonical column, with its input columns."""

    name: str
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    """Overrides of a profile for files that have every `when` column (e.g. a legacy layout)."""

    name: str
    when: tuple[str, ...]
    columns: MappingProxyType[str, tuple[str, ...]] = field(default_factory=_frozen)
    transforms: MappingProxyType[str, tuple[Transform, ...]] = field(default_factory=_frozen)


@dataclass(frozen=True)
class Profile:
    name: str
    sources: tuple[str, ...]  # the landing sources the profile applies to
    columns: MappingProxyType[str, tuple[str, ...]] = field(default_factory=_frozen)
    values: MappingProxyType[str, MappingProxyType[str, str]] = field(default_factory=_frozen)
    date_order: DateOrder = "dmy"
    invitations: bool = True
    timezone: str | None = None
    transforms: MappingProxyType[str, tuple[Transform, ...]] = field(default_factory=_frozen)
    null_values: tuple[str, ...] = ()  # added to the default null tokens
    footer: tuple[str, ...] = ()  # regexes of report footer lines after the data: skipped, not records
    version_column: str | None = None  # per key, the row with the greatest value wins, whatever file it is in
    version_transform: str | None = None  # a transform making the version column a timestamp
    keep_attributes: tuple[str, ...] = ()  # canonical columns whose export column is also kept as an attribute
    match_headers: bool = True  # match unmapped canonical columns by header name and alias
    variants: tuple[Variant, ...] = ()
    # canonical column → a derivation of `ingestion.transforms.DERIVED` over typed values (when it is empty)
    derived: MappingProxyType[str, Transform] = field(default_factory=_frozen)

    def for_headers(self, headers: list[str], key: object = None) -> Profile:
        """The profile with the overrides of the first variant whose `when` columns the file has all of
        (`key` normalises header text, e.g. `ingestion.columns.header_key`)."""
        norm = key if callable(key) else (lambda h: h)
        have = {norm(h) for h in headers}
        for variant in self.variants:
            if all(norm(w) in have for w in variant.when):
                return replace(
                    self,
                    columns=_frozen({**self.columns, **variant.columns}),
                    transforms=_frozen({**self.transforms, **variant.transforms}),
                    variants=(),
                )
        return self


def _values(**maps: dict[str, str]) -> MappingProxyType:
    return _frozen({name: _frozen(m) for name, m in maps.items()})


def _one(*candidates: str) -> tuple[str, ...]:
    return candidates


# Report footers (Salesforce "Details Only" exports); blank lines between them are footer lines too
REPORT_FOOTER = (r'^\s*"?\s*(Grand Totals|Confidential Information|Copyright)',)

CANONICAL = Profile(name="canonical", sources=("surveys", "crm", "calls"))

AMAZON_CONNECT = Profile(
    name="amazon_connect",
    sources=("calls",),
    match_headers=False,
    columns=_frozen(
        {
            "call_id": _one("ContactId"),
            "phone": _one("CustomerEndpoint.Address"),
            "agent_id": _one("Agent.Username"),
            "agent_name": _one("Agent.Username"),
            "team": _one("Agent.HierarchyGroups.Level1.GroupName"),
            "queue": _one("Queue.Name"),
            "direction": _one("InitiationMethod"),
            "channel": _one("Channel"),
            "started_at": _one("InitiationTimestamp"),
            "answered_at": _one("Agent.ConnectedToAgentTimestamp"),
            "ended_at": _one("DisconnectTimestamp"),
            "wait_seconds": _one("Queue.Duration"),
            "talk_seconds": _one("Agent.AgentInteractionDuration"),
            "hold_seconds": _one("Agent.CustomerHoldDuration"),
            "acw_seconds": _one("Agent.AfterContactWorkDuration"),
        }
    ),
    values=_values(
        direction={"OUTBOUND": "outbound", "CALLBACK": "outbound", "*": "inbound"},
        channel={"VOICE": "phone", "CHAT": "chat", "EMAIL": "email", "*": "other"},
    ),
    transforms=_frozen(
        {
            "disposition": (
                Transform("abandoned_if_unanswered", ("Queue.EnqueueTimestamp", "Agent.ConnectedToAgentTimestamp")),
            )
        }
    ),
    version_column="LastUpdateTimestamp",
)

FIVE9 = Profile(
    name="five9",
    sources=("calls",),
    match_headers=False,
    columns=_frozen(
        {
            "call_id": _one("CALL ID"),
            "phone": _one("ANI"),
            "agent_id": _one("AGENT"),
            "agent_name": _one("AGENT NAME"),
            "queue": _one("SKILL", "CAMPAIGN"),
            "direction": _one("CALL TYPE"),
            "started_at": _one("TIMESTAMP"),
            "wait_seconds": _one("QUEUE WAIT TIME"),
            "talk_seconds": _one("TALK TIME"),
            "hold_seconds": _one("HOLD TIME"),
            "acw_seconds": _one("AFTER CALL WORK TIME"),
            "disposition": _one("DISPOSITION"),
        }
    ),
    values=_values(
        direction={"Inbound": "inbound", "Outbound": "outbound", "Manual": "outbound", "Queue Callback": "outbound"},
        disposition={
            "Abandon": "abandoned",
            "No Answer": "no_answer",
            "Transferred To 3rd Party": "transferred",
            "*": "",
        },
    ),
    transforms=_frozen(
        {
            "queue": (Transform("or_else", ("CAMPAIGN",)),),
        }
    ),
    derived=_frozen({"ended_at": Transform("plus_duration", ("started_at", "CALL TIME"))}),
    null_values=("[None]",),
    keep_attributes=("disposition",),
    date_order="mdy",
)

_TALKDESK_DIRECTION = {
    "inbound": "inbound",
    "outbound": "outbound",
    "abandoned": "inbound",
    "short_abandoned": "inbound",
    "missed": "inbound",
    "outbound_missed": "outbound",
}
_TALKDESK_DISPOSITION = {
    "inbound": "",
    "outbound": "",
    "abandoned": "abandoned",
    "short_abandoned": "abandoned",
    "missed": "no_answer",
    "outbound_missed": "no_answer",
}
_DAY_FRACTION = (Transform("day_fraction_seconds"),)

TALKDESK = Profile(
    name="talkdesk",
    sources=("calls",),
    match_headers=False,
    columns=_frozen(
        {
            "call_id": _one("call_id"),
            "phone": _one("contact_phone_number"),
            "agent_name": _one("user_name"),
            "team": _one("team_name"),
            "queue": _one("ring_groups"),
            "direction": _one("type"),
            "disposition": _one("type"),
            "started_at": _one("start_at"),
            "ended_at": _one("end_at"),
            "wait_seconds": _one("wait_time"),
            "talk_seconds": _one("talk_time"),
            "hold_seconds": _one("hold_time"),
        }
    ),
    values=_values(direction=_TALKDESK_DIRECTION, disposition=_TALKDESK_DISPOSITION),
    keep_attributes=("direction",),
    variants=(
        # the legacy Explore payload: other field names, naive times in the job's zone, durations in days
        Variant(
            name="talkdesk_legacy",
            when=("interaction_id", "call_type", "start_time"),
            columns=_frozen(
                {
                    "call_id": _one("interaction_id"),
                    "phone": _one("customer_phone_number"),
                    "agent_name": _one("agent_name"),
                    "team": _one("team"),
                    "queue": _one("tags"),
                    "direction": _one("call_type"),
                    "disposition": _one("call_type"),
                    "started_at": _one("start_time"),
                    "ended_at": _one("end_time"),
                    "wait_seconds": _one("waiting_time"),
                    "talk_seconds": _one("talk_time"),
                    "hold_seconds": _one("holding_time"),
                }
            ),
            transforms=_frozen(
                {"wait_seconds": _DAY_FRACTION, "talk_seconds": _DAY_FRACTION, "hold_seconds": _DAY_FRACTION}
            ),
        ),
    ),
)

_DATE_COMMA = (Transform("strip_date_comma"),)

SALESFORCE = Profile(
    name="salesforce",
    sources=("crm",),
    match_headers=False,
    columns=_frozen(
        {
            "customer_id": _one("Contact ID", "Account ID"),
            "email": _one("Email"),
            "phone": _one("Phone"),
            "first_name": _one("First Name"),
            "last_name": _one("Last Name"),
            "company": _one("Account Name"),
            "country": _one("Billing Country", "Mailing Country"),
            "segment": _one("Type"),
            "signup_date": _one("Created Date"),
            "updated_at": _one("Last Modified Date"),
        }
    ),
    transforms=_frozen(
        {
            "customer_id": (Transform("salesforce_id18"),),
            "signup_date": _DATE_COMMA,
            "updated_at": _DATE_COMMA,
        }
    ),
    footer=REPORT_FOOTER,
    date_order="mdy",
)

HUBSPOT = Profile(
    name="hubspot",
    sources=("crm",),
    match_headers=False,
    columns=_frozen(
        {
            "customer_id": _one("Record ID"),
            "email": _one("Email"),
            "phone": _one("Phone Number"),
            "first_name": _one("First Name"),
            "last_name": _one("Last Name"),
            "company": _one("Company Name"),
            "country": _one("Country/Region"),
            "segment": _one("Lifecycle Stage"),
            "signup_date": _one("Create Date"),
            "updated_at": _one("Last Modified Date", "Create Date"),
        }
    ),
    transforms=_frozen({"updated_at": (Transform("or_else", ("Create Date",)),)}),
)

PROFILES: MappingProxyType[str, Profile] = MappingProxyType(
    {p.name: p for p in (CANONICAL, AMAZON_CONNECT, FIVE9, TALKDESK, SALESFORCE, HUBSPOT)}
)


def profile_named(name: str) -> Profile | None:
    return PROFILES.get(name)
