"""The web app driven in a real headless Chromium: upload, pick k, read segments, download,
break it with a bad file, and carry on; a purchase history mapped in the page, renamed, another
k picked from the view of k in business terms, downloaded.

Screenshots of every step go to a pytest temporary folder (printed at the end of the run), so a
test run leaves the repository as it was. To refresh the README's pictures, name the folder:

    CUSTSEG_SCREENSHOTS=docs/app pytest tests/e2e/test_app_browser.py

(a relative folder is taken from the repository's root). Only the steps the README shows are
written there; the others stay in the temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import custseg
import custseg.datasets.synthetic
from custseg.app_names import carry

from ..helpers import free_port, wait_until_up

pytestmark = pytest.mark.e2e
pytest.importorskip("streamlit")

ROOT = Path(__file__).parents[2]
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
def shots(tmp_path_factory) -> Iterator[Path]:
    """Where every screenshot goes: a temporary folder, never the repository."""
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    print(f"\nscreenshots: {folder}")


@pytest.fixture(scope="module")
def docs_shots(shots) -> Path:
    """Where the README's screenshots go: CUSTSEG_SCREENSHOTS when set, else ``shots``."""
    named = os.environ.get("CUSTSEG_SCREENSHOTS")
    folder = ROOT / named if named else shots  # ROOT / an absolute path is that path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
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
    # the data-quality expander comes first, "How k was chosen" after the segments
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=\"stExpander\"]').length === {k + 2}")
    page.wait_for_timeout(500)
    return _expander_labels(page)


def test_upload_pick_k_download_and_recover(page, tmp_path, shots):
    page.get_by_text("Upload a file").click()
    # The empty widget states the limit it enforces (once it holds a file, it shows the file).
    page.get_by_text("1MB per file").wait_for()
    page.locator('input[type="file"]').set_input_files(str(custseg.sample_path()))
    page.get_by_text("2. The answer in brief").wait_for()
    page.screenshot(path=str(shots / "1-uploaded.png"), full_page=True)

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
    page.screenshot(path=str(shots / "2-five-segments.png"), full_page=True)
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Segment 0").click()
    page.get_by_text("3. The segments").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the charts draw
    page.screenshot(path=str(shots / "3-segments.png"))
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
    page.screenshot(path=str(shots / "4-downloads.png"), full_page=True)

    broken = tmp_path / "broken.csv"
    broken.write_text("CustomerID,Age,Score\n")
    page.locator('input[type="file"]').set_input_files(str(broken))
    alert = page.locator('[data-testid="stAlert"]').filter(
        has_text="file 'broken.csv' has a header but no rows")
    alert.wait_for()
    assert "Traceback" not in page.inner_text("body")
    page.screenshot(path=str(shots / "5-broken-file.png"), full_page=True)

    big = tmp_path / "big.csv"
    custseg.datasets.synthetic.synthetic_customers(40_000)[0].to_csv(big, index=False)
    page.locator('input[type="file"]').set_input_files(str(big))
    # Streamlit's upload widget refuses it, with the limit it states (one limit, one place).
    page.get_by_text("File must be 1.0MB or smaller.").wait_for()
    page.screenshot(path=str(shots / "6-too-large.png"))

    page.locator('input[type="file"]').set_input_files(str(custseg.sample_path()))
    page.get_by_text("3. The segments").wait_for()
    page.screenshot(path=str(shots / "6-recovered.png"))
    k = int(page.get_by_label("Number of segments (k)").input_value())
    assert len(_wait_for_segments(page, k)) == k


# --- A purchase history and a table whose key columns nobody named as such (issue 14) ---

NO_FLAGS = re.compile(r"--[a-z]")


def _cd_store_history(path: Path, customers: int = 1_500, seed: int = 7) -> pd.DataFrame:
    """Like the CDNOW CD-store history: every customer first buys within 12 weeks, then 0 to
    several repeat purchases over 18 months; dates YYYYMMDD; ids zero-padded text; amounts in
    dollars as a till exports them ($1,059.30; the frame returned holds the numbers)."""
    rng = np.random.default_rng(seed)
    lines = 1 + rng.geometric(0.4, customers)
    number = np.repeat(np.arange(1, customers + 1), lines)
    first = np.repeat(rng.integers(0, 84, customers), lines)
    repeat = np.concatenate([[False], number[1:] == number[:-1]])
    day = first + np.where(repeat, rng.integers(1, 460, len(number)), 0)
    units = rng.integers(1, 6, len(number))
    frame = pd.DataFrame({
        "cust_ref": [f"{n:05d}" for n in number],
        "purchase_date": (pd.Timestamp("1997-01-01") + pd.to_timedelta(day, "D")
                          ).strftime("%Y%m%d"),
        "units": units, "spend": (units * rng.gamma(3, 5, len(number))).round(2)})
    frame.assign(spend=frame["spend"].map("${:,.2f}".format)).to_csv(path, index=False)
    return frame


class Steps:
    """Times each step (printed in seconds), checks the page has no dead end, saves a shot
    named after the step in ``folder``."""

    def __init__(self, page, folder: Path) -> None:
        self.page, self.folder, self.start = page, folder, time.monotonic()

    def done(self, name: str, shown: str) -> None:
        """End the step ``name``; its screenshot shows the text ``shown`` at the top."""
        seconds = time.monotonic() - self.start
        self.page.get_by_text(shown).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        self.page.wait_for_timeout(800)  # let the charts draw
        body = self.page.inner_text("body")
        for dead_end in ("Something went wrong", "Traceback"):
            assert dead_end not in body, f"{name}: {dead_end} on the page"
        # Streamlit's markdown reads $...$ as LaTeX: no text of the page may become a formula
        assert self.page.locator(".katex").count() == 0, f"{name}: text shown as a formula"
        assert not NO_FLAGS.search(body), f"{name}: a command-line flag on the page: " \
            f"{NO_FLAGS.search(body)}"
        print(f"step {name}: {seconds:.1f} s")
        self.page.screenshot(path=str(self.folder / f"{name}.png"))
        self.start = time.monotonic()


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox labelled ``label`` (opened again if a rerun of the
    page closed its list before the option could be clicked)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        box.locator("input").click()
        try:
            choice.click(timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - the list closed; open it again
            page.keyboard.press("Escape")
    raise AssertionError(f"could not pick {option!r} in {label!r}")


def _rename(page, segment_id: int, name: str) -> None:
    segment = page.locator('[data-testid="stExpander"]').filter(has_text=f"Segment {segment_id}:")
    segment.locator("summary").click()
    box = segment.get_by_label("Name", exact=True)
    box.fill(name)
    box.press("Enter")
    page.locator('[data-testid="stExpander"] summary').filter(
        has_text=f"Segment {segment_id}: {name}").wait_for()


def _history_run(path: Path, k: int | str) -> custseg.SegmentationResult:
    """What the page runs once cust_ref is picked (the other roles as detected)."""
    return custseg.segment(path, k=k, transactions=True, customer_col="cust_ref",
                           date_col="purchase_date", quantity_col="units", amount_col="spend")


def _labels_now(page, k: int) -> list[tuple[str, int]]:
    """(name, customers) of each segment on the page, once it shows ``k`` of them."""
    return [(label.split(":", 1)[1].rsplit(" (", 1)[0].strip(),
             int(label.rsplit("(", 1)[1].split()[0].replace(",", "")))
            for label in _wait_for_segments(page, k)]


def test_a_history_mapped_in_the_page_renamed_another_k_and_downloaded(page, tmp_path,
                                                                       docs_shots):
    history = tmp_path / "cd-store.csv"
    lines = _cd_store_history(history)
    steps = Steps(page, docs_shots)
    page.locator('input[type="file"]').set_input_files(str(history))
    warning = page.locator('[data-testid="stAlert"]').filter(
        has_text="Pick the customer id column above")
    warning.wait_for()
    assert "'cust_ref' repeats like a customer id" in warning.inner_text()
    assert page.get_by_role("radio", name="Purchase history (one row per purchase line)"
                            ).is_checked()
    assert page.get_by_text("2. The answer in brief").count() == 0  # nothing ran on a guess
    # the preview shows the ids as written in the file, zeros and all (its cells: the row
    # number, then the file's four columns)
    preview = page.locator('[data-testid="stDataFrame"]').first
    # The grid's cells are a hidden table for screen readers, drawn after the page: wait for
    # this file's first id as written (a stale or typed preview would show 1, not 00001).
    preview.get_by_role("gridcell", name=lines["cust_ref"].iloc[0], exact=True,
                        include_hidden=True).first.wait_for(state="attached", timeout=30_000)
    ids = preview.locator('[role="gridcell"]').all_inner_texts()[1::5]
    assert len(ids) >= 5 and ids == lines["cust_ref"].head(len(ids)).tolist(), ids
    steps.done("1-history-mapping", "What is it?")

    _pick(page, "Customer id column", "cust_ref")
    page.get_by_text("3. The segments").wait_for()
    k = int(page.get_by_label("Number of segments (k)").input_value())
    labels = _wait_for_segments(page, k)
    assert sum(int(x.rsplit("(", 1)[1].split()[0].replace(",", "")) for x in labels) == \
        lines["cust_ref"].nunique()
    # the answer first: customers and revenue as people write them
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    assert any(m.startswith("Customers") and f"{lines['cust_ref'].nunique():,}" in m
               for m in metrics)
    revenue = f"${lines['spend'].sum():,.0f}"  # in the currency the amounts are written in
    assert any(m.startswith("Revenue") and revenue in m for m in metrics), (metrics, revenue)
    steps.done("2-history-answer", "2. The answer in brief")
    steps.done("2-history-segmented", "3. The segments")

    # The same runs, asked of the library: the automatic one (its view of k) and the k to pick
    # from the view, with the segment a typed name will follow there (--align-to matching).
    auto = _history_run(history, "auto")
    assert auto.summary["k"] == k
    view = {row["k"]: row for row in auto.summary["k_alternatives"]}
    other = k + 1 if k + 1 in view else next(x for x in view if x != k)
    there = _history_run(history, other)
    same = carry(auto, {p.id: p.name for p in auto.profiles}, there)
    assert same.was, "no segment of k is the same at the other k: pick another data seed"
    now, then = min(same.was.items())
    steps.start = time.monotonic()  # the two runs above are the test's, not the page's time
    _rename(page, then, "Our best customers")
    steps.done("3-history-renamed", f"Segment {then}: Our best customers")

    # k in business terms: each k's segments, sizes, revenue shares and stability side by side
    card = page.locator('[data-testid="stColumn"]').filter(
        has=page.get_by_role("button", name=f"Show {other} segments"))
    for segment in view[other]["segments"]:
        assert f"{segment['name']}: {segment['customers']:,} customers" in card.inner_text()
    assert "of revenue" in card.inner_text()
    steps.done("4-history-k-view", "Other numbers of segments in business terms")
    card.get_by_role("button", name=f"Show {other} segments").click()
    shown = _labels_now(page, other)
    assert page.get_by_label("Number of segments (k)").input_value() == str(other)
    # that k's segments, the typed name on the segment that is the same, the rest as named
    assert shown == [("Our best customers" if p.id == now else p.name, p.size)
                     for p in there.profiles]
    page.locator('[data-testid="stAlert"]').filter(
        has_text=f"'Our best customers' (segment {then} then, {now} now)").wait_for()
    second = next(p.id for p in there.profiles if p.id != now)
    _rename(page, second, "Second look")  # at the new k too, and into the downloads below
    steps.done("5-history-another-k", "2. The answer in brief")

    saved: dict[str, Path] = {}
    for file in ("segments.csv", "model.json", "report.html", "target list"):
        with page.expect_download() as download:
            page.get_by_role("button", name=f"Download {file}").click()
        saved[file] = tmp_path / download.value.suggested_filename
        download.value.save_as(saved[file])
    segments = pd.read_csv(saved["segments.csv"], dtype={"cust_ref": str})
    assert segments["cust_ref"].is_unique  # every customer once, ids exactly as in the file
    assert set(segments["cust_ref"]) == set(lines["cust_ref"])
    assert segments["segment"].nunique() == other
    assert set(segments.loc[segments["segment"] == second, "segment_name"]) == {"Second look"}
    assert set(segments.loc[segments["segment"] == now, "segment_name"]) == {
        "Our best customers"}
    assert json.loads(saved["model.json"].read_text())["training"]["k"] == other
    assert "Customer segments" in saved["report.html"].read_text()
    targets = pd.read_csv(saved["target list"], dtype={"cust_ref": str})
    assert set(targets["cust_ref"]) <= set(lines["cust_ref"])
    steps.done("6-history-downloads", "4. Take it away")


def test_a_table_whose_id_is_not_detected_is_mapped_in_the_page(page, tmp_path, docs_shots):
    mall = pd.read_csv(custseg.sample_path()).rename(columns={"CustomerID": "shopper_ref"})
    table = tmp_path / "shoppers.csv"
    mall[[*mall.columns[1:], "shopper_ref"]].to_csv(table, index=False)
    steps = Steps(page, docs_shots)
    page.locator('input[type="file"]').set_input_files(str(table))
    page.locator('[data-testid="stAlert"]').filter(
        has_text="'shopper_ref' has a different whole number on every row").wait_for()
    assert page.get_by_role("radio", name="Customer table (one row per customer)").is_checked()
    steps.done("7-table-id-mapping", "What is it?")
    _pick(page, "Customer id column", "shopper_ref")
    page.get_by_text("3. The segments").wait_for()
    k = int(page.get_by_label("Number of segments (k)").input_value())
    labels = _wait_for_segments(page, k)
    assert sum(int(x.rsplit("(", 1)[1].split()[0].replace(",", "")) for x in labels) == 200
    steps.done("8-table-segmented", "3. The segments")
    # A name with dollar signs around a word would be a formula in markdown: shown as typed.
    _rename(page, 0, "$VIP$ club")
    assert page.locator(".katex").count() == 0
