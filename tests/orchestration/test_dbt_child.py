"""The dbt child process ends with its parent (issue 19): killing `nps run` (SIGTERM, SIGINT or even SIGKILL)
leaves no dbt process behind, and dbt runs in its own session (a terminal's Ctrl-C reaches the parent only)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest

from orchestration.dbt_child import split_arguments

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NPS = Path(sys.executable).parent / "nps"


def processes_where(matches: Callable[[Path], bool]) -> list[int]:
    """Ids of the running processes whose /proc entry `matches`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and matches(entry):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


def processes_with(variable: str) -> list[int]:
    """Ids of the running processes whose environment holds `variable` (NAME=value)."""
    return processes_where(lambda entry: variable.encode() in (entry / "environ").read_bytes().split(b"\0"))


def processes_in(folder: Path) -> list[int]:
    """Ids of the running processes whose working folder is `folder`."""
    return processes_where(lambda entry: Path(os.readlink(entry / "cwd")) == folder)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


@contextmanager
def reaped(parent: subprocess.Popen, children: Callable[[], list[int]]) -> Iterator[None]:
    """Whatever the test's outcome, nothing it started is left running (`children`: finds the rest)."""
    try:
        yield
    finally:
        parent.kill()
        for pid in children():
            os.kill(pid, signal.SIGKILL)


def signal_and_expect_no_child(
    parent: subprocess.Popen, children: Callable[[], list[int]], sig: signal.Signals, within: float
) -> None:
    parent.send_signal(sig)
    parent.wait(timeout=60)
    wait_for(lambda: not children(), within, f"no dbt process left after {sig.name} of its parent")


def test_the_launcher_arguments_split_into_parent_variables_and_command():
    assert split_arguments(["42", "A=1", "B=x=y", "--", "/bin/dbt", "build", "--vars", "{}"]) == (
        42,
        None,
        {"A": "1", "B": "x=y"},
        ["/bin/dbt", "build", "--vars", "{}"],
        False,
    )


def test_the_launcher_moves_dbt_into_the_folder_it_is_given():
    launch = split_arguments(["42", "--chdir=/data/wh", "A=1", "--", "/bin/dbt", "build"])
    assert (launch.folder, launch.assignments, launch.command) == ("/data/wh", {"A": "1"}, ["/bin/dbt", "build"])


def test_a_cold_launcher_starts_its_command_itself():
    # the launcher of the waiting dbt process (orchestration/dbt_warm.py) must not hand that process to another
    launch = split_arguments(["42", "--cold", "A=1", "--", "/bin/python", "dbt_main.py"])
    assert (launch.cold, launch.assignments, launch.command) == (True, {"A": "1"}, ["/bin/python", "dbt_main.py"])


PARENT = """
import sys
from pathlib import Path
from orchestration.resources import DBT_PROJECT_DIR, ProjectDbtCliResource, dbt_cli_for
fake_dbt, marker, target = sys.argv[1:]
project = str(DBT_PROJECT_DIR)
cli = ProjectDbtCliResource(project_dir=project, profiles_dir=project, dbt_executable=fake_dbt)
dbt_cli_for(cli, {"NPS_TEST_MARKER": marker}).cli(["build"], target_path=Path(target), raise_on_error=False).wait()
"""


# SIGINT is tested on `nps run` itself below: a bare `.wait()` parent may outlive its KeyboardInterrupt
# (then its child rightly lives on too), where Dagster forwards the interrupt to dbt and ends.
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_dbt_child_ends_when_the_process_that_started_it_is_killed(tmp_path, sig):
    """dbt here is a silent stand-in that would sleep for minutes: it never writes to the closed pipe, so only
    the launcher's death signal can end it."""
    fake_dbt = tmp_path / "dbt"
    fake_dbt.write_text("#!/bin/sh\nexec sleep 300\n")
    fake_dbt.chmod(0o755)
    marker = f"NPS_TEST_MARKER={uuid.uuid4().hex}"
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(PARENT), str(fake_dbt), marker.split("=")[1], str(tmp_path / "t")],
        cwd=PROJECT_ROOT,
    )
    children = partial(processes_with, marker)
    with reaped(parent, children):
        (child,) = wait_for(children, 60, "the dbt stand-in started")
        assert os.getsid(child) == child  # its own session and process group
        assert os.getpgid(child) != os.getpgid(parent.pid)
        signal_and_expect_no_child(parent, children, sig, within=10)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_killing_nps_run_while_dbt_builds_leaves_no_dbt_process(messy_landing, tmp_path, sig):
    landing, _ = messy_landing
    warehouse = (tmp_path / "wh" / "nps.duckdb").resolve()
    children = partial(processes_in, warehouse.parent)  # dbt runs in the warehouse's folder (`dbt_workdir`)
    warehouse.parent.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    env.pop("NPS_WAREHOUSE_PATH", None)
    run = subprocess.Popen(
        [str(NPS), "run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", "2026-07-01T00:00Z"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with reaped(run, children):
        wait_for(children, 600, "dbt started by nps run")  # slow only on a loaded machine
        signal_and_expect_no_child(run, children, sig, within=30)
