"""The dashboard in a real browser: Debian's chromium, headless, through Playwright, against a live server.

`make test` installs chromium when it is missing (scripts/ensure_chromium.sh); this test is skipped, with the
reason printed, only where no chromium could be installed.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dashboard import queries as q
from dashboard.launch import dashboard_env, streamlit_command
from nps.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)")
# the plotly trace named NPS, read from the chart's DOM node (plotly keeps its data on the element)
TREND = (
    "Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => p.data)"
    ".find(d => d && d.some(t => t.name === 'NPS')).find(t => t.name === 'NPS')"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(published):
    port = free_port()
    settings = Settings.from_env(env={}, published_path=published)
    process = subprocess.Popen(
        streamlit_command(port), env=dashboard_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the dashboard did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def expected(published, grain):
    starts = q.periods(published, grain)
    start = starts[max(0, len(starts) - 12)] if grain in ("day", "week", "month") else starts[0]
    filters = q.Filters(grain=grain, start=start, end=starts[-1])
    return q.headline(published, filters), q.trend(published, filters)


def test_headline_chart_and_a_filter_in_chromium_with_no_request_leaving_the_machine(server, published):
    from playwright.sync_api import sync_playwright

    hosts: set[str] = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or request.url.split(":")[0]))
        page.goto(server)
        headline = page.get_by_test_id("stMetricValue").first
        headline.wait_for(timeout=60_000)
        month_head, month_trend = expected(published, "month")
        assert headline.inner_text() == f"{month_head['nps']:+.1f}"
        page.wait_for_function(
            f"(() => {{ try {{ return !!{TREND}; }} catch (e) {{ return false; }} }})()", timeout=60_000
        )
        trace = page.evaluate(TREND)
        assert trace["x"] == [d.isoformat() for d in month_trend.period_start]
        assert trace["y"] == pytest.approx(list(month_trend.nps))

        page.get_by_test_id("stSidebar").get_by_text("quarter", exact=True).click()
        quarter_head, quarter_trend = expected(published, "quarter")
        want = [d.isoformat() for d in quarter_trend.period_start]
        page.wait_for_function(
            f"JSON.stringify({TREND}.x) === '{json.dumps(want, separators=(',', ':'))}'", timeout=60_000
        )
        trace = page.evaluate(TREND)
        assert trace["y"] == pytest.approx(list(quarter_trend.nps))
        assert page.get_by_test_id("stMetricValue").first.inner_text() == f"{quarter_head['nps']:+.1f}"
        browser.close()
    assert "127.0.0.1" in hosts and hosts <= {"127.0.0.1", "data", "blob"}, hosts
