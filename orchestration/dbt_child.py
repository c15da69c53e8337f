"""Start dbt as a child process that ends with its parent (the launcher `dbt_cli_for` puts before dbt).

    python -I -S dbt_child.py PARENT_PID [--chdir=FOLDER] [--cold] [NAME=value ...] -- DBT_EXECUTABLE [dbt args ...]

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
5. Unless `--cold`: if the parent started a dbt process that has imported dbt and waits for a command
   (`orchestration/dbt_warm.py`), hand the command over to it (`hand_over`): its environment with the assignments,
   this folder and this process's standard streams. Then wait, forwarding the signals this process gets, and exit
   with dbt's status. If there is none, or it refuses the command, go on:
6. `execve` dbt with the `NAME=value` assignments added to the environment: dbt keeps this process id, so the
   parent's signals and `wait()` reach dbt itself.

Elsewhere than Linux steps 2 and 5 are skipped: dbt then ends at its next write to the parent's closed pipe.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import struct
import sys
from typing import NamedTuple

CHDIR = "--chdir="
COLD = "--cold"  # never hand the command over to a waiting dbt process (the launcher of that process itself)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_GONE_EXIT = 128 + signal.SIGTERM  # as if the SIGTERM had arrived
# the hand-over to a waiting dbt process (orchestration/dbt_warm.py): a request is its length, then its JSON, with
# the three standard streams attached; the reply is STARTED then dbt's status, or REFUSED and a reason
LENGTH = struct.Struct("!I")
STATUS = struct.Struct("!i")
STARTED, REFUSED = b"S", b"R"
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid


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
    cold: bool = False  # True: start dbt here, never hand it over


def split_arguments(argv: list[str]) -> Launch:
    """`PARENT_PID [--chdir=FOLDER] NAME=value ... -- program args ...` → what to launch."""
    if "--" not in argv or len(argv) < 3:
        raise SystemExit(
            "usage: dbt_child.py PARENT_PID [--chdir=FOLDER] [--cold] [NAME=value ...] -- PROGRAM [ARGS ...]"
        )
    cut = argv.index("--")
    options = argv[1:cut]
    folder = next((item.removeprefix(CHDIR) for item in options if item.startswith(CHDIR)), None)
    assignments = dict(item.split("=", 1) for item in options if not item.startswith(CHDIR) and item != COLD)
    command = argv[cut + 1 :]
    if not command:
        raise SystemExit("dbt_child.py: no program after --")
    return Launch(int(argv[0]), folder, assignments, command, COLD in options)


def warm_address(parent: int) -> str:
    """The socket name of the waiting dbt process that process `parent` started: in Linux's abstract namespace
    (no file), with the user and the parent in it."""
    return f"\0nps-dbt-warm-{os.getuid()}-{parent}"


def peer_credentials(connection: socket.socket) -> tuple[int, int, int]:
    """Process id, user id and group id of the process at the other end of a Unix socket."""
    return CREDENTIALS.unpack(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, CREDENTIALS.size))


def parent_of(pid: int) -> int | None:
    """The parent process id of `pid` (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as file:
            stat = file.read()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def receive_exactly(connection: socket.socket, size: int) -> bytes:
    """`size` bytes from `connection`, or fewer if it closes first."""
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def connect_to_waiting_dbt(parent: int) -> tuple[socket.socket, int] | None:
    """A connection to the waiting dbt process `parent` started, and its process id; None if there is none (or
    the one listening is not of this user, or not a child of `parent`)."""
    if not sys.platform.startswith("linux"):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(warm_address(parent))
        pid, uid, _ = peer_credentials(connection)
    except OSError:
        connection.close()
        return None
    if uid != os.getuid() or parent_of(pid) != parent:
        connection.close()
        return None
    return connection, pid


def hand_over(parent: int, command: list[str], env: dict[str, str]) -> int | None:
    """Run `command` with `env` in this folder and with this process's standard streams in the waiting dbt process
    of `parent`, forwarding this process's signals to it; its exit status, or None if there is no such process or
    it refused the command before any signal came (then the caller starts dbt itself)."""
    connected = connect_to_waiting_dbt(parent)
    if connected is None:
        return None
    connection, server = connected
    forwarded: list[int] = []

    def forward(sig: int, _frame: object) -> None:
        forwarded.append(sig)
        with contextlib.suppress(ProcessLookupError):
            os.kill(server, sig)

    # a signal this process ignores (as its parent had it) stays ignored, as it would be in a dbt it became
    previous = {sig: signal.getsignal(sig) for sig in FORWARDED_SIGNALS if signal.getsignal(sig) != signal.SIG_IGN}
    for sig in previous:
        signal.signal(sig, forward)
    request = json.dumps({"command": command, "cwd": os.getcwd(), "env": env}).encode()
    try:
        socket.send_fds(connection, [LENGTH.pack(len(request))], [0, 1, 2])
        connection.sendall(request)
        reply = receive_exactly(connection, 1)
    except OSError:
        reply = b""
    if reply != STARTED:
        if reply == REFUSED:  # the reason follows, then the connection closes
            reason = receive_exactly(connection, 4096).decode(errors="replace")
            print(f"dbt_child.py: not handed over ({reason}): starting dbt", file=sys.stderr, flush=True)
        if not forwarded:  # as they were before `execve`
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            return None
        return 128 + forwarded[-1]
    status = receive_exactly(connection, STATUS.size)
    if len(status) < STATUS.size:  # it ended without reporting: killed (by a signal this process forwarded?)
        print("dbt_child.py: the waiting dbt process ended without an exit status", file=sys.stderr, flush=True)
        return 128 + forwarded[-1] if forwarded else 1
    return STATUS.unpack(status)[0]


def main(argv: list[str]) -> None:
    launch = split_arguments(argv)
    os.setsid()
    die_with_parent()
    if os.getppid() != launch.parent:
        os._exit(PARENT_GONE_EXIT)
    if launch.folder is not None:
        os.chdir(launch.folder)
    env = {**os.environ, **launch.assignments}
    if not launch.cold:
        status = hand_over(launch.parent, launch.command, env)
        if status is not None:
            os._exit(status)
    os.execve(launch.command[0], launch.command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
