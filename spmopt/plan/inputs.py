"""Credits and roster tables: reading and validating them (design §3.3).

``credits.csv``: ``rep_id, date, measure, amount[, deal_id]`` — one row per rep per credit, splits
already split, a negative amount is a cancellation. Other columns are carried along unread.

``roster.csv`` (optional): ``rep_id[, plan_id, start_date, base_salary, target_incentive, quota,
quota_<component id>]`` — one row per rep; empty cells take the plan's defaults.

Problems are reported as :class:`~spmopt.errors.SpmoptInputError` naming the file and the line
(counting the header as line 1) or, for a DataFrame passed from Python, the row label.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError

CREDIT_COLUMNS = ("rep_id", "date", "measure", "amount")
OPTIONAL_CREDIT_COLUMNS = ("deal_id",)
ROSTER_COLUMNS = ("rep_id", "plan_id", "start_date", "base_salary", "target_incentive", "quota")
ROSTER_MONEY_COLUMNS = ("base_salary", "target_incentive", "quota")
_QUOTA_COLUMN = re.compile(r"^quota_[A-Za-z0-9_.\-]+$")
LINE_COLUMN = "source_line"
MAX_CREDIT_AMOUNT = 1e12
"""Largest credit amount accepted (currency units, either sign): money is held as whole cents in
float64 and int64, exact below 2^53 cents (about 9.0e13 currency units)."""
MAX_REP_CREDIT_TOTAL = 1e13
"""Largest sum of a rep's absolute credit amounts (currency units), keeping every total to date
below 2^53 cents."""

#: files from this size are read by pyarrow when plain (see _read_plain_csv)
_PLAIN_READ_MIN_BYTES = 1 << 20


def _read_plain_csv(path: Path) -> pd.DataFrame | None:
    """A large CSV without quotes, spaces after commas, carriage returns, a BOM or repeated
    column names, read as text by pyarrow (several times less CPU than the C parser with
    ``dtype=str``, same cells); None when the file is not such a file or pyarrow fails."""
    try:
        if path.stat().st_size < _PLAIN_READ_MIN_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\n" not in data:
        return None
    header = data[: data.find(b"\n")].split(b",")
    if (
        any(mark in data for mark in (b'"', b", ", b",\t", b"\n ", b"\n\t", b"\r"))
        or data[:1] in (b" ", b"\t", b"\xef")
        or len(set(header)) != len(header)
    ):
        return None
    try:
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, engine="pyarrow")
    except Exception:  # the C parser reads it, or reports the problem
        return None


def _read_csv(path: str | Path, what: str) -> pd.DataFrame:
    path = Path(path)
    try:
        frame = _read_plain_csv(path)
        if frame is None:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise SpmoptInputError(f"file not found; expected a {what} CSV file", str(path)) from None
    except pd.errors.EmptyDataError:
        raise SpmoptInputError(
            f"the file is empty; expected a {what} CSV with a header", str(path)
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, IsADirectoryError) as error:
        raise SpmoptInputError(f"cannot read it as CSV ({error})", str(path)) from None
    frame.columns = [str(column).strip() for column in frame.columns]
    frame[LINE_COLUMN] = np.arange(2, len(frame) + 2)
    return frame


def _where(frame: pd.DataFrame, position: int) -> str:
    if LINE_COLUMN in frame.columns:
        return f"line {int(frame[LINE_COLUMN].iloc[position])}"
    return f"row {frame.index[position]!r}"


def _require_columns(frame: pd.DataFrame, required, source: str, what: str) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        present = [c for c in frame.columns if c != LINE_COLUMN]
        raise SpmoptInputError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; a {what} file "
            f"needs {', '.join(required)} (found {', '.join(present) or 'no columns'})",
            source,
        )


def _text(frame: pd.DataFrame, column: str, source: str, allow_empty: bool = False) -> pd.Series:
    values = frame[column].astype("string").str.strip()
    if not allow_empty:
        empty = values.isna() | (values == "")
        if empty.any():
            position = int(np.flatnonzero(empty.to_numpy())[0])
            raise SpmoptInputError(f"{_where(frame, position)}: {column} is empty", source)
    return values.astype(object)


def _numbers(
    frame: pd.DataFrame, column: str, source: str, allow_empty: bool = False
) -> np.ndarray:
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.to_numpy(dtype=float)
        blank = np.isnan(values)
    else:
        text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
        blank = (text.isna() | (text == "")).to_numpy()
        values = pd.to_numeric(text.where(~blank, None), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & ~blank if allow_empty else np.isnan(values)
    bad |= np.isinf(values)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise SpmoptInputError(
            f"{_where(frame, position)}: {column} {raw.iloc[position]!r} is not a number", source
        )
    return values


def _dates(frame: pd.DataFrame, column: str, source: str, allow_empty: bool = False) -> pd.Series:
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.to_datetime(raw)
        blank = parsed.isna().to_numpy()
    else:
        text = raw.astype("string").str.strip()
        blank = (text.isna() | (text == "")).to_numpy()
        parsed = pd.to_datetime(text.where(~blank, None), format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy() & ~(blank if allow_empty else np.zeros_like(blank))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise SpmoptInputError(
            f"{_where(frame, position)}: {column} {raw.iloc[position]!r} is not a date; "
            "expected YYYY-MM-DD",
            source,
        )
    return parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed


def validate_credits(frame: pd.DataFrame, source: str = "credits") -> pd.DataFrame:
    """Check and type a credits table: ``rep_id``/``measure`` text, ``date`` datetime, ``amount`` float.

    Returns a new DataFrame with the contract columns first (``deal_id`` empty when absent).
    """
    if not isinstance(frame, pd.DataFrame):
        raise SpmoptInputError("credits must be a pandas DataFrame", source)
    _require_columns(frame, CREDIT_COLUMNS, source, "credits")
    if len(frame) == 0:
        raise SpmoptInputError("no credit rows; expected at least one credit", source)
    typed = pd.DataFrame(
        {
            "rep_id": _text(frame, "rep_id", source),
            "date": _dates(frame, "date", source),
            "measure": _text(frame, "measure", source),
            "amount": _numbers(frame, "amount", source),
        },
        index=frame.index,
    )
    _check_amount_range(frame, typed, source)
    if "deal_id" in frame.columns:
        typed["deal_id"] = _text(frame, "deal_id", source, allow_empty=True).fillna("")
    else:
        typed["deal_id"] = ""
    if LINE_COLUMN in frame.columns:
        typed[LINE_COLUMN] = frame[LINE_COLUMN].to_numpy()
    typed.attrs["validated"] = "credits"
    return typed


def _check_amount_range(frame: pd.DataFrame, typed: pd.DataFrame, source: str) -> None:
    """Reject amounts whose cents would overflow or lose exactness (see ``MAX_CREDIT_AMOUNT``)."""
    amount = typed["amount"].to_numpy()
    large = np.abs(amount) > MAX_CREDIT_AMOUNT
    if large.any():
        position = int(np.flatnonzero(large)[0])
        raise SpmoptInputError(
            f"{_where(frame, position)}: amount {amount[position]:,.2f} is outside the supported "
            f"range ±{MAX_CREDIT_AMOUNT:,.0f} per credit (money is held in whole cents; "
            "check the units or a misplaced decimal point)",
            source,
        )
    running = pd.Series(np.abs(amount)).groupby(typed["rep_id"].to_numpy()).cumsum().to_numpy()
    over = running > MAX_REP_CREDIT_TOTAL
    if over.any():
        position = int(np.flatnonzero(over)[0])
        raise SpmoptInputError(
            f"{_where(frame, position)}: rep {typed['rep_id'].iloc[position]!r} has credits "
            f"totalling more than {MAX_REP_CREDIT_TOTAL:,.0f} in absolute value by this row, "
            "beyond the supported range (money is held in whole cents)",
            source,
        )


def is_validated(frame, what: str) -> bool:
    """True when ``frame`` came out of :func:`validate_credits` / :func:`validate_roster`."""
    return isinstance(frame, pd.DataFrame) and frame.attrs.get("validated") == what


def read_credits(path: str | Path) -> pd.DataFrame:
    """Read and validate ``credits.csv`` (see module docstring)."""
    return validate_credits(_read_csv(path, "credits"), str(path))


def validate_roster(frame: pd.DataFrame, source: str = "roster") -> pd.DataFrame:
    """Check and type a roster: one row per ``rep_id``, optional columns typed, blanks as NaN/NaT."""
    if not isinstance(frame, pd.DataFrame):
        raise SpmoptInputError("the roster must be a pandas DataFrame", source)
    _require_columns(frame, ("rep_id",), source, "roster")
    if len(frame) == 0:
        raise SpmoptInputError("no roster rows; expected one row per rep", source)
    unknown = [
        column
        for column in frame.columns
        if column not in ROSTER_COLUMNS
        and column != LINE_COLUMN
        and not _QUOTA_COLUMN.match(column)
    ]
    if unknown:
        raise SpmoptInputError(
            f"unknown column '{unknown[0]}'; a roster has {', '.join(ROSTER_COLUMNS)} and "
            "quota_<component id> columns",
            source,
        )
    typed = pd.DataFrame({"rep_id": _text(frame, "rep_id", source)}, index=frame.index)
    duplicated = typed["rep_id"].duplicated().to_numpy()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated)[0])
        raise SpmoptInputError(
            f"{_where(frame, position)}: rep_id {typed['rep_id'].iloc[position]!r} appears twice; "
            "expected one row per rep",
            source,
        )
    if "plan_id" in frame.columns:
        typed["plan_id"] = _text(frame, "plan_id", source)
    if "start_date" in frame.columns:
        typed["start_date"] = _dates(frame, "start_date", source, allow_empty=True)
    for column in [c for c in frame.columns if c in ROSTER_MONEY_COLUMNS or _QUOTA_COLUMN.match(c)]:
        values = _numbers(frame, column, source, allow_empty=True)
        is_quota = column.startswith("quota")
        bad = (values <= 0) if is_quota else (values < 0)
        if np.any(bad & ~np.isnan(values)):
            position = int(np.flatnonzero(bad & ~np.isnan(values))[0])
            expected = "a positive amount" if is_quota else "zero or a positive amount"
            raise SpmoptInputError(
                f"{_where(frame, position)}: {column} is {values[position]:g}; expected {expected}",
                source,
            )
        typed[column] = values
    if LINE_COLUMN in frame.columns:
        typed[LINE_COLUMN] = frame[LINE_COLUMN].to_numpy()
    typed.attrs["validated"] = "roster"
    return typed


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read and validate ``roster.csv`` (see module docstring)."""
    return validate_roster(_read_csv(path, "roster"), str(path))


def describe_row(frame: pd.DataFrame, position: int) -> str:
    """``line N`` for a row read from a file, ``row LABEL`` for a DataFrame passed in."""
    return _where(frame, position)


# ------------------------------------------------------------------------------ pipeline
#: required columns of a pipeline file (open deals); optional: probability, stage, measure
PIPELINE_COLUMNS = ("rep_id", "deal_id", "amount", "expected_close")


def read_pipeline(path: str | Path) -> pd.DataFrame:
    """Read and validate a pipeline CSV file (:func:`validate_pipeline`; the forecast's open
    deals, :mod:`spmopt.sim.forecast_pipeline`)."""
    return validate_pipeline(_read_csv(path, "pipeline"), str(path))


def validate_pipeline(frame: pd.DataFrame, source: str = "pipeline") -> pd.DataFrame:
    """Check and type a pipeline table: ``rep_id``/``deal_id``/``stage``/``measure`` text,
    ``amount`` float ≥ 0 [currency], ``expected_close`` datetime, ``probability`` in [0, 1]
    (empty or absent: 1). Returns a new DataFrame (the contract columns, plus the file's line
    numbers when read from a file)."""
    if not isinstance(frame, pd.DataFrame):
        raise SpmoptInputError("the pipeline must be a pandas DataFrame", source)
    _require_columns(frame, PIPELINE_COLUMNS, source, "pipeline")
    typed = pd.DataFrame(
        {
            "rep_id": _text(frame, "rep_id", source),
            "deal_id": _text(frame, "deal_id", source, allow_empty=True).fillna(""),
            "amount": _numbers(frame, "amount", source),
            "expected_close": _dates(frame, "expected_close", source),
        },
        index=frame.index,
    )
    negative = typed["amount"].to_numpy() < 0
    if negative.any():
        position = int(np.flatnonzero(negative)[0])
        raise SpmoptInputError(
            f"{_where(frame, position)}: amount {typed['amount'].iloc[position]:,.2f} is "
            "negative; a pipeline deal's amount is its face value (≥ 0)",
            source,
        )
    if "probability" in frame.columns:
        probability = _numbers(frame, "probability", source, allow_empty=True)
        probability = np.where(np.isnan(probability), 1.0, probability)
        outside = (probability < 0) | (probability > 1)
        if outside.any():
            position = int(np.flatnonzero(outside)[0])
            raise SpmoptInputError(
                f"{_where(frame, position)}: probability {frame['probability'].iloc[position]!r} "
                "is outside [0, 1]",
                source,
            )
    else:
        probability = np.ones(len(frame))
    typed["probability"] = probability
    for column in ("stage", "measure"):
        typed[column] = (
            _text(frame, column, source, allow_empty=True).fillna("")
            if column in frame.columns
            else ""
        )
    if LINE_COLUMN in frame.columns:
        typed[LINE_COLUMN] = frame[LINE_COLUMN].to_numpy()
    typed.attrs["validated"] = "pipeline"
    return typed
