"""The Excel workbook of a report (openpyxl through pandas): one sheet per table."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from spmopt.report.tables import ReportTable

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 48  # characters; longer text wraps off the column edge rather than widening it


def sheet_names(names: Sequence[str]) -> list[str]:
    """Valid, distinct Excel sheet names (≤ 31 characters, none of ``[]:*?/\\``)."""
    out: list[str] = []
    for name in names:
        base = _SHEET_FORBIDDEN.sub("_", str(name)).strip("'") or "sheet"
        candidate, n = base[:31], 2
        while candidate.lower() in {existing.lower() for existing in out}:
            suffix = f"~{n}"
            candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
        out.append(candidate)
    return out


def _number_format(table: ReportTable, column: str) -> str | None:
    kind = table.kind(column)
    if kind == "money":
        return "#,##0" + ("." + "0" * table.money_decimals if table.money_decimals else "")
    if kind == "percent":
        return "0" + ("." + "0" * table.percent_decimals if table.percent_decimals else "") + "%"
    return None


def write_workbook(
    path: str | Path,
    tables: Mapping[str, ReportTable],
    title: str = "",
    notes: Sequence[str] = (),
) -> Path:
    """Write ``tables`` to an .xlsx file, one sheet each (named after the table), with the
    header row bold and frozen, money as ``#,##0``, ratios as ``0.0%`` (values stay numbers)
    and column widths fitted to the shown text; a first sheet ``about`` holds the title and
    notes when given. Returns the path."""
    from openpyxl.styles import Font

    path = Path(path)
    names = sheet_names(["about", *tables] if (title or notes) else list(tables))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        if title or notes:
            about = pd.DataFrame({"report": [title, *notes]})
            about.to_excel(writer, sheet_name=names[0], index=False)
            sheet = writer.sheets[names[0]]
            sheet.column_dimensions["A"].width = 110
            sheet["A2"].font = Font(bold=True, size=13)
            names = names[1:]
        for sheet_name, table in zip(names, tables.values(), strict=True):
            frame = table.frame
            frame.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            sheet.freeze_panes = "A2"
            for position, column in enumerate(frame.columns, start=1):
                letter = sheet.cell(row=1, column=position).column_letter
                sheet.cell(row=1, column=position).font = Font(bold=True)
                number_format = _number_format(table, column)
                if number_format:
                    for (cell,) in sheet.iter_rows(
                        min_row=2, max_row=len(frame) + 1, min_col=position, max_col=position
                    ):
                        cell.number_format = number_format
                shown = table.formatted(column) if len(frame) <= 5000 else []
                widest = max([len(str(column)), *map(len, shown)], default=8)
                sheet.column_dimensions[letter].width = min(widest + 2, _MAX_WIDTH)
    return path
