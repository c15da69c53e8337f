"""`nps dashboard`: Streamlit on 127.0.0.1, pointed at the published copy, telemetry off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nps.settings import Settings

APP = Path(__file__).with_name("app.py")
ROOT = APP.parents[1]


def streamlit_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def dashboard_env(settings: Settings) -> dict[str, str]:
    """The Streamlit process's environment: ours plus the resolved settings (the published path, the
    low-sample threshold, ...), which the app reads back with `Settings.from_env()`."""
    return {
        **os.environ,
        **settings.to_env(),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONPATH": str(ROOT),
    }


def dashboard_command(settings: Settings, port: int) -> int:
    if not settings.published_path.exists():
        print(
            f"note: no published copy at {settings.published_path} yet; the dashboard will say so until "
            "`nps run` (or `make demo`) publishes one"
        )
    print(f"dashboard on http://127.0.0.1:{port} (reading {settings.published_path}); Ctrl-C to stop")
    try:
        return subprocess.run(streamlit_command(port), env=dashboard_env(settings), cwd=ROOT, check=False).returncode
    except KeyboardInterrupt:
        return 0
