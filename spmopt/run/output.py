"""Writing a command's outputs so that an interrupted run leaves nothing that looks complete."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """A private staging folder whose files are moved into ``out_dir`` only on success.

    Files already in ``out_dir`` that the command does not write are left alone; if the body
    raises, nothing in ``out_dir`` changes.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"--out {out_dir} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".spmopt-staging-", dir=out_dir))
    try:
        yield staging
        for produced in sorted(staging.rglob("*")):
            if produced.is_file():
                target = out_dir / produced.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                produced.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
