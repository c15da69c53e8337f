"""Ending a command's process without the interpreter's finalisation.

After `nps run` has finished its work, Python's own shutdown (clearing every module and collecting the objects
of Dagster, dbt, Great Expectations and pydantic) took 1.5–2 s of every run, at every scale
(docs/performance.md). `exit_now` ends the process the way `sys.exit` would, minus that teardown: the exit
functions run first (logging's shutdown, which flushes and closes log files, temporary folders of
`weakref.finalize`, file locks), then the standard streams are flushed, then `os._exit`. Everything a run writes
is closed by the code that opened it (DuckDB connections and the Dagster instance in `with` blocks), so nothing
relies on the finalisation. mypy ends its process the same way for the same reason.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn


def exit_status(code: object) -> int:
    """The process status `sys.exit(code)` gives: None is 0, an int is itself, anything else is printed to stderr
    and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def finish_before_exit() -> None:
    """What `sys.exit` does before the interpreter's finalisation: run the exit functions (those `os._exit` would
    skip, by the standard library's own runner), then flush the standard streams."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            stream.flush()


def exit_now(code: object = 0) -> NoReturn:
    """End the process as `sys.exit(code)` would, without the interpreter's finalisation."""
    status = exit_status(code)
    finish_before_exit()
    os._exit(status)


def run_then_exit(entry: Callable[[], object]) -> NoReturn:
    """Call `entry` (a command line's main function), then `exit_now` with the status it exits with. An exception
    other than SystemExit propagates: Python then reports it and exits as usual."""
    try:
        entry()
    except SystemExit as done:
        exit_now(done.code)
    exit_now(0)
