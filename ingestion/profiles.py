"""Export profiles (contract section 2.2) as data: how a tool's export is recognised and maps to canonical columns.

A profile is declarative, read by one engine (`ingestion.detect`, `ingestion.mapping`); no reader per vendor:
- `recognise`: the ways its files look (rules on the first header rows of a CSV/TSV/XLSX, or on the keys of
  JSON/Parquet records) and the header layout each implies (several header rows, continuation columns, a
  row of `{"ImportId":…,"timeZone":…}` cells); the first profile of `PROFILES` whose rule holds is used when
  no `sources.yml` entry declares one (`ingestion.detect`);
- header candidates per canonical column (header text, another header row's text, a Qualtrics ImportId, or a
  JSON path `Parent.Child`; the first the file has wins), default `values` maps (export value → canonical
  value, compared case-insensitively; the key `*` is the value for anything else, an empty value is NULL),
  named value transforms (`ingestion.transforms`), extra null tokens, report footer lines, the column whose
  value orders re-delivered versions of one record, the default date order, the time zone and whether rows
  are invitations; `defaults`: constants for canonical columns the file does not map (`channel: web`);
- `question`: how the NPS question is found when no column is declared (the `_NPS_GROUP` sibling, else the
  recommendation wording with 0–10 answers, `ingestion.questions`); `partial`: which rows are partial responses.
`variants` are overrides that apply when the file has given columns (a vendor's legacy export). Vendor
profiles map only what they name (`match_headers=False`): every other column is an attribute.
`sources.yml` overrides any part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

DateOrder = Literal["dmy", "mdy", "ymd"]


def _frozen(mapping: Mapping | None = None) -> MappingProxyType:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class RowRule:
    """A test on one header row of a CSV/TSV/XLSX file; cells are compared by `columns.header_key`
    (case, spaces, underscores, hyphens, dots and accents ignored)."""

    row: int = 1  # 1 = the first line of the file
    first: tuple[str, ...] = ()  # its first cell is one of these
    starts: tuple[str, ...] = ()  # it begins with these cells, in this order
    has: tuple[str, ...] = ()  # it holds every one of these cells, anywhere
    cells_start: str | None = None  # every non-empty cell begins with this text (compared as written)


@dataclass(frozen=True)
class Layout:
    """How the header rows of a CSV/TSV/XLSX export are laid out."""

    header_rows: int = 1  # header records before the first data record (not counted, not rejected)
    name_row: int = 1  # the row whose cells name the columns (the other rows' cells are aliases)
    continuation: bool = False  # an empty name cell continues the question to its left: `<question> - <row 2>`
    meta_row: int | None = None  # a row of JSON cells `{"ImportId": id, "timeZone": zone}` (Qualtrics)


SINGLE_HEADER = Layout()


@dataclass(frozen=True)
class Recognition:
    """One way a profile's files look. All rules must hold."""

    formats: tuple[str, ...] = ("csv", "xlsx")  # ReadPlan.file_format values: csv | xlsx | json | parquet
    rows: tuple[RowRule, ...] = ()  # CSV/XLSX: tests on the header rows
    keys: tuple[str, ...] = ()  # JSON/Parquet: the records hold every key (`person` also matches `person.id`)
    layout: Layout = SINGLE_HEADER
    date_order: DateOrder | None = None  # the default date order of files recognised this way


@dataclass(frozen=True)
class QuestionRule:
    """How the NPS question column is found when no mapping names it (contract section 2.2).

    With `sibling_suffix`, the column that has a `<column><suffix>` sibling (compared by header key, on every
    header row and ImportId) is the score, and the sibling is checked against it (`group_values` → category).
    Otherwise (or when no sibling exists): the one column whose header text contains one of `words`
    (accents and case ignored) and whose answers are all 0–10 (after the nps_score transform)."""

    words: tuple[str, ...] = ("recommend", "recommand", "recomend", "empfehl")
    sibling_suffix: str | None = None
    group_values: MappingProxyType[str, str] = field(default_factory=_frozen)  # group text → category


@dataclass(frozen=True)
class PartialRule:
    """Rows whose `column` (header candidates) holds one of `values` (compared lower-cased) are partial
    responses: without an NPS answer they are not responses (responded_at empty); with one, responded_at
    falls back to the first of `fallback` (header candidates) when it is empty."""

    column: tuple[str, ...]
    values: tuple[str, ...]
    fallback: tuple[str, ...] = ()


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
    recognise: tuple[Recognition, ...] = ()  # empty: never detected, only declared (or the fallback)
    defaults: MappingProxyType[str, str] = field(default_factory=_frozen)  # constant when the file maps none
    question: QuestionRule | None = None  # finds the NPS question column when no mapping names it
    partial: PartialRule | None = None
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


def _vendor(name: str, source: str, **fields: Any) -> Profile:
    """A vendor tool's profile for one landing source: it maps only the columns it names (every other column
    is an attribute)."""
    return Profile(name=name, sources=(source,), match_headers=False, **fields)


AMAZON_CONNECT = _vendor(
    "amazon_connect",
    "calls",
    recognise=(Recognition(formats=("json", "parquet"), keys=("ContactId", "InitiationTimestamp")),),
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

FIVE9 = _vendor(
    "five9",
    "calls",
    recognise=(Recognition(rows=(RowRule(row=1, has=("CALL ID", "TIMESTAMP", "CALL TYPE", "AGENT")),)),),
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

TALKDESK = _vendor(
    "talkdesk",
    "calls",
    recognise=(
        Recognition(rows=(RowRule(row=1, has=("call_id", "type", "start_at", "talk_time")),)),
        Recognition(formats=("json", "parquet"), keys=("call_id", "type", "start_at", "talk_time")),
        # the legacy Explore payload (other field names; see the variant below)
        Recognition(formats=("json", "parquet"), keys=("interaction_id", "call_type", "start_time", "talk_time")),
    ),
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

SALESFORCE = _vendor(
    "salesforce",
    "crm",
    recognise=(
        Recognition(rows=(RowRule(row=1, has=("Contact ID", "Last Modified Date")),)),
        Recognition(rows=(RowRule(row=1, has=("Account ID", "Last Modified Date")),)),
    ),
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

HUBSPOT = _vendor(
    "hubspot",
    "crm",
    recognise=(Recognition(rows=(RowRule(row=1, has=("Record ID", "Create Date")),)),),
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

_WEB = _frozen({"channel": "web"})  # survey tools without a channel column (contract section 2.2)
_QUESTION = QuestionRule()


def _survey_tool(name: str, **fields: Any) -> Profile:
    """A survey tool's profile (contract section 2.2): responses only (no invitations), channel `web` unless the
    file maps one; `fields` add to or override that."""
    return _vendor(name, "surveys", **{"defaults": _WEB, "invitations": False, **fields})


def _answered_at(*candidates: str) -> dict[str, tuple[str, ...]]:
    """An export with one timestamp per response: it is both when the survey was sent and answered."""
    return {"sent_at": candidates, "responded_at": candidates}


QUALTRICS = _survey_tool(
    "qualtrics",
    recognise=(
        Recognition(
            rows=(RowRule(row=3, cells_start='{"ImportId"'),),
            layout=Layout(header_rows=3, name_row=1, meta_row=3),
        ),
        Recognition(
            rows=(RowRule(row=1, starts=("V1", "V2", "V3")), RowRule(row=2, starts=("ResponseID", "ResponseSet"))),
            layout=Layout(header_rows=2, name_row=2),
        ),
    ),
    columns=_frozen(
        {
            "response_id": ("ResponseId", "ResponseID"),
            "customer_id": ("ExternalReference", "ExternalDataReference"),
            "email": ("RecipientEmail", "EmailAddress"),
            "sent_at": ("StartDate",),
            "responded_at": ("RecordedDate", "EndDate"),
            "channel": ("DistributionChannel",),
            "language": ("UserLanguage",),
        }
    ),
    values=_frozen(
        {
            "channel": _frozen(
                {
                    "email": "email",
                    "smsinvite": "sms",
                    "anonymous": "web",
                    "gl": "web",
                    "qr": "web",
                    "social": "web",
                    "offline": "other",
                }
            )
        }
    ),
    transforms=_frozen({"language": (Transform("language_code"),)}),
    question=QuestionRule(
        sibling_suffix="_NPS_GROUP",
        group_values=_frozen(
            {
                "1": "detractor",
                "2": "passive",
                "3": "promoter",
                "detractor": "detractor",
                "passive": "passive",
                "promoter": "promoter",
            }
        ),
    ),
    partial=PartialRule(column=("Finished",), values=("0", "false")),
)

SURVEYMONKEY = _survey_tool(
    "surveymonkey",
    recognise=(
        Recognition(
            rows=(RowRule(row=1, starts=("Respondent ID", "Collector ID", "Start Date", "End Date")),),
            layout=Layout(header_rows=2, name_row=1, continuation=True),
        ),
    ),
    columns=_frozen(
        {
            "response_id": ("Respondent ID",),
            "email": ("Email Address",),
            "sent_at": ("Start Date",),
            "responded_at": ("End Date",),
        }
    ),
    transforms=_frozen({"nps_score": (Transform("leading_number"),)}),
    question=_QUESTION,
    date_order="mdy",
)

TYPEFORM = _survey_tool(
    "typeform",
    recognise=(Recognition(rows=(RowRule(row=1, first=("#",), has=("Start Date (UTC)", "Submit Date (UTC)")),)),),
    columns=_frozen({"response_id": ("#",), "sent_at": ("Start Date (UTC)",), "responded_at": ("Submit Date (UTC)",)}),
    question=_QUESTION,
    # a partial that answered the NPS question is a response, at its last activity (Stage Date)
    partial=PartialRule(column=("Response Type",), values=("partial",), fallback=("Stage Date (UTC)",)),
    date_order="mdy",
    timezone="UTC",
)

_FORMS_EMAIL = ("Email address", "Adresse e-mail", "Dirección de correo electrónico", "E-Mail-Adresse")
GOOGLE_FORMS = _survey_tool(
    "google_forms",
    recognise=(
        Recognition(rows=(RowRule(row=1, first=("Timestamp",)),), date_order="mdy"),
        Recognition(
            rows=(RowRule(row=1, first=("Horodateur", "Marca temporal", "Zeitstempel", "Informazioni cronologiche")),),
            date_order="dmy",
        ),
    ),
    columns=_frozen(
        {
            **_answered_at("Timestamp", "Horodateur", "Marca temporal", "Zeitstempel", "Informazioni cronologiche"),
            "email": _FORMS_EMAIL,
        }
    ),
    question=_QUESTION,
)

DELIGHTED = _survey_tool(
    "delighted",
    recognise=(Recognition(formats=("json", "parquet"), keys=("id", "score", "created_at", "person")),),
    columns=_frozen(
        {
            "response_id": ("id",),
            "customer_id": ("person.id",),
            "email": ("person.email",),
            **_answered_at("created_at"),
            "nps_score": ("score",),
            "nps_comment": ("comment",),
        }
    ),
    transforms=_frozen({"sent_at": (Transform("unix_seconds"),), "responded_at": (Transform("unix_seconds"),)}),
    timezone="UTC",
)

FORMBRICKS = _survey_tool(
    "formbricks",
    recognise=(Recognition(rows=(RowRule(row=1, has=("Response ID", "Timestamp", "Finished", "Survey ID")),)),),
    columns=_frozen(
        {
            "response_id": ("Response ID",),
            "customer_id": ("User ID",),
            "email": ("Verified Email",),
            **_answered_at("Timestamp"),
        }
    ),
    question=_QUESTION,
    timezone="UTC",
)

# Detection tries the profiles in this order (the more specific rules first); `canonical` is the fallback.
PROFILES: MappingProxyType[str, Profile] = MappingProxyType(
    {
        p.name: p
        for p in (
            CANONICAL,
            AMAZON_CONNECT,
            FIVE9,
            TALKDESK,
            SALESFORCE,
            HUBSPOT,
            QUALTRICS,
            SURVEYMONKEY,
            TYPEFORM,
            FORMBRICKS,
            GOOGLE_FORMS,
            DELIGHTED,
        )
    }
)


def profile_named(name: str) -> Profile | None:
    return PROFILES.get(name)
