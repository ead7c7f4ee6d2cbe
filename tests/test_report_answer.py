"""The report opens with the business answer (issue 14): period, customers, revenue in the
run's currency, each segment's share of customers against its share of revenue, its play and
stability in words; the statistics of k come after the segments. Also: the input named by its
file name, zero-spend and zero-quantity lines counted, the currency given or detected."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import custseg
from custseg.datasets.synthetic_history import purchase_history
from custseg.errors import ConfigError
from custseg.report import render_report
from custseg.report.answer import money, percent, period

from .test_report_trust import _element, _text


def _history(path: Path, price_text: str = "{:.2f}", customers: int = 120) -> Path:
    """Two kinds of customers over 2024: regulars (monthly, big baskets) and one-off buyers;
    the first line is free (price 0) and the second has no units (quantity 0)."""
    rng = np.random.default_rng(5)
    rows = []
    for customer in range(customers):
        regular = customer % 2 == 0
        days = rng.choice(360, size=12 if regular else 1, replace=False)
        for day in days:
            price = float(rng.uniform(40, 60) if regular else rng.uniform(5, 10))
            rows.append((f"C{customer}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(day)),
                         2, price))
    lines = pd.DataFrame(rows, columns=["customer_id", "date", "quantity", "price"])
    lines.loc[0, "price"] = 0.0
    lines.loc[1, "quantity"] = 0
    lines["price"] = [price_text.format(p) for p in lines["price"]]
    lines["date"] = lines["date"].dt.strftime("%Y-%m-%d")
    lines.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def euro_run(tmp_path_factory):
    path = _history(tmp_path_factory.mktemp("answer") / "shop_sales.csv")
    result = custseg.segment(path, transactions=True, k=2, stability_runs=5, currency="EUR")
    return path, result, render_report(result)


def test_formats_for_people():
    assert money(1960962.05, "£") == "£1,960,962"
    assert money(1960962.05, "EUR") == "1,960,962 EUR"
    assert money(-1234.4, "$") == "-$1,234"
    assert money(1234.4, None) == "1,234"
    assert money(18.5, "£", 2) == "£18.50"
    assert percent(0.3381) == "34%" and percent(0.004) == "0.4%" and percent(None) == "-"
    assert period("2024-01-01", "2025-12-31") == "1 January 2024 to 31 December 2025 (24 months)"


def test_the_answer_comes_first_and_the_statistics_after_the_segments(euro_run):
    _, _, page = euro_run
    order = ['id="answer"', 'id="answer-segments"', 'id="structure"', 'id="segments"',
             'id="rfm"', 'id="choose-k"', 'id="data"', 'id="history"']
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "How k was chosen" in _text(page[page.index('id="choose-k"'):])


def test_the_answer_gives_period_customers_revenue_and_each_segments_shares(euro_run):
    _, result, page = euro_run
    s = result.summary
    answer = _text(page[page.index('id="answer"'):page.index('id="segments"')]).replace(" :", ":")
    revenue = sum(k["revenue"] for k in s["kpis"])
    quality = s["transactions"]["quality"]
    assert (f"From {period(quality['first_day'], quality['last_day'])}, "
            f"{s['n_customers']:,} customers spent {revenue:,.0f} EUR.") in answer
    table = _element(page, "table", "answer-segments")
    rows = re.findall(r"<tr><td>(.*?)</tr>", table, re.S)
    assert len(rows) == s["k"]
    by_id = {k["segment"]: k for k in s["kpis"]}
    for segment, row in zip(s["segments"], rows, strict=True):
        cells = [_text(cell) for cell in re.split(r"</td><td>", row)]
        kpi = by_id[segment["id"]]
        assert cells[0] == segment["name"]
        assert cells[1] == f"{segment['size']:,}"
        assert cells[2] == percent(segment["share"])
        assert cells[3] == percent(kpi["revenue_share"])
        assert cells[4] == f"{kpi['revenue']:,.0f} EUR"
        goal = segment["extra"]["playbook"]["goal"]
        assert cells[5].replace(" :", ":").startswith(f"{goal}: ")
        assert cells[6].startswith(segment["stability_label"])
    words = _text(_element(page, "p", "stability-words"))
    assert words.startswith("Stability:") and "resampled" in words
    # the headline names the segment bringing the most revenue per customer
    best = max(s["kpis"], key=lambda k: k["revenue_share"] / k["share"])
    assert f"{best['name']}: {percent(best['share'])} of customers" in answer
    assert s["currency"] == {"symbol": "EUR", "source": "given (--currency)"}
    # the KPI table writes money the same way
    kpi_table = _text(_element(page, "table", "kpi-table"))
    for kpi in s["kpis"]:
        assert f"{kpi['revenue']:,.0f} EUR" in kpi_table
        assert f"{kpi['avg_order_value']:,.2f} EUR" in kpi_table


def test_the_report_names_the_file_not_its_folder(euro_run):
    path, _, page = euro_run
    assert "<code>shop_sales.csv</code>" in page
    assert str(path.parent) not in page


def test_zero_spend_and_zero_quantity_lines_are_counted_not_dropped(euro_run):
    _, result, page = euro_run
    quality = result.summary["transactions"]["quality"]
    # the zero-quantity line is worth nothing too: two lines of zero spend, one of no units
    assert quality["zero_amount_lines"] == 2
    assert quality["zero_quantity_lines"] == 1
    assert quality["lines_used"] == quality["lines"]
    table = _text(_element(page, "table", "quality"))
    assert "lines with zero spend 2 kept as read" in table
    assert "lines with zero quantity 1 kept as read" in table


def test_the_currency_is_detected_from_the_amounts(tmp_path):
    path = _history(tmp_path / "pounds.csv", price_text="£{:.2f}", customers=40)
    result = custseg.segment(path, transactions=True, k=2, stability_runs=0)
    lines = result.summary["transactions"]["quality"]["lines"]
    assert result.summary["transactions"]["quality"]["currency_signs"] == {"£": lines}
    assert result.summary["currency"] == {
        "symbol": "£", "source": f"detected: {lines:,} amounts written with £"}
    page = render_report(result)
    revenue = sum(k["revenue"] for k in result.summary["kpis"])
    assert html.escape(f"spent £{revenue:,.0f}.") in page


def test_without_currency_or_signs_amounts_have_no_symbol(tmp_path):
    path = _history(tmp_path / "plain.csv", customers=40)
    result = custseg.segment(path, transactions=True, k=2, stability_runs=0)
    assert result.summary["currency"]["symbol"] is None
    revenue = sum(k["revenue"] for k in result.summary["kpis"])
    assert f"spent {revenue:,.0f}." in render_report(result)


@pytest.mark.parametrize("bad", ["", "  ", "EURO12", "E UR", "toolong"])
def test_a_bad_currency_is_refused_before_reading(bad):
    with pytest.raises(ConfigError, match="currency"):
        custseg.segment("no-such-file.csv", currency=bad)


def test_the_cli_takes_currency(cli, tmp_path):
    path = _history(tmp_path / "h.csv", customers=40)
    out = tmp_path / "out"
    result = cli("segment", str(path), "--transactions", "--k", "2", "--stability-runs", "0",
                 "--currency", "£", "--out", str(out), "-q")
    assert result.code == 0, result.err
    assert '"symbol": "£"' in (out / "summary.json").read_text(encoding="utf-8")


def test_segment_names_are_never_cut_in_the_charts():
    # Eight segments make the profile heat map's columns narrow: names wrap whole onto more
    # lines rather than end in an ellipsis ("0: Average tenure, average sp…").
    lines, _ = purchase_history(3000, seed=1)
    result = custseg.segment(lines, transactions=True, k=8, stability_runs=0)
    page = render_report(result)
    longest = max((p.name for p in result.profiles), key=len)
    assert len(longest) >= 30, longest  # names long enough to have been cut before
    charts = re.findall(r'<div class="chart" id="chart-[a-z]+">.*?</svg>', page, re.S)
    assert charts and not any("…" in chart for chart in charts)


def test_warnings_about_k_sit_in_how_k_was_chosen_not_in_the_answer():
    result = custseg.segment(None, seed=0, stability_runs=0)
    about_k = result.summary["k_selection"]["warnings"]
    assert about_k and set(about_k) <= set(result.summary["warnings"])
    page = render_report(result)
    opening = page[:page.index('id="segments"')]
    how_k = page[page.index('id="choose-k"'):page.index('id="data"')]
    for warning in about_k:
        assert html.escape(warning) not in opening
        assert f"Note: {html.escape(warning)}" in how_k


def test_lists_read_as_a_sentence_says_them():
    from custseg.wording import spoken_list

    assert spoken_list([]) == ""
    assert spoken_list(["recent"]) == "recent"
    assert spoken_list(["3 stable", "1 weak"]) == "3 stable and 1 weak"
    assert spoken_list(["3", "5", "6"], "or") == "3, 5 or 6"
