"""dbt imported while the run's first steps go on: a dbt process started with the run, waiting for its command.

Each run's dbt child (`orchestration/dbt_main.py`) used to import dbt only when the dbt step began: 1.3–1.6 s
of every run on our machines (more on a slow one), spent on one core while the other had nothing to do. So
`nps run` starts that process first of all (`dbt_started_early`): it imports dbt while the run imports Dagster and
Great Expectations, ingests and checks the raw data (the second core), then waits. When the dbt step starts,
its launcher (`orchestration/dbt_child.py`, which dagster-dbt starts as before) hands its command over instead
of starting dbt: the command line, environment, working folder and its three standard streams (as file
descriptors, over a Unix socket). The waiting process takes them as its own, runs dbt's `cli`, closes what dbt
opened (the warehouse included: the exit functions), and sends back dbt's exit status, which the launcher exits
with. So dagster-dbt still sees an ordinary child that writes dbt's events to its pipe and ends with dbt's
status; the launcher forwards the signals it gets (SIGINT, SIGTERM, SIGHUP) to dbt.

Guarantees (tests: `tests/orchestration/test_dbt_warm.py`):
- Nothing changes for dbt: a command is taken only if it is the same interpreter, flags and script
  (`dbt_main.py`) and the same `PYTHON*` variables as the waiting process's own, but for Windows' own
  (PYTHONUNBUFFERED, set for the Spark engine, changes how the interpreter starts: such a command is refused,
  and the launcher says so on dbt's output). A refused command, or a run with no waiting process
  (`dagster dev`, the tests' `materialize`, not Linux, or dbt's step reached before the process listens),
  starts dbt as before.
- One command per process: it serves one launcher, then ends; the process that started it ends it if no
  launcher came (`dbt_started_early`). It ends with that process (the kernel's death signal, as dbt's child
  had), and when its launcher dies (the socket closes) it sends itself SIGTERM, as a dbt started by the launcher
  would have received.
- It is found by the launchers of the process that started it: the socket's name holds that process's id
  (Linux's abstract namespace: no file to leave behind). A launcher hands over only to a process of its own user
  that is a child of its own parent, and the waiting process takes commands of its own user only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

from nps.process_exit import exit_status, finish_before_exit
from orchestration.dbt_child import (
    COLD,
    LENGTH,
    PARENT_GONE_EXIT,
    REFUSED,
    STARTED,
    STATUS,
    peer_credentials,
    receive_exactly,
    warm_address,
)

HERE = Path(__file__).resolve().parent
DBT_CHILD = HERE / "dbt_child.py"  # starts dbt so that it ends with its parent
DBT_MAIN = HERE / "dbt_main.py"  # the venv's dbt, ended without Python's teardown
LAUNCHER_FLAGS = ["-I", "-S"]  # the launcher needs only the standard library: isolated, no site-packages
SERVE = "--serve-one-launcher"  # dbt_main.py's argument: import dbt, then wait for a launcher's command
MAX_REQUEST_BYTES = 16 * 1024 * 1024
STANDARD_STREAMS = (0, 1, 2)
# read by Windows' Python only; dagster-dbt sets PYTHONLEGACYWINDOWSSTDIO for every dbt command
WINDOWS_ONLY = frozenset({"PYTHONLEGACYWINDOWSSTDIO", "PYTHONLEGACYWINDOWSFSENCODING"})


# --------------------------------------------------------------------------------------------------
# The run's side


@contextlib.contextmanager
def dbt_started_early(script: Path = DBT_MAIN) -> Iterator[subprocess.Popen | None]:
    """Within the block, a process of `script` (`python -P script SERVE`, through the launcher so that it ends
    with this process) imports dbt and waits for the first dbt command of this process's launchers; after it,
    the process is ended if it is still waiting. Yields it (None where the hand-over does not exist: not Linux)."""
    if not sys.platform.startswith("linux"):
        yield None
        return
    process = subprocess.Popen(
        [
            sys.executable,
            *LAUNCHER_FLAGS,
            str(DBT_CHILD),
            str(os.getpid()),
            COLD,  # this launcher starts the waiting process itself: it must not hand over to another
            "--",
            sys.executable,
            "-P",
            str(script),
            SERVE,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait()


# --------------------------------------------------------------------------------------------------
# The waiting process's side


def acceptable(request: dict, identity: list[str], environment: dict[str, str]) -> str | None:
    """Why the waiting process must not run `request` (None: it may). `identity`: its own interpreter, flags and
    script (`sys.orig_argv` without SERVE); `environment`: its own, as it started."""
    command = request["command"]
    if command[: len(identity)] != identity:
        return f"another program: {command[: len(identity)]}"
    interpreter = sorted(
        name
        for name in {*environment, *request["env"]}
        if name.startswith("PYTHON") and name not in WINDOWS_ONLY and environment.get(name) != request["env"].get(name)
    )
    if interpreter:
        return f"other interpreter settings: {', '.join(interpreter)}"
    return None


def receive_request(connection: socket.socket) -> tuple[dict, list[int]] | None:
    """The launcher's request (command, env, cwd) and its standard streams; None if it went away meanwhile (the
    connection reset or closed part way) or sent something else, the streams it sent closed."""
    fds: list[int] = []
    try:
        header, fds, _, _ = socket.recv_fds(connection, LENGTH.size, len(STANDARD_STREAMS))
        if len(header) < LENGTH.size:
            header += receive_exactly(connection, LENGTH.size - len(header))
        if len(header) == LENGTH.size and len(fds) == len(STANDARD_STREAMS):
            (length,) = LENGTH.unpack(header)
            body = receive_exactly(connection, min(length, MAX_REQUEST_BYTES))
            if len(body) == length and well_formed(request := json.loads(body)):
                return request, fds
    except (OSError, ValueError):  # ValueError: not JSON (json.JSONDecodeError), or not UTF-8
        pass
    for fd in fds:
        os.close(fd)
    return None


def well_formed(request: object) -> bool:
    """A request as the launcher sends it (`dbt_child.hand_over`): the command, the environment and the folder."""
    return (
        isinstance(request, dict)
        and isinstance(request.get("command"), list)
        and all(isinstance(part, str) for part in request["command"])
        and isinstance(request.get("env"), dict)
        and all(isinstance(key, str) and isinstance(value, str) for key, value in request["env"].items())
        and isinstance(request.get("cwd"), str)
    )


def take_over(request: dict, fds: list[int], identity: list[str]) -> None:
    """Make this process the one the launcher would have started: its streams, folder, environment, arguments."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    for target, fd in zip(STANDARD_STREAMS, fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [identity[-1], *request["command"][len(identity) :]]


def end_with_launcher(connection: socket.socket, finished: threading.Event) -> None:
    """SIGTERM this process when its launcher ends before it has finished (the launcher sends nothing more,
    so a read returns only when the socket closes), as the kernel would have sent dbt on its launcher's death."""

    def watch() -> None:
        with contextlib.suppress(OSError):
            connection.recv(1)
        if not finished.is_set():
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="launcher-watch", daemon=True).start()


def run_entry(entry: Callable[[], object]) -> int:
    """`entry`'s exit status as its own process would have ended with it."""
    try:
        entry()
    except SystemExit as done:
        return exit_status(done.code)
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except BaseException:  # reported as Python reports an uncaught exception, on the launcher's stderr
        traceback.print_exc()
        return 1
    return 0


def serve_one_launcher(load: Callable[[], Callable[[], object]]) -> NoReturn:
    """The waiting process: listen (before anything slow, so a launcher can connect at once), `load` the entry
    point (dbt's `cli`), take the first acceptable command, run it, close what it opened, report its status."""
    identity = sys.orig_argv[:-1]  # interpreter, flags and script: what a launcher's command must start with
    environment = dict(os.environ)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(warm_address(os.getppid()))
    except OSError:  # another waiting process of the same parent holds the name: it serves instead
        os._exit(0)
    listener.listen(4)
    entry = load()
    while True:
        connection, _ = listener.accept()
        _, uid, _ = peer_credentials(connection)
        received = receive_request(connection) if uid == os.getuid() else None
        if received is None:
            connection.close()
            continue
        request, fds = received
        reason = acceptable(request, identity, environment)
        if reason is None:
            break
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            connection.sendall(REFUSED + reason.encode())
        connection.close()
    listener.close()
    try:
        connection.sendall(STARTED)
    except OSError:  # the launcher died after sending its command: nothing to run it for
        os._exit(PARENT_GONE_EXIT)
    take_over(request, fds, identity)
    finished = threading.Event()
    end_with_launcher(connection, finished)
    status = run_entry(entry)
    finish_before_exit()  # dbt-duckdb closes the warehouse here: before the launcher (and the run) go on
    finished.set()
    with contextlib.suppress(OSError):
        connection.sendall(STATUS.pack(status))
    os._exit(status)
