"""Writing a command's outputs so that ``--out`` is either the previous results or the new ones.

A command writes into a private staging folder beside ``--out`` (``.NAME.staging-XXXX`` in the
same parent folder, so the final move is a rename on one file system). On success the staging
folder replaces ``--out`` whole: files from an earlier run that this run does not write are gone,
never mixed with the new results. On failure or Ctrl-C the staging folder is removed and any
previous ``--out`` is left untouched; folders created only to hold ``--out`` are removed again.

To avoid deleting a user's own files, an existing non-empty ``--out`` is replaced only when an
earlier spmopt command wrote it (it holds the marker file :data:`MARKER`); otherwise the command
stops before doing any work.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spmopt.errors import SpmoptInputError

MARKER = ".spmopt-output.json"
"""File written into every ``--out`` folder: which command wrote it (and so may replace it)."""


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output_folder(out_dir: str | Path) -> Path:
    """Check that ``out_dir`` can be written as a command's ``--out``; returns it as absolute.

    Raises :class:`~spmopt.errors.SpmoptInputError` (exit status 2) when it is a file, lies below
    a file, is the working folder or one of its ancestors, holds files spmopt did not write, or
    its parent folder cannot be written. Nothing is created.
    """
    given = out_dir
    out_dir = Path(os.path.abspath(out_dir))
    where = f"--out {given}"
    existing = _first_existing(out_dir)
    if not existing.is_dir():
        if existing == out_dir:
            raise SpmoptInputError(f"{where} is a file, not a folder; give a folder to write into")
        raise SpmoptInputError(
            f"{where} lies below {existing}, which is a file, not a folder; give a folder path"
        )
    cwd = Path.cwd()
    if out_dir == cwd or out_dir in cwd.parents:
        raise SpmoptInputError(
            f"{where} is the working folder or contains it; it would be replaced whole — give a "
            "new sub-folder such as out/run1"
        )
    if out_dir.is_dir() and not (out_dir / MARKER).is_file():
        foreign = sorted(p.name for p in out_dir.iterdir())
        if foreign:
            shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
            raise SpmoptInputError(
                f"{where} already holds files that spmopt did not write ({shown}); outputs "
                "replace --out whole, so give a new or empty folder (or remove this one)"
            )
    try:
        probe = tempfile.mkdtemp(prefix=".spmopt-probe-", dir=existing)
    except OSError as error:
        raise SpmoptInputError(
            f"{where}: cannot write in {existing} ({error.strerror or error}); give a folder "
            "you can write to"
        ) from None
    os.rmdir(probe)
    return out_dir


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing ancestors; returns those created, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
    return missing


def _replace(staging: Path, out_dir: Path) -> None:
    """Put ``staging`` in place of ``out_dir`` (two renames; the old folder comes back on error)."""
    if out_dir.is_dir() and not any(out_dir.iterdir()):
        out_dir.rmdir()
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    previous = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.previous-", dir=out_dir.parent))
    previous.rmdir()
    out_dir.rename(previous)
    try:
        staging.rename(out_dir)
    except BaseException:
        previous.rename(out_dir)
        raise
    shutil.rmtree(previous, ignore_errors=True)


@contextmanager
def staged_output(out_dir: str | Path, command: str = "") -> Iterator[Path]:
    """A staging folder that replaces ``out_dir`` whole when the body succeeds.

    If the body raises (or is interrupted), the staging folder is removed and ``out_dir`` is as
    before. See the module docstring for the rules on an existing ``out_dir``.
    """
    out_dir = check_output_folder(out_dir)
    created = _make_parents(out_dir.parent)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    except OSError as error:
        _remove_empty(created)
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise SpmoptInputError(f"--out {out_dir}: cannot write there ({error})") from None
        raise
    try:
        yield staging
        from spmopt import __version__

        written = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        (staging / MARKER).write_text(
            json.dumps({"command": command, "version": __version__, "files": written}, indent=1),
            encoding="utf-8",
        )
        _replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created)
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders (deepest first) that were created for ``--out`` and stayed empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
