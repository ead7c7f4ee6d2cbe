"""The report tells the analyst how far to trust the segments (issue 11): the structure verdict,
each segment's bootstrap stability, stability per k, and what each feature means. No browser."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

import custseg
from custseg.report import render_report


def _element(page: str, tag: str, element_id: str) -> str:
    """The inner HTML of the ``<tag id=element_id ...>`` element (no nested ``tag`` inside)."""
    match = re.search(rf'<{tag}\b[^>]*\bid="{element_id}"[^>]*>(.*?)</{tag}>', page, re.S)
    assert match, f"no <{tag} id={element_id}>"
    return match.group(1)


def _opening_tag(page: str, element_id: str) -> str:
    match = re.search(rf'<[a-z0-9]+\b[^>]*\bid="{element_id}"[^>]*>', page)
    assert match, element_id
    return match.group(0)


def _svg_size(page: str, element_id: str) -> tuple[float, float]:
    """Width and height of the inline SVG chart in ``<div id=element_id>``."""
    svg = ET.fromstring(_element(page, "div", element_id))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    return float(svg.get("width", 0)), float(svg.get("height", 0))


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.fixture(scope="module")
def mall():
    result = custseg.segment(None, k=6, seed=0)
    return result, render_report(result)


@pytest.fixture(scope="module")
def mall_auto():
    result = custseg.segment(None, seed=0)
    return result, render_report(result)


@pytest.fixture(scope="module")
def mall_no_stability():
    result = custseg.segment(None, seed=0, stability_runs=0)
    return result, render_report(result)


def test_structure_box_comes_first_with_verdict_explanation_and_figures(mall):
    result, page = mall
    structure = result.summary["structure"]
    assert structure["clustered"]
    assert 'class="structure clustered"' in _opening_tag(page, "structure")
    box = _text(_element(page, "div", "structure"))
    assert structure["verdict"] in box
    assert "segments follow real gaps" in box
    assert "continuum" not in box
    figures = structure["figures"]
    assert structure["method"] in box
    assert f"best k={figures['best_k']}" in box
    assert f"{figures['gain_over_k1']:+.3f}" in box
    # in the opening answer, right after the headline figures, long before the data section
    assert page.index('class="figures"') < page.index('id="structure"') < page.index('id="data"')


def test_every_segment_card_shows_its_stability_word_and_figure(mall):
    result, page = mall
    segments = result.summary["segments"]
    assert len(segments) == 6
    for segment in segments:
        card = _text(_element(page, "section", f"segment-{segment['id']}"))
        assert segment["stability"] is not None
        expected = f"{segment['stability_label']} ({segment['stability']:.2f})"
        assert f"Stability: {expected}" in card, card[:200]


def test_stability_section_has_the_chart_and_explains_the_number(mall):
    result, page = mall
    width, height = _svg_size(page, "chart-stability")
    assert width > 300 and height > 100
    section = page[page.index('id="stability"'):page.index("<h2", page.index('id="stability"'))]
    text = _text(section)
    runs = result.summary["stability"]["runs"]
    assert runs == 50
    assert f"{runs} bootstrap runs" in text
    assert "Hennig" in text and "clusterboot" in text and "Jaccard" in text
    for threshold in ("0.85", "0.75", "0.60"):
        assert threshold in text
    assert "not measured for this run" not in page


def test_roles_table_lists_every_feature_with_its_role_and_meaning(mall):
    from custseg.roles import ROLES

    result, page = mall
    roles = result.summary["roles"]
    table = _element(page, "div", "roles")
    assert "What each feature means" in table
    rows = re.findall(r"<tr><td><code>(.*?)</code></td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    found = {html.unescape(f): (r, html.unescape(d)) for f, r, d in rows}
    assert set(result.summary["features"]) <= set(found)
    for feature, role in roles.items():
        assert found[feature] == (role, ROLES[role])


def test_k_table_and_chart_carry_stability_when_k_is_chosen(mall_auto, mall_no_stability):
    result, page = mall_auto
    selection = result.summary["k_selection"]
    assert selection["scores"]
    section = page[page.index('id="choose-k"'):page.index('id="data"')]
    assert "<th>stability (least / mean)</th>" in section
    judged = [row for row in selection["scores"] if row["k"] in selection["stability_judged"]]
    assert judged and len(judged) < len(selection["scores"])
    for row in judged:
        assert f"{row['stability_min']:.2f} / {row['stability_mean']:.2f}" in section
    skipped = [str(row["k"]) for row in selection["scores"] if row not in judged]
    assert f"Not judged for k={', '.join(skipped)}:" in section
    chosen = re.search(r'<tr class="chosen">(.*?)</tr>', section, re.S)
    assert chosen and f"<td>{result.summary['k']} (chosen)</td>" in chosen.group(1)
    assert html.escape(selection["rule"]) in section
    assert html.escape(selection["reason"]) in section
    # the stability panel makes the k chart taller than the same chart without stability
    _, with_panel = _svg_size(page, "chart-k")
    _, without_panel = _svg_size(mall_no_stability[1], "chart-k")
    assert with_panel > without_panel * 1.3


def test_without_stability_the_report_says_so_and_draws_no_stability_chart(mall_no_stability):
    result, page = mall_no_stability
    assert result.summary["stability"]["runs"] == 0
    assert 'id="stability"' in page
    assert "Stability was not measured for this run" in page
    assert 'id="chart-stability"' not in page
    assert "stability (least / mean)" not in page
    for segment in result.summary["segments"]:
        card = _text(_element(page, "section", f"segment-{segment['id']}"))
        assert "Stability: not measured" in card


def test_a_single_gaussian_cloud_reads_as_a_continuum(tmp_path):
    rng = np.random.default_rng(7)
    cloud = pd.DataFrame(rng.normal(size=(600, 3)), columns=["spend", "visits", "tenure_days"])
    cloud.insert(0, "customer_id", range(1, 601))
    path = tmp_path / "cloud.csv"
    cloud.to_csv(path, index=False)
    result = custseg.segment(str(path), k=4, seed=0)
    assert not result.summary["structure"]["clustered"]
    page = render_report(result)
    assert 'class="structure continuum"' in _opening_tag(page, "structure")
    box = _text(_element(page, "div", "structure"))
    assert "A continuum: segments still cut it into useful ranges for targeting" in box
    assert "borders are drawn, not found" in box
    assert "segments follow real gaps" not in box
    assert result.summary["structure"]["verdict"] in box


def test_report_ids_are_unique_and_charts_are_inline_svg(mall):
    _, page = mall
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert {"structure", "stability", "chart-stability", "roles"} <= set(ids)
    charts = re.findall(r'<div class="chart" id="(chart-[a-z]+)">', page)
    assert set(charts) >= {"chart-scatter", "chart-sizes", "chart-profile", "chart-stability"}
    for chart in charts:
        assert _svg_size(page, chart)[0] > 300, chart
    # nothing to fetch: no images, scripts or links to elsewhere
    assert "<img" not in page and "<script" not in page and "http" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
