"""Verbatim themes around dbt: the Python inputs before it (languages, lemmas, taxonomy) and the emerging-topics
mart after it. The matching rules are dbt's (models/intermediate/themes); see docs/themes.md."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetSpec, Failure, MaterializeResult, asset, multi_asset

from ingestion.lake import export_schema_tables
from ingestion.sources_file import SourcesFileError, load_sources_file
from orchestration.resources import NpsSettings
from orchestration.translator import ingestion_asset_key
from themes.emerging import build_emerging_topics
from themes.prepare import prepare_theme_inputs
from themes.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

# the tables of the dbt source `themes` name these keys (meta.dagster.asset_key): dbt's theme models hang below them
THEME_INPUT_KEYS = [AssetKey(["themes", table]) for table in ("comment_languages", "word_lemmas", "taxonomy_terms")]
EMERGING_TOPICS = AssetKey(["marts", "emerging_topics"])


def taxonomy_of(sources_file: Path) -> Taxonomy:
    """The taxonomy `sources.yml` chooses (`themes: {preset, file}`), else the default preset."""
    choice = load_sources_file(sources_file).themes
    return load_taxonomy(choice.preset, choice.file_path(sources_file))


@multi_asset(
    name="theme_inputs",
    specs=[
        AssetSpec(
            key,
            deps=[ingestion_asset_key("surveys")],
            group_name="raw",
            kinds={"duckdb", "python"},
            description=description,
        )
        for key, description in zip(
            THEME_INPUT_KEYS,
            [
                "themes.comment_languages: the language of each distinct comment whose export has none (lingua).",
                "themes.word_lemmas: the comments' distinct words per taxonomy language, lemmatized (simplemma).",
                "themes.taxonomy_terms: every word of the theme taxonomy chosen in sources.yml (themes: preset/file).",
            ],
            strict=True,
        )
    ],
)
def theme_inputs(context: AssetExecutionContext, nps: NpsSettings) -> Iterator[MaterializeResult]:
    settings = nps.get()
    try:
        taxonomy = taxonomy_of(settings.sources_file)
    except (SourcesFileError, TaxonomyError) as exc:
        raise Failure(description=str(exc)) from exc
    with duckdb.connect(str(settings.warehouse_path)) as con:
        report = prepare_theme_inputs(con, taxonomy)
        # for an engine reading its sources from the lake (NPS_ENGINE=spark; macros/cross_engine.sql lake_sources)
        export_schema_tables(con, settings.lake_dir, "themes", [key.path[-1] for key in THEME_INPUT_KEYS])
    context.log.info(f"themes: {report.words} words, {report.comments_detected} comments language-detected")
    metadata = [
        {"comments_detected": report.comments_detected},
        {"words": report.words, "languages": ", ".join(report.languages)},
        {"themes": len(taxonomy.themes), "taxonomy_words": report.taxonomy_words},
    ]
    for key, values in zip(THEME_INPUT_KEYS, metadata, strict=True):
        yield MaterializeResult(asset_key=key, metadata=values)


@asset(
    key=EMERGING_TOPICS,
    deps=[AssetKey(["marts", "verbatim_themes"]), AssetKey(["intermediate", "int_comment_tokens"])],
    group_name="marts",
    kinds={"duckdb", "python"},
    description="Key phrases (YAKE) of the comments no theme covers, per language, with their counts and NPS: "
    "what the taxonomy misses.",
)
def emerging_topics(nps: NpsSettings) -> MaterializeResult:
    settings = nps.get()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        rows = build_emerging_topics(con)
    return MaterializeResult(metadata={"key_phrases": rows})
