"""The theme assets sit in the one lineage graph: raw surveys → theme_inputs → dbt → emerging_topics → publish."""

from __future__ import annotations

from dagster import AssetKey

from orchestration.definitions import JOB_NAME, defs


def test_theme_inputs_run_between_ingestion_and_the_dbt_theme_models():
    graph = defs.resolve_asset_graph()
    for table in ("comment_languages", "word_lemmas", "taxonomy_terms"):
        assert AssetKey("raw_surveys") in graph.get(AssetKey(["themes", table])).parent_keys
    comments = graph.get(AssetKey(["intermediate", "int_theme_comments"])).parent_keys
    assert {AssetKey(["themes", "comment_languages"]), AssetKey(["themes", "taxonomy_terms"])} <= comments
    assert (
        AssetKey(["themes", "word_lemmas"]) in graph.get(AssetKey(["intermediate", "int_comment_tokens"])).parent_keys
    )
    assert AssetKey("raw_themes") not in graph.get_all_asset_keys()


def test_emerging_topics_follow_the_theme_marts_and_are_published():
    graph = defs.resolve_asset_graph()
    parents = graph.get(AssetKey(["marts", "emerging_topics"])).parent_keys
    assert {AssetKey(["marts", "verbatim_themes"]), AssetKey(["intermediate", "int_comment_tokens"])} <= parents
    assert AssetKey(["marts", "emerging_topics"]) in graph.get(AssetKey("published_marts")).parent_keys
    steps = {node.name for node in defs.resolve_job_def(JOB_NAME).graph.node_defs}
    assert {"theme_inputs", "marts__emerging_topics"} <= steps
