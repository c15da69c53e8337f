"""Export profiles (contract section 2.2) as data: how a tool's export is recognised and maps to canonical columns.

A profile is declarative, read by one engine (`ingestion.detect`, `ingestion.mapping`); no reader per vendor:
- `recognise`: the ways its files look (rules on the first header rows of a CSV/TSV/XLSX, or on the keys of
  JSON/Parquet records) and the header layout each implies (several header rows, continuation columns, a
  row of `{"ImportId":…,"timeZone":…}` cells); the first profile of `PROFILES` whose rule holds is used when
  no `sources.yml` entry declares one;
- `columns`: header candidates per canonical column (the first present wins);
- `values`: default enum maps; `transforms`: a named text transform per canonical column
  (`ingestion.transforms.TRANSFORMS`); `defaults`: constants for columns the file does not map;
- `question`: how the NPS question is found when no column is declared (the `_NPS_GROUP` sibling, else the
  recommendation wording with 0–10 answers); `partial`: which rows are partial responses;
- `date_order`, `timezone`, `invitations`, `null_values`.
`sources.yml` overrides any part (columns, constants, values, null values, date order, time zone, invitations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

DateOrder = Literal["dmy", "mdy", "ymd"]


def _frozen(mapping: dict | None = None) -> MappingProxyType:
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
class Profile:
    name: str
    sources: tuple[str, ...]  # the landing sources the profile applies to
    columns: MappingProxyType[str, tuple[str, ...]] = field(default_factory=_frozen)
    values: MappingProxyType[str, MappingProxyType[str, str]] = field(default_factory=_frozen)
    date_order: DateOrder = "dmy"
    invitations: bool = True
    timezone: str | None = None
    recognise: tuple[Recognition, ...] = ()  # empty: never detected, only declared (or the fallback)
    transforms: MappingProxyType[str, str] = field(default_factory=_frozen)  # canonical column → transform
    defaults: MappingProxyType[str, str] = field(default_factory=_frozen)  # constant when the file maps none
    question: QuestionRule | None = None
    partial: PartialRule | None = None
    null_values: tuple[str, ...] = ()  # added to the default null tokens


CANONICAL = Profile(name="canonical", sources=("surveys", "crm", "calls"))

_WEB = _frozen({"channel": "web"})  # survey tools without a channel column (contract section 2.2)
_QUESTION = QuestionRule()

QUALTRICS = Profile(
    name="qualtrics",
    sources=("surveys",),
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
    transforms=_frozen({"language": "language_code"}),
    defaults=_WEB,
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
    invitations=False,
)

SURVEYMONKEY = Profile(
    name="surveymonkey",
    sources=("surveys",),
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
    transforms=_frozen({"nps_score": "leading_number"}),
    defaults=_WEB,
    question=_QUESTION,
    date_order="mdy",
    invitations=False,
)

TYPEFORM = Profile(
    name="typeform",
    sources=("surveys",),
    recognise=(Recognition(rows=(RowRule(row=1, first=("#",), has=("Start Date (UTC)", "Submit Date (UTC)")),)),),
    columns=_frozen({"response_id": ("#",), "sent_at": ("Start Date (UTC)",), "responded_at": ("Submit Date (UTC)",)}),
    defaults=_WEB,
    question=_QUESTION,
    # a partial that answered the NPS question is a response, at its last activity (Stage Date)
    partial=PartialRule(column=("Response Type",), values=("partial",), fallback=("Stage Date (UTC)",)),
    date_order="mdy",
    timezone="UTC",
    invitations=False,
)

_FORMS_EMAIL = ("Email address", "Adresse e-mail", "Dirección de correo electrónico", "E-Mail-Adresse")
GOOGLE_FORMS = Profile(
    name="google_forms",
    sources=("surveys",),
    recognise=(
        Recognition(rows=(RowRule(row=1, first=("Timestamp",)),), date_order="mdy"),
        Recognition(
            rows=(RowRule(row=1, first=("Horodateur", "Marca temporal", "Zeitstempel", "Informazioni cronologiche")),),
            date_order="dmy",
        ),
    ),
    columns=_frozen(
        {
            "sent_at": ("Timestamp", "Horodateur", "Marca temporal", "Zeitstempel", "Informazioni cronologiche"),
            "responded_at": ("Timestamp", "Horodateur", "Marca temporal", "Zeitstempel", "Informazioni cronologiche"),
            "email": _FORMS_EMAIL,
        }
    ),
    defaults=_WEB,
    question=_QUESTION,
    invitations=False,
)

DELIGHTED = Profile(
    name="delighted",
    sources=("surveys",),
    recognise=(Recognition(formats=("json", "parquet"), keys=("id", "score", "created_at", "person")),),
    columns=_frozen(
        {
            "response_id": ("id",),
            "customer_id": ("person.id",),
            "email": ("person.email",),
            "sent_at": ("created_at",),
            "responded_at": ("created_at",),
            "nps_score": ("score",),
            "nps_comment": ("comment",),
        }
    ),
    defaults=_WEB,
    timezone="UTC",
    invitations=False,
)

FORMBRICKS = Profile(
    name="formbricks",
    sources=("surveys",),
    recognise=(Recognition(rows=(RowRule(row=1, has=("Response ID", "Timestamp", "Finished", "Survey ID")),)),),
    columns=_frozen(
        {
            "response_id": ("Response ID",),
            "customer_id": ("User ID",),
            "email": ("Verified Email",),
            "sent_at": ("Timestamp",),
            "responded_at": ("Timestamp",),
        }
    ),
    defaults=_WEB,
    question=_QUESTION,
    timezone="UTC",
    invitations=False,
)

# Detection tries the profiles in this order (the more specific rules first); `canonical` is the fallback.
PROFILES: MappingProxyType[str, Profile] = MappingProxyType(
    {p.name: p for p in (CANONICAL, QUALTRICS, SURVEYMONKEY, TYPEFORM, FORMBRICKS, GOOGLE_FORMS, DELIGHTED)}
)


def profile_named(name: str) -> Profile | None:
    return PROFILES.get(name)
