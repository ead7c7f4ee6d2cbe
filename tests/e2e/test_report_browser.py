"""The report opens in a real headless Chromium with no errors and every chart visible."""

from __future__ import annotations

import shutil

import pytest

import custseg

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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
    for chart in ("chart-k", "chart-scatter", "chart-sizes", "chart-profile", "chart-stability"):
        width = page.eval_on_selector(f"#{chart}", "img => img.complete && img.naturalWidth")
        assert width and width > 300, chart
    assert page.locator("#chart-stability").is_visible()
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
    assert page.locator("#quality").is_visible()
    assert "no money column" in page.inner_text("body")
    cross = page.locator("#rfm-cross")
    assert cross.is_visible() and "Champions" in cross.inner_text()
    for chart in ("chart-k", "chart-scatter", "chart-sizes", "chart-profile", "chart-kpis",
                  "chart-affinity", "chart-monthly"):
        assert page.eval_on_selector(f"#{chart}", "img => img.naturalWidth") > 300, chart
    assert page.locator("#kpi-table").is_visible()
    assert "Playbook:" in page.inner_text("#segment-0") and "Rule that fired" in page.inner_text(
        "#segment-0")
    assert errors == []
    page.screenshot(path=str(tmp_path.parent / "screenshots" / "report-history.png"),
                    full_page=True)
    page.close()
