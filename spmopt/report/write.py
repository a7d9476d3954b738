"""`write_report`: the HTML page and the workbook of a report, side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from spmopt.report.html import render_html
from spmopt.report.tables import ReportTable, as_report_table
from spmopt.report.workbook import write_workbook


def write_report(
    out_dir: str | Path,
    title: str,
    tables: Mapping[str, pd.DataFrame | ReportTable],
    figures: Mapping[str, object] | None = None,
    *,
    notes: Sequence[str] | str = (),
    appendix: Sequence[str] = (),
    name: str = "report",
) -> list[Path]:
    """Write ``<name>.html`` and ``<name>.xlsx`` into ``out_dir`` (created if missing).

    Parameters
    ----------
    out_dir:
        Folder for the two files (the commands pass their staging folder).
    title:
        The report's title (page heading, workbook's ``about`` sheet).
    tables:
        Name → table, in the order shown; a :class:`ReportTable` says which columns are money
        or ratios, a plain DataFrame is shown as it is. Each becomes an HTML table and a sheet.
    figures:
        Caption → matplotlib figure, PNG path or PNG bytes, embedded in the page (not in the
        workbook). Figures are not closed here.
    notes:
        Sentences shown under the title (assumptions, seeds, what was compared).
    appendix:
        Names of tables shown after the figures in the page (long detail tables); the
        workbook keeps the order of ``tables``.

    Returns
    -------
    list[Path]
        The HTML page and the workbook.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notes = [notes] if isinstance(notes, str) else list(notes)
    unknown = [table for table in appendix if table not in tables]
    if unknown:
        raise ValueError(f"appendix names tables that are not given: {unknown}")
    report_tables = {key: as_report_table(table) for key, table in tables.items()}
    page = out_dir / f"{name}.html"
    page.write_text(
        render_html(title, report_tables, figures, notes, appendix=appendix), encoding="utf-8"
    )
    workbook = write_workbook(out_dir / f"{name}.xlsx", report_tables, title=title, notes=notes)
    return [page, workbook]
