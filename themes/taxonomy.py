"""The verbatim theme taxonomy: a YAML file the user edits, starting from a preset (contact_centre, retail, saas).

A taxonomy names themes and, per language, the words and phrases that mention each theme:

```yaml
version: 1
negations: {fr: [ne, n, pas, jamais, sans], en: [not, no, never, t, without]}
themes:
  welcome_staff:
    label: Welcome and staff advice
    fr:
      terms: [accueil, vendeur, conseil]          # any of these mentions the theme
      praise: ["accueil agréable"]                # mentions the theme, as praise
      complaint: ["accueil désagréable"]          # mentions the theme, as a complaint
      praise_cues: [aimable, souriant]            # praise when near a mention (do not mention it alone)
      complaint_cues: [désagréable, impoli]       # complaint when near a mention
      exclude: ["mes attentes"]                   # a mention inside one of these does not count
```

Words match whole words, on their lemma (`plantes` is `plante`, `livrée` is `livrer`), ignoring case and
accents; `=word` matches that word form only (`=attente` is not `attentes`). A phrase matches its words in a
row. A negation just before a praise or complaint flips it (`pas cher` is praise for price). A theme applies
only to comments in the languages it lists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import simplemma
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PRESETS = ("contact_centre", "retail", "saas")
DEFAULT_PRESET = "contact_centre"
KINDS = ("terms", "praise", "complaint", "praise_cues", "complaint_cues", "exclude")
# the tokens of a comment: runs of letters (and combining marks); the dbt macro `comment_words` is the same rule
WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")


class TaxonomyError(ValueError):
    """The taxonomy file is not valid: the message names the file, the theme and the key."""


class LanguageTerms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[str] = Field(default_factory=list)
    praise: list[str] = Field(default_factory=list)
    complaint: list[str] = Field(default_factory=list)
    praise_cues: list[str] = Field(default_factory=list)
    complaint_cues: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    @field_validator(*KINDS)
    @classmethod
    def _every_entry_has_a_word(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not words_of(entry.replace("=", " ")):
                raise ValueError(f"entry {entry!r} has no word")
        return value


class Theme(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    label: str | None = None

    def languages(self) -> dict[str, LanguageTerms]:
        """language → its entries (every extra key of the theme is a language code)."""
        return {code: LanguageTerms.model_validate(value) for code, value in (self.model_extra or {}).items()}


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    negations: dict[str, list[str]] = Field(default_factory=dict)
    themes: dict[str, Theme] = Field(default_factory=dict)

    def languages(self) -> list[str]:
        """Every language some theme has entries for, sorted."""
        return sorted({code for theme in self.themes.values() for code in theme.languages()})

    def merged_with(self, other: Taxonomy) -> Taxonomy:
        """`other` on top of this one: its themes replace or add themes, its negations replace a language's."""
        return Taxonomy(negations={**self.negations, **other.negations}, themes={**self.themes, **other.themes})


@dataclass(frozen=True)
class TermWord:
    """One word of one taxonomy entry, as the dbt models match it (a row of `themes.taxonomy_terms`)."""

    term_id: int
    theme: str | None
    language: str
    kind: str  # term, praise, complaint, praise_cue, complaint_cue, exclude, negation
    term_text: str
    term_length: int
    word_index: int
    match_on: str  # lemma or word
    match_key: str


def words_of(text: str) -> list[str]:
    """The words of a text, lower-case, as the comment tokenizer cuts them."""
    return WORD.findall(unicodedata.normalize("NFC", text.lower()))


def without_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def lemma_key(word: str, language: str) -> str:
    """The key a word matches on by lemma: its simplemma lemma, lower-case, without accents."""
    return without_accents(simplemma.lemmatize(word, lang=language).lower())


def word_key(word: str) -> str:
    return without_accents(word.lower())


def _check_language(code: str, where: str) -> None:
    if not re.fullmatch(r"[a-z]{2}", code):
        raise TaxonomyError(f"{where}: {code!r} is not an ISO 639-1 language code (two lower-case letters)")
    try:
        simplemma.lemmatize("test", lang=code)
    except ValueError as exc:
        raise TaxonomyError(f"{where}: language {code!r} has no lemmatizer (simplemma)") from exc


def entry_words(entry: str, language: str) -> list[tuple[str, str]]:
    """(match_on, match_key) of each word of an entry: `=word` is the word form, any other word its lemma."""
    out: list[tuple[str, str]] = []
    for part in entry.split():
        exact = part.startswith("=")
        for word in words_of(part.lstrip("=")):
            out.append(("word", word_key(word)) if exact else ("lemma", lemma_key(word, language)))
    return out


def term_words(taxonomy: Taxonomy, source: str = "taxonomy") -> list[TermWord]:
    """Every word of every entry, numbered: the rows the dbt models match comments against."""
    rows: list[TermWord] = []
    entries: list[tuple[str | None, str, str, str]] = []
    for name, theme in sorted(taxonomy.themes.items()):
        for language, terms in sorted(theme.languages().items()):
            _check_language(language, f"{source}: theme {name!r}")
            for kind in KINDS:
                entries += [(name, language, kind.removesuffix("s"), entry) for entry in getattr(terms, kind)]
    for language, negations in sorted(taxonomy.negations.items()):
        _check_language(language, f"{source}: negations")
        entries += [(None, language, "negation", f"={word.lstrip('=')}") for word in negations]
    for term_id, (theme, language, kind, entry) in enumerate(entries, start=1):
        words = entry_words(entry, language)
        rows += [
            TermWord(term_id, theme, language, kind, entry, len(words), index, match_on, key)
            for index, (match_on, key) in enumerate(words)
        ]
    return rows


def parse_taxonomy(text: str, source: str = "taxonomy") -> Taxonomy:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{source}: not valid YAML ({exc})") from exc
    try:
        taxonomy = Taxonomy.model_validate(raw or {})
    except ValidationError as exc:
        raise TaxonomyError(_problems(exc, source, ())) from exc
    for name, theme in taxonomy.themes.items():
        for language, value in (theme.model_extra or {}).items():
            _check_language(language, f"{source}: theme {name!r}")
            try:
                LanguageTerms.model_validate(value)
            except ValidationError as exc:
                raise TaxonomyError(_problems(exc, source, ("themes", name, language))) from exc
    return taxonomy


def _problems(exc: ValidationError, source: str, prefix: tuple[str, ...]) -> str:
    """`<file>, key `themes.price.fr.terms`: <what is wrong>` for each error, joined."""
    return "; ".join(
        f"{source}, key `{'.'.join(str(p) for p in (*prefix, *e['loc'])) or '(top level)'}`: "
        + ("unknown key" if e["type"] == "extra_forbidden" else e["msg"])
        for e in exc.errors()
    )


def preset_path(name: str) -> Path:
    return Path(str(resources.files("themes") / "presets" / f"{name}.yml"))


def load_preset(name: str) -> Taxonomy:
    if name not in PRESETS:
        raise TaxonomyError(f"unknown theme preset {name!r} (known: {', '.join(PRESETS)})")
    path = preset_path(name)
    return parse_taxonomy(path.read_text(encoding="utf-8"), f"preset {name} ({path.name})")


def load_taxonomy(preset: str | None = None, file: Path | None = None) -> Taxonomy:
    """The taxonomy in use: `file` alone, the preset alone, or the file's themes on top of the preset
    (neither: the default preset)."""
    if file is not None and not Path(file).is_file():
        raise TaxonomyError(f"theme taxonomy file {file} does not exist")
    own = parse_taxonomy(Path(file).read_text(encoding="utf-8-sig"), str(file)) if file is not None else None
    if own is not None and preset is None:
        return own
    base = load_preset(preset or DEFAULT_PRESET)
    return base.merged_with(own) if own is not None else base
