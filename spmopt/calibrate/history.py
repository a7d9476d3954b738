"""Rep-month history: the CSV format a company's own data comes in, its validation, and the
conversion of a simulation's ``rep_periods`` into it (``docs/calibration-from-history.md``).

One row per rep and month employed:

=====================  ===============================================================
column                 meaning
=====================  ===============================================================
``rep_id``             the rep (a replacement hire is a new rep id)
``month``              calendar month ``YYYY-MM``
``plan_id``            id of the incentive plan the rep was on that month
``quota``              the rep's annual quota in force [currency/yr], > 0
``credited_<measure>`` credited sales of ``<measure>`` in the month [currency]; one or more
``pay``                incentive pay of the month [currency] (base salary excluded)
``left``               1 if the rep left at the end of the month, else 0
``deals_<measure>``    optional: deals closed in the month (whole number ≥ 0)
``base_pay``           optional: base salary paid in the month [currency]
``territory_id``       optional: the territory (book) the rep works; a replacement hire
                       takes it over (bootstrap clusters, ``docs/calibration-from-history.md``)
=====================  ===============================================================

A rep's months are consecutive; no row follows a row with ``left = 1``. A column named by the
caller (``segment_column``, e.g. ``team``) may label each rep's segment (one per rep); it is
returned as ``segment``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError

REQUIRED = ("rep_id", "month", "plan_id", "quota", "pay", "left")
OPTIONAL = ("base_pay", "territory_id")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

__all__ = ["read_history", "validate_history", "history_from_rep_periods", "REQUIRED"]


def _fail(source: str, row: int | None, column: str, expected: str) -> SpmoptInputError:
    """An input error naming the file, the row (1-based data row, header = row 1) and column."""
    where = f"row {row + 2}, column '{column}'" if row is not None else f"column '{column}'"
    return SpmoptInputError(f"{where}: {expected}", source)


def _numbers(frame: pd.DataFrame, column: str, source: str, *, low=None, positive=False):
    """The column as floats; an error names the first bad row."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(source, row, column, f"expected a number, got {frame[column].iloc[row]!r}")
    if positive and (values <= 0).any():
        row = int(np.flatnonzero((values <= 0).to_numpy())[0])
        raise _fail(source, row, column, f"expected a number > 0, got {values.iloc[row]:g}")
    if low is not None and (values < low).any():
        row = int(np.flatnonzero((values < low).to_numpy())[0])
        raise _fail(source, row, column, f"expected a number ≥ {low:g}, got {values.iloc[row]:g}")
    return values.astype(float)


def validate_history(
    frame: pd.DataFrame, source: str = "history", segment_column: str | None = None
) -> pd.DataFrame:
    """Check a rep-month history (columns as read, strings) and return it typed and sorted.

    Returns a frame with ``rep_id, month, year, month_of_year, plan_id, quota, credited, pay,
    left`` (``credited`` = the sum over the ``credited_<measure>`` columns), plus the optional
    columns (and ``segment``, from ``segment_column``), sorted by rep and month. Raises
    :class:`SpmoptInputError` naming the file, row and column of the first problem.
    """
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    segment_columns = () if segment_column is None else (segment_column,)
    missing = [c for c in (*REQUIRED, *segment_columns) if c not in frame.columns]
    if missing:
        raise _fail(
            source,
            None,
            missing[0],
            "missing; a history needs "
            + ", ".join(REQUIRED)
            + " and one or more credited_<measure> columns",
        )
    credited = [c for c in frame.columns if c.startswith("credited_") and len(c) > 9]
    if not credited:
        raise SpmoptInputError(
            "no credited_<measure> column (e.g. credited_bookings); expected one per measure",
            source,
        )
    deals = [c for c in frame.columns if c.startswith("deals_") and len(c) > 6]
    known = set(REQUIRED) | set(OPTIONAL) | set(credited) | set(deals) | set(segment_columns)
    unknown = [c for c in frame.columns if c not in known]
    if unknown:
        raise _fail(
            source,
            None,
            unknown[0],
            "unknown column; expected "
            + ", ".join(REQUIRED)
            + ", credited_<measure>[, deals_<measure>, base_pay, territory_id]",
        )
    if frame.empty:
        raise SpmoptInputError("no rows; expected one row per rep and month", source)
    for column in ("rep_id", "plan_id", "territory_id", *segment_columns):
        if column not in frame.columns:
            continue
        text = frame[column].astype("string").str.strip()
        empty = text.isna() | (text == "")
        if empty.any():
            raise _fail(source, int(np.flatnonzero(empty.to_numpy())[0]), column, "empty")
        frame[column] = text.astype(str)
    month = frame["month"].astype("string").str.strip()
    good = month.fillna("").str.match(_MONTH)
    if not good.all():
        row = int(np.flatnonzero(~good.to_numpy())[0])
        raise _fail(
            source, row, "month", f"expected a month YYYY-MM, got {frame['month'].iloc[row]!r}"
        )
    frame["quota"] = _numbers(frame, "quota", source, positive=True)
    frame["pay"] = _numbers(frame, "pay", source)
    for column in credited:
        frame[column] = _numbers(frame, column, source)
    for column in deals:
        frame[column] = _numbers(frame, column, source, low=0)
    if "base_pay" in frame.columns:
        frame["base_pay"] = _numbers(frame, "base_pay", source, low=0)
    left = frame["left"].astype("string").str.strip().str.lower()
    flags = left.map({"0": False, "1": True, "false": False, "true": True})
    if flags.isna().any():
        row = int(np.flatnonzero(flags.isna().to_numpy())[0])
        raise _fail(source, row, "left", f"expected 0 or 1, got {frame['left'].iloc[row]!r}")
    frame["left"] = flags.astype(bool)
    period = pd.PeriodIndex(month.astype(str), freq="M")
    frame["month"] = period.astype(str)
    frame["month_index"] = period.year * 12 + period.month - 1
    frame["row"] = np.arange(len(frame))
    frame = frame.sort_values(["rep_id", "month_index"], kind="stable").reset_index(drop=True)
    _check_spells(frame, source)
    if segment_column is not None:
        _check_one_segment_per_rep(frame, segment_column, source)
    out = pd.DataFrame(
        {
            "rep_id": frame["rep_id"],
            "month": frame["month"],
            "year": frame["month_index"] // 12,
            "month_of_year": frame["month_index"] % 12,
            "plan_id": frame["plan_id"],
            "quota": frame["quota"],
            "credited": frame[credited].sum(axis=1),
            "pay": frame["pay"],
            "left": frame["left"],
        }
    )
    for column in deals + [c for c in OPTIONAL if c in frame.columns]:
        out[column] = frame[column]
    if segment_column is not None:
        out["segment"] = frame[segment_column]
    return out


def _check_one_segment_per_rep(frame: pd.DataFrame, column: str, source: str) -> None:
    """Each rep in one segment throughout (frame sorted by rep and month)."""
    rep = frame["rep_id"].to_numpy()
    segment = frame[column].to_numpy()
    changed = (rep[1:] == rep[:-1]) & (segment[1:] != segment[:-1])
    if changed.any():
        row = int(frame["row"].to_numpy()[1:][np.flatnonzero(changed)[0]])
        raise _fail(source, row, column, "the rep changes segment; a rep belongs to one segment")


def _check_spells(frame: pd.DataFrame, source: str) -> None:
    """Each rep once per month, months consecutive, nothing after leaving (frame sorted)."""
    same = frame["rep_id"].to_numpy()[1:] == frame["rep_id"].to_numpy()[:-1]
    step = np.diff(frame["month_index"].to_numpy())
    rows = frame["row"].to_numpy()[1:]
    duplicate = same & (step == 0)
    if duplicate.any():
        row = int(rows[np.flatnonzero(duplicate)[0]])
        raise _fail(source, row, "month", "a second row for this rep and month")
    gap = same & (step > 1)
    if gap.any():
        row = int(rows[np.flatnonzero(gap)[0]])
        raise _fail(
            source, row, "month", "a gap in this rep's months; a returning rep needs a new rep_id"
        )
    after_leaving = same & frame["left"].to_numpy()[:-1]
    if after_leaving.any():
        row = int(rows[np.flatnonzero(after_leaving)[0]])
        raise _fail(source, row, "left", "a row after the rep left (left = 1 the month before)")


def read_history(path: str | Path, segment_column: str | None = None) -> pd.DataFrame:
    """Read and validate a history CSV (see the module docstring; ``segment_column`` names a
    column labelling each rep's segment); errors name file, row and column and exit the command
    line with status 2."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise SpmoptInputError(
            "file not found; expected a rep-month history CSV", str(path)
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise SpmoptInputError(f"not a readable CSV ({error})", str(path)) from None
    return validate_history(frame, str(path), segment_column)


def history_from_rep_periods(rep_periods: pd.DataFrame, measure: str = "bookings") -> pd.DataFrame:
    """A simulation's ``rep_periods`` (one or more plan years, each run on its own) as history
    rows, one set per replication (columns ``replication`` and the integer ``month_index`` =
    12·year + month − 1 kept).

    A seat's rep keeps its id across months and years; a new rep id (``<seat>~<n>``) starts at
    every hire and after every quit; ``territory_id`` is the seat. Rows are the occupied months; ``left`` is the ``quit`` flag.
    """
    frame = rep_periods.loc[rep_periods["occupied"].to_numpy()]
    labels = frame["period"].astype("category")
    categories = pd.PeriodIndex(labels.cat.categories.astype(str), freq="M")
    month_index = (categories.year * 12 + categories.month - 1).to_numpy()[
        labels.cat.codes.to_numpy()
    ]
    seat = frame["rep_id"].astype(str).to_numpy()
    replication = frame["replication"].to_numpy()
    spell = _spells(
        replication, seat, month_index, frame["hired"].to_numpy(), frame["quit"].to_numpy()
    )
    rep_id = np.where(spell == 0, seat, np.char.add(np.char.add(seat, "~"), spell.astype(str)))
    return pd.DataFrame(
        {
            "replication": replication,
            "rep_id": rep_id,
            "territory_id": seat,
            "month": labels.astype(str).to_numpy(),
            "month_index": month_index,
            "plan_id": frame["plan_id"].astype(str).to_numpy(),
            "quota": frame["quota"].to_numpy(),
            f"credited_{measure}": frame["credited"].to_numpy(),
            "pay": frame["incentive"].to_numpy(),
            "left": frame["quit"].to_numpy().astype(int),
        }
    )


def _spells(replication, seat, month_index, hired, quit) -> np.ndarray:
    """Number of new reps so far in each occupied row's seat (0 for the seat's first rep): a new
    rep starts at every hire and in the row after a quit (rows in any order)."""
    seat_code = np.unique(seat, return_inverse=True)[1]
    order = np.lexsort((month_index, seat_code, replication))
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (replication[order][1:] == replication[order][:-1]) & (
        seat_code[order][1:] == seat_code[order][:-1]
    )
    after_quit = np.zeros(len(order), dtype=bool)
    after_quit[1:] = quit[order][:-1].astype(bool)
    start = ((hired[order].astype(bool) | after_quit) & same).astype(np.int64)
    total = np.cumsum(start)
    group_start = np.flatnonzero(~same)
    offset = np.repeat(total[group_start], np.diff(np.append(group_start, len(order))))
    spell = np.empty(len(order), dtype=np.int64)
    spell[order] = total - offset
    return spell
