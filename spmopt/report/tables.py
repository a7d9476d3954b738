"""A table of a report: a DataFrame and how its columns read (money, percentages)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class ReportTable:
    """A DataFrame to show, with the columns holding money or ratios.

    Parameters
    ----------
    frame:
        The table (tidy: one row per observation, snake_case columns). Its index is dropped.
    money:
        Columns in currency: shown with thousands separators and ``money_decimals`` decimals.
    percent:
        Columns holding ratios (0.25 = 25%): shown as percentages with ``percent_decimals``.
    caption:
        One or two sentences shown under the table's heading (what a row is, units).
    money_decimals, percent_decimals:
        Decimals shown (HTML) and in the workbook's number format.
    max_html_rows:
        Rows shown in the HTML page (the workbook has them all); the page says when rows were
        left out.
    """

    frame: pd.DataFrame
    money: Sequence[str] = ()
    percent: Sequence[str] = ()
    caption: str = ""
    money_decimals: int = 0
    percent_decimals: int = 1
    max_html_rows: int = 200

    def __post_init__(self):
        frame = self.frame.reset_index(drop=True)
        unknown = [c for c in (*self.money, *self.percent) if c not in frame.columns]
        if unknown:
            raise ValueError(f"columns {unknown} are not in the table ({list(frame.columns)})")
        object.__setattr__(self, "frame", frame)
        object.__setattr__(self, "money", tuple(self.money))
        object.__setattr__(self, "percent", tuple(self.percent))

    def kind(self, column: str) -> str:
        """``"money"``, ``"percent"``, ``"number"`` or ``"text"`` for a column."""
        if column in self.money:
            return "money"
        if column in self.percent:
            return "percent"
        if pd.api.types.is_bool_dtype(self.frame[column]):
            return "text"
        if pd.api.types.is_numeric_dtype(self.frame[column]):
            return "number"
        return "text"

    def formatted(self, column: str) -> list[str]:
        """The column's values as the report shows them (empty for missing values)."""
        kind = self.kind(column)
        return [format_value(value, kind, self) for value in self.frame[column]]


def format_value(value, kind: str, table: ReportTable) -> str:
    """One cell as text: money ``1,234,567``, percentages ``12.3%``, numbers to 4 significant
    figures (integers in full, with separators), missing values empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if kind == "money":
        return f"{float(value):,.{table.money_decimals}f}"
    if kind == "percent":
        return f"{float(value):.{table.percent_decimals}%}"
    if kind == "number":
        if isinstance(value, (bool, np.bool_)):
            return str(value)
        if isinstance(value, (int, np.integer)) or float(value).is_integer():
            return f"{int(value):,}"
        return f"{float(value):,.4g}" if abs(float(value)) < 1e4 else f"{float(value):,.0f}"
    return str(value)


def as_report_table(table: pd.DataFrame | ReportTable) -> ReportTable:
    """A :class:`ReportTable` (a plain DataFrame gets no money or percentage columns)."""
    return table if isinstance(table, ReportTable) else ReportTable(table)
