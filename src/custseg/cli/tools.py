"""Helper commands: ``custseg generate`` (synthetic data) and ``custseg app`` (the web app)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError, MissingExtraError, param_error
from .options import Seed, app, stderr


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
    from .. import io
    from ..datasets.synthetic import synthetic_customers
    from ..datasets.synthetic_history import purchase_history

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


APP_UPLOAD_MB = 200  # the app's upload limit unless CUSTSEG_APP_MAX_MB says otherwise


@app.command("app")
def web_app(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8501,
) -> None:
    """Start the web app (Streamlit, extra [app]) on loopback."""
    import importlib.util
    import os

    if importlib.util.find_spec("streamlit") is None:
        raise MissingExtraError("custseg app", "app")
    spec = importlib.util.find_spec("custseg.app")
    assert spec is not None and spec.origin is not None
    limit = os.environ.get("CUSTSEG_APP_MAX_MB", str(APP_UPLOAD_MB))
    if not limit.isdigit() or int(limit) < 1:
        raise ConfigError(f"CUSTSEG_APP_MAX_MB must be a whole number of megabytes, got "
                          f"{limit!r}; unset it for the default ({APP_UPLOAD_MB} MB)")
    stderr.print(f"custseg app on http://{host}:{port} ; Ctrl-C stops", soft_wrap=True)
    command = [sys.executable, "-m", "streamlit", "run", spec.origin,
               "--server.address", host, "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               # One upload limit, enforced by Streamlit and stated by its upload widget.
               "--server.maxUploadSize", limit, "--global.developmentMode", "false",
               # No "Deploy" button: the app runs where the analyst started it.
               "--client.toolbarMode", "minimal"]
    sys.stdout.flush()
    sys.stderr.flush()
    # This process becomes the server: a supervisor's SIGTERM (or Ctrl-C) stops Streamlit
    # itself, and no child is left serving when `custseg app` is stopped.
    os.execv(sys.executable, command)
