"""Reports: the HTML page as Chromium renders it, and the workbook read back with pandas.

Chromium (Debian package ``chromium``) renders the page headless. When it is missing the
rendering tests are skipped with a reason on a developer's machine, and FAIL in CI (``CI`` or
``SPMOPT_REQUIRE_CHROMIUM`` set; ``.ci/run`` installs chromium and sets the latter), so CI can
never pass without having looked at the page.
"""

from __future__ import annotations

import os
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from spmopt.report import ReportTable, write_report
from spmopt.report.browser import chromium, dump_dom, screenshot
from spmopt.report.workbook import sheet_names

PLOT_BLUE = np.array([0x1F, 0x77, 0xB4]) / 255  # matplotlib's first colour ("C0")


def needs_chromium():
    """Skip (developer machine) or fail (CI) when chromium is absent."""
    if chromium() is not None:
        return
    message = (
        "chromium is not installed (apt-get install -y chromium): the report page is not rendered"
    )
    if os.environ.get("CI") or os.environ.get("SPMOPT_REQUIRE_CHROMIUM"):
        pytest.fail(message + " — required in CI")
    pytest.skip(message)


def plans_table() -> ReportTable:
    frame = pd.DataFrame(
        {
            "plan_id": ["incumbent", "steeper"],
            "comp_cost_p50": [12_345_678.9, 13_000_000.0],
            "cost_of_sales": [0.2034, 0.1987],
            "replications": [200, 200],
        }
    )
    return ReportTable(
        frame, money=["comp_cost_p50"], percent=["cost_of_sales"], caption="One row per plan."
    )


def reps_table(rows: int = 30) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep_id": [f"R{i:03d}" for i in range(rows)],
            "pay": np.linspace(100_000.0, 250_000.0, rows),
            "attainment": np.linspace(0.4, 1.6, rows),
        }
    )


def a_figure(title: str):
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.plot([0, 1, 2, 3], [1, 3, 2, 4], lw=6)  # thick C0 line: easy to find in a screenshot
    axis.set_title(title)
    return figure


@pytest.fixture
def report(tmp_path):
    tables = {
        "plans": plans_table(),
        "reps": ReportTable(reps_table(), money=["pay"], percent=["attainment"]),
    }
    figures = {"cost fan": a_figure("one"), "payout curves": a_figure("two")}
    written = write_report(tmp_path, "Plans <compared> & tested", tables, figures, notes=["n1"])
    for figure in figures.values():
        plt.close(figure)
    return tmp_path, tables, written


def test_page_is_self_contained_and_formats_money_and_percentages(report):
    out, _, written = report
    assert [path.name for path in written] == ["report.html", "report.xlsx"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "12,345,679" in page and "20.3%" in page  # money with separators, ratio as percent
    assert "Plans &lt;compared&gt; &amp; tested" in page  # escaped, not markup
    # no external assets: every src is inline data, no stylesheet or script links
    assert re.findall(r'src="(?!data:image/png;base64,)', page) == []
    assert "<link" not in page and "<script" not in page and "http" not in page


def test_chromium_renders_the_tables_and_the_images(report, tmp_path):
    """Chromium parses the page into 2 tables and 2 images, and the screenshot shows text and
    the plots' blue lines (the embedded PNGs decoded and drawn, not broken-image icons)."""
    needs_chromium()
    out, tables, _ = report
    dom = dump_dom(out / "report.html")
    assert dom.count("<table") == 2
    assert dom.count("<img") == 2
    assert dom.count("<tr>") == sum(len(t.frame) + 1 for t in tables.values())
    png = screenshot(out / "report.html", tmp_path / "shot.png", width=1200, height=2400)
    pixels = image.imread(png)[..., :3]
    assert pixels.shape[:2] == (2400, 1200)
    dark = (pixels.max(axis=2) < 0.3).mean()
    assert dark > 0.002, "page looks blank: almost no dark (text) pixels"
    blue = np.all(np.abs(pixels - PLOT_BLUE) < 0.08, axis=2).sum()
    assert blue > 2000, f"the plots' lines are not on the page ({blue} blue pixels)"


def test_screenshot_of_a_page_without_images_has_no_plot_pixels(tmp_path):
    """The blue-pixel check above can fail: a page with the tables only has none."""
    needs_chromium()
    write_report(tmp_path, "tables only", {"plans": plans_table()})
    png = screenshot(tmp_path / "report.html", tmp_path / "shot.png", width=800, height=600)
    pixels = image.imread(png)[..., :3]
    assert np.all(np.abs(pixels - PLOT_BLUE) < 0.08, axis=2).sum() < 50


def test_workbook_reads_back_equal_with_formats_and_frozen_headers(report):
    from openpyxl import load_workbook

    out, tables, _ = report
    sheets = pd.read_excel(out / "report.xlsx", sheet_name=None)
    assert list(sheets) == ["about", "plans", "reps"]
    for name, table in tables.items():
        pd.testing.assert_frame_equal(sheets[name], table.frame, check_dtype=False)
    book = load_workbook(out / "report.xlsx")
    plans = book["plans"]
    assert plans.freeze_panes == "A2"
    assert plans["B2"].number_format == "#,##0"
    assert plans["C2"].number_format == "0.0%"
    assert plans["A1"].font.bold
    assert plans.column_dimensions["B"].width >= len("comp_cost_p50")


def test_long_tables_are_cut_in_the_page_but_whole_in_the_workbook(tmp_path):
    table = ReportTable(reps_table(500), money=["pay"], max_html_rows=50)
    write_report(tmp_path, "long", {"reps": table})
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("<tr>") == 51 and "First 50 of 500 rows" in page
    assert len(pd.read_excel(tmp_path / "report.xlsx", sheet_name="reps")) == 500


def test_sheet_names_are_valid_and_distinct():
    names = sheet_names(["a/b", "x" * 40, "x" * 40, "About", "about"])
    assert names[0] == "a_b"
    assert all(len(name) <= 31 for name in names)
    assert len({name.lower() for name in names}) == len(names)


def test_unknown_money_column_is_an_error():
    with pytest.raises(ValueError, match="not in the table"):
        ReportTable(pd.DataFrame({"a": [1]}), money=["b"])
