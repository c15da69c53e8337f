"""Export columns of a read file → canonical columns (contract sections 2, 2.1, 2.2).

`map_plan(source, plan, entry, con, detection)` applies, in this order: the `sources.yml` entry's `columns`
(header text, any header row's text or a Qualtrics ImportId, or a JSON path `Parent.Child`), the profile's
header candidates, header matching (case/space/accent-insensitive, with aliases) for the canonical columns
still unmapped, the profile's NPS question rule (`ingestion.questions`), its partial-response rule and text
transforms, then the entry's `constants` and the profile's `defaults` (e.g. `channel: web`). Every export
column no mapping uses is kept as an attribute. `decide_orders` decides the date order of each
timestamp/date column in one aggregate pass. Problems raise `FileProblem` naming the entry and key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingestion.columns import Source, header_key, header_lookup
from ingestion.dates import AmbiguousDateOrder, OrderDecision, decide_order, order_counts_sql
from ingestion.detect import Detection
from ingestion.profiles import CANONICAL, PROFILES, DateOrder, Profile
from ingestion.questions import find_nps_question, group_check
from ingestion.readers import FileProblem, ReadPlan
from ingestion.sources_file import EntryRef
from ingestion.sql import quote_ident, quote_literal
from ingestion.transforms import DERIVED, ISO_OUTPUT, Args, transform_sql
from ingestion.validate import NULL_TOKENS, Check, Mapped, clean_text, typed_expr

FIX_HINT = "map it under `columns:` (or give it under `constants:`) in a sources.yml entry for this file"


@dataclass(frozen=True)
class FileMapping:
    source: Source
    profile: Profile
    entry: EntryRef | None
    mapped: Mapped
    used: list[tuple[str, str]]  # (export column, canonical column) in file order; constants as `= value`
    date_order: DateOrder | None  # declared in the entry, else None (decided from the values)
    default_order: DateOrder = "dmy"  # when the values do not decide: the recognised layout's, else the profile's
    file_timezone: str | None = None  # the zone the file itself states (Qualtrics' ImportId row)
    nps_candidates: tuple[str, ...] = ()  # the columns the NPS question rule considered
    # text a column's date order is decided on when it is not its mapped text (None: nothing to decide)
    order_texts: dict[str, str | None] = field(default_factory=dict)

    @property
    def timezone(self) -> str | None:
        """For naive timestamps: the file's own zone, else the entry's `timezone`, else the profile's."""
        if self.file_timezone:
            return self.file_timezone
        if self.entry is not None and self.entry.entry.timezone:
            return self.entry.entry.timezone
        return self.profile.timezone

    @property
    def invitations(self) -> bool:
        if self.entry is not None and self.entry.entry.invitations is not None:
            return self.entry.entry.invitations
        return self.profile.invitations

    @property
    def attribute_columns(self) -> list[str]:
        return [h for h, _ in self.mapped.attributes]


def resolve_profile(source: Source, entry: EntryRef | None) -> Profile:
    """The entry's profile (checked when sources.yml was loaded), else `canonical` (detection comes later)."""
    if entry is not None and entry.entry.profile is not None:
        profile = PROFILES.get(entry.entry.profile)
        if profile is None or source.name not in profile.sources:
            raise FileProblem(f"{entry.where('profile')}: unknown profile {entry.entry.profile!r}")
        return profile
    return CANONICAL


def _find(plan: ReadPlan, name: str) -> int | None:
    """Position of export column `name`: its exact header, else an exact alias (another header row's text,
    an ImportId), else the same header key, in that order."""
    positions = range(len(plan.columns))
    for i in positions:
        if plan.columns[i][0] == name:
            return i
    for i in positions:
        if name in plan.names_of(i)[1:]:
            return i
    key = header_key(name)
    for i in positions:
        if any(header_key(n) == key for n in plan.names_of(i)):
            return i
    return None


def _shown(columns: list[tuple[str, str]]) -> str:
    return ", ".join(repr(h) for h, _ in columns[:20]) + (", …" if len(columns) > 20 else "")


def _constant_problem(source: Source, name: str, value: str, order: DateOrder, con) -> bool:
    column = next(c for c in source.columns if c.name == name)
    if column.kind in ("text", "enum"):
        return False
    parsed = con.execute(f"select {typed_expr(column, quote_literal(value), order)}").fetchall()[0][0]
    return parsed is None


def _partial_text(profile: Profile, plan: ReadPlan, texts: dict[str, str], clean) -> str | None:
    """responded_at under the profile's partial-response rule, or None when the rule does not apply."""
    rule = profile.partial
    if rule is None or "responded_at" not in texts:
        return None
    marker = next((p for p in (_find(plan, c) for c in rule.column) if p is not None), None)
    if marker is None:
        return None
    fallback = next((p for p in (_find(plan, c) for c in rule.fallback) if p is not None), None)
    values = ", ".join(quote_literal(v.lower()) for v in rule.values)
    answered = clean(texts["nps_score"]) if "nps_score" in texts else "null"
    responded = clean(texts["responded_at"])
    if fallback is not None:
        responded = f"coalesce({responded}, {clean(plan.columns[fallback][1])})"
    return (
        f"(case when lower({clean(plan.columns[marker][1])}) in ({values}) "
        f"then (case when {answered} is not null then {responded} end) else {texts['responded_at']} end)"
    )


def map_plan(
    source: Source,
    plan: ReadPlan,
    entry: EntryRef | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    detection: Detection | None = None,
) -> FileMapping:
    """The canonical columns of a read file; `con` checks the constants and runs the NPS question pass (an
    in-memory one when None); `detection` is the profile chosen by `ingestion.detect.choose_profile`
    (default: the entry's profile, else `canonical`)."""
    columns = plan.columns
    chosen = detection.profile if detection is not None else resolve_profile(source, entry)
    profile = chosen.for_headers([h for h, _ in columns], header_key)
    declared = entry.entry if entry is not None else None
    texts: dict[str, str] = {}
    used: dict[int, list[str]] = {}
    null_tokens = (*NULL_TOKENS, *profile.null_values, *(declared.null_values if declared else ()))

    def clean(sql: str) -> str:
        return clean_text(sql, null_tokens)

    def use(canonical: str, positions: list[int]) -> None:
        sql = [columns[i][1] for i in positions]
        texts[canonical] = sql[0] if len(sql) == 1 else "coalesce(" + ", ".join(sql) + ")"
        for i in positions:
            used.setdefault(i, []).append(canonical)

    for canonical, name in (declared.columns if declared else {}).items():
        position = _find(plan, name)
        if position is None:
            raise FileProblem(
                f"{entry.where(f'columns.{canonical}')}: column {name!r} is not in the file "
                f"(columns found: {_shown(columns)})"
            )
        use(canonical, [position])
    constants = declared.constants if declared else {}
    for canonical, candidates in profile.columns.items():
        if canonical in texts or canonical in constants:
            continue
        for candidate in candidates:
            position = _find(plan, candidate)
            if position is not None:
                use(canonical, [position])
                break
    lookup = header_lookup(source) if profile.match_headers else {}
    found: dict[str, list[int]] = {}
    for i, (header, _) in enumerate(columns):
        canonical = lookup.get(header_key(header))
        if canonical is not None and canonical not in texts and canonical not in constants and i not in used:
            found.setdefault(canonical, []).append(i)
    for canonical, positions in found.items():
        # a JSON file's records may spell one column differently (try each); elsewhere the first header wins
        use(canonical, positions if plan.file_format == "json" else positions[:1])
    order = (declared.date_order if declared else None) or (
        detection.date_order if detection is not None else profile.date_order
    )

    def transformed(canonical: str, sql: str) -> str:
        """A column's cleaned text through the profile's transforms of `canonical` (input-free ones)."""
        value = clean(sql)
        for transform in profile.transforms.get(canonical, ()):
            if not transform.inputs:
                value = transform_sql(transform.name, Args(value, (), order))
        return value

    checks: list[Check] = []
    candidates: tuple[str, ...] = ()
    own = con is None
    con = duckdb.connect() if con is None else con
    try:
        if profile.question is not None and "nps_score" not in texts and "nps_score" not in constants:
            where = entry.where("columns.nps_score") if entry else "a sources.yml entry for this file"
            fix = f"declare the column in {where}: `columns: {{nps_score: <column>}}`"
            free = [i for i in range(len(columns)) if i not in used]
            question = find_nps_question(
                con, plan, profile.question, free, lambda sql: transformed("nps_score", sql), fix
            )
            use("nps_score", [question.score])
            candidates = question.candidates
            if question.group is not None:
                group_sql = clean(columns[question.group][1])
                checks.append(group_check(profile.question, '"_t_nps_score"', group_sql, columns[question.group][0]))
        for canonical, value in constants.items():
            if _constant_problem(source, canonical, value, order, con):
                kind = next(c.kind for c in source.columns if c.name == canonical)
                raise FileProblem(f"{entry.where(f'constants.{canonical}')}: {value!r} is not a valid {kind}")
            texts[canonical] = quote_literal(value)
    finally:
        if own:
            con.close()
    order_texts = _apply_transforms(profile, plan, texts, used, constants, null_tokens, order)
    partial = _partial_text(profile, plan, texts, clean)
    if partial is not None and "responded_at" not in constants:
        texts["responded_at"] = partial
    defaults = {c: v for c, v in profile.defaults.items() if c not in texts}
    texts.update({c: quote_literal(v) for c, v in defaults.items()})
    derive = source.name == "surveys" and source.key not in texts
    missing = [c for c in source.required if c not in texts and not (derive and c == source.key)]
    if missing:
        where = f"{entry.where()}: " if entry else ""
        raise FileProblem(
            f"{where}required column {', '.join(missing)} missing (columns found: {_shown(columns)}); {FIX_HINT}"
        )
    values = {name: dict(m) for name, m in profile.values.items()}
    for name, extra in (declared.values if declared else {}).items():
        values.setdefault(name, {}).update(extra)
    kept = set(profile.keep_attributes)
    mapped = Mapped(
        texts=texts,
        attributes=[columns[i] for i in range(len(columns)) if i not in used or kept.intersection(used[i])],
        null_tokens=null_tokens,
        values=values,
        derived_key=source.key if derive else None,
        checks=tuple(checks),
        version=_version_text(profile, plan, null_tokens),
        derived=_derived(profile, plan, used, null_tokens),
    )
    pairs = [(columns[i][0], canonical) for i in sorted(used) for canonical in used[i]]
    pairs += [(f"= {value!r}", canonical) for canonical, value in constants.items()]
    pairs += [(f"= {value!r} (profile {profile.name} default)", canonical) for canonical, value in defaults.items()]
    return FileMapping(
        source,
        profile,
        entry,
        mapped,
        pairs,
        declared.date_order if declared else None,
        default_order=detection.date_order if detection is not None else profile.date_order,
        file_timezone=plan.timezone,
        nps_candidates=candidates,
        order_texts=order_texts,
    )


def _input_text(plan: ReadPlan, name: str, null_tokens: tuple[str, ...]) -> tuple[int | None, str]:
    """(position, cleaned SQL text) of an export column a transform reads; a column the file lacks is empty."""
    position = _find(plan, name)
    if position is None:
        return None, "null::varchar"
    return position, clean_text(plan.columns[position][1], null_tokens)


def _apply_transforms(
    profile: Profile,
    plan: ReadPlan,
    texts: dict[str, str],
    used: dict[int, list[str]],
    constants: dict[str, str],
    null_tokens: tuple[str, ...],
    order: DateOrder,
) -> dict[str, str | None]:
    """The profile's transforms over the mapped texts (in place); a constant is never transformed. Returns
    the text to decide the date order on for columns whose transform writes ISO 8601 (None: no such text)."""
    order_texts: dict[str, str | None] = {}
    for canonical, transforms in profile.transforms.items():
        if canonical in constants:
            continue
        value = clean_text(texts[canonical], null_tokens) if canonical in texts else "null::varchar"
        if any(t.name in ISO_OUTPUT for t in transforms):
            order_texts[canonical] = texts.get(canonical)
        for transform in transforms:
            inputs = [_input_text(plan, name, null_tokens) for name in transform.inputs]
            value = transform_sql(transform.name, Args(value, tuple(sql for _, sql in inputs), order))
            for position, _ in inputs:
                if position is not None and canonical not in used.setdefault(position, []):
                    used[position].append(canonical)
        if canonical in texts or any(canonical in names for names in used.values()):
            texts[canonical] = value
    return order_texts


def _derived(
    profile: Profile, plan: ReadPlan, used: dict[int, list[str]], null_tokens: tuple[str, ...]
) -> dict[str, str]:
    """SQL of each derivation over typed values (`_v_<column>`), for the columns whose export inputs exist."""
    out = {}
    for canonical, derivation in profile.derived.items():
        start, export = derivation.inputs
        position, text = _input_text(plan, export, null_tokens)
        if position is None:
            continue
        used.setdefault(position, []).append(canonical)
        out[canonical] = DERIVED[derivation.name](quote_ident(f"_v_{canonical}"), quote_ident(f"_v_{start}"), text)
    return out


def _version_text(profile: Profile, plan: ReadPlan, null_tokens: tuple[str, ...]) -> str | None:
    """SQL text of the profile's version column (e.g. Connect's `LastUpdateTimestamp`), None without one."""
    if profile.version_column is None:
        return None
    _, text = _input_text(plan, profile.version_column, null_tokens)
    if profile.version_transform is not None:
        text = transform_sql(profile.version_transform, Args(text, (), profile.date_order))
    return text


def decide_orders(
    con: duckdb.DuckDBPyConnection, mapping: FileMapping, relation: str, file_name: str
) -> dict[str, OrderDecision]:
    """The date order of every mapped timestamp/date column, from one aggregate pass over the file."""
    kinds = {c.name: c.kind for c in mapping.source.columns}
    chosen = {name: mapping.order_texts.get(name, sql) for name, sql in mapping.mapped.texts.items()}
    texts = {
        name: clean_text(sql, mapping.mapped.null_tokens)
        for name, sql in chosen.items()
        if kinds[name] in ("timestamp", "date") and sql is not None
    }
    if not texts:
        return {}
    row = con.execute(order_counts_sql(relation, texts)).fetchall()[0]
    decisions = {}
    for i, name in enumerate(texts):
        dmy, mdy, numeric = row[3 * i : 3 * i + 3]
        try:
            decisions[name] = decide_order(name, dmy, mdy, numeric, mapping.date_order, mapping.default_order)
        except AmbiguousDateOrder as exc:
            where = mapping.entry.where("date_order") if mapping.entry else "a sources.yml entry's `date_order`"
            raise FileProblem(f"{file_name}: {exc} ({where})") from exc
    return decisions


def date_order_text(decisions: dict[str, OrderDecision]) -> str | None:
    """What `quality.ingestion_log.date_order` says: the order(s) used for columns holding numeric dates,
    e.g. `mdy` or `sent_at=dmy, churned_at=mdy`; NULL when the file has no numeric date."""
    used = {name: d for name, d in decisions.items() if d.numeric_values}
    orders = {d.order for d in used.values()}
    if not orders:
        return None
    if len(orders) == 1:
        return orders.pop()
    return ", ".join(f"{name}={d.order}" for name, d in used.items())
