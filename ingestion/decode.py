"""How the bytes of a landing file are turned into text: the read options a `sources.yml` entry may give."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    """Per-file read settings (from `sources.yml`): `encoding` overrides detection, `sheet` picks an `.xlsx` sheet."""

    encoding: str | None = None
    sheet: str | None = None


DEFAULT_OPTIONS = ReadOptions()
