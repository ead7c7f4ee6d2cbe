"""report.html's sections on the segments found: how many, the charts, each segment's card
and the RFM cross table."""

from __future__ import annotations

from typing import Any

from .answer import currency_symbol
from .answer import money as amount
from .k_table import k_table
from .markup import Page, c, chart, e, join
from .svg import human


def choose_k(s: dict[str, Any], page: Page) -> str:
    sel = s["k_selection"]
    out = (f'\n<h2 id="choose-k">How k was chosen</h2>\n<p><b>{e(sel["reason"])}</b><br>'
           f'<span class="muted">Rule: {e(sel["rule"])}.</span></p>\n' + k_table(s) +
           f'<p>Silhouette of the {s["k"]} segments: <b>{s["silhouette"]:.3f}</b> (from -1 to '
           f"1; higher means customers sit closer to their own segment than to the next), on "
           f"{len(s['features'])} features.</p>\n")
    out += "".join(f'<div class="warning">Note: {e(w)}</div>\n'
                   for w in sel.get("warnings") or [])
    if not page.charts.get("chart-k"):
        return out
    with_stability = any(r.get("stability_min") is not None for r in sel["scores"])
    rows = []
    for r in sel["scores"]:
        chosen = r["k"] == s["k"]
        stability = ""
        if with_stability:
            stability = ("<td>-</td>" if r.get("stability_min") is None else
                         f"<td>{r['stability_min']:.2f} / {r['stability_mean']:.2f}</td>")
        opening = '<tr class="chosen">' if chosen else "<tr>"
        rows.append(
            f"{opening}"
            f"<td>{r['k']}{' (chosen)' if chosen else ''}</td><td>{r['silhouette']:.3f}</td>"
            f"{stability}<td>{r['calinski_harabasz']:.1f}</td><td>{r['davies_bouldin']:.3f}</td>"
            f"<td>{human(r['inertia'])}</td><td>{100 * r['smallest_share']:.1f}%</td></tr>")
    head = "<th>stability (least / mean)</th>" if with_stability else ""
    out += chart(page, "chart-k") + f"""<table>
  <tr><th>k</th><th>silhouette</th>{head}<th>Calinski-Harabasz</th><th>Davies-Bouldin</th>
    <th>inertia</th><th>smallest segment</th></tr>
  {chr(10).join(rows)}
</table>
"""
    if with_stability:
        out += ('<p class="muted">Stability: the least stable segment and the mean of all '
                "segments of each k (bootstrap, see <a href=\"#stability\">How stable each "
                "segment is</a>)." + e(skipped_stability(sel)) + "</p>\n")
    if sel["rows_scored"] < s["n_customers"]:
        out += (f'<p class="muted">Scores computed on an order-independent sample of '
                f"{c(sel['rows_scored'])} customers.</p>\n")
    return out


def skipped_stability(sel: dict[str, Any]) -> str:
    """' Not judged for k=2, 3 and 8: ...', or '' when every k was judged."""
    judged = set(sel.get("stability_judged") or [])
    skipped = [r["k"] for r in sel["scores"] if r["k"] not in judged]
    if not judged or not skipped:
        return ""
    return (f" Not judged for k={join([str(k) for k in skipped])}: their silhouettes are too "
            "far below the best for the rule to choose them, and they are not shown beside "
            "the choice, so their bootstrap refits were skipped (custseg choose-k judges "
            "every k).")


def pictures(s: dict[str, Any], page: Page) -> str:
    xlabel, ylabel = page.scatter_axes
    if page.two_features:
        how = ("Each dot is a customer, placed by its two features; crosses mark the segment "
               "centres.")
    else:
        how = ("Each dot is a customer. With more than two features the picture is a "
               f"projection: the horizontal axis is {e(xlabel)}, the vertical axis "
               f"{e(ylabel)}. Segments that overlap here may still be apart in the other "
               "directions.")
    drawn = (f" A random {c(page.scatter_points)} of the {c(s['n_customers'])} customers are "
             "drawn." if s["n_customers"] > page.scatter_points else "")
    out = ('\n<h2 id="map">Customers by segment</h2>\n' + chart(page, "chart-scatter")
           + f'<p class="muted">{how}{drawn} Hover over the dots, bars and cells of the charts '
           "for their figures.</p>\n"
           '\n<h2 id="sizes">Segment sizes</h2>\n' + chart(page, "chart-sizes")
           + '\n<h2 id="profiles">Segment profiles</h2>\n' + chart(page, "chart-profile")
           + '<p class="muted">Colour shows how far a segment\'s average sits from all customers '
           "(red above, blue below, in standard deviations); numbers are the segment "
           "averages.</p>\n")
    return out + _stability(s, page) + _kpis(s, page) + _products(s, page)


def _stability(s: dict[str, Any], page: Page) -> str:
    out = '\n<h2 id="stability">How stable each segment is</h2>\n'
    if not page.charts.get("chart-stability"):
        return out + ('<p id="stability-off">Stability was not measured for this run (bootstrap '
                      "runs set to 0; <code>--stability-runs 50</code> measures it).</p>\n")
    stability = s.get("stability") or {}
    bands = stability.get("labels") or {"stable": 0.85, "fairly stable": 0.75, "weak": 0.6}
    stable, fairly, weak = bands["stable"], bands["fairly stable"], bands["weak"]
    resampled = stability.get("customers_resampled")
    sample = (f" on a sample of {c(resampled)} customers"
              if resampled and resampled < s["n_customers"] else "")
    return out + chart(page, "chart-stability") + f"""<p class="muted">Stability is how
  reliably a segment comes back when the customers are resampled and K-means is fitted again
  ({stability["runs"]} bootstrap runs{sample}, as in Hennig's clusterboot, R package fpc).
  The figure is the mean Jaccard similarity (customers in common over customers in either)
  between the segment and its closest match in each refit: 1 means the same customers every time.
  Hennig's reading: {stable:.2f} or more stable, {fairly:.2f} to {stable:.2f} fairly stable,
  {weak:.2f} to {fairly:.2f} weak (a pattern, but not a firm one), below {weak:.2f} unstable
  (do not build a campaign on it alone).
  A segment too small to appear in the resamples is not measured.</p>
"""


def _kpis(s: dict[str, Any], page: Page) -> str:
    kpis = s.get("kpis") or []
    if not kpis:
        return ""
    first = kpis[0]
    symbol = currency_symbol(s)
    money, orders = "revenue" in first, "orders_per_customer" in first
    recency = "median_recency_days" in first
    head = ("<th>revenue</th><th>share of revenue</th><th>avg order value</th>" if money else
            "") + ("<th>orders per customer</th>" if orders else "") + (
            "<th>median recency (days)</th>" if recency else "")
    rows = []
    for k in kpis:
        cells = [f"<td>{k['segment']}: {e(k['name'])}</td><td>{c(k['customers'])}</td>"
                 f"<td>{100 * k['share']:.1f}%</td>"]
        if money:
            cells.append(f"<td>{e(amount(k['revenue'], symbol))}</td>"
                         f"<td>{100 * (k['revenue_share'] or 0):.1f}%</td>"
                         f"<td>{e(amount(k['avg_order_value'] or 0, symbol, 2))}</td>")
        if orders:
            cells.append(f"<td>{k['orders_per_customer']:.2f}</td>")
        if recency:
            cells.append(f"<td>{k['median_recency_days']:.0f}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('\n<h2 id="kpis">Segment KPIs</h2>\n' + chart(page, "chart-kpis")
            + f"""<table id="kpi-table">
  <tr><th>segment</th><th>customers</th><th>share</th>{head}</tr>
  {chr(10).join(rows)}
</table>
""")


def _products(s: dict[str, Any], page: Page) -> str:
    if not page.charts.get("chart-affinity"):
        return ""
    out = f"""
<h2 id="products">What each segment buys</h2>
<p>Products each segment buys far more than average (affinity index: 100 = as likely as all
customers; {e(s["products"]["affinity_rule"])}). Full lists in affinity.csv; share of spend per
product in product_share.csv.</p>
""" + chart(page, "chart-affinity")
    if page.charts.get("chart-monthly"):
        out += ("<h3>Monthly sales of the top products, by segment (for inventory planning)</h3>\n"
                + chart(page, "chart-monthly"))
    return out


def segments(page: Page) -> str:
    out = ['\n<h2 id="segments">The segments</h2>\n']
    checks = {seg["id"]: seg["play_check"] for seg in page.summary.get("segments", [])
              if "play_check" in seg}
    for p in page.profiles:
        rows = []
        for f in p.features:
            if f.kind == "numeric":
                rows.append(f"<tr><td>{e(f.feature)}</td><td>{human(f.mean)}</td>"
                            f"<td>{human(f.median)}</td><td>{human(f.overall_mean)}</td>"
                            f"<td>{f.z:+.2f}</td></tr>")
            else:
                rows.append(f"<tr><td>{e(f.feature)} = {e(f.level)}</td>"
                            f"<td>{100 * f.share:.0f}%</td><td></td>"
                            f"<td>{100 * f.overall_share:.0f}%</td><td>{f.z:+.2f}</td></tr>")
        play = p.extra["playbook"]
        actions = "".join(f"<li>{e(a)}</li>" for a in play["actions"])
        buys = ""
        if page.affinity_rows.get(p.id):
            products = join([f"{e(r['product'])} ({r['affinity_index']:.0f})"
                              for r in page.affinity_rows[p.id]])
            buys = f"\n  <p><b>Buys more than average:</b>\n    {products}</p>"
        table = "\n    ".join(rows)
        check = (f'\n    <p class="play-check warning"><b>Check the list first:</b> '
                 f'{e(checks[p.id]["note"])}</p>' if p.id in checks else "")
        out.append(f"""<section class="segment" id="segment-{p.id}"
  style="--c: {page.colours[p.id]}">
  <h3>Segment {p.id}: {e(p.name)}</h3>
  <p class="stability-line">Stability: <b>{e(page.segment_stability[p.id])}</b></p>
  <p>{e(p.description)}</p>
  <table>
    <tr><th>feature</th><th>segment average</th><th>segment median</th><th>all customers</th>
      <th>difference (sd)</th></tr>
    {table}
  </table>
  <div class="action"><b>Playbook: {e(play["goal"])}.</b>
    <ul>{actions}</ul>
    <span class="muted">Rule that fired: {e(play["rule"])}.</span>{check}</div>{buys}
</section>
""")
    return "".join(out)


def rfm(s: dict[str, Any], page: Page) -> str:
    rfm = s.get("rfm")
    if not rfm:
        return ""
    money = ", M" if s["transactions"]["money"] else ""
    head = "".join(f"<th>{e(name)}</th>" for name in page.rfm_names)
    rows = []
    for p in page.profiles:
        counts = rfm["by_segment"].get(p.id)
        cells = "".join(f"<td>{c(counts.get(name, 0)) if counts is not None else 0}</td>"
                        for name in page.rfm_names)
        rows.append(f"<tr><td>{p.id}: {e(p.name)}</td>{cells}</tr>")
    return f"""
<h2 id="rfm">Segments and the RFM map</h2>
<p>Each customer also gets R, F{money} scores from 1 to 5 (quintiles) and a name from the
standard RFM map on recency x frequency. The table shows how many customers of each segment fall in
each RFM group.</p>
<table id="rfm-cross">
  <tr><th>segment</th>{head}</tr>
  {chr(10).join(rows)}
</table>
"""
