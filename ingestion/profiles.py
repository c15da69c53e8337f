"""Export profiles (contract section 2.2) as data: how a tool's export maps to the canonical columns.

A profile is declarative: header candidates per canonical column, default `values` maps, the default date
order, whether rows are invitations. Only `canonical` is built in for now; vendor profiles are added to
`PROFILES` below (one place), with no code beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

DateOrder = Literal["dmy", "mdy", "ymd"]


@dataclass(frozen=True)
class Profile:
    name: str
    sources: tuple[str, ...]  # the landing sources the profile applies to
    columns: MappingProxyType[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    values: MappingProxyType[str, MappingProxyType[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    date_order: DateOrder = "dmy"
    invitations: bool = True
    timezone: str | None = None


CANONICAL = Profile(name="canonical", sources=("surveys", "crm", "calls"))

PROFILES: MappingProxyType[str, Profile] = MappingProxyType({p.name: p for p in (CANONICAL,)})


def profile_named(name: str) -> Profile | None:
    return PROFILES.get(name)
