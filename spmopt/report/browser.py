"""Render a report page in headless Chromium: a screenshot, or the DOM after parsing.

Used by the tests (does the page show its tables and plots?) and to make the README's
screenshot. Chromium is the Debian package (``apt-get install chromium``); nothing here is
needed to *write* a report.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str | None:
    """Path of the Chromium executable, or None when it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(page: Path, *extra: str, timeout: float) -> subprocess.CompletedProcess:
    executable = chromium()
    if executable is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="spmopt-chromium-") as profile:
        return subprocess.run(
            [executable, *_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def screenshot(
    page: str | Path,
    png: str | Path,
    *,
    width: int = 1280,
    height: int = 1600,
    timeout: float = 120.0,
) -> Path:
    """Screenshot ``page`` (an HTML file) at ``width`` × ``height`` pixels into ``png``."""
    png = Path(png)
    done = _run(
        Path(page),
        f"--screenshot={png.resolve()}",
        f"--window-size={width},{height}",
        timeout=timeout,
    )
    if not png.exists():
        raise RuntimeError(
            f"chromium wrote no screenshot (status {done.returncode}): {done.stderr[-2000:]}"
        )
    return png


def dump_dom(page: str | Path, *, timeout: float = 120.0) -> str:
    """The page's DOM as Chromium parsed it (``--dump-dom``), as HTML text."""
    done = _run(Path(page), "--dump-dom", timeout=timeout)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(
            f"chromium could not load the page (status {done.returncode}): {done.stderr[-2000:]}"
        )
    return done.stdout
