"""report.html, written with f-strings: the page's head, the data and history sections and the
method notes; ``findings`` writes the sections on the segments.

Plain Python rather than a template engine: importing and compiling a Jinja template cost more
than drawing every chart, and the report has to be ready in well under half a second. Every
value from the data goes through ``e`` (names, columns and products are typed by users); the
charts arrive as SVG markup that ``svg`` has already escaped text by text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import findings
from .answer import answer, currency_symbol
from .checks import history_checks
from .markup import Page, c, code_list, e, join

CSS = """
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
         max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
  h1 { margin-bottom: .2em; }
  h2 { border-bottom: 2px solid #eee; padding-bottom: .2em; margin-top: 2em; }
  .muted { color: #666; font-size: .9em; }
  .figures { display: flex; gap: 1em; flex-wrap: wrap; }
  .figure { background: #f5f7fa; border-radius: 8px; padding: .7em 1.1em; min-width: 9em; }
  .figure b { display: block; font-size: 1.5em; }
  table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
  th, td { border-bottom: 1px solid #e3e3e3; padding: .3em .7em; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  tr.chosen { background: #fff1e6; font-weight: 600; }
  .chart { margin: .6em 0; }
  .chart svg { display: block; max-width: 100%; height: auto; }
  .segment { border: 1px solid #e3e3e3; border-left: 8px solid var(--c); border-radius: 6px;
             padding: .4em 1.1em 1em; margin: 1.2em 0; page-break-inside: avoid; }
  .action { background: #eef7ee; border-radius: 6px; padding: .5em .8em; }
  #quality td:last-child, #quality th:last-child { text-align: left; }
  .warning { background: #fff7e0; border-left: 4px solid #e0a800; padding: .4em .8em;
             margin: .4em 0; }
  .structure { border-radius: 8px; padding: .6em 1.1em; margin: 1em 0;
               border-left: 6px solid #4477aa; background: #eef3fa; }
  .structure.continuum { border-left-color: #8a8a8a; background: #f4f4f4; }
  .structure p { margin: .3em 0; }
  .stability-line { margin: .2em 0 .5em; }
  #roles td, #roles th { text-align: left; }
  .k-alternatives td, .k-alternatives th { text-align: left; vertical-align: top; }
"""


def render(page: Page) -> str:
    s = page.summary
    # The business answer first; how k was chosen and how the data was read come after the
    # segments, for the analyst.
    parts = [_head(s, page.generated), answer(s), _warnings(s), findings.segments(page),
             findings.pictures(s, page), findings.rfm(s, page), findings.choose_k(s, page),
             _data(s, page.roles), _history(s), _method()]
    return "".join(parts)


def _head(s: dict[str, Any], generated: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Customer segments: {s["k"]} segments of {c(s["n_customers"])} customers</title>
<style>{CSS}</style>
</head>
<body>
<h1>Customer segments</h1>
<p class="muted">Generated {generated} by custseg {e(s["custseg_version"])} from
  <code>{e(file_name(s["input"]["source"]))}</code>. Method: K-means (k-means++ with restarts,
  seed {s["seed"]}).</p>
"""


def _warnings(s: dict[str, Any]) -> str:
    """The run's warnings, but those about choosing k: "How k was chosen" shows them."""
    about_k = set(s["k_selection"].get("warnings") or [])
    return "".join(f'<div class="warning">Note: {e(w)}</div>\n' for w in s["warnings"]
                   if w not in about_k)


def file_name(source: str) -> str:
    """The input's file name without the folders it sat in (a server's path is nobody's
    business in a report that travels): '/srv/uploads/x/sales.csv' -> 'sales.csv'."""
    return re.split(r"[\\/]", source.rstrip("\\/"))[-1] or source


def _data(s: dict[str, Any], roles: Sequence[tuple[str, str, str]]) -> str:
    q = s["data_quality"]
    missing = q["missing"]
    log = ""
    if q["log1p"]:
        log = (f";\n      {code_list(q['log1p'])} log-transformed first because "
               f"{'it is' if len(q['log1p']) == 1 else 'they are'} skewed")
    if missing["rows_affected"]:
        filled = ("they were filled with the column's median (numbers) or most common value "
                  "(categories)." if missing["policy"] == "impute" else
                  "those rows were left out.")
        by_column = join([f"{e(col)}: {n}" for col, n in missing["by_column"].items()])
        missing_text = (f"{missing['rows_affected']} row(s) had missing values ({by_column}); "
                        f"{filled}")
    else:
        missing_text = "none."
    items = [
        f"<li>Read as: {e(s['input']['read_as'])}.</li>",
        f"<li>{c(q['rows_read'])} rows read, {c(q['rows_used'])} customers used; customer id "
        f"column: <code>{e(s['id_column'])}</code>.</li>",
        f"<li>Features used: {code_list(s['features'])}.\n      Numeric features are "
        "standardised (mean 0, standard deviation 1) so that no feature dominates by its units"
        f"{log}.\n      Categorical features become one indicator column per value, weighted so "
        "that a different category counts as much as one standard deviation.</li>",
        f"<li>Missing values: {missing_text}</li>"]
    if q.get("missing_tokens"):
        tokens = join([f"<code>{e(col)}</code>: {n}" for col, n in q["missing_tokens"].items()])
        items.append("<li>Cells written as a missing-value token (NA, N/A, null, None, nan, -, "
                     f"#N/A) were read as missing:\n      {tokens}.</li>")
    if q["constant_columns_dropped"]:
        items.append("<li>Dropped because every customer has the same value: "
                     f"{e(', '.join(q['constant_columns_dropped']))}.</li>")
    items += [f"<li>Not used: <code>{e(col)}</code> ({e(why)}).</li>"
              for col, why in q["columns_not_used"].items()]
    items += [f"<li>{e(note)}.</li>" for note in q["notes"]]
    items += [f'<li class="kept-out">Not used to name segments or choose their plays: '
              f"<code>{e(kept['feature'])}</code>, because {e(kept['reason'])}. Its figures "
              "stay in the tables.</li>"
              for kept in (s.get("names_guard") or {}).get("kept_out", [])]
    out = ('\n<h2 id="data">The data and how it was cleaned</h2>\n<ul>\n  '
           + "\n  ".join(items) + "\n</ul>\n")
    if roles:
        rows = "\n  ".join(f"<tr><td><code>{e(feature)}</code></td><td>{e(role)}</td>"
                           f"<td>{e(meaning)}</td></tr>" for feature, role, meaning in roles)
        out += f"""
<div id="roles">
<h3>What each feature means</h3>
<p class="muted">Names, descriptions and playbooks read a feature's role, not its column name.</p>
<table>
  <tr><th>feature</th><th>role</th><th>what the role means</th></tr>
  {rows}
</table>
</div>
"""
    return out


def _history(s: dict[str, Any]) -> str:
    t = s.get("transactions")
    if not t:
        return ""
    tq = t["quality"]
    read = ""
    if tq.get("date_order"):
        formats = f" ({join(tq['date_formats'])})" if tq.get("date_formats") else ""
        read = f"; dates read {e(tq['date_order'])}{e(formats)}"
    columns = join([f"{e(role)} = <code>{e(col)}</code>" for role, col in t["columns"].items()
                     if col])
    notes = "".join(f'<div class="warning">Note: {e(n)}.</div>\n' for n in t["notes"])

    rows = [f"<tr><td>{e(check)}</td><td>{c(lines)}</td><td>{e(done)}</td></tr>"
            for check, lines, done in history_checks(tq, currency_symbol(s))]
    table = "\n  ".join(rows)
    return f"""
<h3 id="history">The purchase history</h3>
<p>{c(tq["lines"])} purchase lines from {e(tq["first_day"])} to {e(tq["last_day"])};
  features computed as of <b>{e(t["as_of"])}</b> for {c(tq["customers"])} customers
  from {c(tq["lines_used"])} lines{read}. Columns used:
  {columns}.</p>
{notes}<table id="quality">
  <tr><th>data quality check</th><th>lines</th><th>what was done</th></tr>
  {table}
</table>
<p class="muted">Features per customer: {e(", ".join(t["features_computed"]))} (definitions in
  the README); all are in features.csv and segments.csv.</p>
"""


def _method() -> str:
    return """
<h2 id="method">Method notes</h2>
<p class="muted">K-means groups customers so that each is closer (Euclidean distance on the prepared
features) to its segment's centre than to any other. Segments are numbered by size, largest first,
so the numbers do not change between runs. Names come from the features on which a segment's average
is at least 0.5 standard deviations above ("high") or below ("low") all customers, except features
that barely vary (a standard deviation under a month for day counts, or under 5% of the mean):
those name nothing and choose no play. The silhouette
measures how much closer customers are to their own segment than to the next one.</p>
</body>
</html>
"""

