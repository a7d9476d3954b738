"""``--report`` on compare, optimise and payouts: the workbook holds the command's own CSV
tables (read back equal), and the page, rendered in headless Chromium, has every table and plot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from spmopt.cli import main
from spmopt.report.browser import dump_dom

from .test_report import needs_chromium

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

TINY = """
schema_version = 1
[scenario]
id = "tiny"
seed = 5
replications = 6

[plans.linear]
plan = { schema_version = 1, plan = { id = "linear", year_start = "2027-01-01", payout_frequency = "year", base_salary = 50000, target_incentive = 50000, components = [ { id = "sales", measure = "bookings", quota = 1000000, tiers = [ { from = 0, multiplier = 1.0 } ] } ] } }

[plans.steep]
plan = { schema_version = 1, plan = { id = "steep", year_start = "2027-01-01", payout_frequency = "year", base_salary = 50000, target_incentive = 50000, components = [ { id = "sales", measure = "bookings", quota = 1000000, tiers = [ { from = 0, multiplier = 0.8 }, { from = 1.0, multiplier = 2.0 } ] } ] } }

[segments.reps]
plan = "linear"
gross_margin = 0.8
technology = { kind = "normal", sigma = 200000 }
reps = { count = 12, base_sales = 900000, effectiveness = 100000, effort_cost = 100000, outside_option = 0, tenure_months = 36 }

[behaviour]
effort = { model = "static" }

[finance]
comp_budget = 1_300_000

[optimise]
replications = 6
validation_replications = 6
participation = false
levers = { rate = [0.8, 1.2] }
"""


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def page_counts(page: Path) -> tuple[int, int]:
    """(tables, images) in the DOM Chromium builds from the page."""
    dom = dump_dom(page)
    return dom.count("<table"), dom.count("<img")


def test_compare_report_holds_the_comparison(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["compare", str(tiny), "--out", str(out), "--quiet", "--report"])
    assert status == 0, capsys.readouterr().err
    sheets = pd.read_excel(out / "report.xlsx", sheet_name=None)
    for sheet, csv in [
        ("plans", "comparison.csv"),
        ("pay_per_rep", "comparison_pay.csv"),
        ("pay_at_attainment", "comparison_pay_at_attainment.csv"),
        ("replications", "comparison_metrics.csv"),
    ]:
        pd.testing.assert_frame_equal(
            sheets[sheet], pd.read_csv(out / csv), check_dtype=False, rtol=1e-9
        )
    differences = pd.read_csv(out / "comparison_differences.csv")
    assert len(sheets["differences_money"]) + len(sheets["differences_ratios"]) == len(differences)
    printed = capsys.readouterr().out
    assert "Pay per rep" in printed and "pay@150%" in printed
    needs_chromium()
    assert page_counts(out / "report.html") == (len(sheets) - 1, 2)  # all but 'about'; 2 plots


def test_optimise_report(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["optimise", str(tiny), "--out", str(out), "--quiet", "--report"]
    status = main([*argv, "--no-refine"])  # the grid alone: the report, not the search
    assert status == 0, capsys.readouterr().err
    sheets = pd.read_excel(out / "report.xlsx", sheet_name=None)
    assert {"choice", "constraints", "responses", "validation_money"} <= set(sheets)
    choice = pd.read_csv(out / "choice.csv")
    assert sheets["choice"]["candidate"].tolist() == choice["candidate"].tolist()
    assert sheets["responses"]["revenue"].to_numpy() == pytest.approx(
        pd.read_csv(out / "responses.csv")["revenue"].to_numpy()
    )
    needs_chromium()
    assert page_counts(out / "report.html") == (len(sheets) - 1, 1)


def test_payouts_report_on_the_shipped_data(tmp_path, capsys):
    out = tmp_path / "out"
    plans = SCENARIOS / "plans"
    data = SCENARIOS / "data"
    status = main(
        [
            "payouts",
            "--plan",
            str(plans / "saas-ae.toml"),
            "--plan",
            str(plans / "multi-measure.toml"),
            "--credits",
            str(data / "credits.csv"),
            "--roster",
            str(data / "roster.csv"),
            "--out",
            str(out),
            "--report",
        ]
    )
    assert status == 0, capsys.readouterr().err
    sheets = pd.read_excel(out / "report.xlsx", sheet_name=None)
    statements = pd.read_csv(out / "statements.csv")
    assert len(sheets["statements"]) == len(statements)
    assert sheets["statements"]["paid"].sum() == pytest.approx(statements["paid"].sum())
    assert sheets["reps"]["paid"].sum() == pytest.approx(statements["paid"].sum())
    assert len(sheets["lines"]) == len(pd.read_csv(out / "lines.csv"))
    needs_chromium()
    assert page_counts(out / "report.html") == (3, 2)


def test_a_failing_report_leaves_nothing_half_written(tiny, tmp_path, capsys, monkeypatch):
    import spmopt.analysis.reports as reports

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(reports, "write_report", broken)
    out = tmp_path / "out"
    status = main(["compare", str(tiny), "--out", str(out), "--quiet", "--report"])
    assert status == 2 and "disk full" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".spmopt-staging-*"))


def test_backtest_report_holds_the_replay(tmp_path, capsys):
    """Replay only (no simulation): the workbook's sheets equal the backtest's CSVs, the summary
    split into money and ratio rows, and the page renders every table and the pay-change plot."""
    out = tmp_path / "out"
    plans = SCENARIOS / "plans"
    data = SCENARIOS / "data"
    status = main(
        [
            "backtest",
            "--plan",
            str(plans / "saas-ae.toml"),
            "--plan",
            str(plans / "capped-decelerator.toml"),
            "--credits",
            str(data / "credits.csv"),
            "--roster",
            str(data / "roster.csv"),
            "--out",
            str(out),
            "--report",
        ]
    )
    assert status == 0, capsys.readouterr().err
    sheets = pd.read_excel(out / "report.xlsx", sheet_name=None)
    for stem in ("backtest_reps", "backtest_winners_losers"):
        pd.testing.assert_frame_equal(
            sheets[stem], pd.read_csv(out / f"{stem}.csv"), check_dtype=False, rtol=1e-9
        )
    summary = pd.read_csv(out / "backtest_summary.csv")
    split = pd.concat([sheets["backtest_summary"], sheets["backtest_summary_ratios"]])
    assert sorted(split["metric"]) == sorted(summary["metric"])
    assert "cost_of_sales" in set(sheets["backtest_summary_ratios"]["metric"])
    needs_chromium()
    assert page_counts(out / "report.html") == (len(sheets) - 1, 1)
