"""Output buffers of the fast engine and the ``rep_periods`` table built from them in one go.

Columns are numpy arrays of shape (replications, months, seats), so a month of a chunk is a
contiguous block per replication; rows are ordered by replication, period, then seat
(population order). Keys are categoricals (``rep_id``, ``period``, ``segment``, ids).

The table's arrays (about 140 bytes per row) live in anonymous memory maps of ordinary pages
(:func:`plain_pages`) rather than numpy's allocator, which asks the kernel for transparent huge
pages on every array of 4 MiB or more: written once and in order, the columns gain nothing from
huge pages, and on virtual machines the first touch of huge pages is several times slower
(measured on the benchmark machine: 1.46 GiB first written in 2.2–3.9 s with numpy's arrays,
0.9–1.2 s in a memory map; ``benchmarks/results/simulation.md``).
"""

from __future__ import annotations

import mmap

import numpy as np
import pandas as pd

from spmopt.sim.results import REP_PERIOD_COLUMNS, REP_PERIOD_DTYPES

DTYPES = REP_PERIOD_DTYPES


class Buffers:
    """Data columns (replications, months, seats) of replications ``first …``."""

    def __init__(self, first: int, replications: int, months: int, seats: int):
        self.first = first
        self.shape = (replications, months, seats)
        self.columns = {name: plain_pages(self.shape, dtype) for name, dtype in DTYPES.items()}

    def view(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """The columns of replications ``first + start … first + stop − 1`` (views)."""
        return {name: column[start:stop] for name, column in self.columns.items()}

    def frame(self, scenario_id: str, plan_id: str, rep_ids, periods, seat_segments):
        """The ``rep_periods`` table (columns :data:`REP_PERIOD_COLUMNS`)."""
        replications, months, seats = self.shape
        rows = replications * months * seats
        segment_names, segment_codes = np.unique(np.asarray(seat_segments), return_inverse=True)
        month_index = np.arange(months)

        def categorical(codes, categories):
            return pd.Categorical.from_codes(codes, categories=categories, validate=False)

        def repeated(values, dtype, inner: int) -> np.ndarray:
            """``values`` each repeated ``inner`` times, the whole tiled to ``rows``."""
            out = plain_pages((rows // (len(values) * inner), len(values), inner), dtype)
            out[...] = np.asarray(values, dtype)[:, None]
            return out.reshape(rows)

        keys = {
            "scenario_id": categorical(plain_pages(rows, np.int8), [scenario_id]),
            "plan_id": categorical(plain_pages(rows, np.int8), [plan_id]),
            "replication": repeated(
                np.arange(self.first, self.first + replications), np.int64, months * seats
            ),
            "rep_id": categorical(
                repeated(np.arange(seats), np.int32, 1), pd.Index(rep_ids, dtype=object)
            ),
            "period": categorical(
                repeated(month_index, np.int16, seats), pd.Index(periods, dtype=object)
            ),
            "year": repeated(month_index // 12 + 1, np.int16, seats),
            "month": repeated(month_index % 12 + 1, np.int8, seats),
            "segment": categorical(
                repeated(segment_codes, np.int16, 1), pd.Index(segment_names, dtype=object)
            ),
        }
        data = keys | {name: column.reshape(rows) for name, column in self.columns.items()}
        return pd.DataFrame({name: data[name] for name in REP_PERIOD_COLUMNS}, copy=False)


def plain_pages(shape, dtype) -> np.ndarray:
    """A zeroed array of ``shape`` and ``dtype`` in a private anonymous memory map (ordinary
    pages, see the module's docstring); the map is released with the last array using it."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    if count == 0 or not hasattr(mmap, "MAP_ANONYMOUS"):  # (no anonymous maps on Windows)
        return np.zeros(shape, dtype)
    pages = mmap.mmap(-1, count * dtype.itemsize, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(pages, dtype, count).reshape(shape)
