"""The fast CSV writer of statements and audit lines writes what pandas' ``to_csv`` writes.

The reference is pandas itself (``frame.to_csv(index=False, float_format="%.10g")``, the writer
the payouts command used before), byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import spmopt
from spmopt.plan.csv_writer import csv_bytes, write_csv

SHIPPED = Path(__file__).parents[2] / "scenarios"
PLANS = ("saas-ae", "multi-measure")


def pandas_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, float_format="%.10g").encode("utf-8")


money = st.integers(-(10**10) + 1, 10**10 - 1).map(lambda cents: cents / 100.0)
floats = st.one_of(
    money,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e8, -1e8, 99_999_999.99, 0.01, -0.01, 1e-5, 5e-324, np.nan]),
)
texts = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list('ab ,"\n\r\té1-')), max_size=6),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(floats, texts, st.integers(-(2**62), 2**62), st.booleans()), max_size=40))
def test_fast_writer_writes_what_pandas_writes(rows):
    frame = pd.DataFrame(
        {
            "amount": pd.Series([row[0] for row in rows], dtype=float),
            "text, quoted": pd.Series([row[1] for row in rows], dtype=object),
            "string": pd.Series([row[1] for row in rows], dtype="str"),
            "count": pd.Series([row[2] for row in rows], dtype=np.int64),
            "flag": pd.Series([row[3] for row in rows], dtype=bool),
        }
    )
    assert csv_bytes(frame) == pandas_bytes(frame)


def test_money_columns_of_every_size_are_written_as_pandas_writes_them():
    """Whole cents from 0 to 10^10 (where %.10g turns to exponents), both signs."""
    cents = np.concatenate(
        [np.arange(-1500, 1500), 10 ** np.arange(11), 10 ** np.arange(11) - 1, [10**10 + 1]]
    )
    frame = pd.DataFrame({"amount": np.concatenate([cents, -cents]) / 100.0})
    assert csv_bytes(frame) == pandas_bytes(frame)


def test_columns_of_other_kinds_fall_back_to_pandas(tmp_path):
    frame = pd.DataFrame({"date": pd.to_datetime(["2027-01-01", "2027-02-01"]), "x": [1.5, 2.0]})
    assert csv_bytes(frame) is None
    write_csv(frame, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == pandas_bytes(frame)


def test_statements_files_are_those_pandas_writes(tmp_path):
    """The shipped example credits (two plans, a roster, cancellations outside the window)."""
    plans = [spmopt.Plan.load(SHIPPED / "plans" / f"{name}.toml") for name in PLANS]
    credits = spmopt.read_credits(SHIPPED / "data" / "credits.csv")
    roster = spmopt.read_roster(SHIPPED / "data" / "roster.csv")
    result = spmopt.statements(plans, credits, roster)
    result.write(tmp_path)
    assert (tmp_path / "statements.csv").read_bytes() == pandas_bytes(result.statements)
    assert (tmp_path / "lines.csv").read_bytes() == pandas_bytes(result.lines)
