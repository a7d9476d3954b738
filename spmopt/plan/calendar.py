"""The plan year: months, measurement and payout periods, and their labels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from spmopt.plan.model import MONTHS_PER_PERIOD

MONTHS_PER_YEAR = 12


def month_index(dates: pd.Series | np.ndarray, year_start: dt.date) -> np.ndarray:
    """Month of the plan year (0–11) of each date; values outside the year fall outside 0–11."""
    stamps = pd.DatetimeIndex(pd.to_datetime(dates))
    return (stamps.year - year_start.year) * 12 + (stamps.month - year_start.month)


def period_end_months(period: str) -> np.ndarray:
    """Month index (0–11) of the last month of each period of the given kind."""
    length = MONTHS_PER_PERIOD[period]
    return np.arange(length - 1, MONTHS_PER_YEAR, length)


def period_of_month(period: str) -> np.ndarray:
    """For each month 0–11, the index of the period of the given kind containing it."""
    return np.arange(MONTHS_PER_YEAR) // MONTHS_PER_PERIOD[period]


def period_labels(period: str, year_start: dt.date) -> list[str]:
    """Labels of the periods of a plan year: ``2027-01`` …, ``2027-Q1`` …, or ``2027``.

    Months are named by calendar month; quarters and the year by the plan (fiscal) year, named
    after the calendar year in which it starts.
    """
    if period == "month":
        months = pd.period_range(pd.Timestamp(year_start), periods=MONTHS_PER_YEAR, freq="M")
        return [str(month) for month in months]
    if period == "quarter":
        return [f"{year_start.year}-Q{quarter}" for quarter in range(1, 5)]
    return [str(year_start.year)]


def year_end(year_start: dt.date) -> dt.date:
    """The last day of the plan year."""
    return (pd.Timestamp(year_start) + pd.DateOffset(years=1) - pd.DateOffset(days=1)).date()
