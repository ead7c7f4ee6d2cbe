"""The ``custseg`` command: thin commands that parse options, call the library and print.

Errors the library raises on purpose become one line on stderr and exit code 2; anything else is
exit code 1 with a one-line message (set CUSTSEG_DEBUG=1 for the traceback).

One module per command group, all sharing ``options`` (the Typer app, the consoles and the option
definitions): ``segmenting`` (segment, choose-k), ``scoring`` (score, serve), ``campaigns``
(compare, export, uplift, recommend) and ``tools`` (generate, app). Importing a command module
registers its commands; the order of the imports below is the order of ``custseg --help``. The
library never imports this package.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import warnings
from typing import Annotated

import typer

from .._version import __version__
from ..errors import CustsegError
from .options import app, stderr, stdout

# Importing a command module registers its commands, in this order in custseg --help.
from . import segmenting, scoring, campaigns, tools  # noqa: F401  # isort: skip


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
    """The console script ``custseg``: run :func:`main` and exit with its code.

    When the command returns, every output is written and closed. What is left is the
    interpreter's teardown, freeing every module and the run's arrays one object at a time:
    0.4-0.7 s after a million-customer run, for nothing the user sees. So the exit handlers run
    (``atexit``: logging, temporary folders) and the process ends without the teardown, unless
    a thread the command started still runs (then Python's own exit waits for it).
    """
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (custseg ... | head) has nowhere to flush to.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


__all__ = ["app", "main", "run"]
