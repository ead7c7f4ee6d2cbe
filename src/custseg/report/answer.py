"""report.html's opening: the business answer a manager reads first.

The period covered, the customers and their revenue, each segment's share of customers against
its share of revenue, its play and what is at stake, and how far to trust the segments (the
structure verdict and their stability) in words. Every figure is formatted for people:
percentages, thousands separators and the run's currency (summary.json's ``currency``). The
statistics behind the choice of k come later, in "How k was chosen".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..wording import spoken_list
from .markup import K_ALTERNATIVES_ID, c, e, either


def money(value: float, symbol: str | None, decimals: int = 0) -> str:
    """An amount for people: '£1,960,962', '1,960,962 EUR', or '1,960,962' without a currency."""
    figure = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 else ""
    if not symbol:
        return sign + figure
    if symbol.isalpha() and len(symbol) > 1:
        return f"{sign}{figure} {symbol}"  # a code follows the amount: 1,234 EUR
    return f"{sign}{symbol}{figure}"


def percent(share: float | None) -> str:
    """A share as people read it: 34%, or 0.4% below one per cent."""
    if share is None:
        return "-"
    value = 100 * share
    return f"{value:.1f}%" if 0 < value < 1 else f"{value:.0f}%"


def period(first: str, last: str) -> str:
    """'3 January 2014 to 30 December 2015 (24 months)'."""
    try:
        start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except ValueError:
        return f"{first} to {last}"
    months = round(((end - start).days + 1) / 30.44)
    length = f"{months} months" if months >= 2 else f"{(end - start).days + 1} days"
    return f"{_day(start)} to {_day(end)} ({length})"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def currency_symbol(s: dict[str, Any]) -> str | None:
    """The currency the run's money is shown in (``--currency`` or detected), if any."""
    return (s.get("currency") or {}).get("symbol")


def total_revenue(s: dict[str, Any]) -> float | None:
    """All customers' revenue, the segments' revenue summed; None without a money column."""
    kpis = s.get("kpis") or []
    if not any(k.get("revenue") is not None for k in kpis):
        return None
    return float(sum(k["revenue"] for k in kpis))


def covered(s: dict[str, Any]) -> str | None:
    """'1 January 1997 to 13 June 1998 (17 months)' for a history; None for a customer table."""
    quality = (s.get("transactions") or {}).get("quality")
    return period(quality["first_day"], quality["last_day"]) if quality else None


def lead(s: dict[str, Any]) -> str:
    """One sentence: who, how many, how much, in how many segments."""
    when, revenue = covered(s), total_revenue(s)
    text = (f"From {when}, {c(s['n_customers'])} customers" if when
            else f"{c(s['n_customers'])} customers")
    text += (f" spent {money(revenue, currency_symbol(s))}." if revenue is not None else
             " were segmented (the history has no money column, so revenue is not known)."
             if when else " were segmented.")
    return text + f" They fall into {s['k']} segments."


def best_segment(s: dict[str, Any]) -> dict[str, Any] | None:
    """The KPIs of the segment that brings the most revenue per customer (None without money):
    the headline of the answer, in the report and the app."""
    kpis = [k for k in s.get("kpis") or [] if k.get("revenue_share") is not None]
    return max(kpis, key=lambda k: k["revenue_share"] / k["share"]) if kpis else None


def answer(s: dict[str, Any]) -> str:
    """The section "The answer in brief" (id ``answer``)."""
    symbol = currency_symbol(s)
    kpis = {k["segment"]: k for k in s.get("kpis") or []}
    revenue = total_revenue(s)
    with_money = revenue is not None
    when = covered(s)
    figures = [f'<div class="figure"><b>{c(s["n_customers"])}</b>customers</div>']
    if revenue is not None:
        figures.append(f'<div class="figure"><b>{e(money(revenue, symbol))}</b>revenue</div>')
    if when:
        figures.append(f'<div class="figure"><b>{e(when.split(" (")[-1].rstrip(")"))}</b>'
                       f"of purchases</div>")
    figures.append(f'<div class="figure"><b>{s["k"]}</b>segments</div>')
    out = (f'\n<h2 id="answer">The answer in brief</h2>\n<p class="lead">{e(lead(s))}</p>\n'
           f'<div class="figures">\n  ' + "\n  ".join(figures) + "\n</div>\n")
    best = best_segment(s)
    if best is not None:
        out += (f'<p class="headline"><b>{e(best["name"])}</b>: {percent(best["share"])} of '
                f"customers ({c(best['customers'])}) bring {percent(best['revenue_share'])} "
                f"of revenue ({e(money(best['revenue'], symbol))}).</p>\n")
    out += _segment_table(s, kpis, symbol, with_money)
    others = [row["k"] for row in s.get("k_alternatives") or [] if row["k"] != s["k"]]
    if others:
        out += (f'<p class="muted">With {either(others)} segments instead: see '
                f'<a href="#{K_ALTERNATIVES_ID}">Other k in business terms</a>.</p>\n')
    return out + _trust(s)


def _segment_table(s: dict[str, Any], kpis: dict[int, dict[str, Any]], symbol: str | None,
                   with_money: bool) -> str:
    money_head = ("<th>share of revenue</th><th>revenue at stake</th>" if with_money else "")
    rows = []
    for seg in s["segments"]:
        k = kpis.get(seg["id"], {})
        play = seg["extra"]["playbook"]
        check = (f'<br><span class="play-check-brief">Check: {e(seg["play_check"]["note"])}'
                 "</span>" if "play_check" in seg else "")
        money_cells = (f"<td>{percent(k.get('revenue_share'))}</td>"
                       f"<td>{e(money(k.get('revenue') or 0, symbol))}</td>" if with_money
                       else "")
        rows.append(
            f'<tr><td><a href="#segment-{seg["id"]}">{e(seg["name"])}</a></td>'
            f"<td>{c(seg['size'])}</td><td>{percent(seg['share'])}</td>{money_cells}"
            f"<td><b>{e(play['goal'])}</b>: {e(play['actions'][0])}{check}</td>"
            f"<td>{e(seg['stability_label'])}</td></tr>")
    return (f'<table id="answer-segments">\n  <tr><th>segment</th><th>customers</th>'
            f"<th>share of customers</th>{money_head}<th>play</th><th>stability</th></tr>\n  "
            + "\n  ".join(rows) + "\n</table>\n")


def _trust(s: dict[str, Any]) -> str:
    """How far to trust the segments: the structure verdict and their stability, in words."""
    structure = s.get("structure")
    out = ""
    if structure:
        fig = structure["figures"]
        kind = "clustered" if structure["clustered"] else "continuum"
        headline = ("Natural groups: the segments follow real gaps between customers."
                    if structure["clustered"] else "A continuum: segments still cut it into "
                    "useful ranges for targeting; borders are drawn, not found.")
        out += f"""
<div id="structure" class="structure {kind}">
  <p><b>{headline}</b></p>
  <p>{e(structure["verdict"])}</p>
  <p class="muted">Method: {e(structure["method"])}. Key figures: best k={fig["best_k"]},
    gap gain over k=1 {fig["gain_over_k1"]:+.3f} ({fig["references"]} reference data sets,
    {c(fig["customers_checked"])} customers checked).</p>
</div>
"""
    return out + f'<p id="stability-words">{e(stability_words(s))}</p>\n'


def stability_words(s: dict[str, Any]) -> str:
    """'3 of 5 segments are stable and 2 fairly stable: they come back ...'."""
    if not (s.get("stability") or {}).get("runs"):
        return ("Stability was not measured for this run, so nothing says yet whether the "
                "segments would come back with other customers of the same kind.")
    order = ("stable", "fairly stable", "weak", "unstable", "not measured")
    labels = [seg["stability_label"] for seg in s["segments"]]
    counts = [(word, labels.count(word)) for word in order if labels.count(word)]
    if len(counts) == 1:
        said = (f"both segments are {counts[0][0]}" if len(labels) == 2 else
                f"all {len(labels)} segments are {counts[0][0]}")
    else:
        parts = [f"{n} {word}" for word, n in counts]
        said = f"of {len(labels)} segments, {spoken_list(parts)}"
    text = (f"Stability: {said} when the customers are resampled and the segments fitted "
            "again.")
    shaky = [seg["name"] for seg in s["segments"] if seg["stability_label"] in ("weak",
                                                                              "unstable")]
    if shaky:
        text += (" Do not build a campaign on " + ", ".join(f"'{n}'" for n in shaky)
                 + " alone: " + ("it does" if len(shaky) == 1 else "they do")
                 + " not come back reliably.")
    else:
        text += " Each comes back reliably: a campaign built on any of them rests on firm ground."
    return text
