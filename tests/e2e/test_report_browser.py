"""The report opens in a real headless Chromium with no errors and every chart visible."""

from __future__ import annotations

import shutil

import pytest

import custseg

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# For each chart: its drawn size, and every label that sticks out of it (cut off on screen).
CHARTS = """ids => ids.map(id => {
  const svg = document.querySelector(`#${id} > svg`);
  if (!svg) return {id, width: 0, height: 0, outside: ["no svg"]};
  const box = svg.getBoundingClientRect();
  const outside = [...svg.querySelectorAll("text")].map(t => [t, t.getBoundingClientRect()])
    .filter(([, r]) => r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 ||
                                       r.top < box.top - 1 || r.bottom > box.bottom + 1))
    .map(([t]) => t.textContent);
  return {id, width: box.width, height: box.height, marks: svg.querySelectorAll("title").length,
          outside};
})"""


def _check_charts(page, ids: list[str]) -> None:
    """Every chart is drawn (a real size on screen), has hover titles, and no label is cut."""
    for chart in page.evaluate(CHARTS, ids):
        assert chart["width"] > 300 and chart["height"] > 80, chart
        assert chart["marks"] > 0, chart
        assert chart["outside"] == [], chart


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("features", [
    ["Annual Income (k$)", "Spending Score (1-100)"],   # the two features themselves
    None,                                              # a 2-D projection
])
def test_report_renders_every_chart_offline(browser, tmp_path, features):
    out = custseg.segment(features=features).save(tmp_path / "run")
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: requests.append(req.url))
    page.goto((out / "report.html").as_uri())
    page.wait_for_load_state("load")
    _check_charts(page, ["chart-k", "chart-scatter", "chart-sizes", "chart-profile",
                         "chart-stability"])
    assert page.locator("#chart-stability svg").is_visible()
    structure = page.locator("#structure")
    assert structure.is_visible() and "natural groups" in structure.inner_text()
    segments = page.locator("section.segment")
    assert segments.count() == len(custseg.segment(features=features).profiles)
    assert "Playbook:" in segments.first.inner_text()
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []  # offline
    shots = tmp_path.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / f"report-{len(features or [])}.png"), full_page=True)
    page.close()


def test_history_report_shows_quality_and_rfm(browser, tmp_path):
    from pathlib import Path

    groceries = Path(__file__).parents[1] / "data" / "groceries.csv"
    out = custseg.segment(groceries, transactions=True).save(tmp_path / "run")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((out / "report.html").as_uri())
    # The business answer is what a reader meets first; the statistics of k come later.
    assert page.locator("h2").first.inner_text() == "The answer in brief"
    assert page.locator("#answer-segments").is_visible()
    assert "From 1 January 2014 to 30 December 2015" in page.inner_text(".lead")
    assert page.locator("#quality").is_visible()
    assert "no money column" in page.inner_text("body")
    cross = page.locator("#rfm-cross")
    assert cross.is_visible() and "Champions" in cross.inner_text()
    _check_charts(page, ["chart-k", "chart-scatter", "chart-sizes", "chart-profile",
                         "chart-kpis", "chart-affinity", "chart-monthly"])
    assert page.locator("#kpi-table").is_visible()
    assert "Playbook:" in page.inner_text("#segment-0") and "Rule that fired" in page.inner_text(
        "#segment-0")
    assert errors == []
    page.screenshot(path=str(tmp_path.parent / "screenshots" / "report-history.png"),
                    full_page=True)
    page.close()
