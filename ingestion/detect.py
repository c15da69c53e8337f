"""Which profile reads a file (contract sections 2.1 and 2.2): declared in `sources.yml`, else detected.

Detection reads only what the reader already has: the first records of a CSV/TSV/XLSX file
(`ReadPlan.head`) or the key paths of JSON/Parquet records (`ReadPlan.columns`). Each profile's
`recognise` rules are data (`ingestion.profiles.Recognition`); the first profile of `PROFILES` (for the
file's source) with a rule that holds is used, else `canonical`. A declared profile still has its rules
tried, to learn the header layout and default date order of the file (e.g. Qualtrics' three header rows
or the legacy two). The chosen rule's layout is applied to the plan (`readers.with_layout`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.columns import Source, header_key
from ingestion.profiles import CANONICAL, PROFILES, DateOrder, Profile, Recognition, RowRule
from ingestion.readers import FileProblem, ReadPlan, with_layout
from ingestion.sources_file import EntryRef


@dataclass(frozen=True)
class Detection:
    profile: Profile
    recognition: Recognition | None  # the rule that held (None: declared without a matching rule, or canonical)
    how: str  # declared | detected | default

    @property
    def date_order(self) -> DateOrder:
        """The default date order of the file: the recognised layout's, else the profile's."""
        if self.recognition is not None and self.recognition.date_order is not None:
            return self.recognition.date_order
        return self.profile.date_order


def _row_holds(rule: RowRule, head: tuple[tuple[str, ...], ...]) -> bool:
    if rule.row > len(head):
        return False
    cells = [c.strip() for c in head[rule.row - 1]]
    keys = [header_key(c) for c in cells]
    if rule.first and (not keys or keys[0] not in {header_key(f) for f in rule.first}):
        return False
    if rule.starts and keys[: len(rule.starts)] != [header_key(s) for s in rule.starts]:
        return False
    if rule.has and not {header_key(h) for h in rule.has} <= set(keys):
        return False
    if rule.cells_start is not None:
        filled = [c for c in cells if c]
        if not filled or not all(c.startswith(rule.cells_start) for c in filled):
            return False
    return True


def _keys_hold(keys: tuple[str, ...], plan: ReadPlan) -> bool:
    paths = {header_key(h) for h, _ in plan.columns}
    prefixes = {header_key(h.split(".", 1)[0]) for h, _ in plan.columns}
    return all(header_key(k) in paths or header_key(k) in prefixes for k in keys)


def recognises(recognition: Recognition, plan: ReadPlan) -> bool:
    """Whether `plan`'s file looks the way `recognition` describes."""
    if plan.file_format not in recognition.formats:
        return False
    if plan.file_format in ("csv", "xlsx") and recognition.rows:
        return all(_row_holds(rule, plan.head) for rule in recognition.rows) and (
            not recognition.keys or _keys_hold(recognition.keys, plan)
        )
    if recognition.keys:
        return _keys_hold(recognition.keys, plan)
    return False


def _first_match(profile: Profile, plan: ReadPlan) -> Recognition | None:
    return next((r for r in profile.recognise if recognises(r, plan)), None)


def detect(source: Source, plan: ReadPlan) -> Detection | None:
    """The first profile of `source` whose recognition rule holds for the file, or None."""
    for profile in PROFILES.values():
        if source.name not in profile.sources:
            continue
        recognition = _first_match(profile, plan)
        if recognition is not None:
            return Detection(profile, recognition, "detected")
    return None


def choose_profile(source: Source, plan: ReadPlan, entry: EntryRef | None) -> tuple[Detection, ReadPlan]:
    """The profile for the file (declared, else detected, else `canonical`) and the plan in its layout."""
    if entry is not None and entry.entry.profile is not None:
        profile = PROFILES.get(entry.entry.profile)
        if profile is None or source.name not in profile.sources:
            raise FileProblem(f"{entry.where('profile')}: unknown profile {entry.entry.profile!r}")
        detection = Detection(profile, _first_match(profile, plan), "declared")
    else:
        detection = detect(source, plan) or Detection(CANONICAL, None, "default")
    if detection.recognition is None:
        return detection, plan
    return detection, with_layout(plan, detection.recognition.layout)
