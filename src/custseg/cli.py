"""The ``custseg`` command: thin commands that parse options, call the library and print.

Errors the library raises on purpose become one line on stderr and exit code 2; anything else is
exit code 1 with a one-line message (set CUSTSEG_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import ConfigError, CustsegError, param_error

app = typer.Typer(
    name="custseg", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False, rich_markup_mode=None,
    help="Segment customers with K-means and turn the segments into decisions.",
)
stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)

# Shared options: every command spells an option the same way.
InputArg = Annotated[Path | None, typer.Argument(
    help="Customer table: .csv, .tsv, .parquet, .xlsx or .jsonl. Omit for the built-in sample.",
    show_default=False)]
IdCol = Annotated[str | None, typer.Option("--id-col", help="Customer id column (detected if "
                                           "omitted).")]
Features = Annotated[str | None, typer.Option(
    "--features", help="Comma-separated feature columns (default: numeric and low-cardinality "
    "categorical columns except the id).")]
KOpt = Annotated[str, typer.Option("--k", help="Number of segments, or 'auto' to choose.")]
KMin = Annotated[int, typer.Option("--k-min", help="Smallest k tried by --k auto.")]
KMax = Annotated[int, typer.Option("--k-max", help="Largest k tried by --k auto.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed; same data and seed give the "
                                   "same segments.")]
Missing = Annotated[str, typer.Option("--missing", help="Missing values: impute "
                                      "(median/most common), drop (leave the rows out) or error.")]
Log1p = Annotated[str | None, typer.Option(
    "--log1p", help="log1p before scaling: none, auto (skewed columns) or a comma-separated "
    "list. Default: none for customer tables, skewed money/count features for histories.",
    show_default=False)]
Encoding = Annotated[str | None, typer.Option("--encoding", help="Text encoding of CSV/TSV/JSON "
                                              "input, e.g. latin-1 (default utf-8).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
Delimiter = Annotated[str | None, typer.Option(
    "--delimiter", help="Field separator of CSV/TSV input: ',' ';' '|' or tab (detected if "
    "omitted).", show_default=False)]
Decimal = Annotated[str | None, typer.Option(
    "--decimal", help="Decimal separator of numbers: '.' or ',' (detected from the values if "
    "omitted).", show_default=False)]
Sheet = Annotated[str | None, typer.Option("--sheet", help="Excel: sheet name or number "
                                           "(default: the first).", show_default=False)]
HeaderRow = Annotated[int | None, typer.Option(
    "--header-row", help="Line (CSV) or row (Excel) of the header, 1 for the first; title "
    "lines above it are skipped (detected if omitted).", show_default=False)]
EngineOpt = Annotated[str, typer.Option("--engine", help="local (scikit-learn, DuckDB) or spark "
                                       "(extra [spark]).")]
SparkMaster = Annotated[str | None, typer.Option("--spark-master", help="Spark master URL "
                                                 "(default local[*]).")]
SparkConf = Annotated[list[str] | None, typer.Option("--spark-conf", help="Spark setting "
                                                     "key=value; repeat for more.")]
StabilityRuns = Annotated[int, typer.Option(
    "--stability-runs", help="Bootstrap refits that judge each segment's stability (0: off).")]
Transactions = Annotated[bool, typer.Option(
    "--transactions", help="INPUT is a purchase history (one row per purchase line): compute "
    "per-customer features (recency, frequency, spend...) and RFM scores first.")]
CustomerCol = Annotated[str | None, typer.Option("--customer-col", help="History: customer id "
                                                 "column (detected if omitted).")]
DateCol = Annotated[str | None, typer.Option("--date-col", help="History: purchase date column.")]
AmountCol = Annotated[str | None, typer.Option("--amount-col", help="History: line amount "
                                               "column (else quantity x price).")]
QuantityCol = Annotated[str | None, typer.Option("--quantity-col", help="History: quantity "
                                                 "column.")]
PriceCol = Annotated[str | None, typer.Option("--price-col", help="History: unit price column.")]
OrderCol = Annotated[str | None, typer.Option("--order-col", help="History: order/invoice id "
                                              "column (else one order per customer and day).")]
ProductCol = Annotated[str | None, typer.Option("--product-col", help="History: product column.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="History: reference date YYYY-MM-DD "
                                          "(default: the day after the last purchase).")]
DateFormat = Annotated[str | None, typer.Option("--date-format", help="History: strptime "
                                                "format of the dates, e.g. '%d/%m/%Y' "
                                                "(detected if omitted).")]


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [part.strip() for part in text.split(",") if part.strip()]
    return items or None


def parse_k(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise param_error("k", "an int in [2, 50] or 'auto'", text) from None


def parse_log1p(text: str | None) -> str | list[str] | None:
    if text is None:
        return None
    return text if text in ("none", "auto") else (_split(text) or "none")


def _data_options(input: Path | None, id_col: str | None, features: str | None, k: str,
                  k_min: int, k_max: int, seed: int, missing: str, log1p: str | None,
                  read: dict[str, Any], history: dict[str, Any]) -> dict[str, Any]:
    return {"data": input, "id_col": id_col, "features": _split(features), "k": parse_k(k),
            "k_min": k_min, "k_max": k_max, "seed": seed, "missing": missing,
            "log1p": parse_log1p(log1p), **read, **history}


def _read(encoding: str | None, delimiter: str | None, decimal: str | None,
          sheet: str | None, header_row: int | None) -> dict[str, Any]:
    """How to read the input file; validated here so a typo fails before any work."""
    from .dialect import ReadOptions

    ReadOptions(encoding=encoding, delimiter=delimiter, decimal=decimal, sheet=sheet,
                header_row=header_row)
    return {"encoding": encoding, "delimiter": delimiter, "decimal": decimal, "sheet": sheet,
            "header_row": header_row}


def parse_conf(items: list[str] | None) -> dict[str, str]:
    conf = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--spark-conf '{item}' is not key=value; e.g. "
                              "--spark-conf spark.executor.memory=4g")
        conf[key.strip()] = value.strip()
    return conf


def _engine(engine: str, master: str | None, conf: list[str] | None) -> dict[str, Any]:
    if engine not in ("local", "spark"):
        raise param_error("engine", "'local' or 'spark'", engine)
    if engine == "local" and (master or conf):
        raise ConfigError("--spark-master and --spark-conf need --engine spark")
    return {"engine": engine, "spark_master": master, "spark_conf": parse_conf(conf)}


def _history(transactions: bool, customer_col: str | None, date_col: str | None,
             amount_col: str | None, quantity_col: str | None, price_col: str | None,
             order_col: str | None, product_col: str | None, as_of: str | None,
             date_format: str | None) -> dict[str, Any]:
    options = {"customer_col": customer_col, "date_col": date_col, "amount_col": amount_col,
               "quantity_col": quantity_col, "price_col": price_col, "order_col": order_col,
               "product_col": product_col, "as_of": as_of, "date_format": date_format}
    if not transactions:
        used = [f"--{k.replace('_', '-')}" for k, v in options.items() if v is not None]
        if used:
            raise ConfigError(f"{', '.join(used)}: apply only to purchase histories; add "
                              "--transactions")
        return {}
    return {"transactions": True, **options}


@contextmanager
def progress_steps(quiet: bool, total: int) -> Iterator[Any]:
    """A progress bar on a terminal (stderr), nothing when piped or --quiet."""
    if quiet or not stderr.is_terminal:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description:<14}"), BarColumn(),
                  TimeElapsedColumn(), console=stderr, transient=True) as bar:
        task = bar.add_task("starting", total=total)

        def step(label: str) -> None:
            bar.update(task, description=label, advance=1)
            bar.refresh()  # steps can be quicker than the refresh tick; show each one

        yield step


def _print_warnings(lines: list[str]) -> None:
    for line in lines:
        stderr.print(f"custseg: warning: {line}", markup=False, soft_wrap=True)


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
) -> None:
    """Segment customers and write segments.csv, model.json, summary.json and report.html
    (and features.csv for a purchase history)."""
    from .outdir import check_writable
    from .pipeline import segment as run
    from .roles import parse_role_options

    history = _history(transactions, customer_col, date_col, amount_col, quantity_col,
                       price_col, order_col, product_col, as_of, date_format)
    options = _data_options(input, id_col, features, k, k_min, k_max, seed, missing, log1p,
                            _read(encoding, delimiter, decimal, sheet, header_row), history)
    check_writable(out)  # a bad --out fails before the work, not after
    options["align_to"] = align_to
    options["stability_runs"] = stability_runs
    options["roles"] = parse_role_options(role or [])
    options.update(_engine(engine, spark_master, spark_conf))
    with progress_steps(quiet, total=6 + max(k_max - k_min, 0)) as step:
        result = run(**options, on_progress=step)
        if step:
            step("write report")
        result.save(out)
    _print_warnings(result.warnings)
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


def stability_cell(segment: dict[str, Any]) -> str:
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
    from .pipeline import segment as run

    history = _history(transactions, customer_col, date_col, amount_col, quantity_col,
                       price_col, order_col, product_col, as_of, date_format)
    options = _data_options(input, id_col, features, "auto", k_min, k_max, seed, missing, log1p,
                            _read(encoding, delimiter, decimal, sheet, header_row), history)
    options.update(_engine(engine, spark_master, spark_conf))
    options["stability_runs"] = stability_runs
    with progress_steps(quiet or as_json, total=5 + max(k_max - k_min, 0)) as step:
        result = run(**options, on_progress=step)
    selection = result.summary["k_selection"]
    if as_json:
        sys.stdout.write(json.dumps(selection, indent=2) + "\n")
        return
    _print_warnings(result.warnings)
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
    if selection["scores"] and selection["scores"][0]["stability_min"] is not None:
        stdout.print("stability: least stable segment / mean of all segments (bootstrap "
                     "Jaccard; 0.85 stable, 0.75 fairly stable, 0.6 weak)", soft_wrap=True)
    stdout.print(f"Structure: {result.summary['structure']['verdict']}", soft_wrap=True)
    stdout.print(f"Recommended k={selection['recommended']}: {selection['reason']}",
                 soft_wrap=True)
    stdout.print(f"Rule: {selection['rule']}.", soft_wrap=True)


@app.command()
def score(
    input: Annotated[Path, typer.Argument(help="Customers to score (same formats as segment), "
                                          "or a purchase history for a history-trained model.")],
    model: Annotated[Path, typer.Option("--model", help="model.json written by custseg segment.")],
    out: Annotated[Path | None, typer.Option("--out", help="Output .csv or .parquet (default: "
                                             "CSV on stdout).")] = None,
    encoding: Encoding = None,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows read and scored at a "
                                            "time; memory does not grow with the file.")]
    = 100_000,
    as_of: AsOf = None,
    engine: EngineOpt = "local", spark_master: SparkMaster = None, spark_conf: SparkConf = None,
    delimiter: Delimiter = None, decimal: Decimal = None, sheet: Sheet = None,
    header_row: HeaderRow = None, quiet: Quiet = False,
) -> None:
    """Assign customers to the segments of a saved model, streaming large files in chunks."""
    from .dialect import ReadOptions
    from .persist import load_model
    from .score import score_file

    if chunk_rows < 1:
        raise param_error("chunk_rows", "an int >= 1", chunk_rows)
    fitted = load_model(model)
    if out is not None:
        from .io import check_output_file

        check_output_file(out)
    if as_of and fitted.input_.get("kind") != "transactions":
        raise ConfigError("--as-of applies only to models trained on a purchase history")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = score_file(fitted, input, out, chunk_rows=chunk_rows, as_of=as_of,
                          options=ReadOptions(**_read(encoding, delimiter, decimal, sheet,
                                                      header_row)),
                          **_engine(engine, spark_master, spark_conf))
    _print_warnings(sorted({str(w.message) for w in caught}))
    if out is not None and not quiet:
        stderr.print(f"Scored {rows:,} customers into {out}", soft_wrap=True)


@app.command()
def serve(
    model: Annotated[Path, typer.Option("--model", help="model.json written by custseg segment.")],
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
) -> None:
    """Serve a model over HTTP: /healthz, /v1/model, /v1/score, docs at /docs (extra [serve])."""
    from .persist import load_model

    fitted = load_model(model)  # a bad model file refuses to start, with one line
    import uvicorn

    from .serve import create_app

    stderr.print(f"Serving {model} on http://{host}:{port} (docs at /docs); Ctrl-C stops",
                 soft_wrap=True)
    uvicorn.run(create_app(fitted), host=host, port=port, log_level="warning",
                access_log=False)


@app.command()
def compare(
    old: Annotated[Path, typer.Argument(help="segments.csv of the earlier run.")],
    new: Annotated[Path, typer.Argument(help="segments.csv of the later run.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("custseg-compare"),
) -> None:
    """Migration between two runs: matrix (counts, shares), per-customer moves, an HTML page."""
    from .compare import compare as run
    from .compare import write

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
    from . import io
    from .targeting import target_list

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

    from . import io
    from .uplift import read_out

    if out is not None:
        io.check_output_file(out)
    frame = io.read_table(results, **_read(encoding, delimiter, decimal, sheet, header_row),
                          first_column_is_id=True)
    segment_col = None
    if segments is not None:
        table = io.read_segments(segments)
        key = str(table.columns[0])
        if key not in frame.columns:
            raise ConfigError(f"results lack the id column '{key}' of {segments}; name it so")
        frame = frame.drop(columns=["segment", "segment_name"], errors="ignore").merge(
            table[[key, "segment", "segment_name"]], on=key, how="left")
        frame["segment_label"] = [f"{s}: {n}" if pd.notna(s) else "not segmented"
                                  for s, n in zip(frame["segment"], frame["segment_name"],
                                                  strict=True)]
        segment_col = "segment_label"
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
    from . import io
    from .dialect import ReadOptions
    from .recommend import recommend as run

    io.check_output_file(out)
    recs = run(segments, transactions, top=top,
               options=ReadOptions(**_read(encoding, delimiter, decimal, None, None)))
    io.write_table(out, recs)
    stdout.print(f"{len(recs):,} recommendations for {recs.iloc[:, 0].nunique():,} customers "
                 f"-> {out}", soft_wrap=True)


@app.command()
def generate(
    customers: Annotated[int, typer.Option("--customers", help="Number of customers.")],
    out: Annotated[Path, typer.Option("--out", help="Output .csv or .parquet file.")],
    kind: Annotated[str, typer.Option("--kind", help="history (purchase lines) or table (one "
                                      "row per customer).")] = "history",
    seed: Seed = 0,
    truth: Annotated[Path | None, typer.Option("--truth", help="Where to write each customer's "
                                               "planted group (default: OUT with .truth.csv).")]
    = None,
) -> None:
    """Write synthetic customers with planted groups, and the true group of each customer."""
    from . import io
    from .datasets.history import purchase_history
    from .datasets.synthetic import synthetic_customers

    if customers < 1:
        raise param_error("customers", "an int >= 1", customers)
    io.file_kind(out)
    io.check_output_file(out)
    if kind == "history":
        data, groups = purchase_history(customers, seed=seed)
    elif kind == "table":
        data, planted = synthetic_customers(customers, seed=seed)
        groups = data[["customer_id"]].assign(group=planted)
    else:
        raise param_error("kind", "'history' or 'table'", kind)
    truth = truth or out.with_name(out.name.split(".")[0] + ".truth.csv")
    io.write_table(out, data)
    io.write_table(truth, groups)
    stderr.print(f"Wrote {len(data):,} rows for {customers:,} customers to {out}; planted groups "
                 f"in {truth}", soft_wrap=True)


@app.command("app")
def web_app(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8501,
) -> None:
    """Start the web app (Streamlit, extra [app]) on loopback."""
    import importlib.util
    import subprocess

    from .errors import MissingExtraError

    if importlib.util.find_spec("streamlit") is None:
        raise MissingExtraError("custseg app", "app")
    spec = importlib.util.find_spec("custseg.app")
    assert spec is not None and spec.origin is not None
    stderr.print(f"custseg app on http://{host}:{port} ; Ctrl-C stops", soft_wrap=True)
    command = [sys.executable, "-m", "streamlit", "run", spec.origin,
               "--server.address", host, "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.maxUploadSize", "1024", "--global.developmentMode", "false"]
    raise typer.Exit(subprocess.call(command))


def _version(value: bool) -> None:
    if value:
        stdout.print(f"custseg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Segment customers with K-means and turn the segments into decisions."""


def _fail(message: str, code: int) -> int:
    stderr.print(f"custseg: error: {message}", markup=False, soft_wrap=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a command, turning errors into one line and an exit code."""
    warnings.simplefilter("ignore")  # warnings are collected and printed as one line each
    if not (sys.argv[1:] if argv is None else argv):
        argv = ["--help"]
    try:
        returned = app(args=argv, prog_name="custseg", standalone_mode=False)
    except CustsegError as exc:
        return _fail(str(exc), 2)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", 130)
    except MemoryError:
        return _fail("out of memory; try a smaller file or sample the customers first", 1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        if _is_usage_error(exc):
            ctx = getattr(exc, "ctx", None)
            command = f"custseg {ctx.info_name}" if ctx and ctx.parent else "custseg"
            message = exc.format_message().replace("\n", " ")  # type: ignore[attr-defined]
            return _fail(f"{message} (see {command} --help)", 2)
        if os.environ.get("CUSTSEG_DEBUG"):
            raise
        return _fail(f"unexpected {type(exc).__name__}: {exc}; please report this "
                     "(set CUSTSEG_DEBUG=1 to see the traceback)", 1)
    return returned if isinstance(returned, int) else 0


def _is_usage_error(exc: Exception) -> bool:
    # Typer vendors click (typer._click) in recent releases and uses click itself in older ones;
    # match the class by name so both work without importing a private module.
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__)


def run() -> None:
    sys.exit(main())


__all__ = ["app", "main", "run"]
