"""One place per rule: a Great Expectations suite never repeats a dbt test of the same model, and the rules the
suites left to dbt are dbt tests there (issue 21: the same rules ran twice in one `nps run`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import great_expectations.expectations as gxe
import yaml

from data_quality.suites import SuiteOptions, build_suites

MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models"

# The dbt tests that check what each kind of GE column expectation checks.
SAME_RULE: dict[type, set[str]] = {
    gxe.ExpectColumnValuesToNotBeNull: {"not_null"},
    gxe.ExpectColumnValuesToBeUnique: {"unique"},
    gxe.ExpectCompoundColumnsToBeUnique: {"unique_combination_of_columns"},
    gxe.ExpectColumnValuesToBeInSet: {"accepted_values"},
    gxe.ExpectColumnValuesToBeBetween: {"accepted_values", "nps_in_range", "nps_in_range_simple"},
}


def _test_names(tests: list | None) -> Iterator[str]:
    for test in tests or []:
        yield test if isinstance(test, str) else next(iter(test))


def _relations(document: dict) -> Iterator[dict]:
    yield from document.get("models", [])
    for source in document.get("sources", []):
        yield from source.get("tables", [])


UNIQUE_KEY = re.compile(r"unique_key='(\w+)'")


def build_enforced_keys() -> Iterator[tuple[str, str]]:
    """(model, column) of the keys a model's own build checks unique (macro enforce_unique_key, a post_hook)."""
    for path in MODELS.rglob("*.sql"):
        sql = path.read_text()
        if "enforce_unique_key()" in sql:
            yield path.stem, UNIQUE_KEY.search(sql).group(1)


def dbt_tests() -> dict[tuple[str, str | None], set[str]]:
    """(model or source table, column) → the names of its dbt tests; column None for the relation's own tests. A key
    the model's build checks unique counts as a `unique` test, and a not_null constraint (which the engine enforces
    when the model is built, or the test not_null_constraints checks) as a `not_null` test."""
    found: dict[tuple[str, str | None], set[str]] = {}
    for key in build_enforced_keys():
        found.setdefault(key, set()).add("unique")
    for path in MODELS.rglob("_*.yml"):
        for relation in _relations(yaml.safe_load(path.read_text()) or {}):
            found.setdefault((relation["name"], None), set()).update(_test_names(relation.get("data_tests")))
            for column in relation.get("columns", []):
                key = (relation["name"], column["name"])
                found.setdefault(key, set()).update(_test_names(column.get("data_tests")))
                found[key].update(c["type"] for c in column.get("constraints", []) if c["type"] == "not_null")
    return found


def test_no_suite_checks_a_column_the_way_a_dbt_test_of_the_same_model_or_source_does() -> None:
    tests = dbt_tests()
    repeated = [
        (suite.name, expectation.meta["check"])
        for suite in build_suites(SuiteOptions(as_of=datetime(2025, 3, 1, tzinfo=UTC)))
        for expectation in suite.all_expectations
        if type(expectation) in SAME_RULE
        and any(
            SAME_RULE[type(expectation)] & tests.get((suite.table_name, column.strip()), set())
            for column in (expectation.meta["column"] or "").split(",")
        )
    ]

    assert repeated == []


def test_staging_has_no_suite_its_keys_and_sets_are_dbt_tests() -> None:
    suites = build_suites(SuiteOptions(as_of=datetime(2025, 3, 1, tzinfo=UTC)))
    tests = dbt_tests()

    assert [suite.name for suite in suites if suite.schema_name == "staging"] == []
    assert {"unique", "not_null"} <= tests[("stg_surveys__responses", "response_id")]
    assert "accepted_values" in tests[("stg_surveys__responses", "channel")]
    assert "unique_combination_of_columns" in tests[("stg_crm__customers", None)]
    assert {"unique", "not_null"} <= tests[("stg_calls__calls", "call_id")]
    assert "accepted_values" in tests[("stg_calls__calls", "direction")]
    assert "accepted_values" in tests[("stg_calls__calls", "disposition")]


def test_the_mart_rules_left_to_dbt_are_dbt_tests_of_the_marts() -> None:
    tests = dbt_tests()

    assert {"unique", "not_null"} <= tests[("fct_survey_responses", "response_id")]
    assert "responses_categorised_consistently" in tests[("fct_survey_responses", None)]
    assert {"not_null", "accepted_values"} <= tests[("fct_survey_responses", "channel")]
    assert "accepted_values" in tests[("fct_survey_responses", "nps_score")]
    assert "not_null" in tests[("fct_survey_responses", "segment")]
    assert {"unique", "not_null"} <= tests[("dim_customers", "customer_id")]
    for mart, group in (("nps_by_period", None), ("nps_by_segment", "segment"), ("nps_by_channel", "channel")):
        assert {"responses_add_up", "unique_combination_of_columns"} <= tests[(mart, None)]
        assert {"not_null", "accepted_values"} <= tests[(mart, "period_grain")]
        assert "nps_in_range" in tests[(mart, "nps")]
        if group:
            assert "not_null" in tests[(mart, group)]
