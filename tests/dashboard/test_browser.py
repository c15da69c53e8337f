"""The dashboard in a real browser: Debian's chromium, headless, through Playwright, against one live server.

Every page is opened at laptop (1440×900) and phone (390×844) size and screenshotted (under pytest's temporary
folder, `screenshots/`); the assertions read what a user reads. `make test` installs chromium when it is missing
(scripts/ensure_chromium.sh); this module is skipped, with the reason printed, only where none could be installed.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dashboard import labels as lb
from dashboard import queries as q
from dashboard.app import PAGES
from dashboard.launch import dashboard_env, streamlit_command
from nps.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)")
LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# the plotly trace named NPS, read from the chart's DOM node (plotly keeps its data on the element)
TREND = (
    "Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => p.data)"
    ".find(d => d && d.some(t => t.name === 'NPS')).find(t => t.name === 'NPS')"
)
BAD_TEXT = ("None", "Traceback", "Error", "NaN", "nan %")


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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def open_dashboard(browser, server: str, viewport: dict, hosts: set[str] | None = None):
    page = browser.new_page(viewport=viewport)
    if hosts is not None:
        page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or request.url.split(":")[0]))
    page.goto(server)
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=60_000)
    return page


def wait_idle(page) -> None:
    """Until Streamlit has finished the rerun (its status widget gone) and plotly has drawn."""
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(500)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_idle(page)


def tab_panel(page):
    return page.locator("[role=tabpanel]:not([hidden])")


def grid_rows(page, key: str) -> list[list[str]]:
    """The cells of a st.dataframe, read from the accessible table glide-data-grid keeps beside its canvas."""
    grid = page.locator(f".st-key-table_{key} [role=grid]").first
    grid.wait_for(state="attached", timeout=30_000)
    return page.evaluate(
        "(grid) => Array.from(grid.querySelectorAll('tbody tr')).map("
        "tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim()))",
        grid.element_handle(),
    )


def latest_month(published) -> dict:
    filters = q.Filters(grain="month", start=q.periods(published, "month")[-12], end=q.periods(published, "month")[-1])
    return q.latest_period(published, filters, q.trend(published, filters))


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_every_page_renders_without_none_or_traceback_and_is_screenshotted(server, browser, screenshots, size):
    page = open_dashboard(browser, server, LAPTOP if size == "laptop" else PHONE)
    wait_idle(page)
    for name in PAGES:
        open_tab(page, name)
        shot = screenshots / f"{size}-{name.lower().replace(' ', '-').replace('&', 'and')}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        text = tab_panel(page).inner_text()
        assert text.strip(), name
        for bad in BAD_TEXT:
            assert bad not in text, (name, bad, text[:2000])
        assert not page.get_by_test_id("stException").count(), name
    page.close()


def test_the_overview_says_the_latest_change_and_whether_it_is_significant(server, browser, published):
    page = open_dashboard(browser, server, LAPTOP)
    latest = latest_month(published)
    assert latest["nps_change"] is not None
    metric = page.get_by_test_id("stMetric").first
    assert f"NPS in {lb.period(latest['period_start'], 'month')} (latest complete month)" in metric.inner_text()
    assert page.get_by_test_id("stMetricValue").first.inner_text() == lb.nps(latest["nps"])
    assert page.get_by_test_id("stMetricDelta").first.inner_text() == lb.change(latest["nps_change"])
    label = lb.significance(latest["nps_change_is_significant"], has_change=True)
    assert f"Change {lb.change(latest['nps_change'])} from {lb.nps(latest['previous_nps'])}: {label}" in (
        tab_panel(page).inner_text()
    )
    page.close()


def test_the_trend_marks_the_partial_month_and_leaves_gaps(server, browser, published):
    page = open_dashboard(browser, server, LAPTOP)
    page.wait_for_function(f"(() => {{ try {{ return !!{TREND}; }} catch (e) {{ return false; }} }})()")
    trace = page.evaluate(TREND)
    starts = q.periods(published, "month")[-12:]
    assert trace["x"] == [d.isoformat() for d in starts]
    assert trace["connectgaps"] is False
    shapes = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot')).find(p => p.data.some(t => t.name === 'NPS'))"
        ".layout.shapes.map(s => s.layer)"
    )
    assert shapes and set(shapes) == {"below"}  # bands and the partial-period shade never cover the line
    assert "partial" in page.locator(".js-plotly-plot").first.inner_text()
    page.close()


def test_the_first_row_of_the_call_list_is_due_today(server, browser):
    page = open_dashboard(browser, server, LAPTOP)
    open_tab(page, "Close the loop")
    rows = grid_rows(page, "work_list")
    assert rows[0][0] == "Due today"
    assert "due today" in tab_panel(page).inner_text()
    page.close()


def test_the_period_filter_changes_the_agent_table(server, browser, published):
    page = open_dashboard(browser, server, LAPTOP)
    open_tab(page, "Contact centre")
    by_month = grid_rows(page, "agents")
    page.get_by_test_id("stSidebar").get_by_text("Year", exact=True).click()
    wait_idle(page)
    by_year = grid_rows(page, "agents")
    for _ in range(60):  # the grid redraws after the rerun
        if by_year != by_month:
            break
        page.wait_for_timeout(500)
        by_year = grid_rows(page, "agents")
    assert by_month != by_year
    filters = q.Filters(grain="year", start=q.periods(published, "year")[0], end=q.periods(published, "year")[-1])
    agents = q.contact_centre(published, "agent_performance", ["agent_id"], filters)
    calls = {row.agent_id: f"{row.calls_handled:,}" for row in agents.itertuples()}
    header = page.evaluate(
        "(grid) => Array.from(grid.querySelectorAll('thead th')).map(th => th.innerText.trim())",
        page.locator(".st-key-table_agents [role=grid]").first.element_handle(),
    )
    agent_id, calls_handled = header.index("Agent id"), header.index("Calls handled")
    assert {row[agent_id]: row[calls_handled] for row in by_year} == calls
    page.close()


def test_on_a_phone_the_trend_starts_on_the_first_screen(server, browser):
    page = open_dashboard(browser, server, PHONE)
    wait_idle(page)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for()
    assert chart.bounding_box()["y"] < PHONE["height"] - 200  # the headline tile does not fill the first screen
    page.close()


def test_no_request_leaves_the_machine(server, browser):
    hosts: set[str] = set()
    page = open_dashboard(browser, server, LAPTOP, hosts)
    for name in PAGES:
        open_tab(page, name)
    page.close()
    assert "127.0.0.1" in hosts and hosts <= {"127.0.0.1", "data", "blob"}, hosts
