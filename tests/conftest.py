"""Shared pytest setup: telemetry off and no stray progress bars for every test."""

from __future__ import annotations

import os

for _var, _value in {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "TQDM_DISABLE": "1",
}.items():
    os.environ.setdefault(_var, _value)
