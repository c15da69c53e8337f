"""Measured quality of the theme presets: precision and recall per theme on the hand-labelled comments of
tests/themes/fixtures/labelled_<preset>.csv, through the real pipeline (ingestion, themes.prepare, dbt).

`python -m themes.quality` rewrites the table in docs/themes.md; tests/themes/test_labelled_quality.py computes
the same numbers, holds every preset theme to the targets and checks the table in the docs is this one.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.loader import ingest
from themes.prepare import prepare_theme_inputs
from themes.taxonomy import PRESETS, load_preset

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "tests" / "themes" / "fixtures"
DOCS = ROOT / "docs" / "themes.md"
DBT_DIR = ROOT / "dbt_project"
TARGET_PRECISION = 0.90
TARGET_RECALL = 0.70
BEGIN, END = "<!-- quality table: python -m themes.quality -->", "<!-- end of quality table -->"
MATCHING_MODELS = "int_theme_comments int_comment_tokens int_verbatim_theme_matches"


@dataclass(frozen=True)
class Labelled:
    id: str
    language: str
    comment: str
    themes: frozenset[str]


@dataclass(frozen=True)
class ThemeScore:
    preset: str
    theme: str
    labelled: int  # comments labelled with the theme
    predicted: int  # comments the pipeline gave the theme
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None

    @property
    def meets_targets(self) -> bool:
        return (self.precision or 0) >= TARGET_PRECISION and (self.recall or 0) >= TARGET_RECALL


def labelled_path(preset: str) -> Path:
    return FIXTURES / f"labelled_{preset}.csv"


def heldout_path(preset: str) -> Path:
    """Comments written after the presets were tuned and never used to tune them (ids h001…)."""
    return FIXTURES / f"heldout_{preset}.csv"


def read_labelled(path: Path) -> list[Labelled]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Labelled(row["id"], row["language"], row["comment"], frozenset(t for t in row["themes"].split(";") if t))
            for row in csv.DictReader(f)
        ]


def write_surveys(sets: Mapping[str, list[Labelled]], path: Path) -> None:
    """The labelled comments as one canonical surveys export; response ids are `<preset>:<id>`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["response_id", "sent_at", "responded_at", "nps_score", "nps_comment", "language"])
        for preset, comments in sets.items():
            for c in comments:
                out.writerow(
                    [f"{preset}:{c.id}", "2026-05-01T09:00:00Z", "2026-05-01T10:00:00Z", 5, c.comment, c.language]
                )


def run_dbt(warehouse: Path, work: Path, *args: str) -> None:
    env = {
        **os.environ,
        "NPS_WAREHOUSE_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(DBT_DIR)]
    done = subprocess.run([*command, "--profiles-dir", str(DBT_DIR)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")


def predict(sets: Mapping[str, list[Labelled]], work: Path) -> dict[str, dict[str, set[str]]]:
    """preset → comment id → the themes the pipeline gives it with that preset's taxonomy."""
    warehouse = work / "labelled.duckdb"
    write_surveys(sets, work / "landing" / "surveys" / "labelled.csv")
    ingest(work / "landing", warehouse)
    predicted: dict[str, dict[str, set[str]]] = {}
    for index, preset in enumerate(sets):
        with duckdb.connect(str(warehouse)) as con:
            prepare_theme_inputs(con, load_preset(preset))
        run_dbt(
            warehouse,
            work,
            "run",
            "--select",
            *([f"+{m}" for m in MATCHING_MODELS.split()] if index == 0 else MATCHING_MODELS.split()),
        )
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select response_id, theme from intermediate.int_verbatim_theme_matches "
                "where starts_with(response_id, ?)",
                [f"{preset}:"],
            ).fetchall()
        found: dict[str, set[str]] = {c.id: set() for c in sets[preset]}
        for response_id, theme in rows:
            found[response_id.split(":", 1)[1]].add(theme)
        predicted[preset] = found
    return predicted


def scores(preset: str, labelled: list[Labelled], predicted: Mapping[str, set[str]]) -> list[ThemeScore]:
    """Precision and recall of each theme of the preset over its labelled comments."""
    out = []
    for theme in sorted(load_preset(preset).themes):
        truth = {c.id for c in labelled if theme in c.themes}
        guessed = {c.id for c in labelled if theme in predicted.get(c.id, set())}
        out.append(ThemeScore(preset, theme, len(truth), len(guessed), len(truth & guessed)))
    return out


@dataclass(frozen=True)
class Evaluation:
    sets: dict[str, list[Labelled]]  # preset → its labelled comments
    heldout: dict[str, list[Labelled]]  # preset → its held-out comments
    predicted: dict[str, dict[str, set[str]]]  # preset → comment id → themes
    scores: list[ThemeScore]
    heldout_scores: list[ThemeScore]


def evaluate(work: Path) -> Evaluation:
    """Both sets of every preset through one pipeline run per preset."""
    sets = {preset: read_labelled(labelled_path(preset)) for preset in PRESETS}
    heldout = {preset: read_labelled(heldout_path(preset)) for preset in PRESETS}
    predicted = predict({preset: sets[preset] + heldout[preset] for preset in PRESETS}, work)
    return Evaluation(
        sets,
        heldout,
        predicted,
        [s for preset in PRESETS for s in scores(preset, sets[preset], predicted[preset])],
        [s for preset in PRESETS for s in scores(preset, heldout[preset], predicted[preset])],
    )


def _fraction(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _count_line(title: str, sets: Mapping[str, list[Labelled]]) -> str:
    sizes = ", ".join(
        f"{preset} {len(comments)} ({sum(c.language == 'fr' for c in comments)} fr, "
        f"{sum(c.language == 'en' for c in comments)} en)"
        for preset, comments in sets.items()
    )
    return f"{title}: {sizes}."


def _rows(all_scores: list[ThemeScore]) -> list[str]:
    return [
        "| preset | theme | labelled | predicted | correct | precision | recall |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {s.preset} | {s.theme} | {s.labelled} | {s.predicted} | {s.correct} | {_fraction(s.precision)} | "
            f"{_fraction(s.recall)} |"
            for s in all_scores
        ),
    ]


def markdown_table(evaluation: Evaluation) -> str:
    """The labelled-set table (held to the targets) and the held-out table (reported only)."""
    return "\n".join(
        [
            _count_line("Labelled comments (used to tune the presets)", evaluation.sets),
            "",
            *_rows(evaluation.scores),
            "",
            _count_line(
                "Held-out comments (written after tuning, never used to tune; reported, not held to the targets)",
                evaluation.heldout,
            ),
            "",
            *_rows(evaluation.heldout_scores),
        ]
    )


def with_table(document: str, table: str) -> str:
    """`document` with the text between the quality-table markers replaced by `table`."""
    start, end = document.index(BEGIN) + len(BEGIN), document.index(END)
    return document[:start] + "\n" + table + "\n" + document[end:]


def table_in_docs(document: str) -> str:
    return document[document.index(BEGIN) + len(BEGIN) : document.index(END)].strip()


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        evaluation = evaluate(Path(work))
    table = markdown_table(evaluation)
    DOCS.write_text(with_table(DOCS.read_text(encoding="utf-8"), table), encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
