"""Verbatim themes around dbt: the Python inputs before it (languages, lemmas, taxonomy) and the emerging-topics
mart after it. The matching rules are dbt's (models/intermediate/themes); see docs/themes.md."""

import duckdb
from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, asset

from ingestion.sources_file import SourcesFileError, load_sources_file
from orchestration.resources import NpsSettings
from orchestration.translator import ingestion_asset_key
from themes.emerging import build_emerging_topics
from themes.prepare import prepare_theme_inputs
from themes.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

# the dbt source `themes` names this key (meta.dagster.asset_key), so dbt's theme models hang below it
THEME_INPUTS = AssetKey("theme_inputs")
EMERGING_TOPICS = AssetKey(["marts", "emerging_topics"])


def taxonomy_of(sources_file) -> Taxonomy:
    """The taxonomy `sources.yml` chooses (`themes: {preset, file}`), else the default preset."""
    choice = load_sources_file(sources_file).themes
    return load_taxonomy(choice.preset, choice.file_path(sources_file))


@asset(
    key=THEME_INPUTS,
    deps=[ingestion_asset_key("surveys")],
    group_name="raw",
    kinds={"duckdb", "python"},
    description="Schema themes: the language of comments whose export has none (lingua), the comments' distinct "
    "words lemmatized (simplemma) and the theme taxonomy chosen in sources.yml, for dbt to match.",
)
def theme_inputs(context: AssetExecutionContext, nps: NpsSettings) -> MaterializeResult:
    settings = nps.get()
    try:
        taxonomy = taxonomy_of(settings.sources_file)
    except (SourcesFileError, TaxonomyError) as exc:
        raise Failure(description=str(exc)) from exc
    with duckdb.connect(str(settings.warehouse_path)) as con:
        report = prepare_theme_inputs(con, taxonomy)
    context.log.info(f"themes: {report.words} words, {report.comments_detected} comments language-detected")
    return MaterializeResult(
        metadata={
            "themes": len(taxonomy.themes),
            "languages": ", ".join(report.languages),
            "words": report.words,
            "comments_detected": report.comments_detected,
        }
    )


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
