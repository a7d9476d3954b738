"""``spmopt backtest``: last year's credits through an old and a new plan, beside the same reps
simulated responding to each (docs/finance.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(commands) -> None:
    """Add the ``backtest`` subcommand to ``commands``."""
    from spmopt.cli import _OUT_HELP, _QUIET_HELP, _REPORT_HELP, _count, _non_negative, _seed

    parser = commands.add_parser(
        "backtest",
        help="replay credits through an old and a new plan, beside simulated behaviour",
        description="Replay historical credits through two plans with behaviour held fixed "
        "(exact statements), per rep and in total; with --scenario, also simulate the same reps "
        "(fitted into a scenario segment) responding to each plan, and explain the difference.",
    )
    parser.add_argument(
        "--plan",
        required=True,
        action="append",
        type=Path,
        metavar="PLAN.toml",
        help="give twice: the old plan, then the new plan (required)",
    )
    parser.add_argument(
        "--credits",
        required=True,
        type=Path,
        metavar="CREDITS.csv",
        help="historical credits: rep_id, date, measure, amount[, deal_id] (required)",
    )
    parser.add_argument(
        "--roster",
        type=Path,
        metavar="ROSTER.csv",
        help="one row per rep; with a plan_id column only the reps on the old plan are replayed "
        "(default: every rep in the credits, on the plans' values)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    parser.add_argument("--report", action="store_true", help=_REPORT_HELP)
    parser.add_argument(
        "--scenario",
        type=Path,
        metavar="SCENARIO.toml",
        help="scenario lending the behavioural view its technology, behaviour and rep traits "
        "(default: replay only)",
    )
    parser.add_argument(
        "--segment",
        metavar="NAME",
        help="scenario segment the reps are fitted into (default: the scenario's first)",
    )
    parser.add_argument(
        "--replications",
        type=_count,
        default=100,
        metavar="N",
        help="simulated years per plan and behaviour setting (default: 100)",
    )
    parser.add_argument(
        "--seed", type=_seed, metavar="S", help="random seed ≥ 0 (default: the scenario's seed)"
    )
    parser.add_argument(
        "--revenue-measure",
        action="append",
        metavar="MEASURE",
        help="a measure whose credits are revenue; repeatable (default: every measure the plans "
        "pay except those named *margin*)",
    )
    parser.add_argument(
        "--show", type=_non_negative, default=10, metavar="N", help="reps to print (default: 10)"
    )
    parser.add_argument("--quiet", action="store_true", help=_QUIET_HELP)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``spmopt backtest``; returns the exit status."""
    from spmopt.cli import staged_output
    from spmopt.commands import load_plans_credits_roster
    from spmopt.errors import SpmoptInputError
    from spmopt.finance.backtest import backtest

    if len(args.plan) != 2:
        raise SpmoptInputError(
            f"give --plan exactly twice (the old plan, then the new one); got {len(args.plan)}"
        )
    inputs = load_plans_credits_roster(args)
    old, new = inputs.plans
    if args.scenario is None and (args.segment or args.seed is not None):
        raise SpmoptInputError("--segment and --seed need --scenario (the behavioural view)")
    if not args.quiet and args.scenario is not None:
        print(
            f"simulating the behavioural view ({args.replications} replications × 2 plans × 4 "
            "behaviour settings) …",
            file=sys.stderr,
        )
    result = backtest(
        old,
        new,
        inputs.credits,
        inputs.roster,
        scenario=args.scenario,
        segment=args.segment,
        replications=args.replications,
        seed=args.seed,
        revenue_measures=args.revenue_measure,
        **inputs.sources,
    )
    with staged_output(args.out, "backtest") as staging:
        written = result.write(staging)
        if args.report:
            from spmopt.analysis.reports import backtest_report

            written += backtest_report(result, staging)
    print(format_backtest(result, show=args.show))
    if args.scenario is None:
        print(
            "\n(replay only: add --scenario SCENARIO.toml to simulate the same reps responding "
            "to each plan)"
        )
    print(f"\nWrote {', '.join(path.name for path in written)} under {args.out}")
    return 0


def _money(value: float) -> str:
    return f"{value:,.0f}"


def format_backtest(result, show: int = 10) -> str:
    """The backtest as text: totals, winners and losers, the reps with the largest changes and,
    with a behavioural view, replay vs behaviour and the explanation."""
    import pandas as pd

    old, new = result.labels
    currency = result.new_plan.currency
    lines = [
        f"Backtest: {len(result.reps)} reps' credits replayed through '{old}' (old) and "
        f"'{new}' (new), behaviour held fixed ({currency}):"
    ]
    ratios = {"cost_of_sales", "incentive_cost_of_sales", "share_at_quota"}
    rows = []
    for row in result.summary.itertuples(index=False):
        if row.metric == "reps":
            continue
        fmt = (lambda v: f"{v:.1%}") if row.metric in ratios else _money
        change = f"{row.change:+.1%}" if row.metric in ratios else f"{row.change:+,.0f}"
        rows.append({"metric": row.metric, old: fmt(row.old), new: fmt(row.new), "change": change})
    lines.append(pd.DataFrame(rows).to_string(index=False))
    counts = result.winners_losers.set_index("outcome")
    lines.append(
        f"\nWinners and losers: {counts.loc['wins', 'reps']} reps win "
        f"{counts.loc['wins', 'total_change']:+,.0f} in total, {counts.loc['loses', 'reps']} lose "
        f"{counts.loc['loses', 'total_change']:+,.0f}, {counts.loc['unchanged', 'reps']} unchanged."
    )
    if show:
        reps = result.reps.reindex(result.reps["change"].abs().sort_values(ascending=False).index)
        shown = pd.DataFrame(
            {
                "rep_id": reps["rep_id"],
                "credited": reps["credited"].map(_money),
                f"attain {old}": reps["attainment_old"].map("{:.0%}".format),
                f"attain {new}": reps["attainment_new"].map("{:.0%}".format),
                f"pay {old}": reps["pay_old"].map(_money),
                f"pay {new}": reps["pay_new"].map(_money),
                "change": reps["change"].map("{:+,.0f}".format),
                "outcome": reps["outcome"],
            }
        ).head(show)
        lines.append("\nLargest changes (total pay = base + incentive earned):")
        lines.append(shown.to_string(index=False))
    for note in result.notes:
        lines.append(f"note: {note}")
    if result.behaviour is not None:
        view = result.behaviour
        side = result.side_by_side()
        lines.append(
            f"\nReplay vs behaviour ({view.replications} replications, reps fitted into "
            f"segment '{view.segment}' of scenario '{view.scenario_id}'; ± 1.96 se):"
        )
        rows = []
        for row in side.itertuples(index=False):
            ratio = row.metric == "cost_of_sales"
            fmt = (lambda v: f"{v:.1%}") if ratio else _money
            rows.append(
                {
                    "metric": row.metric,
                    "plan": row.plan,
                    "replay": fmt(row.replay),
                    "behavioural": f"{fmt(row.behavioural)} ± {fmt(1.96 * row.behavioural_se)}",
                }
            )
        lines.append(pd.DataFrame(rows).to_string(index=False))
        lines.append(f"\nWhy the change from '{old}' to '{new}' differs (± 1.96 se):")
        rows = [
            {
                "step": row.step,
                "revenue change": f"{row.revenue_change:+,.0f} ± {1.96 * row.revenue_change_se:,.0f}",
                "comp cost change": f"{row.comp_cost_change:+,.0f} ± "
                f"{1.96 * row.comp_cost_change_se:,.0f}",
                "driver": row.driver,
            }
            for row in view.explained.itertuples(index=False)
        ]
        lines.append(pd.DataFrame(rows).to_string(index=False))
        full = view.indicators[view.indicators["setting"] == "full"]
        lines.append(
            "Indicators (full behaviour): "
            + "; ".join(
                f"{row.plan}: mean effort {row.mean_effort:.2f}, "
                f"{row.share_months_given_up:.1%} of rep-months given up, "
                f"{row.leavers:.1f} leavers, pulled {row.pulled:,.0f} / pushed {row.pushed:,.0f}"
                for row in full.itertuples(index=False)
            )
        )
    return "\n".join(lines)
