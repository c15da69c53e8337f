"""The CPU seconds the benchmark reports beside each step's wall time."""

import subprocess
import sys

from bench.run import children_cpu_seconds

# a child that starts a grandchild burning 0.3 s of CPU and waits for it, as a step's child waits for dbt
BURNS_IN_A_GRANDCHILD = (
    "import subprocess, sys; "
    "subprocess.run([sys.executable, '-c', 'import time\\nwhile time.process_time() < 0.3: pass'], check=True)"
)


def test_the_cpu_seconds_of_a_step_include_those_of_the_processes_its_child_starts() -> None:
    user_before, system_before = children_cpu_seconds()
    subprocess.run([sys.executable, "-c", BURNS_IN_A_GRANDCHILD], check=True)
    user_after, system_after = children_cpu_seconds()

    assert (user_after - user_before) + (system_after - system_before) >= 0.3
    assert system_after >= system_before
