"""The report's "Other k in business terms" table: the run's k beside its neighbours.

One row per k (summary.json's ``k_alternatives``), its segments largest first, each as its name
over "share of customers / share of revenue" and its stability in Hennig's words. So a reader
sees what one segment fewer or one or two more would mean for the business before the
statistics that chose k. Nothing is drawn when k was given (no sweep, nothing to compare).
"""

from __future__ import annotations

from typing import Any

from .. import stability
from .answer import percent
from .markup import K_ALTERNATIVES_ID, c, e, either


def k_table(s: dict[str, Any]) -> str:
    """The subsection with the table, or "" when ``k_alternatives`` is empty."""
    rows = s.get("k_alternatives") or []
    if not rows:
        return ""
    with_money = any("revenue_share" in seg for row in rows for seg in row["segments"])
    widest = max(len(row["segments"]) for row in rows)
    head = "".join(f"<th>{'largest segment' if i == 0 else f'segment {i + 1}'}</th>"
                   for i in range(widest))
    body = []
    for row in rows:
        chosen = row["k"] == s["k"]
        cells = [_cell(seg, with_money) for seg in row["segments"]]
        cells += ["<td></td>"] * (widest - len(cells))
        opening = '<tr class="chosen">' if chosen else "<tr>"
        body.append(f"{opening}<td>{row['k']}{' (chosen)' if chosen else ''}</td>"
                    + "".join(cells) + "</tr>")
    figures = ("customers · share of customers / share of revenue" if with_money
               else "customers · share of customers (no money in the data, so no revenue)")
    return (f'<h3 id="{K_ALTERNATIVES_ID}">Other k in business terms</h3>\n'
            f"<p>What {either([row['k'] for row in rows])} segments would mean: each "
            f"segment's name, {figures}, and "
            "how stable it is. Neighbours are the same sweep's fits with every customer "
            "assigned to the nearest centre, named by the same rules.</p>\n"
            f'<table class="k-alternatives">\n  <tr><th>k</th>{head}</tr>\n  '
            + "\n  ".join(body) + "\n</table>\n")


def _cell(segment: dict[str, Any], with_money: bool) -> str:
    figures = f'{c(segment["customers"])} · {percent(segment["share"])}'
    if with_money:
        figures += " / " + percent(segment.get("revenue_share"))
    value = segment.get("stability")
    steadiness = "stability not measured" if value is None else stability.label(value)
    return (f'<td><b>{e(segment["name"])}</b><br>'
            f'<span class="muted">{figures}; {steadiness}</span></td>')

