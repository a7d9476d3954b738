"""Up-front estimates of a run's time, memory and disk, from measured costs per rep-month.

A *rep-month* is one row of the ``rep_periods`` table: replications × reps × 12 × years. The
costs below were measured on the shipped scenarios (``field-sales``: 80 reps, plain effort;
``saas-ae``: 150 reps, dynamic effort) on a 2-core machine, with ``simulate --out``:

============  ===============  ==================  =====================  ======================
engine        time [s/row]     peak memory [B/row]  Parquet disk [B/row]   CSV disk [B/row]
============  ===============  ==================  =====================  ======================
fast          0.02e-3–0.7e-3   1,350–3,100 (one    49–56                  181
                               chunk of ≤ 600,000
                               rows in memory)
events        1.2e-3–3.9e-3    9,100–20,800 (whole  133–332 (with deals)   ~3× Parquet
                               run in memory)
============  ===============  ==================  =====================  ======================

Estimates use the upper figures, so a refusal errs on the safe side; times are given as a range.
The fast engine's low figure is an idle machine's: field-sales 0.017e-3–0.033e-3 s of CPU per row
(``benchmarks/bench_dask.py``, 2026-12-04), the saas-ae demo 0.041e-3 (166 s for 4.05M rows).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from spmopt.errors import SpmoptInputError

SECONDS_PER_ROW = {"fast": (0.02e-3, 0.7e-3), "events": (1.2e-3, 3.9e-3)}
MEMORY_BYTES_PER_ROW = {"fast": 3_100, "events": 21_000}
DISK_BYTES_PER_ROW = {("fast", "parquet"): 56, ("fast", "csv"): 181}
DISK_BYTES_PER_ROW |= {("events", "parquet"): 332, ("events", "csv"): 1_000}
FAST_CHUNK_ROWS = 600_000
"""Rows the fast engine holds at once when it writes chunk by chunk (``simulate_to_files``)."""
BYTES_PER_REPLICATION = 2_000
"""Per-replication metrics kept in memory for the summary [bytes]."""
BASE_MEMORY_BYTES = 400 * 2**20
"""The interpreter with numpy, pandas and the model loaded [bytes]."""


@dataclass(frozen=True)
class RunEstimate:
    """Estimated cost of a run: rows (rep-months), seconds (low, high), peak memory, disk [bytes]."""

    rows: int
    seconds: tuple[float, float]
    memory_bytes: float
    disk_bytes: float

    def describe(self) -> str:
        """One line: rows, time range, memory and disk in human units."""
        low, high = self.seconds
        return (
            f"{self.rows:,} rep-months; about {_duration(low)}–{_duration(high)}, "
            f"{_size(self.memory_bytes)} of memory, {_size(self.disk_bytes)} on disk"
        )


def estimate_run(
    replications: int,
    reps: int,
    months: int,
    engine: str,
    *,
    file_format: str | None = "parquet",
    chunked: bool = True,
) -> RunEstimate:
    """Estimate a run of ``replications`` × ``reps`` × ``months`` rep-months on ``engine``.

    ``file_format`` None means only summaries are written (``compare``, ``bench``); ``chunked``
    means the fast engine writes chunk by chunk (``simulate``), otherwise a whole run (one task)
    is held in memory.
    """
    rows = int(replications) * int(reps) * int(months)
    low, high = SECONDS_PER_ROW[engine]
    held = rows if engine == "events" or not chunked else min(rows, FAST_CHUNK_ROWS)
    memory = BASE_MEMORY_BYTES + held * MEMORY_BYTES_PER_ROW[engine]
    memory += int(replications) * BYTES_PER_REPLICATION
    disk = rows * DISK_BYTES_PER_ROW[(engine, file_format)] if file_format else 0.0
    return RunEstimate(rows, (rows * low, rows * high), float(memory), float(disk))


def combine(estimates: list[RunEstimate]) -> RunEstimate:
    """Runs made one after another: rows, times and disk add up; the peak memory is the largest
    run's (one run is held in memory at a time)."""
    return RunEstimate(
        sum(e.rows for e in estimates),
        (sum(e.seconds[0] for e in estimates), sum(e.seconds[1] for e in estimates)),
        max(e.memory_bytes for e in estimates),
        sum(e.disk_bytes for e in estimates),
    )


def available_memory_bytes() -> float:
    """Memory available to a new process [bytes]: MemAvailable, else physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def free_disk_bytes(folder: str | Path) -> float:
    """Free space on the file system that holds ``folder`` (or its nearest existing ancestor)."""
    path = Path(os.path.abspath(folder))
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return float(shutil.disk_usage(path).free)
    except OSError:
        return float("inf")


def check_fits(estimate: RunEstimate, out_dir: str | Path | None, *, force: bool = False) -> None:
    """Raise :class:`~spmopt.errors.SpmoptInputError` if the run needs more memory or disk than
    this machine has (unless ``force``)."""
    if force:
        return
    problems = []
    memory = available_memory_bytes()
    if estimate.memory_bytes > memory:
        problems.append(f"{_size(estimate.memory_bytes)} of memory ({_size(memory)} available)")
    if out_dir is not None and estimate.disk_bytes:
        disk = free_disk_bytes(out_dir)
        # the staging folder and the previous --out coexist until the swap
        if estimate.disk_bytes > disk:
            problems.append(f"{_size(estimate.disk_bytes)} of disk ({_size(disk)} free)")
    if problems:
        raise SpmoptInputError(
            f"this run would need about {' and '.join(problems)}: {estimate.describe()}. "
            "Use fewer --replications (the summary's confidence intervals shrink as "
            "1/sqrt(replications)), or --force to try anyway"
        )


def _size(value: float) -> str:
    """Bytes in binary units (KiB … EiB)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024:
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} EiB"


def _duration(seconds: float) -> str:
    """Seconds as s, min, h, days or years."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.1f} s"
