"""Loading a command's libraries without Python's cyclic garbage collector.

Importing the run's Dagster definitions creates about half a million objects (Dagster, dbt, Great Expectations,
pydantic). While they are made, the cyclic collector runs several full collections, each walking every object
that exists: 1.0–1.2 s of the 4.4–5.2 s that importing the definitions takes, and 0.2–0.3 s of the dbt child's
import of dbt (docs/performance.md). Later full collections walk them all again (0.3 s each).

Those objects are modules, classes, functions and their tables: they live as long as the process. So a command
turns the collector off while it imports its libraries, then moves every object into the permanent generation
(`gc.freeze`, which collections skip) and turns it back on (`libraries_loaded`). Reference counting frees
everything else as usual; only cyclic garbage made during the imports stays, which is a few kilobytes.
Used by the entry points of a process (`nps run`, the dbt child, the bench's measured steps), never by library
code that a long-lived process (tests, `dagster dev`) calls again and again.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def libraries_loaded() -> Iterator[None]:
    """Run the block (a process's imports of its libraries) with the cyclic collector off, then, when the block
    imported a module, freeze every object that exists; the collector gets back the state it had. A block whose
    modules were already imported freezes nothing: a process that runs many commands (the tests) freezes once."""
    was_enabled = gc.isenabled()
    modules_before = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > modules_before:
            gc.freeze()
        if was_enabled:
            gc.enable()
