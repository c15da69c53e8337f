"""The canonical columns of each landing source (contract section 2), their types and checks, and header matching.

Header names are matched case-insensitively, ignoring spaces, underscores, hyphens, dots and accents, then
looked up in the alias table below. This is the only place that knows column names and aliases.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | timestamp | date | integer | decimal | duration | enum
    required: bool = False
    value_range: tuple[int, int] | None = None  # inclusive bounds of an integer score
    allowed: tuple[str, ...] = ()  # for kind == "enum" (compared lower-cased and trimmed)
    aliases: tuple[str, ...] = ()
    # an invalid value here rejects the whole row (required fields always do); elsewhere the row loads with
    # the field empty and the value goes to quality.rejected_values (contract section 3)
    rejects_row: bool = False

    @property
    def row_level(self) -> bool:
        return self.required or self.rejects_row


@dataclass(frozen=True)
class Source:
    name: str  # folder under the landing directory
    table: str  # table in schema raw
    columns: tuple[Column, ...]
    key: str  # the record id (for messages)
    row_checks: tuple[str, ...] = field(default=())  # named cross-field checks, see ingestion.validate
    version_key: tuple[str, ...] = ()  # what identifies one version of a record (superseded rows), default `key`

    @property
    def versions_by(self) -> tuple[str, ...]:
        return self.version_key or (self.key,)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        """The canonical column names, in the order of the canonical export (contract section 2)."""
        return [c.name for c in self.columns]


# header aliases of the fields several sources share
CUSTOMER_ID_ALIASES = ("customer", "client id", "customer number")
EMAIL_ALIASES = ("e-mail", "email address", "courriel")


SURVEYS = Source(
    name="surveys",
    table="surveys",
    key="response_id",
    columns=(
        Column("response_id", required=True, aliases=("id", "survey response id", "invitation id")),
        Column("customer_id", aliases=CUSTOMER_ID_ALIASES),
        Column("email", aliases=EMAIL_ALIASES),
        Column("channel", aliases=("survey channel", "canal")),
        Column("touchpoint", aliases=("touch point", "trigger")),
        Column("interaction_id", aliases=("call id", "contact id", "interaction")),
        Column("sent_at", "timestamp", required=True, aliases=("sent", "sent date", "invited at", "date envoi")),
        Column(
            "responded_at",
            "timestamp",
            rejects_row=True,  # it decides whether the score counts
            aliases=("responded", "response date", "completed at", "date reponse"),
        ),
        Column(
            "nps_score",
            "integer",
            value_range=(0, 10),
            rejects_row=True,
            aliases=("nps", "score", "likelihood to recommend"),
        ),
        Column("nps_comment", aliases=("comment", "verbatim", "nps verbatim", "commentaire")),
        Column("csat_score", "integer", value_range=(1, 5), aliases=("csat",)),
        Column("ces_score", "integer", value_range=(1, 7), aliases=("ces", "effort score")),
        Column("language", aliases=("lang", "langue", "locale")),
    ),
    row_checks=("responded_before_sent", "score_without_response"),
)

CRM = Source(
    name="crm",
    table="crm_customers",
    key="customer_id",
    version_key=("customer_id", "updated_at"),  # each CRM snapshot is a version in the customer's history
    columns=(
        Column("customer_id", required=True, aliases=(*CUSTOMER_ID_ALIASES, "id")),
        Column("email", aliases=EMAIL_ALIASES),
        Column("phone", aliases=("phone number", "telephone", "tel", "mobile")),
        Column("first_name", aliases=("firstname", "given name", "prenom")),
        Column("last_name", aliases=("lastname", "surname", "family name", "nom")),
        Column("company", aliases=("company name", "account", "societe")),
        Column("segment", aliases=("customer segment",)),
        Column("region"),
        Column("country", aliases=("pays", "country code")),
        Column("plan", aliases=("subscription", "offer", "offre")),
        Column("signup_date", "date", aliases=("signup", "signed up at", "created at", "date inscription")),
        Column("status", "enum", allowed=("active", "churned"), aliases=("customer status", "statut")),
        Column("churned_at", "timestamp", aliases=("churn date", "churned")),
        Column("lifetime_value", "decimal", aliases=("ltv", "clv", "customer lifetime value")),
        Column("updated_at", "timestamp", required=True, aliases=("last modified", "modified at", "updated")),
    ),
)

CALLS = Source(
    name="calls",
    table="calls",
    key="call_id",
    columns=(
        Column("call_id", required=True, aliases=("id", "interaction id", "contact id")),
        Column("customer_id", aliases=CUSTOMER_ID_ALIASES),
        Column("phone", aliases=("phone number", "ani", "caller number")),
        Column("agent_id", aliases=("agent", "user id")),
        Column("agent_name", aliases=("agent full name",)),
        Column("team", aliases=("equipe",)),
        Column("queue", aliases=("skill", "file attente")),
        Column("direction", "enum", allowed=("inbound", "outbound"), aliases=("call direction", "sens")),
        Column("channel", aliases=("media", "media type")),
        Column("started_at", "timestamp", required=True, aliases=("start time", "started", "call start")),
        Column("answered_at", "timestamp", aliases=("answer time", "answered")),
        Column("ended_at", "timestamp", aliases=("end time", "ended", "call end")),
        Column("wait_seconds", "duration", aliases=("wait time", "queue time", "wait")),
        Column("talk_seconds", "duration", aliases=("talk time", "talk")),
        Column("hold_seconds", "duration", aliases=("hold time", "hold")),
        Column("acw_seconds", "duration", aliases=("acw", "after call work", "wrap up time")),
        Column(
            "disposition",
            "enum",
            allowed=("resolved", "unresolved", "transferred", "abandoned", "no_answer", "callback", "followup"),
            aliases=("outcome", "wrap up code", "result"),
        ),
    ),
)

SOURCES: dict[str, Source] = {s.name: s for s in (SURVEYS, CRM, CALLS)}


def header_key(name: str) -> str:
    """`Réponse-ID ` → `reponseid`: lower case, accents removed, spaces/underscores/hyphens/dots dropped."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in plain.casefold() if ch not in " _-.\t\u00a0")


def header_lookup(source: Source) -> dict[str, str]:
    """Normalised header key → canonical column name, canonical names first so they win over aliases."""
    lookup: dict[str, str] = {}
    for column in source.columns:
        lookup.setdefault(header_key(column.name), column.name)
    for column in source.columns:
        for alias in column.aliases:
            lookup.setdefault(header_key(alias), column.name)
    return lookup


def map_headers(source: Source, headers: list[str]) -> dict[int, str]:
    """Position of each recognised header → canonical column. The first occurrence of a column wins;
    unknown extra columns are left out (they stay in the raw record of rejected rows)."""
    lookup = header_lookup(source)
    mapped: dict[int, str] = {}
    for position, header in enumerate(headers):
        canonical = lookup.get(header_key(header))
        if canonical is not None and canonical not in mapped.values():
            mapped[position] = canonical
    return mapped


def map_keys(source: Source, keys: list[str]) -> dict[str, list[str]]:
    """JSON keys grouped by the canonical column they spell (records of one file may spell it differently)."""
    lookup = header_lookup(source)
    grouped: dict[str, list[str]] = {}
    for key in keys:
        canonical = lookup.get(header_key(key))
        if canonical is not None:
            grouped.setdefault(canonical, []).append(key)
    return grouped
