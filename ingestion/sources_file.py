"""`sources.yml` (contract section 2.1): which export files map how, declared once, no code.

`load_sources_file(path)` reads and validates the file (a missing file is an empty configuration);
`entry_for(config, source, relpath)` is the first entry of that source whose `files` glob matches.
Every error names the entry (source, index, `files`) and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingestion.columns import SOURCES
from ingestion.profiles import PROFILES, DateOrder

SOURCE_NAMES = tuple(SOURCES)


class SourcesFileError(ValueError):
    """`sources.yml` is not valid: the message names the entry and the key."""


class SourceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    files: str = Field(min_length=1)
    profile: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    null_values: list[str] = Field(default_factory=list)
    date_order: DateOrder | None = None
    timezone: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    invitations: bool | None = None
    dimensions: list[str] = Field(default_factory=list)

    @field_validator("constants", mode="before")
    @classmethod
    def _constants_as_text(cls, value: object) -> object:
        """YAML reads `2022-02-01` as a date and `9` as a number: a constant is the text a file would hold."""
        if isinstance(value, dict):
            return {k: v if isinstance(v, str) or v is None else str(v) for k, v in value.items()}
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: {str(a): str(b) for a, b in v.items()} if isinstance(v, dict) else v for k, v in value.items()}
        return value

    @field_validator("null_values", mode="before")
    @classmethod
    def _null_values_as_text(cls, value: object) -> object:
        return [str(v) for v in value] if isinstance(value, list) else value


class ThemesEntry(BaseModel):
    """`themes:` of sources.yml: the verbatim theme taxonomy, a preset (contact_centre, retail, saas) and/or the
    user's own YAML file (relative to sources.yml), whose themes go on top of the preset's (docs/themes.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: str | None = None
    file: str | None = None

    def file_path(self, sources_file: Path) -> Path | None:
        """The taxonomy file, a relative path read from the folder of `sources_file`."""
        if self.file is None:
            return None
        path = Path(self.file).expanduser()
        return path if path.is_absolute() else Path(sources_file).parent / path


class SourcesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    surveys: list[SourceEntry] = Field(default_factory=list)
    crm: list[SourceEntry] = Field(default_factory=list)
    calls: list[SourceEntry] = Field(default_factory=list)
    themes: ThemesEntry = Field(default_factory=ThemesEntry)

    def entries(self, source: str) -> list[SourceEntry]:
        return list(getattr(self, source))

    def dimensions(self) -> list[str]:
        """Every name listed under `dimensions` in any entry, first occurrence first (section 5, nps_by_dimension)."""
        names = [name for source in ("surveys", "crm", "calls") for e in self.entries(source) for name in e.dimensions]
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class EntryRef:
    """An entry and where it is in the file, for messages: `sources.yml surveys[0] (files "botanic/*.csv")`."""

    source: str
    index: int
    entry: SourceEntry

    def where(self, key: str | None = None) -> str:
        named = f'sources.yml {self.source}[{self.index}] (files "{self.entry.files}")'
        return f"{named}, key `{key}`" if key else named


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A `files` glob as a regex over a `/`-separated relative path: `*` and `?` stay within one folder,
    `**` crosses folders (`**/` also matches no folder), `[...]` is a character class."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            negate = body.startswith(("!", "^"))
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _location(config_path: Path, loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] in SOURCE_NAMES and isinstance(loc[1], int):
        return f"{config_path.name} {loc[0]}[{loc[1]}], key `{'.'.join(str(p) for p in loc[2:]) or '(entry)'}`"
    return f"{config_path.name}, key `{'.'.join(str(p) for p in loc) or '(top level)'}`"


def _entry_files(raw: object, loc: tuple[int | str, ...]) -> str:
    try:
        files = raw[loc[0]][loc[1]].get("files")  # type: ignore[index,union-attr]
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""
    return f' (files "{files}")' if files else ""


def parse_sources(text: str, config_path: Path = Path("sources.yml")) -> SourcesConfig:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourcesFileError(f"{config_path}: not valid YAML ({exc})") from exc
    if raw is None:
        return SourcesConfig()
    try:
        config = SourcesConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            where = _location(config_path, loc)
            if len(loc) >= 2:
                where = where.replace(f"[{loc[1]}],", f"[{loc[1]}]{_entry_files(raw, loc)},", 1)
            message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
            problems.append(f"{where}: {message}")
        raise SourcesFileError("; ".join(problems)) from exc
    _check_names(config, config_path)
    return config


def _check_names(config: SourcesConfig, config_path: Path) -> None:
    """Profiles and canonical column names are checked here so a typo is found before any file is read."""
    problems = []
    for source in SOURCE_NAMES:
        known = {c.name for c in SOURCES[source].columns}
        for index, entry in enumerate(config.entries(source)):
            ref = EntryRef(source, index, entry)
            if entry.profile is not None:
                profile = PROFILES.get(entry.profile)
                if profile is None or source not in profile.sources:
                    choices = ", ".join(p.name for p in PROFILES.values() if source in p.sources)
                    problems.append(f"{ref.where('profile')}: unknown profile {entry.profile!r} (known: {choices})")
            for key in ("columns", "constants", "values"):
                for name in getattr(entry, key):
                    if name not in known:
                        problems.append(f"{ref.where(f'{key}.{name}')}: {name!r} is not a column of {source}")
    if problems:
        raise SourcesFileError("; ".join(problems).replace("sources.yml", config_path.name))


def load_sources_file(path: Path | None) -> SourcesConfig:
    """The validated `sources.yml` at `path`; no file (or no path) is an empty configuration."""
    if path is None or not Path(path).is_file():
        return SourcesConfig()
    return parse_sources(Path(path).read_text(encoding="utf-8-sig"), Path(path))


def entry_for(config: SourcesConfig, source: str, relpath: str) -> EntryRef | None:
    """The first entry of `source` whose `files` glob matches `relpath` (relative to the source folder)."""
    for index, entry in enumerate(config.entries(source)):
        if glob_regex(entry.files).fullmatch(relpath):
            return EntryRef(source, index, entry)
    return None
