"""Finance reports of the commands (``--report``): which tables and figures, formatted how.

Each ``*_report`` function turns a command's result into the tables and figures of
:func:`spmopt.report.write_report` and writes ``report.html`` and ``report.xlsx`` into a folder
(the command's staging folder). The tables are the ones the command writes as CSV, with money
and ratio columns marked; nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from spmopt.report import ReportTable, write_report

RATIO_FIGURES = {"cost_of_sales", "share_at_quota", "attrition"}


def _money_and_ratios(frame: pd.DataFrame, **options) -> ReportTable:
    """A table whose ratio columns are named as in :data:`RATIO_FIGURES` (or start ``p_``,
    ``share``) and whose other float columns are money, except those in ``plain``."""
    plain = set(options.pop("plain", ()))
    percent = [
        c
        for c in frame.columns
        if c not in plain
        and (
            c in RATIO_FIGURES
            or c.startswith(("p_", "share", "cost_of_sales", "attainment"))
            or c in options.get("percent", ())
        )
    ]
    options.pop("percent", None)
    money = [
        c
        for c in frame.columns
        if c not in plain
        and c not in percent
        and pd.api.types.is_float_dtype(frame[c])
        and c not in ("z", "weight")
    ]
    return ReportTable(frame, money=money, percent=percent, **options)


def _by_figure(differences: pd.DataFrame, ratio: bool) -> pd.DataFrame:
    """The rows of a long table (``figure`` or ``metric`` column) that are ratios, or money."""
    key = "figure" if "figure" in differences else "metric"
    return differences[differences[key].isin(RATIO_FIGURES) == ratio].reset_index(drop=True)


def _write(out_dir, title, tables, figures, notes, appendix=()) -> list[Path]:
    try:
        return write_report(out_dir, title, tables, figures, notes=notes, appendix=appendix)
    finally:
        for figure in figures.values():
            if hasattr(figure, "savefig"):
                plt.close(figure)


def compare_report(result, out_dir: str | Path, notes: Sequence[str] = ()) -> list[Path]:
    """Report of :func:`spmopt.compare`: plans, paired differences, pay per rep, pay at
    attainments, per-replication figures; a comp-cost chart per plan and the payout curves."""
    from spmopt.analysis.report_figures import cost_by_plan, payout_curves

    replications = int(result.table["replications"].iloc[0])
    plan_ids = ", ".join(result.table["plan_id"])
    differences = result.differences
    tables = {
        "plans": _money_and_ratios(
            result.table,
            plain=["replications"],
            caption="One row per plan: annual means over replications; comp cost P10/P50/P90 "
            "across replications; p_over_budget is the share of replications whose comp cost "
            "exceeds the budget, with a 95% Wilson score interval.",
        ),
        "differences_money": _money_and_ratios(
            _by_figure(differences, ratio=False),
            caption="Each plan minus the baseline, paired by replication (common random "
            "numbers): mean difference, standard error and 95% t interval [currency/yr].",
        ),
        "differences_ratios": _money_and_ratios(
            _by_figure(differences, ratio=True),
            percent=["difference", "se", "ci_low", "ci_high"],
            percent_decimals=2,
            caption="The same for ratios (percentage points).",
        ),
    }
    if result.pay is not None:
        tables["pay_per_rep"] = _money_and_ratios(
            result.pay,
            plain=["gini", "top_decile_to_median", "rep_years"],
            caption="How pay (base + incentive) spreads over reps who held their seat all year; "
            "means over replication-years. typical_rep_pay: the rep at the median attainment; "
            "top_decile_to_median: mean pay of the best-paid tenth over the median pay.",
        )
    if result.pay_at_attainment is not None:
        tables["pay_at_attainment"] = _money_and_ratios(
            result.pay_at_attainment,
            caption="Annual pay of a rep on the plan's own quota and target incentive, read off "
            "the plan's curve (every measure at that attainment).",
        )
    tables["replications"] = _money_and_ratios(
        result.metrics,
        plain=["replication"],
        max_html_rows=40,
        caption="Company figures of every simulated year-set (replication) and plan.",
    )
    figures = {
        f"Comp cost per plan, {replications} replications (scenario {result.scenario_id})": (
            cost_by_plan(
                result.metrics,
                result.budget,
                title=f"{result.scenario_id}: comp cost of {plan_ids} ({replications} replications)",
            )
        )
    }
    if result.plans:
        figures["Payout curves of the plans compared"] = payout_curves(
            result.plans, title=f"{result.scenario_id}: annual pay by attainment"
        )
    budget = f"; comp budget {result.budget:,.0f}" if result.budget else ""
    notes = [
        f"Scenario '{result.scenario_id}', plans {plan_ids}; {replications} replications each on "
        f"common random numbers{budget}.",
        *notes,
    ]
    title = f"Plans compared on {result.scenario_id}"
    return _write(out_dir, title, tables, figures, notes, appendix=["replications"])


def optimise_report(
    result, out_dir: str | Path, frontier: pd.DataFrame | None = None, figures=None
) -> list[Path]:
    """Report of :func:`spmopt.optimise`: chosen plans, validation (predicted vs
    re-simulated), constraints with shadow prices, the frontier when traced, the responses;
    payout curves of the incumbent and chosen plans."""
    from spmopt.analysis.report_figures import payout_curves

    solution = result.solution
    choice = solution.choice.copy()
    choice.insert(2, "plan_id", [result.plans[str(unit)].id for unit in choice["unit"]])
    choice["unit"] = choice["unit"].astype(str)
    tables = {
        "choice": _money_and_ratios(
            choice,
            plain=["reps"],
            caption=f"Chosen plan per {result.options.unit}; expected annual figures from the "
            f"response table ({result.options.replications} replications per candidate).",
        )
    }
    validation = result.validation
    if len(validation):
        tables["validation_money"] = _money_and_ratios(
            _by_figure(validation, ratio=False),
            plain=["z", "replications"],
            caption="Incumbent vs optimised: predicted (response table) and re-simulated on "
            "fresh random numbers, with 95% intervals [currency/yr].",
        )
        tables["validation_ratios"] = _money_and_ratios(
            _by_figure(validation, ratio=True),
            percent=["predicted", "predicted_se", "simulated", "simulated_se", "ci_low", "ci_high"],
            plain=["z", "replications"],
        )
    tables["constraints"] = ReportTable(
        solution.constraint_report,
        caption="Constraint rows at the chosen plans: activity, slack, and shadow price "
        "(expected profit gained per unit of the limit, from the LP relaxation).",
        max_html_rows=60,
    )
    if frontier is not None:
        tables["frontier"] = _money_and_ratios(
            frontier, plain=["budget_shadow_price"], caption="Expected profit against budget."
        )
    tables["responses"] = _money_and_ratios(
        result.responses,
        plain=["reps"],
        max_html_rows=60,
        caption="Simulated response of every candidate plan (the LP's data).",
    )
    incumbents = [
        result.scenario.plans[spec.plan] for spec in result.scenario.spec.segments.values()
    ]
    chosen = list({plan.id: plan for plan in result.plans.values()}.values())[:6]
    shown = list({plan.id: plan for plan in [*incumbents, *chosen]}.values())
    all_figures = {
        "Payout curves, incumbent and chosen plans": payout_curves(
            shown, title=f"{result.scenario.id}: incumbent and chosen plans"
        ),
        **(figures or {}),
    }
    notes = [
        f"Scenario '{result.scenario.id}': {len(result.responses)} candidate responses, "
        f"{solution.method}; expected profit {solution.objective:,.0f}, LP bound "
        f"{solution.lp_bound:,.0f}.",
    ]
    return _write(out_dir, f"Optimised plans for {result.scenario.id}", tables, all_figures, notes)


def payouts_report(result, plans: Sequence, out_dir: str | Path) -> list[Path]:
    """Report of :func:`spmopt.statements`: per-rep year totals, statements, audit lines; a
    histogram of pay per rep and the payout curves."""
    from spmopt.analysis.report_figures import pay_histogram, payout_curves

    summary = result.summary()
    money = [
        c
        for c in ("credited", "earned", "draw_topup", "draw_recovery", "clawback", "paid")
        if c in summary
    ]
    balances = [c for c in ("draw_balance", "clawback_balance") if c in summary]
    currency = plans[0].currency
    tables = {
        "reps": ReportTable(
            summary,
            money=[*money, *balances],
            percent=["attainment"],
            money_decimals=2,
            caption=f"One row per rep: year totals [{currency}] and attainment at year end.",
        ),
        "statements": ReportTable(
            result.statements,
            money=[c for c in result.statements.columns if c in {*money, *balances}],
            percent=["attainment"],
            money_decimals=2,
            max_html_rows=60,
            caption="One row per rep and payout period (statements.csv).",
        ),
        "lines": ReportTable(
            result.lines,
            money=["amount"],
            money_decimals=2,
            max_html_rows=60,
            caption="The audit trail: one row per rep, period and component, bonus or adjustment "
            "(lines.csv).",
        ),
    }
    figures = {
        "Incentive paid per rep": pay_histogram(
            summary, title=f"Incentive paid per rep ({len(summary)} reps)", currency=currency
        ),
        "Payout curves": payout_curves(plans, title="annual pay by attainment"),
    }
    plan_ids = ", ".join(plan.id for plan in plans)
    notes = [f"Plans {plan_ids}; {len(summary)} reps; money in {currency}."]
    title = f"Statements: {plan_ids}"
    return _write(out_dir, title, tables, figures, notes, appendix=["statements", "lines"])


_RATIO_WORDS = ("attainment", "share", "pct", "cost_of_sales", "effort")
_COUNT_COLUMNS = {"reps", "months_employed", "leavers"}


def _is_ratio(name: str) -> bool:
    """Whether a column or metric name holds a ratio (0.25 = 25%) rather than money."""
    return any(word in name for word in _RATIO_WORDS)


def _formatted(frame: pd.DataFrame, caption: str = "") -> list[tuple[str, ReportTable]]:
    """A table with its money and ratio columns named; a long table with a ``metric`` column
    (ratio and money rows mixed) is split into a money part and a ratio part."""
    numeric = [c for c in frame.select_dtypes("number").columns if c not in _COUNT_COLUMNS]
    if "metric" in frame.columns:
        ratio_rows = frame["metric"].map(_is_ratio).astype(bool)
        parts = [("", frame[~ratio_rows], numeric, []), ("_ratios", frame[ratio_rows], [], numeric)]
        return [
            (suffix, ReportTable(part, money=money, percent=percent, caption=caption))
            for suffix, part, money, percent in parts
            if not part.empty
        ]
    percent = [c for c in numeric if _is_ratio(c)]
    money = [c for c in numeric if c not in percent]
    return [("", ReportTable(frame, money=money, percent=percent, caption=caption))]


def backtest_report(result, out_dir: str | Path) -> list[Path]:
    """Report of :func:`spmopt.backtest`: the replay's totals, winners and losers and per-rep
    changes, and with a behavioural view replay vs behaviour and the step-by-step explanation;
    money in the plans' currency."""
    frames, figures = result.report_sections()
    tables = {}
    for name, frame in frames.items():
        for suffix, table in _formatted(frame):
            tables[f"{name}{suffix}"] = table
    old, new = result.labels
    return write_report(
        out_dir,
        f"Backtest: '{old}' → '{new}'",
        tables,
        figures,
        notes=[
            "Replay: last year's credits paid under both plans with behaviour held fixed.",
            "Behavioural view (when present): the same reps fitted into a scenario segment and "
            "simulated responding to each plan; ± figures are standard errors.",
        ],
        appendix=[n for n in tables if n.startswith(("backtest_reps", "behaviour_fitted"))],
    )
