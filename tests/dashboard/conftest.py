"""A small published copy (the messy tiny build, published) for the dashboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from publishing.publish import publish_marts


@pytest.fixture(scope="session")
def published(messy_built, tmp_path_factory) -> Path:
    warehouse, _ = messy_built
    path = tmp_path_factory.mktemp("published") / "nps_published.duckdb"
    publish_marts(warehouse, path)
    return path
