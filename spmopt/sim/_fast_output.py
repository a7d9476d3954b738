"""Output buffers of the fast engine and the ``rep_periods`` table built from them in one go.

Columns are numpy arrays of shape (replications, months, seats), so a month of a chunk is a
contiguous block per replication; rows are ordered by replication, period, then seat
(population order). Keys are categoricals (``rep_id``, ``period``, ``segment``, ids).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmopt.sim.results import REP_PERIOD_COLUMNS, REP_PERIOD_DTYPES

DTYPES = REP_PERIOD_DTYPES


class Buffers:
    """Data columns (replications, months, seats) of replications ``first …``."""

    def __init__(self, first: int, replications: int, months: int, seats: int):
        self.first = first
        self.shape = (replications, months, seats)
        self.columns = {name: np.zeros(self.shape, dtype=dtype) for name, dtype in DTYPES.items()}

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

        keys = {
            "scenario_id": categorical(np.zeros(rows, np.int8), [scenario_id]),
            "plan_id": categorical(np.zeros(rows, np.int8), [plan_id]),
            "replication": np.repeat(
                np.arange(self.first, self.first + replications, dtype=np.int64), months * seats
            ),
            "rep_id": categorical(
                np.tile(np.arange(seats, dtype=np.int32), replications * months),
                pd.Index(rep_ids, dtype=object),
            ),
            "period": categorical(
                np.tile(np.repeat(month_index.astype(np.int16), seats), replications),
                pd.Index(periods, dtype=object),
            ),
            "year": np.tile(
                np.repeat((month_index // 12 + 1).astype(np.int16), seats), replications
            ),
            "month": np.tile(
                np.repeat((month_index % 12 + 1).astype(np.int8), seats), replications
            ),
            "segment": categorical(
                np.tile(segment_codes.astype(np.int16), replications * months),
                pd.Index(segment_names, dtype=object),
            ),
        }
        data = keys | {name: column.reshape(rows) for name, column in self.columns.items()}
        return pd.DataFrame({name: data[name] for name in REP_PERIOD_COLUMNS}, copy=False)
