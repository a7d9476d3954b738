"""Fast CSV writing of tidy tables, byte for byte as ``frame.to_csv(index=False,
float_format="%.10g")`` writes them.

pandas formats every float with one Python call and several checks per cell, which made writing
``statements.csv`` and ``lines.csv`` the slowest step of ``spmopt payouts`` (about 7 s of CPU for
a million credits). Here each column becomes a matrix of bytes with a mask of the bytes kept, the
columns are laid side by side with the separators, and one boolean selection yields the file:

* money (a float that is a whole number of cents below 10^8 in size — what the statements engine
  produces) is formatted from its integer cents with array arithmetic: ``%.10g`` of such a value
  is its decimal cents without trailing zeros;
* any other float is formatted by Python's ``"%.10g" % value``, as pandas does;
* text is quoted by Python's :mod:`csv` writer (as pandas does) once per distinct value, then
  gathered by code.

Columns of other kinds (dates, mixed objects) make :func:`write_csv` fall back to pandas.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

FLOAT_FORMAT = "%.10g"
#: digits of the whole part of a money value formatted from cents (values below 10^8)
_WHOLE_DIGITS = 8
_CENTS_LIMIT = 10 ** (_WHOLE_DIGITS + 2)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_NEEDS_WRITER = re.compile('[,"\r\n]')


class _Field:
    """A column as bytes: ``chars`` (N, W) uint8 and ``keep`` (N, W) bool, read row by row."""

    __slots__ = ("chars", "keep")

    def __init__(self, chars: np.ndarray, keep: np.ndarray):
        self.chars = chars
        self.keep = keep


def _quoted(value: str) -> str:
    """``value`` as the :mod:`csv` writer pandas uses writes it (quoted only when needed).

    Text without a comma, quote or line break is written as it is (checked for every character);
    anything else goes through the writer itself.
    """
    if not _NEEDS_WRITER.search(value):
        return value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([value, ""])
    return buffer.getvalue()[: -len(",\n")]


def _text_field(texts: list[str]) -> _Field:
    """Left-aligned bytes of already formatted (and quoted) texts."""
    encoded = [text.encode("utf-8") for text in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    width = int(lengths.max()) if len(encoded) else 0
    chars = np.array(encoded, dtype=f"S{max(width, 1)}").view(np.uint8)
    chars = chars.reshape(len(encoded), max(width, 1))[:, :width]
    return _Field(chars, np.arange(width)[None, :] < lengths[:, None])


def _ascii_field(texts: list[str]) -> _Field:
    """Left-aligned bytes of ASCII texts without NUL characters (formatted numbers)."""
    chars = np.array(texts, dtype=np.bytes_)
    chars = chars.view(np.uint8).reshape(len(texts), chars.dtype.itemsize)
    return _Field(chars, chars != 0)


def _gathered(field: _Field, codes: np.ndarray) -> _Field:
    """Rows ``codes`` of a field; code -1 gives an empty cell."""
    if len(field.chars) == 0:  # no values at all: every cell empty
        return _Field(np.zeros((len(codes), 0), np.uint8), np.zeros((len(codes), 0), bool))
    missing = codes < 0
    rows = np.where(missing, 0, codes)
    keep = field.keep[rows]
    if missing.any():
        keep &= ~missing[:, None]
    return _Field(field.chars[rows], keep)


def _string_field(values: np.ndarray | pd.Series) -> _Field | None:
    """Text cells (None, NaN: empty), quoted as the csv writer would, once per distinct value;
    None when a value is not a string."""
    codes, uniques = pd.factorize(values)
    uniques = uniques.tolist()
    if not all(type(value) is str for value in uniques):
        return None
    return _gathered(_text_field([_quoted(value) for value in uniques]), codes)


def _money_field(cents: np.ndarray, negative: np.ndarray) -> _Field:
    """``%.10g`` of ``cents / 100`` (|cents| < 10^10; ``negative``: sign bit set, "-0" too)."""
    whole, fraction = np.divmod(np.abs(cents).astype(np.int64), 100)
    tens, units = np.divmod(fraction, 10)
    count = len(cents)
    width = 1 + _WHOLE_DIGITS + 3
    chars = np.empty((count, width), dtype=np.uint8)
    keep = np.empty((count, width), dtype=bool)
    chars[:, 0] = ord("-")
    keep[:, 0] = negative
    remaining = whole
    for position in range(_WHOLE_DIGITS, 0, -1):  # the units digit last
        remaining, digit = np.divmod(remaining, 10)
        chars[:, position] = _DIGITS[digit]
    digits = 1 + sum(whole >= 10**power for power in range(1, _WHOLE_DIGITS))  # "0" has one
    places = np.arange(_WHOLE_DIGITS, 0, -1)  # digits up to and including each position
    keep[:, 1 : 1 + _WHOLE_DIGITS] = places[None, :] <= digits[:, None]
    chars[:, -3] = ord(".")
    chars[:, -2] = _DIGITS[tens]
    chars[:, -1] = _DIGITS[units]
    keep[:, -3] = keep[:, -2] = fraction != 0
    keep[:, -1] = units != 0
    return _Field(chars, keep)


def _float_field(values: np.ndarray) -> _Field:
    """``"%.10g" % value`` of each float, NaN empty; whole cents by array arithmetic."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        cents = np.rint(values * 100.0)
        money = (np.abs(cents) < _CENTS_LIMIT) & (cents / 100.0 == values)
    missing = np.isnan(values)
    other = ~money & ~missing
    money_part = _money_field(np.where(money, cents, 0.0), np.signbit(values))
    money_part.keep &= money[:, None]
    if not other.any():
        return money_part
    rows = np.flatnonzero(other)
    formatted = _ascii_field([FLOAT_FORMAT % value for value in values[rows].tolist()])
    width = max(money_part.chars.shape[1], formatted.chars.shape[1])
    chars = np.zeros((len(values), width), dtype=np.uint8)
    keep = np.zeros((len(values), width), dtype=bool)
    chars[:, : money_part.chars.shape[1]] = money_part.chars
    keep[:, : money_part.keep.shape[1]] = money_part.keep
    chars[rows] = 0
    keep[rows] = False
    chars[rows, : formatted.chars.shape[1]] = formatted.chars
    keep[rows, : formatted.keep.shape[1]] = formatted.keep
    return _Field(chars, keep)


def _column_field(column: pd.Series) -> _Field | None:
    """The bytes of one column, or None for a kind this writer does not format."""
    dtype = column.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        return _float_field(column.to_numpy())
    if pd.api.types.is_bool_dtype(dtype) and isinstance(dtype, np.dtype):
        return _string_field(np.where(column.to_numpy(), "True", "False").astype(object))
    if pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        return _string_field(column.to_numpy().astype(str).astype(object))
    if isinstance(dtype, pd.StringDtype):
        return _string_field(column)
    if pd.api.types.is_object_dtype(dtype):
        return _string_field(column.to_numpy(dtype=object, na_value=None))
    return None


def csv_bytes(frame: pd.DataFrame) -> bytes | None:
    """The UTF-8 bytes ``frame.to_csv(index=False, float_format="%.10g")`` writes, or None when a
    column is of a kind formatted only by pandas (dates, mixed objects, extension dtypes)."""
    fields = []
    for name in frame.columns:
        field = _column_field(frame[name])
        if field is None:
            return None
        fields.append(field)
    header = ",".join(_quoted(str(name)) for name in frame.columns) + "\n"
    rows = len(frame)
    if not fields:
        return None
    if rows == 0:
        return header.encode("utf-8")
    width = sum(field.chars.shape[1] for field in fields) + len(fields)
    chars = np.empty((rows, width), dtype=np.uint8)
    keep = np.empty((rows, width), dtype=bool)
    start = 0
    for position, field in enumerate(fields):
        end = start + field.chars.shape[1]
        chars[:, start:end] = field.chars
        keep[:, start:end] = field.keep
        chars[:, end] = ord("\n") if position == len(fields) - 1 else ord(",")
        keep[:, end] = True
        start = end + 1
    return header.encode("utf-8") + chars[keep].tobytes()


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as ``frame.to_csv(path, index=False, float_format="%.10g")`` would."""
    content = csv_bytes(frame)
    if content is None:
        frame.to_csv(path, index=False, float_format=FLOAT_FORMAT)
        return
    Path(path).write_bytes(content)
