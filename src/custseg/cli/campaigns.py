"""The commands that act on segments: ``export``, ``uplift``, ``compare`` and ``recommend``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .options import Decimal, Delimiter, Encoding, HeaderRow, Sheet, app, read_options, stdout


@app.command()
def compare(
    old: Annotated[Path, typer.Argument(help="segments.csv of the earlier run.")],
    new: Annotated[Path, typer.Argument(help="segments.csv of the later run.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("custseg-compare"),
) -> None:
    """Migration between two runs: matrix (counts, shares), per-customer moves, an HTML page."""
    from ..compare import compare as run
    from ..compare import write

    comparison = run(old, new)
    write(comparison, out)
    t = comparison.totals
    stdout.print(f"{sum(t.values()):,} customers: {t['stayed']:,} stayed, {t['moved']:,} moved, "
                 f"{t['new']:,} new, {t['left']:,} left", soft_wrap=True)
    stdout.print(f"Page: {out / 'compare.html'}", soft_wrap=True)


@app.command()
def export(
    segments: Annotated[Path, typer.Option("--segments", help="The --out folder of custseg "
                                           "segment (or its segments.csv).")],
    segment: Annotated[str, typer.Option("--segment", help="Segment id or name.")],
    out: Annotated[Path, typer.Option("--out", help="Output .csv or .parquet.")],
    holdout: Annotated[str, typer.Option("--holdout", help="Share kept as control group, e.g. "
                                         "10% (0% for none).")] = "10%",
    salt: Annotated[str, typer.Option("--salt", help="Salt of the id hash; change it for a new, "
                                      "independent split.")] = "custseg",
) -> None:
    """A segment's customers as a target list, split into target and control groups."""
    from .. import io
    from ..targeting import target_list

    io.check_output_file(out)
    listed = target_list(segments, segment, holdout, salt)
    io.write_table(out, listed)
    counts = listed["group"].value_counts()
    stdout.print(f"{len(listed):,} customers of segment {listed['segment'].iloc[0]} "
                 f"'{listed['segment_name'].iloc[0]}': {counts.get('target', 0):,} target, "
                 f"{counts.get('control', 0):,} control -> {out}", soft_wrap=True)


@app.command()
def uplift(
    results: Annotated[Path, typer.Argument(help="Campaign results: customer, group "
                                            "(target/control), responded (0/1) or revenue.")],
    group_col: Annotated[str | None, typer.Option("--group-col", help="Group column (default "
                                                  "'group').")] = None,
    outcome_col: Annotated[str | None, typer.Option(
        "--outcome-col", help="Outcome column (default: responded/response/converted or "
        "revenue).")] = None,
    segments: Annotated[Path | None, typer.Option(
        "--segments", help="A custseg --out folder: read out per segment too.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the read-out as CSV.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    encoding: Encoding = None, delimiter: Delimiter = None, decimal: Decimal = None,
    sheet: Sheet = None, header_row: HeaderRow = None,
) -> None:
    """Response (or revenue) per group, uplift with a 95% interval and p-value, and a verdict."""
    import pandas as pd

    from .. import io
    from ..uplift import read_out, with_segments

    if out is not None:
        io.check_output_file(out)
    frame = io.read_table(results, **read_options(encoding, delimiter, decimal, sheet,
                                                  header_row), first_column_is_id=True)
    segment_col = None
    if segments is not None:
        frame, segment_col = with_segments(frame, segments)
    readouts = read_out(frame, group_col, outcome_col, segment_col)
    rows = [r.to_dict() for r in readouts]
    if out is not None:
        io.write_table(out, pd.DataFrame(rows))
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table_view = Table(title=f"Campaign read-out ({readouts[-1].measure})", title_justify="left")
    for column in ("scope", "target", "control", "uplift", "95% CI", "p"):
        table_view.add_column(column, justify="left" if column == "scope" else "right")
    binary = readouts[-1].measure == "response rate"
    fmt = (lambda v: f"{v:.1%}") if binary else (lambda v: f"{v:,.2f}")
    for r in readouts:
        table_view.add_row(f"{r.scope} (n={r.n_target:,}/{r.n_control:,})", fmt(r.target),
                           fmt(r.control), fmt(r.uplift), f"{fmt(r.ci_low)} to {fmt(r.ci_high)}",
                           f"{r.p_value:.3g}")
    stdout.print(table_view)
    for r in readouts:
        stdout.print(f"{r.scope}: {r.verdict}", soft_wrap=True)


@app.command()
def recommend(
    segments: Annotated[Path, typer.Option("--segments", help="The --out folder of custseg "
                                           "segment --transactions.")],
    transactions: Annotated[Path, typer.Option("--transactions", help="The purchase history.")],
    out: Annotated[Path, typer.Option("--out", help="Output .csv or .parquet.")],
    top: Annotated[int, typer.Option("--top", help="Products per customer.")] = 10,
    encoding: Encoding = None, delimiter: Delimiter = None, decimal: Decimal = None,
) -> None:
    """For each customer, products they have not bought that customers like them buy."""
    from .. import io
    from ..dialect import ReadOptions
    from ..recommend import recommend as run

    io.check_output_file(out)
    recs = run(segments, transactions, top=top,
               options=ReadOptions(**read_options(encoding, delimiter, decimal, None, None)))
    io.write_table(out, recs)
    stdout.print(f"{len(recs):,} recommendations for {recs.iloc[:, 0].nunique():,} customers "
                 f"-> {out}", soft_wrap=True)
