"""A command loads its libraries without the cyclic garbage collector, then freezes them (`nps.startup`)."""

import gc
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nps.startup import libraries_loaded

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Give the test process's frozen objects back to the collector and its state, whatever the test did."""
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_imports_run_without_the_collector_and_what_they_made_is_frozen(unfrozen: None) -> None:
    gc.enable()
    gc.unfreeze()
    sys.modules.pop("colorsys", None)  # a standard-library module this block imports anew
    with libraries_loaded():
        assert not gc.isenabled()
        import colorsys  # noqa: F401
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_a_block_that_imports_nothing_new_freezes_nothing(unfrozen: None) -> None:
    gc.unfreeze()
    with libraries_loaded():
        import json  # noqa: F401  (already imported)
    assert gc.get_freeze_count() == 0


def test_the_collector_stays_off_when_it_was_off(unfrozen: None) -> None:
    gc.disable()
    with libraries_loaded():
        pass
    assert not gc.isenabled()


def test_the_dbt_child_imports_dbt_with_the_collector_off_and_runs_with_it_on() -> None:
    probe = (  # the script's loading of dbt, not its command line (run_name is not __main__)
        "import gc, runpy; ns = runpy.run_path('orchestration/dbt_main.py', run_name='probe'); cli = ns['load_cli'](); "
        "print(gc.isenabled(), gc.get_freeze_count() > 10000, cli.name == 'cli')"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "True"]


def test_nps_run_loads_the_definitions_inside_the_block(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import nps.cli
    import orchestration.pipeline

    seen: list[bool] = []

    @contextmanager
    def recording() -> Iterator[None]:
        yield
        seen.append("orchestration.definitions" in sys.modules)

    monkeypatch.setattr(nps.cli, "libraries_loaded", recording)
    monkeypatch.setattr(orchestration.pipeline, "run_command", lambda settings: 0)
    (tmp_path / "landing").mkdir()
    result = CliRunner().invoke(
        nps.cli.app, ["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 0, result.output
    assert seen == [True]
