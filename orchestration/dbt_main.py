"""dbt's command line as the venv's `dbt` script runs it, ended without Python's teardown (`nps.process_exit`).

    python -P dbt_main.py [dbt arguments ...]

The dbt child of a run (`resources.dbt_cli_for`) runs this instead of the `dbt` script: the same `dbt.cli.main.cli`,
and the same exit status, but the process ends about 0.5 s sooner (docs/performance.md). dbt-duckdb closes its
DuckDB database in an exit function, which `exit_now` runs, so the warehouse file is checkpointed as before.
dbt is imported with the cyclic garbage collector off, then frozen (`nps.startup`): 0.5 s less of collections.
"""

from nps.process_exit import run_then_exit
from nps.startup import libraries_loaded

with libraries_loaded():  # dbt's imports without the cyclic collector (nps.startup)
    from dbt.cli.main import cli

if __name__ == "__main__":
    run_then_exit(cli)
