"""Output folders that hold exactly one run's files.

``staged(out)`` yields an empty staging folder; the caller writes every file there, and only when
the block succeeds are the files swapped into ``out``:

- ``out`` does not exist: the staging folder, made beside it (``.NAME.custseg-XXXX``), is renamed
  to ``out`` in one step.
- ``out`` exists: the staging folder is made inside it (``.custseg-staging-XXXX``: the same
  filesystem even when ``out`` is a mount point); each new file replaces its namesake with
  ``os.replace`` (a folder such as ``segments.parquet``: the old one is renamed aside, the new one
  moved in, the old one deleted); then the files that the previous run of the same command wrote
  there, and this run did not, are removed.

The manifest ``.custseg-manifest.json`` lists, per command (segment, compare), the files custseg
wrote into the folder; it is written last. Files it does not list are never removed; a file that
has the name of an output is replaced by that output. Any exception before the swap (rendering,
writing, a full disk) leaves the folder as it was and removes the staging folder; ``OSError``
becomes a one-line :class:`DataError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import io
from .errors import DataError

MANIFEST = ".custseg-manifest.json"
MANIFEST_FORMAT = "custseg.outputs"
MANIFEST_VERSION = 1


def check_writable(out: str | os.PathLike[str]) -> Path:
    """Fail early, with the fix, when ``out`` cannot be an output folder.

    An existing file, a path under a file, a broken link, and a folder (or nearest existing
    ancestor) where no new entry can be made (read-only, /proc...) raise :class:`DataError`. The
    test creates and removes one temporary file; nothing stays. Call it before expensive work.
    """
    path = Path(out)
    if path.is_dir():
        io.probe_folder(path, path)
        return path
    if os.path.lexists(path):
        kind = "an existing file" if path.exists() else "a broken link"
        raise DataError(f"output folder '{path}' is {kind}; pass a folder (new or existing) "
                        "with --out, or move the file away")
    ancestor = io.existing_ancestor(path.parent)
    if not ancestor.is_dir():
        raise DataError(f"output folder '{path}' cannot be created: '{ancestor}' is a file, not "
                        "a folder; pass a path under a folder with --out")
    io.probe_folder(ancestor, path)
    return path


@contextlib.contextmanager
def staged(out: str | os.PathLike[str], command: str = "segment") -> Iterator[Path]:
    """Yield an empty folder to write into; on success its files become ``out``'s files."""
    out = check_writable(out)
    created: list[Path] = []  # parent folders made for a new ``out``, removed again on failure
    try:
        if out.is_dir():
            staging = Path(tempfile.mkdtemp(prefix=".custseg-staging-", dir=out))
        else:
            created = _missing_folders(out.parent)
            for folder in reversed(created):
                folder.mkdir(exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.custseg-", dir=out.parent))
    except OSError as exc:
        _remove_empty(created)
        raise io.write_error(out, exc) from None
    published = False
    try:
        yield staging
        _publish(staging, out, command)
        published = True
    except OSError as exc:
        raise io.write_error(out, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not published:
            _remove_empty(created)


def read_manifest(folder: Path) -> dict[str, list[str]]:
    """The files custseg wrote into ``folder``, by command; {} without a valid manifest."""
    try:
        payload = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not (isinstance(payload, dict) and payload.get("format") == MANIFEST_FORMAT
            and payload.get("version") == MANIFEST_VERSION
            and isinstance(payload.get("outputs"), dict)):
        return {}  # another format or a newer version: remove nothing
    return {str(command): [n for n in names if isinstance(n, str) and _plain(n)]
            for command, names in payload["outputs"].items() if isinstance(names, list)}


def _write_manifest(folder: Path, outputs: dict[str, list[str]]) -> None:
    payload: dict[str, Any] = {
        "format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
        "note": "Files custseg wrote into this folder, by command. The next run of a command "
                "removes the files it wrote before and does not write again; files not listed "
                "here are never removed.",
        "outputs": {command: sorted(names) for command, names in sorted(outputs.items())},
    }
    io.write_json(folder / MANIFEST, payload)


def _publish(staging: Path, out: Path, command: str) -> None:
    names = sorted(p.name for p in staging.iterdir() if p.name != MANIFEST)
    if not out.is_dir():
        _write_manifest(staging, {command: names})
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700; outputs are ordinary folders
        try:
            os.rename(staging, out)
            return
        except OSError:
            if not out.is_dir():
                raise
            # Another process made ``out`` meanwhile: move the files in as below.
    old = read_manifest(out)
    previous = old.get(command, [])
    outputs = {other: [n for n in listed if n not in names]
               for other, listed in old.items() if other != command}
    # Before the first move, list both runs' files: an interrupted swap leaves none unlisted.
    outputs[command] = sorted(set(previous) | set(names))
    _write_manifest(out, outputs)
    for name in names:
        _move_in(staging / name, out / name)
    for name in previous:
        if name not in names:
            _remove(out / name)
    outputs[command] = names
    _write_manifest(out, outputs)  # last


def _move_in(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``, replacing whatever is there."""
    is_folder = new.is_dir() and not new.is_symlink()
    target_is_folder = target.is_dir() and not target.is_symlink()
    if not (is_folder or target_is_folder):
        os.replace(new, target)  # atomic for files; replaces a link, not what it points to
        return
    aside = None
    if os.path.lexists(target):
        aside = target.with_name(f".{target.name}.custseg-old-{secrets.token_hex(4)}")
        os.rename(target, aside)
    try:
        os.rename(new, target)
    except OSError:
        if aside is not None:
            os.rename(aside, target)  # put the old one back
        raise
    if aside is not None:
        _remove(aside)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _plain(name: str) -> bool:
    """A bare file name: a manifest can never point outside its folder."""
    return (name not in ("", ".", "..", MANIFEST) and "/" not in name and "\\" not in name
            and "\0" not in name)


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
