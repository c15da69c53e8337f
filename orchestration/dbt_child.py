"""Start dbt as a child process that ends with its parent (the launcher `dbt_cli_for` puts before dbt).

    python -I -S dbt_child.py PARENT_PID [--chdir=FOLDER] [NAME=value ...] -- DBT_EXECUTABLE [dbt arguments ...]

Standard library only, run with `-I -S` (no site-packages: it starts in milliseconds). In order:

1. `os.setsid()`: dbt gets its own session and process group, so a Ctrl-C typed in the terminal reaches the
   parent only; the parent (dagster-dbt) forwards one SIGINT to dbt and waits for it to stop cleanly.
2. Linux: `prctl(PR_SET_PDEATHSIG, SIGTERM)`: the kernel sends dbt SIGTERM the moment its parent dies, however it
   dies, SIGKILL and out-of-memory kills included (no handler of the parent has to run). The setting survives
   `execve`. It is bound to the parent *thread* that started the child; dagster-dbt starts dbt from the step's
   thread, which waits for dbt to finish, so the two lifetimes match.
3. If the parent already died before step 2 (`getppid()` is no longer PARENT_PID), exit at once.
4. With `--chdir=FOLDER`, move into FOLDER: dbt opens the paths of the profile that are relative (the warehouse
   file and its spill folder, `resources.dbt_profile_env`) in it.
5. `execve` dbt with the `NAME=value` assignments added to the environment: dbt keeps this process id, so the
   parent's signals and `wait()` reach dbt itself.

Elsewhere than Linux step 2 is skipped: dbt then ends at its next write to the parent's closed pipe.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import NamedTuple

CHDIR = "--chdir="
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_GONE_EXIT = 128 + signal.SIGTERM  # as if the SIGTERM had arrived


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send `sig` to this process when its parent dies; False where there is no prctl."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    return True


class Launch(NamedTuple):
    parent: int  # the process id of the parent dbt must not outlive
    folder: str | None  # the working folder of dbt (None: the launcher's)
    assignments: dict[str, str]  # added to dbt's environment
    command: list[str]  # dbt's command line


def split_arguments(argv: list[str]) -> Launch:
    """`PARENT_PID [--chdir=FOLDER] NAME=value ... -- program args ...` → what to launch."""
    if "--" not in argv or len(argv) < 3:
        raise SystemExit("usage: dbt_child.py PARENT_PID [--chdir=FOLDER] [NAME=value ...] -- PROGRAM [ARGS ...]")
    cut = argv.index("--")
    options = argv[1:cut]
    folder = next((item.removeprefix(CHDIR) for item in options if item.startswith(CHDIR)), None)
    assignments = dict(item.split("=", 1) for item in options if not item.startswith(CHDIR))
    command = argv[cut + 1 :]
    if not command:
        raise SystemExit("dbt_child.py: no program after --")
    return Launch(int(argv[0]), folder, assignments, command)


def main(argv: list[str]) -> None:
    launch = split_arguments(argv)
    os.setsid()
    die_with_parent()
    if os.getppid() != launch.parent:
        os._exit(PARENT_GONE_EXIT)
    if launch.folder is not None:
        os.chdir(launch.folder)
    os.execve(launch.command[0], launch.command, {**os.environ, **launch.assignments})


if __name__ == "__main__":
    main(sys.argv[1:])
