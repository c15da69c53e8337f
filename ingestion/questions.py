"""The NPS question rule (contract section 2.2): which export column holds the 0–10 answer.

A profile's `QuestionRule` finds it when no mapping names it: the column with a `<column>_NPS_GROUP`
sibling (Qualtrics), else the one column whose header text (any header row, accents and case ignored)
contains a recommendation stem (`recommend`, `recommand`, `recomend`, `empfehl`) and whose answers are all
0–10. The answers of every candidate are counted in one DuckDB pass. When the rule cannot decide (no
column, or several) the file fails with `NpsQuestionUndecided`, listing the candidates and the
`sources.yml` key to set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from ingestion.columns import header_key
from ingestion.profiles import QuestionRule
from ingestion.readers import FileProblem, ReadPlan
from ingestion.sql import quote_ident, quote_literal
from ingestion.validate import Check

SCORE_TEXT = r"(10|[0-9])(\.0+)?"  # an answer on the 0–10 scale (after the profile's nps_score transform)
MAX_COLUMNS = 400  # columns whose answers are counted when looking for a 0–10 column


class NpsQuestionUndecided(FileProblem):
    """The NPS question rule found no column or several; `candidates` are the columns to choose from."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class NpsQuestion:
    score: int  # position of the score column
    group: int | None  # position of its `_NPS_GROUP` sibling, checked against the score
    candidates: tuple[str, ...]  # what the rule considered (for `nps inspect`)


def _keys(plan: ReadPlan, position: int) -> set[str]:
    return {header_key(n) for n in plan.names_of(position)}


def sibling_pairs(plan: ReadPlan, free: list[int], suffix: str) -> list[tuple[int, int]]:
    """(score, group) positions: `group` has a name `<a name of score><suffix>` (compared by header key)."""
    tail = header_key(suffix)
    pairs = []
    for j in free:
        bases = {k[: -len(tail)] for k in _keys(plan, j) if k.endswith(tail) and len(k) > len(tail)}
        score = next((i for i in free if i != j and _keys(plan, i) & bases), None)
        if score is not None:
            pairs.append((score, j))
    return pairs


def worded(plan: ReadPlan, free: list[int], rule: QuestionRule, excluded: set[int]) -> list[int]:
    """Columns whose header text (any header row) contains one of the rule's stems."""
    stems = [header_key(w) for w in rule.words]
    return [i for i in free if i not in excluded and any(s in k for k in _keys(plan, i) for s in stems)]


def answer_counts(
    con: duckdb.DuckDBPyConnection, plan: ReadPlan, positions: list[int], text: Callable[[str], str]
) -> dict[int, tuple[int, int]]:
    """Per column position: (answers, answers not on the 0–10 scale), in one pass over the file."""
    if not positions:
        return {}
    parts = []
    for i in positions:
        t = text(plan.columns[i][1])
        parts.append(f"count({t}) as {quote_ident(f'n{i}')}")
        parts.append(
            f"count(*) filter (where {t} is not null and not regexp_full_match({t}, '{SCORE_TEXT}')) "
            f"as {quote_ident(f'bad{i}')}"
        )
    row = con.execute(f"select {', '.join(parts)} from {plan.relation}").fetchall()[0]
    return {i: (row[2 * k], row[2 * k + 1]) for k, i in enumerate(positions)}


def find_nps_question(
    con: duckdb.DuckDBPyConnection,
    plan: ReadPlan,
    rule: QuestionRule,
    free: list[int],
    text: Callable[[str], str],
    fix: str,
) -> NpsQuestion:
    """The NPS column among the `free` positions (not mapped otherwise); `text` turns a column's SQL into
    its cleaned, transformed text; `fix` says which sources.yml key to set when the rule cannot decide."""
    name = [h for h, _ in plan.columns]
    groups: set[int] = set()
    if rule.sibling_suffix:
        pairs = sibling_pairs(plan, free, rule.sibling_suffix)
        groups = {g for _, g in pairs}
        if len(pairs) == 1:
            score, group = pairs[0]
            return NpsQuestion(score, group, (name[score],))
        if len(pairs) > 1:
            listed = [name[s] for s, _ in pairs]
            raise NpsQuestionUndecided(
                f"several columns have a {rule.sibling_suffix} sibling ({', '.join(map(repr, listed))}): "
                f"cannot tell which is the NPS question; {fix}",
                listed,
            )
    words = worded(plan, free, rule, groups)
    counts = answer_counts(con, plan, [i for i in free if i not in groups][:MAX_COLUMNS], text)
    scale = [i for i in words if counts.get(i, (0, 1))[1] == 0]
    answered = [i for i in scale if counts[i][0] > 0]
    if len(answered) == 1:
        return NpsQuestion(answered[0], None, tuple(name[i] for i in words))
    if not answered and len(words) == 1 and len(scale) == 1:
        return NpsQuestion(scale[0], None, (name[scale[0]],))  # nobody answered in this file
    numeric = [i for i, (n, bad) in counts.items() if n > 0 and bad == 0 and i not in words]
    listed = [name[i] for i in (answered or words)] + [name[i] for i in numeric]
    described = [f"{name[i]!r} (recommendation question, answers 0–10)" for i in answered] or [
        f"{name[i]!r} (recommendation question, answers not all 0–10)" for i in words
    ]
    described += [f"{name[i]!r} (answers 0–10)" for i in numeric]
    why = "several recommendation questions answered 0–10" if len(answered) > 1 else "no recommendation question"
    why += " answered 0–10" if len(answered) <= 1 else ""
    return_candidates = list(dict.fromkeys(listed))
    raise NpsQuestionUndecided(
        f"cannot tell which column holds the NPS answer ({why}); candidates: "
        f"{', '.join(described) if described else 'none'}; {fix}",
        return_candidates,
    )


def group_check(rule: QuestionRule, score_text: str, group_text: str, group_name: str) -> Check:
    """A row check: the `_NPS_GROUP` sibling (`group_text`: its cleaned text) agrees with the score's category."""
    whens = " ".join(f"when {quote_literal(k.lower())} then {quote_literal(v)}" for k, v in rule.group_values.items())
    expected = f"(case lower({group_text}) {whens} end)"
    score = quote_ident("_v_nps_score")
    actual = (
        f"(case when {score} between 0 and 6 then 'detractor' when {score} between 7 and 8 then 'passive' "
        f"when {score} between 9 and 10 then 'promoter' end)"
    )
    shown = f"coalesce('\"' || {score_text} || '\"', 'empty')"
    message = (
        f"'nps_score ' || {shown} || ' does not match its NPS group \"' || {group_text} || '\" (column ' || "
        f"{quote_literal(group_name)} || ')'"
    )
    return Check(
        "nps_group_mismatch", "nps_score", f"{group_text} is not null and {expected} is distinct from {actual}", message
    )
