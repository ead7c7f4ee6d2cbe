"""The commands that segment: ``custseg segment`` and ``custseg choose-k``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .options import (
    AmountCol,
    AsOf,
    Currency,
    CustomerCol,
    DateCol,
    DateFormat,
    Decimal,
    Delimiter,
    Encoding,
    EngineOpt,
    Features,
    HeaderRow,
    IdCol,
    InputArg,
    KMax,
    KMin,
    KOpt,
    Log1p,
    Missing,
    OrderCol,
    PriceCol,
    ProductCol,
    QuantityCol,
    Quiet,
    Seed,
    Sheet,
    SparkConf,
    SparkMaster,
    StabilityRuns,
    Timings,
    Transactions,
    app,
    data_options,
    engine_options,
    history_options,
    print_warnings,
    progress_steps,
    read_options,
    stderr,
    stdout,
)


@app.command()
def segment(
    input: InputArg = None, id_col: IdCol = None, features: Features = None, k: KOpt = "auto",
    k_min: KMin = 2, k_max: KMax = 10, seed: Seed = 0, missing: Missing = "impute",
    log1p: Log1p = None, encoding: Encoding = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("custseg-output"),
    quiet: Quiet = False, transactions: Transactions = False, customer_col: CustomerCol = None,
    date_col: DateCol = None, amount_col: AmountCol = None, quantity_col: QuantityCol = None,
    price_col: PriceCol = None, order_col: OrderCol = None, product_col: ProductCol = None,
    as_of: AsOf = None, date_format: DateFormat = None,
    align_to: Annotated[Path | None, typer.Option(
        "--align-to", help="An earlier run's model.json: matching segments keep their ids and "
        "names; new and vanished segments are reported.")] = None,
    engine: EngineOpt = "local", spark_master: SparkMaster = None, spark_conf: SparkConf = None,
    delimiter: Delimiter = None, decimal: Decimal = None, sheet: Sheet = None,
    header_row: HeaderRow = None, stability_runs: StabilityRuns = 50,
    role: Annotated[list[str] | None, typer.Option(
        "--role", help="What a feature column means, COLUMN=ROLE (repeat for more): recency, "
        "frequency, interval, monetary, order_value, tenure, breadth, returns, capacity, age, "
        "engagement or other. Detected from the names if omitted.")] = None,
    timings: Timings = False, currency: Currency = None,
) -> None:
    """Segment customers and write segments.csv, model.json, summary.json and report.html
    (and features.csv for a purchase history)."""
    from ..dialect import ReadOptions
    from ..early_read import EarlyRead
    from ..engines import warm_up

    read = read_options(encoding, delimiter, decimal, sheet, header_row)
    where = engine_options(engine, spark_master, spark_conf)
    # The slow starts begin while the modelling code below is imported: a customer table's
    # read (``early_read``) and Spark's JVM (``engines.warm_up``).
    early = None if transactions else EarlyRead(input, ReadOptions(**read), id_col)
    warm_up(where["engine"], where["spark_master"], where["spark_conf"])

    from ..options import SegmentOptions
    from ..outdir import check_writable
    from ..pipeline import run
    from ..roles import parse_role_options
    from ..timings import record

    history = history_options(transactions, customer_col, date_col, amount_col, quantity_col,
                              price_col, order_col, product_col, as_of, date_format)
    options = data_options(input, id_col, features, k, k_min, k_max, seed, missing, log1p,
                           read, history)
    check_writable(out)  # a bad --out fails before the work, not after
    options["align_to"] = align_to
    options["stability_runs"] = stability_runs
    options["currency"] = currency
    options["roles"] = parse_role_options(role or [])
    options.update(where)
    data = options.pop("data")
    chosen = SegmentOptions(**options)
    with record() as spent, progress_steps(quiet, total=6 + max(k_max - k_min, 0)) as step:
        result = run(early or data, chosen, on_progress=step)
        if step:
            step("write report")
        result.save(out)
    print_warnings(result.warnings)
    if timings:
        print_timings(spent)
    s = result.summary
    table = Table(title=f"{s['k']} segments of {s['n_customers']:,} customers "
                        f"(silhouette {s['silhouette']:.3f})", title_justify="left")
    for column in ("id", "name", "customers", "share", "stability"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for seg in s["segments"]:
        table.add_row(str(seg["id"]), seg["name"], f"{seg['size']:,}", f"{seg['share']:.1%}",
                      stability_cell(seg))
    stdout.print(table)
    stdout.print(f"Structure: {s['structure']['verdict']}", soft_wrap=True)
    if s["input"]["dialect"]["guessed"]:
        stdout.print(f"Read as: {s['input']['read_as']}", soft_wrap=True)
    if s["k_selection"]["scores"]:
        stdout.print(f"Why k={s['k']}: {s['k_selection']['reason']}", soft_wrap=True)
    stdout.print(f"Report: {out / 'report.html'}", soft_wrap=True)


def print_timings(spent: Any) -> None:
    """One line on stderr: seconds per stage and in all (start-up before the run excluded)."""
    parts = [f"{name} {seconds:.2f} s" for name, seconds in spent.ordered()]
    total = sum(spent.seconds.values())
    stderr.print(f"custseg: timings: {', '.join(parts)}; total {total:.2f} s", markup=False,
                 soft_wrap=True)


def stability_cell(segment: dict[str, Any]) -> str:
    """A segment's stability figure and label, for a table cell."""
    if segment["stability"] is None:
        return segment["stability_label"]
    return f"{segment['stability']:.2f} {segment['stability_label']}"


def _stability_figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


@app.command("choose-k")
def choose_k(
    input: InputArg = None, id_col: IdCol = None, features: Features = None,
    k_min: KMin = 2, k_max: KMax = 10, seed: Seed = 0, missing: Missing = "impute",
    log1p: Log1p = None, encoding: Encoding = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    quiet: Quiet = False, transactions: Transactions = False, customer_col: CustomerCol = None,
    date_col: DateCol = None, amount_col: AmountCol = None, quantity_col: QuantityCol = None,
    price_col: PriceCol = None, order_col: OrderCol = None, product_col: ProductCol = None,
    as_of: AsOf = None, date_format: DateFormat = None,
    delimiter: Delimiter = None, decimal: Decimal = None, sheet: Sheet = None,
    header_row: HeaderRow = None,
    engine: EngineOpt = "local", spark_master: SparkMaster = None, spark_conf: SparkConf = None,
    stability_runs: StabilityRuns = 50,
) -> None:
    """Score every k in a range and recommend one, saying why. Writes nothing."""
    from ..options import SegmentOptions
    from ..pipeline import run

    history = history_options(transactions, customer_col, date_col, amount_col, quantity_col,
                              price_col, order_col, product_col, as_of, date_format)
    options = data_options(input, id_col, features, "auto", k_min, k_max, seed, missing, log1p,
                           read_options(encoding, delimiter, decimal, sheet, header_row), history)
    options.update(engine_options(engine, spark_master, spark_conf))
    options["stability_runs"] = stability_runs
    options["stability_ks"] = "all"  # a diagnosis of every k, not only those the rule can pick
    data = options.pop("data")
    chosen = SegmentOptions(**options)
    with progress_steps(quiet or as_json, total=5 + max(k_max - k_min, 0)) as step:
        result = run(data, chosen, on_progress=step)
    selection = result.summary["k_selection"]
    if as_json:
        sys.stdout.write(json.dumps(selection, indent=2) + "\n")
        return
    print_warnings(result.warnings)
    table = Table(title=f"Choosing k for {result.summary['n_customers']:,} customers",
                  title_justify="left")
    for column in ("k", "silhouette", "stability", "Calinski-Harabasz",
                   "Davies-Bouldin", "inertia", "smallest"):
        table.add_column(column, justify="right")
    for row in selection["scores"]:
        mark = " *" if row["k"] == selection["recommended"] else ""
        table.add_row(f"{row['k']}{mark}", f"{row['silhouette']:.3f}",
                      f"{_stability_figure(row['stability_min'])}/"
                      f"{_stability_figure(row['stability_mean'])}",
                      f"{row['calinski_harabasz']:.1f}", f"{row['davies_bouldin']:.3f}",
                      f"{row['inertia']:,.1f}", f"{row['smallest_share']:.1%}")
    stdout.print(table)
    if selection["stability_judged"]:
        stdout.print("stability: least stable segment / mean of all segments (bootstrap "
                     "Jaccard; 0.85 stable, 0.75 fairly stable, 0.6 weak)", soft_wrap=True)
    stdout.print(f"Structure: {result.summary['structure']['verdict']}", soft_wrap=True)
    stdout.print(f"Recommended k={selection['recommended']}: {selection['reason']}",
                 soft_wrap=True)
    stdout.print(f"Rule: {selection['rule']}.", soft_wrap=True)
