"""The commands that apply a saved model: ``custseg score`` and ``custseg serve``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError, param_error
from .options import (
    AsOf,
    Decimal,
    Delimiter,
    Encoding,
    EngineOpt,
    HeaderRow,
    Quiet,
    Sheet,
    SparkConf,
    SparkMaster,
    app,
    engine_options,
    print_warnings,
    read_options,
    stderr,
)


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
    from ..dialect import ReadOptions
    from ..persist import load_model
    from ..score import score_file

    if chunk_rows < 1:
        raise param_error("chunk_rows", "an int >= 1", chunk_rows)
    fitted = load_model(model)
    if out is not None:
        from ..io import check_output_file

        check_output_file(out)
    if as_of and fitted.input_.get("kind") != "transactions":
        raise ConfigError("--as-of applies only to models trained on a purchase history")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = score_file(fitted, input, out, chunk_rows=chunk_rows, as_of=as_of,
                          options=ReadOptions(**read_options(encoding, delimiter, decimal, sheet,
                                                             header_row)),
                          **engine_options(engine, spark_master, spark_conf))
    print_warnings(sorted({str(w.message) for w in caught}))
    if out is not None and not quiet:
        stderr.print(f"Scored {rows:,} customers into {out}", soft_wrap=True)


@app.command()
def serve(
    model: Annotated[Path, typer.Option("--model", help="model.json written by custseg segment.")],
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
) -> None:
    """Serve a model over HTTP: /healthz, /v1/model, /v1/score, docs at /docs (extra [serve])."""
    from ..persist import load_model

    fitted = load_model(model)  # a bad model file refuses to start, with one line
    import uvicorn

    from ..serve import create_app

    stderr.print(f"Serving {model} on http://{host}:{port} (docs at /docs); Ctrl-C stops",
                 soft_wrap=True)
    uvicorn.run(create_app(fitted), host=host, port=port, log_level="warning",
                access_log=False)
