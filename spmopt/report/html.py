"""The HTML page of a report: one file, inline CSS, plots as base64 PNG, no scripts."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from spmopt.report.tables import ReportTable, format_value

_CSS = """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 24px 32px;
       color: #1d2733; background: #ffffff; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 4px 0; }
h2 { font-size: 17px; margin: 28px 0 6px 0; border-bottom: 1px solid #c8d0da; padding-bottom: 3px; }
p.meta { color: #5b6773; font-size: 12px; margin: 0 0 12px 0; }
p.caption { color: #3d4853; font-size: 13px; margin: 2px 0 8px 0; }
ul.notes { font-size: 13px; color: #2c3640; }
table { border-collapse: collapse; font-size: 12.5px; margin: 4px 0 8px 0; }
th { background: #e9eef4; text-align: left; padding: 4px 10px; border-bottom: 2px solid #9aa8b6;
     white-space: nowrap; }
td { padding: 3px 10px; border-bottom: 1px solid #e1e6ec; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #f7f9fb; }
figure { margin: 8px 0 18px 0; }
figure img { max-width: 100%; border: 1px solid #e1e6ec; }
figcaption { font-size: 12px; color: #5b6773; }
"""


def figure_png(figure) -> bytes:
    """PNG bytes of a matplotlib figure, a PNG file path, or PNG bytes (passed through)."""
    if isinstance(figure, bytes | bytearray):
        return bytes(figure)
    if isinstance(figure, str | Path):
        return Path(figure).read_bytes()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _table_html(name: str, table: ReportTable) -> str:
    """One ``<table>`` with a heading and caption; numbers right-aligned."""
    frame = table.frame
    shown = frame.head(table.max_html_rows)
    columns = list(frame.columns)
    kinds = {column: table.kind(column) for column in columns}
    cells = {
        column: [format_value(value, kinds[column], table) for value in shown[column]]
        for column in columns
    }
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in columns)
    rows = []
    for i in range(len(shown)):
        row = "".join(
            f'<td class="num">{html.escape(cells[c][i])}</td>'
            if kinds[c] != "text"
            else f"<td>{html.escape(cells[c][i])}</td>"
            for c in columns
        )
        rows.append(f"<tr>{row}</tr>")
    parts = [f'<h2 id="{html.escape(name)}">{html.escape(name)}</h2>']
    if table.caption:
        parts.append(f'<p class="caption">{html.escape(table.caption)}</p>')
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    if len(frame) > len(shown):
        parts.append(
            f'<p class="caption">First {len(shown):,} of {len(frame):,} rows; all rows are in '
            "the workbook (report.xlsx).</p>"
        )
    return "\n".join(parts)


def render_html(
    title: str,
    tables: Mapping[str, ReportTable],
    figures: Mapping[str, object] | None = None,
    notes: Sequence[str] = (),
    created: dt.datetime | None = None,
    appendix: Sequence[str] = (),
) -> str:
    """The report page as a string: title, notes, the tables in order, the figures, then the
    tables named in ``appendix`` (long detail tables).

    ``figures`` maps a caption to a matplotlib figure, a PNG path or PNG bytes; each becomes an
    ``<img>`` with a ``data:image/png;base64`` source.
    """
    created = created or dt.datetime.now(dt.UTC).replace(microsecond=0)
    from spmopt import __version__

    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">Written by spmopt {__version__} on {created:%Y-%m-%d %H:%M} UTC. '
        "The same tables, every row, are in report.xlsx.</p>",
    ]
    if notes:
        items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
        body.append(f'<ul class="notes">{items}</ul>')
    for name, table in tables.items():
        if name not in appendix:
            body.append(_table_html(name, table))
    for caption, figure in (figures or {}).items():
        encoded = base64.b64encode(figure_png(figure)).decode("ascii")
        body.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    for name in appendix:
        body.append(_table_html(name, tables[name]))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
