"""Export columns of a read file → canonical columns (contract section 2): the header mapping of a `ReadPlan`."""

from __future__ import annotations

from ingestion.columns import Source, map_headers, map_keys
from ingestion.readers import FileProblem, ReadPlan


def _require(source: Source, mapped: dict[str, str], headers: list[str]) -> None:
    missing = [c for c in source.required if c not in mapped]
    if missing:
        shown = ", ".join(repr(h) for h in headers[:20])
        raise FileProblem(f"required column {', '.join(missing)} missing (columns found: {shown})")


def map_plan(source: Source, plan: ReadPlan) -> dict[str, str]:
    """Canonical column → SQL over `plan.relation`. Tabular files: the first header that spells a column wins.
    JSON: records may spell a column differently, so every spelling is tried (`coalesce`) in key order.
    Raises `FileProblem` when a required column is missing."""
    headers = [name for name, _ in plan.columns]
    if plan.file_format == "json":
        grouped = map_keys(source, headers)
        sql = dict(plan.columns)
        mapped = {canonical: "coalesce(" + ", ".join(sql[k] for k in keys) + ")" for canonical, keys in grouped.items()}
    else:
        mapped = {canonical: plan.columns[i][1] for i, canonical in map_headers(source, headers).items()}
    _require(source, mapped, headers)
    return mapped
