"""How customers moved between two segmentations: the migration matrix, per-customer moves, a page.

Rows are the old segments plus "(new customer)" for ids only in the new run; columns are the new
segments plus "(left)" for ids only in the old run. Counts and row shares (where each old
segment's customers went).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import io
from .errors import DataError

NEW_CUSTOMER = "(new customer)"
LEFT = "(left)"


@dataclass
class Comparison:
    counts: pd.DataFrame
    shares: pd.DataFrame
    moves: pd.DataFrame
    id_column: str

    @property
    def totals(self) -> dict[str, int]:
        status = self.moves["status"].value_counts()
        return {name: int(status.get(name, 0)) for name in ("stayed", "moved", "new", "left")}


def _label(segment: object, name: object) -> str:
    return f"{int(segment)}: {name}"  # type: ignore[call-overload]


def compare(old_path: str | os.PathLike[str], new_path: str | os.PathLike[str]) -> Comparison:
    old, new = io.read_segments(old_path), io.read_segments(new_path)
    id_column = str(old.columns[0])
    if str(new.columns[0]) != id_column:
        raise DataError(f"the id columns differ ('{id_column}' and '{new.columns[0]}'); compare "
                        "two runs on the same customers")
    left = old[[id_column, "segment", "segment_name"]].rename(
        columns={"segment": "old_segment", "segment_name": "old_segment_name"})
    right = new[[id_column, "segment", "segment_name"]].rename(
        columns={"segment": "new_segment", "segment_name": "new_segment_name"})
    moves = left.merge(right, on=id_column, how="outer", sort=True)
    in_old, in_new = moves["old_segment"].notna(), moves["new_segment"].notna()
    moves["status"] = "moved"
    moves.loc[in_old & in_new & (moves["old_segment"] == moves["new_segment"]), "status"] = "stayed"
    moves.loc[~in_old, "status"] = "new"
    moves.loc[~in_new, "status"] = "left"
    for column in ("old_segment", "new_segment"):
        moves[column] = moves[column].astype("Int64")
    rows = [_label(s, n) for s, n in
            old[["segment", "segment_name"]].drop_duplicates().sort_values("segment").to_numpy()]
    cols = [_label(s, n) for s, n in
            new[["segment", "segment_name"]].drop_duplicates().sort_values("segment").to_numpy()]
    row_of = [(_label(s, n) if pd.notna(s) else NEW_CUSTOMER)
              for s, n in zip(moves["old_segment"], moves["old_segment_name"], strict=True)]
    col_of = [(_label(s, n) if pd.notna(s) else LEFT)
              for s, n in zip(moves["new_segment"], moves["new_segment_name"], strict=True)]
    counts = pd.crosstab(pd.Series(row_of, name="from"), pd.Series(col_of, name="to"))
    counts = counts.reindex(index=rows + [NEW_CUSTOMER], columns=cols + [LEFT], fill_value=0)
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0, 1), axis=0).round(6)
    return Comparison(counts, shares, moves, id_column)


def write(comparison: Comparison, out: str | os.PathLike[str]) -> Path:
    """migration_counts.csv, migration_shares.csv, moves.csv and compare.html in ``out``.

    Staged and swapped in like ``custseg segment``'s outputs (see ``outdir``): a failure leaves
    ``out`` as it was; files of a segment run in the same folder are kept.
    """
    from . import outdir
    from .report.charts import migration_chart

    out = outdir.check_writable(out)
    page = _page(comparison, migration_chart(comparison.shares, comparison.counts))
    with outdir.staged(out, command="compare") as staging:
        io.write_table(staging / "migration_counts.csv", comparison.counts.reset_index())
        io.write_table(staging / "migration_shares.csv", comparison.shares.reset_index())
        io.write_table(staging / "moves.csv", comparison.moves)
        io.write_text(staging / "compare.html", page)
    return out


def _table(frame: pd.DataFrame, percent: bool) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        f"<tr><th>{html.escape(str(idx))}</th>" + "".join(
            f"<td>{v:.0%}</td>" if percent else f"<td>{int(v):,}</td>" for v in row) + "</tr>"
        for idx, row in zip(frame.index, frame.to_numpy(), strict=True))
    return f"<table><tr><th>from / to</th>{head}</tr>{body}</table>"


def _page(comparison: Comparison, chart: str) -> str:
    t = comparison.totals
    total = sum(t.values())
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Segment migration</title><style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; font-size: .9em; margin: 1em 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: right; }}
img {{ max-width: 100%; }}</style></head><body>
<h1>How customers moved between segments</h1>
<p>{total:,} customers: {t['stayed']:,} stayed in their segment, {t['moved']:,} moved,
{t['new']:,} are new and {t['left']:,} left.</p>
<img id="chart-migration" src="{chart}" alt="Share of each old segment going to each new one">
<h2>Shares (each row sums to 100%)</h2>{_table(comparison.shares, True)}
<h2>Customers</h2>{_table(comparison.counts, False)}
<p>Per-customer moves are in moves.csv.</p></body></html>
"""
