"""`make setup` installs the libraries with precompiled bytecode (PYTHONDONTWRITEBYTECODE is set on our
machines, so nothing else would ever cache it and every process would recompile what it imports)."""

from importlib.util import cache_from_source
from pathlib import Path

import dagster
import dbt.version
import great_expectations


def test_the_heavy_libraries_are_installed_with_their_bytecode() -> None:
    for module in (dagster, dbt.version, great_expectations):
        assert module.__file__ is not None
        assert Path(cache_from_source(module.__file__)).exists(), f"no bytecode for {module.__name__}: `make setup`"
