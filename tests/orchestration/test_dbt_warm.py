"""dbt imported while the run's first steps go on (orchestration/dbt_warm.py): the launcher hands its command to the
waiting process, which runs it as the launcher would have (folder, environment, arguments, streams, exit status,
signals), or the launcher starts it itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from nps.settings import Settings
from orchestration.dbt_child import LENGTH, connect_to_waiting_dbt, warm_address
from orchestration.dbt_warm import DBT_CHILD, DBT_MAIN, LAUNCHER_FLAGS, SERVE, acceptable, dbt_started_early
from orchestration.resources import dbt_cli_for_run, dbt_resource

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the hand-over is Linux's")

# a stand-in for dbt_main.py: `load` is slow to come (as dbt's import), the command prints where and how it runs
STAND_IN = f"""
import os, signal, sys, time
from orchestration.dbt_warm import serve_one_launcher

def load():
    time.sleep(0.3)
    def command():
        print("pid", os.getpid(), flush=True)
        print("cwd", os.getcwd(), flush=True)
        print("env", os.environ.get("NPS_TEST_VALUE"), flush=True)
        print("argv", *sys.argv[1:], flush=True)
        print("sigint", "ignored" if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else "handled", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        if "sleep" in sys.argv:
            time.sleep(120)
        sys.exit(int(os.environ.get("NPS_TEST_EXIT", "0")))
    return command

if sys.argv[1:] == [{SERVE!r}]:
    serve_one_launcher(load)
load()()
"""


def listening(parent: int) -> bool:
    """Whether the waiting process of `parent` listens (its abstract socket is in /proc/net/unix as `@name`)."""
    return "@" + warm_address(parent)[1:] in Path("/proc/net/unix").read_text()


def wait_for(condition: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)


@contextmanager
def listening_process(script: Path) -> Iterator[subprocess.Popen]:
    """`dbt_started_early(script)`, once its process listens."""
    with dbt_started_early(script) as waiting:
        assert waiting is not None
        wait_for(lambda: listening(os.getpid()))
        yield waiting


@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    return script


def launcher(script: Path, folder: Path, *arguments: str, assignments: tuple[str, ...] = ()) -> list[str]:
    """The launcher command dagster-dbt starts for this process (`resources.dbt_cli_for`), of `script`."""
    return [
        sys.executable,
        *LAUNCHER_FLAGS,
        str(DBT_CHILD),
        str(os.getpid()),
        f"--chdir={folder}",
        *assignments,
        "--",
        sys.executable,
        "-P",
        str(script),
        *arguments,
    ]


def report(stdout: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in stdout.splitlines() if " " in line)


ASSIGNMENTS = ("NPS_TEST_VALUE=x=1", "NPS_TEST_EXIT=3")


def test_the_launcher_hands_its_command_to_the_waiting_process_with_its_folder_environment_and_streams(
    stand_in: Path, tmp_path: Path
) -> None:
    with listening_process(stand_in) as waiting:
        done = subprocess.run(
            launcher(stand_in, tmp_path, "build", "--vars", "{}", assignments=ASSIGNMENTS),
            capture_output=True,
            text=True,
            check=False,
        )
        assert waiting.wait(timeout=30) == 3  # one command, then it ends
    assert done.returncode == 3
    seen = report(done.stdout)
    assert seen["pid"] == str(waiting.pid)
    assert (seen["cwd"], seen["env"], seen["argv"]) == (str(tmp_path), "x=1", "build --vars {}")
    assert done.stderr == "to stderr\n"


def test_without_a_waiting_process_the_launcher_starts_the_command_itself(stand_in: Path, tmp_path: Path) -> None:
    started = subprocess.Popen(
        launcher(stand_in, tmp_path, "ls", assignments=("NPS_TEST_VALUE=1",)), stdout=subprocess.PIPE, text=True
    )
    stdout, _ = started.communicate(timeout=60)
    assert started.returncode == 0
    assert report(stdout)["pid"] == str(started.pid)  # the launcher became the command (execve)


def test_a_command_for_another_interpreter_setting_is_started_by_the_launcher_and_the_next_one_handed_over(
    stand_in: Path, tmp_path: Path
) -> None:
    with listening_process(stand_in) as waiting:
        other = subprocess.Popen(
            launcher(stand_in, tmp_path, "ls", assignments=("PYTHONHASHSEED=7",)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stdout, stderr = other.communicate(timeout=60)
        assert report(stdout)["pid"] == str(other.pid)
        assert "not handed over (other interpreter settings: PYTHONHASHSEED)" in stderr
        assert waiting.poll() is None  # still waiting
        same = subprocess.run(launcher(stand_in, tmp_path, "ls"), capture_output=True, text=True, check=True)
        assert report(same.stdout)["pid"] == str(waiting.pid)


def test_a_refused_command_keeps_the_signals_the_launcher_was_started_with(stand_in: Path, tmp_path: Path) -> None:
    with listening_process(stand_in):
        refused = subprocess.run(
            launcher(stand_in, tmp_path, "ls", assignments=("PYTHONHASHSEED=7",)),
            capture_output=True,
            text=True,
            check=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as `nohup`-like parents start it
        )
    assert report(refused.stdout)["sigint"] == "ignored"


def test_only_the_same_program_and_interpreter_settings_are_accepted() -> None:
    identity = ["/venv/bin/python", "-P", "/p/dbt_main.py"]
    env = {"PATH": "/bin", "PYTHONUNBUFFERED": "1"}
    same = {"command": [*identity, "build"], "env": {**env, "NPS_AS_OF": "2026-07-01", "PATH": "/usr/bin"}}
    assert acceptable(same, identity, env) is None
    windows = {**same, "env": {**same["env"], "PYTHONLEGACYWINDOWSSTDIO": "1"}}  # dagster-dbt sets it everywhere
    assert acceptable(windows, identity, env) is None
    assert acceptable({**same, "command": ["/opt/dbt", "build"]}, identity, env) is not None
    assert acceptable({**same, "command": ["/venv/bin/python", "/p/dbt_main.py"]}, identity, env) is not None
    unbuffered = acceptable({**same, "env": {"PATH": "/bin"}}, identity, env)
    assert unbuffered == "other interpreter settings: PYTHONUNBUFFERED"


def test_a_signal_to_the_launcher_reaches_the_command(stand_in: Path, tmp_path: Path) -> None:
    with listening_process(stand_in) as waiting:
        started = subprocess.Popen(launcher(stand_in, tmp_path, "sleep"), stdout=subprocess.PIPE, text=True)
        assert started.stdout is not None
        assert started.stdout.readline() == f"pid {waiting.pid}\n"
        started.send_signal(signal.SIGINT)  # as dagster-dbt stops dbt
        assert started.wait(timeout=30) == 128 + signal.SIGINT  # the command's KeyboardInterrupt
        assert waiting.wait(timeout=30) == 128 + signal.SIGINT


def test_a_signal_the_launcher_ignores_does_not_reach_the_command(stand_in: Path, tmp_path: Path) -> None:
    with listening_process(stand_in) as waiting:
        started = subprocess.Popen(
            launcher(stand_in, tmp_path, "sleep"),
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
        assert started.stdout is not None
        assert started.stdout.readline() == f"pid {waiting.pid}\n"
        started.send_signal(signal.SIGINT)
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=1)
        started.send_signal(signal.SIGTERM)
        assert started.wait(timeout=30) == 128 + signal.SIGTERM


def test_the_command_ends_when_its_launcher_is_killed(stand_in: Path, tmp_path: Path) -> None:
    with listening_process(stand_in) as waiting:
        started = subprocess.Popen(launcher(stand_in, tmp_path, "sleep"), stdout=subprocess.PIPE, text=True)
        assert started.stdout is not None
        assert started.stdout.readline() == f"pid {waiting.pid}\n"
        started.kill()  # no handler runs: the waiting process sees its launcher's socket close
        assert waiting.wait(timeout=30) == -signal.SIGTERM  # as the kernel would have sent a dbt the launcher became


def test_a_waiting_process_no_launcher_came_to_ends_with_the_block(stand_in: Path) -> None:
    with listening_process(stand_in) as waiting:
        assert waiting.poll() is None
    assert waiting.returncode is not None
    assert not listening(os.getpid())


def test_dbt_runs_in_the_waiting_process_closes_the_warehouse_it_wrote_and_reports_a_failed_command(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    cli = dbt_cli_for_run(dbt_resource(), Settings.from_env({}, warehouse_path=warehouse))
    with listening_process(DBT_MAIN) as waiting:
        created = cli.cli(["run-operation", "create_theme_inputs_if_missing"], target_path=tmp_path / "target")
        assert created.wait().is_successful()
        assert waiting.wait(timeout=60) == 0  # dbt ran there
    assert not warehouse.with_name("w.duckdb.wal").exists()  # closed before the launcher ended
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from information_schema.tables where table_schema = 'themes'").fetchone()[0]
    with listening_process(DBT_MAIN) as waiting:
        missing = cli.cli(["run-operation", "no_such_macro"], target_path=tmp_path / "target", raise_on_error=False)
        assert not missing.wait().is_successful()
        assert waiting.wait(timeout=60) != 0


def test_a_second_waiting_process_of_the_same_parent_ends_and_leaves_the_first_waiting(stand_in: Path) -> None:
    with listening_process(stand_in) as first:
        with dbt_started_early(stand_in) as second:
            assert second is not None
            assert second.wait(timeout=30) == 0  # its name is taken: nothing to do (not handed to the first)
        assert first.poll() is None


def send_to_waiting(header: bytes, body: bytes, streams: list[int] | None = None) -> None:
    """What a launcher that died part way, or another program of this user, might send the waiting process."""
    connected = connect_to_waiting_dbt(os.getpid())
    assert connected is not None
    connection, _ = connected
    with connection:
        socket.send_fds(connection, [header], [0, 1, 2] if streams is None else streams)
        connection.sendall(body)


@pytest.mark.parametrize(
    ("header", "body", "streams"),
    [
        (LENGTH.pack(100), b'{"command": ["x"]', None),  # the launcher died while sending
        (LENGTH.pack(9), b"not json!", None),
        (LENGTH.pack(2), b"\xff\xfe", None),  # not UTF-8
        (LENGTH.pack(14), b'{"command": 1}', None),  # JSON, not a request
        (LENGTH.pack(2), b"{}", []),  # without the standard streams
    ],
    ids=["cut-short", "not-json", "not-utf8", "not-a-request", "no-streams"],
)
def test_what_is_not_a_whole_request_leaves_the_process_waiting_for_the_next_launcher(
    stand_in: Path, tmp_path: Path, header: bytes, body: bytes, streams: list[int] | None
) -> None:
    with listening_process(stand_in) as waiting:
        send_to_waiting(header, body, streams)
        same = subprocess.run(launcher(stand_in, tmp_path, "ls"), capture_output=True, text=True, check=True)
        assert report(same.stdout)["pid"] == str(waiting.pid)  # handed over: the waiting process went on
