"""The suites as data: every rule is named and has a severity; options are checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from data_quality.suites import SuiteOptions, build_suites, suite_names


def test_every_expectation_has_a_severity_a_rule_name_and_a_description() -> None:
    suites = build_suites(SuiteOptions(as_of=datetime(2025, 3, 1, tzinfo=UTC)))

    assert [suite.name for suite in suites] == suite_names()
    for suite in suites:
        checks = [expectation.meta["check"] for expectation in suite.all_expectations]
        assert len(checks) == len(set(checks)), suite.name
        for expectation in suite.all_expectations:
            assert expectation.meta["severity"] in {"blocking", "warning"}
            assert (
                expectation.severity.value
                == {"blocking": "critical", "warning": "warning"}[expectation.meta["severity"]]
            )
            assert expectation.description


def test_orphan_share_and_as_of_options_are_checked() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SuiteOptions(as_of=datetime(2025, 3, 1))
    with pytest.raises(ValueError, match="orphan_max_share"):
        SuiteOptions(as_of=datetime(2025, 3, 1, tzinfo=UTC), orphan_max_share=1.5)
