"""What the commands share: the Typer app, the consoles, the option definitions and their parsers.

Every command spells an option the same way because it takes the definition from here. This
module imports only typer, rich, the standard library and ``custseg.errors``: the library is
imported inside the functions that need it, so ``custseg --help`` stays quick.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ..errors import ConfigError, param_error

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
Timings = Annotated[bool, typer.Option(
    "--timings", help="Print the seconds each stage took (read, features, prepare, sweep, "
    "stability, fit, profile, report, write) on stderr.")]
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
Currency = Annotated[str | None, typer.Option(
    "--currency", help="How the report writes money: a code (EUR) or a sign (€, £); detected "
    "from the amounts when they were written with a sign, else none.", show_default=False)]
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


def split_list(text: str | None) -> list[str] | None:
    """A comma-separated option as a list; None when absent or empty."""
    if text is None:
        return None
    items = [part.strip() for part in text.split(",") if part.strip()]
    return items or None


def parse_k(text: str) -> int | str:
    """--k: an int, or 'auto'."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise param_error("k", "an int in [2, 50] or 'auto'", text) from None


def parse_log1p(text: str | None) -> str | list[str] | None:
    """--log1p: 'none', 'auto' or a list of columns."""
    if text is None:
        return None
    return text if text in ("none", "auto") else (split_list(text) or "none")


def data_options(input: Path | None, id_col: str | None, features: str | None, k: str,
                 k_min: int, k_max: int, seed: int, missing: str, log1p: str | None,
                 read: dict[str, Any], history: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``custseg.pipeline.segment`` that say what to segment and how."""
    return {"data": input, "id_col": id_col, "features": split_list(features), "k": parse_k(k),
            "k_min": k_min, "k_max": k_max, "seed": seed, "missing": missing,
            "log1p": parse_log1p(log1p), **read, **history}


def read_options(encoding: str | None, delimiter: str | None, decimal: str | None,
                 sheet: str | None, header_row: int | None) -> dict[str, Any]:
    """How to read the input file; validated here so a typo fails before any work."""
    from ..dialect import ReadOptions

    ReadOptions(encoding=encoding, delimiter=delimiter, decimal=decimal, sheet=sheet,
                header_row=header_row)
    return {"encoding": encoding, "delimiter": delimiter, "decimal": decimal, "sheet": sheet,
            "header_row": header_row}


def parse_conf(items: list[str] | None) -> dict[str, str]:
    """--spark-conf key=value items as a dict."""
    conf = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--spark-conf '{item}' is not key=value; e.g. "
                              "--spark-conf spark.executor.memory=4g")
        conf[key.strip()] = value.strip()
    return conf


def engine_options(engine: str, master: str | None, conf: list[str] | None) -> dict[str, Any]:
    """--engine, --spark-master and --spark-conf, checked together."""
    if engine not in ("local", "spark"):
        raise param_error("engine", "'local' or 'spark'", engine)
    if engine == "local" and (master or conf):
        raise ConfigError("--spark-master and --spark-conf need --engine spark")
    return {"engine": engine, "spark_master": master, "spark_conf": parse_conf(conf)}


def history_options(transactions: bool, customer_col: str | None, date_col: str | None,
                    amount_col: str | None, quantity_col: str | None, price_col: str | None,
                    order_col: str | None, product_col: str | None, as_of: str | None,
                    date_format: str | None) -> dict[str, Any]:
    """The purchase-history options; an error when given without --transactions."""
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
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description:<14}"), BarColumn(),
                  TimeElapsedColumn(), console=stderr, transient=True) as bar:
        task = bar.add_task("starting", total=total)

        def step(label: str) -> None:
            bar.update(task, description=label, advance=1)
            bar.refresh()  # steps can be quicker than the refresh tick; show each one

        yield step


def print_warnings(lines: Iterable[str]) -> None:
    """Each warning as one line on stderr."""
    for line in lines:
        stderr.print(f"custseg: warning: {line}", markup=False, soft_wrap=True)
