"""The report's charts (inline SVG, issue 13): well-formed, complete, consistent, escaped and
deterministic, with no matplotlib. No browser: tests/e2e/test_report_browser.py draws them."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import custseg
from custseg.report import charts, render_report, svg

NS = {"s": "http://www.w3.org/2000/svg"}
GROCERIES = Path(__file__).parent / "data" / "groceries.csv"


def _chart(page: str, chart_id: str) -> ET.Element:
    """The parsed ``<svg>`` of ``<div class="chart" id=chart_id>`` (fails if not XML)."""
    match = re.search(rf'<div class="chart" id="{chart_id}">(<svg\b.*?</svg>)</div>', page, re.S)
    assert match, f"no inline SVG in #{chart_id}"
    return ET.fromstring(match.group(1))


def _legend(chart: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in chart.iterfind(".//s:g[@class='legend']//s:text", NS)]


def _hovers(chart: ET.Element, tag: str) -> list[str]:
    return [m.findtext("s:title", "", NS) for m in chart.iterfind(f".//s:{tag}", NS)
            if m.find("s:title", NS) is not None]


def _without_timestamp(page: str) -> str:
    return re.sub(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d", "Generated -", page)


@pytest.fixture(scope="module")
def table():
    result = custseg.segment(None, seed=0)
    return result, render_report(result)


@pytest.fixture(scope="module")
def history():
    result = custseg.segment(GROCERIES, transactions=True)
    return result, render_report(result)


def test_no_matplotlib_is_imported_to_render_a_report():
    code = ("import sys, custseg; from custseg.report import render_report; "
            "render_report(custseg.segment(None, k=3, stability_runs=5)); "
            "print(sorted(m for m in ('matplotlib', 'jinja2') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert run.stdout.strip() == "[]", run.stderr[-2000:]


def test_every_chart_is_well_formed_svg_with_a_size(table, history):
    for _, page in (table, history):
        ids = re.findall(r'<div class="chart" id="(chart-[a-z]+)">', page)
        for chart_id in ids:
            chart = _chart(page, chart_id)
            width, height = float(chart.get("width", 0)), float(chart.get("height", 0))
            assert width >= 300 and height >= 80, chart_id
            assert chart.get("viewBox") == f"0 0 {chart.get('width')} {chart.get('height')}"
    assert {"chart-kpis", "chart-affinity", "chart-monthly"} <= set(
        re.findall(r'id="(chart-[a-z]+)"', history[1]))


def test_the_chosen_k_is_marked_on_every_index_panel_and_the_stability_panel(table):
    result, page = table
    k = result.summary["k"]
    chart = _chart(page, "chart-k")
    marks = [c for c in chart.iterfind(".//s:circle[@class='chosen']", NS)]
    assert len(marks) == 5  # four indices and the stability panel
    assert all(m.findtext("s:title", "", NS).startswith(f"chosen k={k}:") for m in marks)
    # each mark stands over its panel's tick labelled k
    ticks = {round(float(t.get("x")), 1) for t in chart.iterfind(".//s:text", NS)
             if t.text == str(k)}
    assert all(round(float(m.get("cx")), 1) in ticks for m in marks)
    assert f"chosen k={k}" in _legend(chart)
    scores = result.summary["k_selection"]["scores"]
    hovers = _hovers(chart, "circle")
    for row in scores:
        assert f"k={row['k']}: silhouette {row['silhouette']:.3f}" in hovers
        if row["stability_min"] is not None:  # None: not judged, no mark
            assert f"k={row['k']}: least stable segment {row['stability_min']:.2f}" in hovers
        else:
            assert not any(h.startswith(f"k={row['k']}: least stable") for h in hovers)
    words = {"".join(t.itertext()) for t in chart.iterfind(".//s:text", NS)}
    assert {"unstable", "weak", "fairly stable", "stable"} <= words  # Hennig's bands


def test_legends_name_every_segment_once_in_its_own_colour(table, history):
    for result, page in (table, history):
        names = [f"{p.id}: {p.name}" for p in result.profiles]
        scatter = _chart(page, "chart-scatter")
        legend = _legend(scatter)
        assert legend == [*names, "segment centre"]
        assert len(set(legend)) == len(legend)
        entries = scatter.findall(".//s:g[@class='entry']", NS)[:len(names)]
        colours = [e.find("s:circle", NS).get("fill") for e in entries]
        assert colours == [charts.colour(i) for i in range(len(names))]
        paths = scatter.findall(".//s:path[@class='points']", NS)
        assert [p.get("stroke") for p in paths] == colours
        bars = [r for r in _chart(page, "chart-sizes").iterfind(".//s:rect", NS)
                if r.find("s:title", NS) is not None]
        assert [b.get("fill") for b in bars] == colours
        for profile, colour in zip(result.profiles, colours, strict=True):
            assert f'id="segment-{profile.id}"\n  style="--c: {colour}"' in page
    monthly = _legend(_chart(history[1], "chart-monthly"))
    assert len(monthly) == len(set(monthly)) and set(monthly) <= {
        f"{p.id}: {p.name}" for p in history[0].profiles}


def test_marks_carry_their_figures_for_people(table, history):
    result, page = table
    sizes = _hovers(_chart(page, "chart-sizes"), "rect")
    total = sum(p.size for p in result.profiles)
    assert sizes == [f"{p.id}: {p.name}: {p.size:,} customers ({p.size / total:.1%})"
                     for p in result.profiles]
    cells = _hovers(_chart(page, "chart-profile"), "rect")
    assert len(cells) == len(result.profiles) * len(result.profiles[0].features)
    assert all(" sd from all customers)" in c for c in cells)
    kpis = _hovers(_chart(history[1], "chart-kpis"), "rect")
    for kpi in history[0].summary["kpis"]:
        assert f"{kpi['segment']}: {kpi['name']}: {100 * kpi['share']:.1f}% share of " \
               "customers" in kpis
    assert all("units" in h for h in _hovers(_chart(history[1], "chart-monthly"), "circle"))
    assert all("affinity index" in h for h in _hovers(_chart(history[1], "chart-affinity"),
                                                        "rect"))


def _all_charts_parse(page: str) -> int:
    ids = re.findall(r'<div class="chart" id="(chart-[a-z]+)">', page)
    for chart_id in ids:
        _chart(page, chart_id)
    return len(ids)


def test_segment_names_are_text_never_markup(history):
    result = custseg.segment(None, k=4, seed=0, stability_runs=5).renamed(
        {0: "<script>alert(1)</script>", 1: "A & B", 2: 'Say "hi" \x07', 3: "Ünïcode 名前"})
    page = render_report(result)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert _all_charts_parse(page) >= 5
    legend = _legend(_chart(page, "chart-scatter"))
    assert legend[:4] == ["0: <script>alert(1)</script>", "1: A & B", '2: Say "hi" ',
                          "3: Ünïcode 名前"]
    assert "<h3>Segment 1: A &amp; B</h3>" in page
    page = render_report(history[0].renamed({0: "<b>bold</b> & 'so'"}))
    assert "<b>bold" not in page and _all_charts_parse(page) == 8
    assert "0: <b>bold</b> & 'so'" in _legend(_chart(page, "chart-monthly"))


def test_same_result_gives_the_same_bytes(table):
    result, page = table
    again = custseg.segment(None, seed=0)
    assert _without_timestamp(render_report(again)) == _without_timestamp(page)
    # coordinates are written to 0.1 px: no long floats in the charts
    assert not re.search(r'="-?\d+\.\d{2,}"', page)


def test_the_scatter_draws_at_most_a_sample_of_customers():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(20_000, 2))
    labels = rng.integers(0, 3, size=20_000)
    chart = ET.fromstring(charts.scatter_chart(points, labels, ["a", "b", "c"], "x", "y",
                                               None, seed=1))
    drawn = sum(p.get("d").count("M") for p in chart.iterfind(".//s:path[@class='points']",
                                                              NS))
    assert drawn == charts.SCATTER_POINTS
    assert _legend(chart) == ["0: a", "1: b", "2: c"]  # no centres, no centre entry


def test_monthly_chart_draws_months_without_sales_as_zero():
    monthly = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-02-01"]),
                            "segment": [0, 0, 1], "product": ["milk", "milk", "milk"],
                            "units": [3.0, 5.0, 2.0]})
    chart = ET.fromstring(charts.monthly_chart(monthly, {0: "Zero", 1: "One"}))
    hovers = _hovers(chart, "circle")
    assert len(hovers) == 2 * 4  # two segments over January to April
    assert "milk, 0: Zero, 2024-02: 0 units" in hovers
    assert "milk, 1: One, 2024-02: 2 units" in hovers
    assert _legend(chart) == ["0: Zero", "1: One"]


def test_migration_chart_for_compare():
    counts = pd.DataFrame([[8, 2], [0, 5]], index=["0: A", "1: <B>"], columns=["0: A", "left"])
    shares = counts.div(counts.sum(axis=1), axis=0)
    chart = ET.fromstring(charts.migration_svg(shares, counts))
    assert "from 0: A to 0: A: 80% (8 customers)" in _hovers(chart, "rect")
    assert "1: <B>" in {"".join(t.itertext()) for t in chart.iterfind(".//s:text", NS)}
    uri = charts.migration_chart(shares, counts)  # compare.html's <img src>
    assert base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode() == \
        charts.migration_svg(shares, counts)


def test_many_segments_get_distinct_colours():
    colours = [charts.colour(i) for i in range(40)]
    assert len(set(colours)) == 40
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)


@pytest.mark.parametrize(("value", "text"), [(0.0, "0"), (-0.04, "0"), (12.25, "12.2"),
                                             (12.35, "12.3"), (3.0, "3"), (-7.96, "-8"),
                                             (1234.56, "1234.6")])
def test_coordinates_are_written_the_same_way_everywhere(value, text):
    assert svg.num(value) == text


def test_ticks_cover_the_data_and_read_as_numbers():
    ticks = svg.nice_ticks(0, 45_300)
    assert ticks[0] == 0 and ticks[-1] >= 45_300 and len(ticks) <= 7
    assert [svg.tick_format(ticks)(t) for t in ticks][-1] == "50,000"
    assert [svg.tick_format([0.0, 0.25])(t) for t in (0.0, 0.25)] == ["0.00", "0.25"]
    assert svg.esc('<a href="x">&\x00') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert svg.fit("a very long segment name indeed", 60, 11).endswith("…")
    assert svg.text_width("Wide", 11) > svg.text_width("iiii", 11)


def test_stability_chart_writes_not_measured_instead_of_a_bar():
    chart = ET.fromstring(charts.stability_chart(["Big", "Tiny"], [0.91, None],
                                                 ["stable", "not measured"]))
    texts = {"".join(t.itertext()) for t in chart.iterfind(".//s:text", NS)}
    assert {"stable (0.91)", "not measured", "0: Big", "1: Tiny"} <= texts
    bars = [h for h in _hovers(chart, "rect") if h.startswith(("0:", "1:"))]
    assert bars == ["0: Big: stable (0.91)"]


def test_legend_entries_cut_alike_show_where_they_differ():
    from custseg.report import svg

    common = "Customers who bought the autumn catalogue's garden furniture and " * 3
    entries = [svg.Entry("dot", "#111", common + "then lapsed"),
               svg.Entry("dot", "#222", common + "then came back"),
               svg.Entry("dot", "#333", "short")]
    parts, _ = svg.legend(entries, 10, 6, 400)
    texts = [re.sub(r"<[^>]+>", "", part) for part in parts if "<text" in part]
    assert len(set(texts)) == 3
    assert texts[2] == "short"
    assert texts[0].startswith("…") and texts[0].endswith("then lapsed")
    assert texts[1].startswith("…") and texts[1].endswith("then came back")
    assert all(svg.text_width(text, 11) <= 400 - 30 for text in texts)
