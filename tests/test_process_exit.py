"""Commands end without the interpreter's finalisation (`nps.process_exit`), yet exit as `sys.exit` would."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nps.process_exit import exit_status

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import atexit, pathlib, sys, tempfile
from nps.process_exit import run_then_exit

marker = pathlib.Path(sys.argv[1])
scratch = tempfile.TemporaryDirectory()  # removed by its weakref.finalize, an exit function


def main():
    atexit.register(marker.write_text, scratch.name)
    sys.stdout.write("written without a newline")  # still in the buffer when the command ends
    raise SystemExit(int(sys.argv[2]))


run_then_exit(main)
"""


def run_script(tmp_path: Path, status: int) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "command.py"
    script.write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, str(script), str(tmp_path / "marker"), str(status)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("status", [0, 3])
def test_a_command_exits_with_its_status_after_its_output_and_exit_functions(tmp_path: Path, status: int) -> None:
    done = run_script(tmp_path, status)
    assert done.returncode == status, done.stderr
    assert done.stdout == "written without a newline"
    scratch = Path((tmp_path / "marker").read_text())  # the exit function ran
    assert not scratch.exists()  # and so did the temporary folder's finaliser


def test_exit_statuses_are_those_of_sys_exit(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_status(None) == 0
    assert exit_status(4) == 4
    assert exit_status("error: no landing folder") == 1
    assert capsys.readouterr().err == "error: no landing folder\n"


def test_the_nps_console_script_ends_through_the_quick_exit(tmp_path: Path) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["nps"] == "nps.cli:main"
    done = subprocess.run(
        [sys.executable, "-m", "nps.cli", "run", "--landing", str(tmp_path / "missing")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "the landing folder" in done.stderr and "does not exist" in done.stderr
