"""dbt's command line as the venv's `dbt` script runs it, ended without Python's teardown (`nps.process_exit`).

    python -P dbt_main.py [dbt arguments ...]
    python -P dbt_main.py --serve-one-launcher

The dbt child of a run (`resources.dbt_cli_for`) runs this instead of the `dbt` script: the same `dbt.cli.main.cli`,
and the same exit status, but the process ends about 0.5 s sooner (docs/performance.md). dbt-duckdb closes its
DuckDB database in an exit function, which `exit_now` runs, so the warehouse file is checkpointed as before.
dbt is imported with the cyclic garbage collector off, then frozen (`nps.startup`): 0.5 s less of collections.
With `--serve-one-launcher` (`orchestration.dbt_warm.SERVE`), dbt is imported at once, then the process waits for
the command of a run's dbt launcher and runs it as above (`orchestration/dbt_warm.py`).
"""

import sys
from collections.abc import Callable

from nps.process_exit import run_then_exit
from nps.startup import libraries_loaded
from orchestration.dbt_warm import SERVE, serve_one_launcher


def load_cli() -> Callable[[], object]:
    """dbt's `cli`, imported without the cyclic collector (nps.startup), with the modules `dbt build` imports when
    it runs (its task, the DuckDB adapter): in a waiting process, they are then loaded before the command comes."""
    with libraries_loaded():
        import dbt.adapters.duckdb
        import dbt.task.build  # noqa: F401
        from dbt.cli.main import cli
    return cli


if __name__ == "__main__":
    if sys.argv[1:] == [SERVE]:
        serve_one_launcher(load_cli)
    run_then_exit(load_cli())
