"""The web app driven in a real headless Chromium: upload, pick k, read segments, download,
break it with a bad file, and carry on. Screenshots of each step go to tests/e2e/screenshots/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import custseg
import custseg.datasets.synthetic

from ..helpers import free_port, wait_until_up

pytestmark = pytest.mark.e2e
pytest.importorskip("streamlit")

SHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def app_url():
    port = free_port()
    # A 1 MB upload limit for the test, so that "too large" can be tried with a small file.
    process = subprocess.Popen([sys.executable, "-m", "custseg", "app", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "CUSTSEG_APP_MAX_MB": "1"})
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/_stcore/health", process)
    yield url
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(90_000)
        page.goto(app_url)
        yield page
        browser.close()


def _expander_labels(page) -> list[str]:
    texts = page.locator('[data-testid="stExpander"] summary').all_inner_texts()
    return [t[t.index("Segment "):] for t in texts if "Segment " in t]


def _wait_for_segments(page, k: int) -> list[str]:
    # the data-quality expander comes first
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=\"stExpander\"]').length === {k + 1}")
    page.wait_for_timeout(500)
    return _expander_labels(page)


def test_upload_pick_k_download_and_recover(page, tmp_path):
    page.get_by_text("Upload a file").click()
    page.locator('input[type="file"]').set_input_files(str(custseg.sample_path()))
    page.get_by_text("2. How many segments").wait_for()
    page.screenshot(path=str(SHOTS / "1-uploaded.png"), full_page=True)

    k_box = page.get_by_label("Number of segments (k)")
    k_box.fill("5")
    k_box.press("Enter")
    expected = custseg.segment(custseg.sample_path(), k=5)
    labels = _wait_for_segments(page, 5)
    sizes = [int(label.rsplit("(", 1)[1].split()[0].replace(",", "")) for label in labels]
    assert sizes == [p.size for p in expected.profiles]
    page.locator('[data-testid="stAlert"]').filter(
        has_text=expected.summary["structure"]["verdict"]).wait_for()
    for label, segment in zip(labels, expected.summary["segments"], strict=True):
        assert f"{segment['stability_label']} {segment['stability']:.2f}" in label
    page.screenshot(path=str(SHOTS / "2-five-segments.png"), full_page=True)
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Segment 0").click()
    page.get_by_text("3. The segments").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the charts draw
    page.screenshot(path=str(SHOTS / "3-segments.png"))
    heatmap = page.get_by_text("How far each segment's average sits")
    assert heatmap.count() == 1

    saved: dict[str, Path] = {}
    for name in ("segments.csv", "model.json", "report.html", "target list"):
        with page.expect_download() as download:
            page.get_by_role("button", name=f"Download {name}").click()
        target = tmp_path / download.value.suggested_filename
        download.value.save_as(target)
        saved[name] = target
    segments = pd.read_csv(saved["segments.csv"])
    assert segments["segment"].value_counts().sort_index().tolist() == [
        p.size for p in expected.profiles]
    assert json.loads(saved["model.json"].read_text())["training"]["k"] == 5
    assert "Customer segments" in saved["report.html"].read_text()
    targets = pd.read_csv(saved["target list"])
    assert set(targets["group"]) <= {"target", "control"} and set(targets["segment"]) == {0}
    page.screenshot(path=str(SHOTS / "4-downloads.png"), full_page=True)

    broken = tmp_path / "broken.csv"
    broken.write_text("CustomerID,Age,Score\n")
    page.locator('input[type="file"]').set_input_files(str(broken))
    alert = page.locator('[data-testid="stAlert"]').filter(
        has_text="file 'broken.csv' has a header but no rows")
    alert.wait_for()
    assert "Traceback" not in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "5-broken-file.png"), full_page=True)

    big = tmp_path / "big.csv"
    custseg.datasets.synthetic.synthetic_customers(40_000)[0].to_csv(big, index=False)
    page.locator('input[type="file"]').set_input_files(str(big))
    # Streamlit's upload widget refuses it, with the limit it states (one limit, one place).
    page.get_by_text("File must be 1.0MB or smaller.").wait_for()
    assert "Limit 1MB per file" in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "6-too-large.png"))

    page.locator('input[type="file"]').set_input_files(str(custseg.sample_path()))
    page.get_by_text("3. The segments").wait_for()
    page.screenshot(path=str(SHOTS / "6-recovered.png"))
    k = int(page.get_by_label("Number of segments (k)").input_value())
    assert len(_wait_for_segments(page, k)) == k
