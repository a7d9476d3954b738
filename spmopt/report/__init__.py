"""Reports finance can open: one self-contained HTML page and one Excel workbook.

:func:`write_report` takes a title, named tables (DataFrames, with which columns are money or
percentages) and named figures (matplotlib figures or PNG files) and writes ``report.html``
(tables and plots embedded as base64 PNG, inline CSS, no external assets: it opens from an
e-mail attachment) and ``report.xlsx`` (one sheet per table, money and percentage formats,
frozen header row, column widths to fit). The module knows nothing about plans or
simulations; the commands build the tables.

Examples
--------
>>> import pandas as pd
>>> from spmopt.report import ReportTable, write_report
>>> table = ReportTable(pd.DataFrame({"plan_id": ["a"], "cost": [1.5e6], "share": [0.62]}),
...                     money=["cost"], percent=["share"])
>>> write_report("out", "Plans compared", {"plans": table})  # doctest: +SKIP
[PosixPath('out/report.html'), PosixPath('out/report.xlsx')]
"""

from __future__ import annotations

from spmopt.report.html import render_html
from spmopt.report.tables import ReportTable, as_report_table
from spmopt.report.workbook import write_workbook
from spmopt.report.write import write_report

__all__ = ["ReportTable", "as_report_table", "render_html", "write_report", "write_workbook"]
