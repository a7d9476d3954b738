"""``spmopt solve-for``: reverse questions — sales for a payout, budget for a share at quota,
quota for a cost of sales (docs/finance.md, "Reverse questions")."""

from __future__ import annotations

import argparse
from pathlib import Path


def _ratio(text: str) -> float:
    """A ratio from the command line: ``0.6`` or ``60%``."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a ratio such as 0.6 or 60%, got {text!r}"
        ) from None
    return value


def _money(text: str) -> float:
    """An amount: ``130000``, ``130_000`` or ``130,000``."""
    try:
        return float(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an amount such as 130000, got {text!r}"
        ) from None


def _bounds(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH such as 0.5,2, got {text!r}") from None
    return low, high


def add_parser(commands) -> None:
    """Add ``solve-for`` with its three questions ``sales``, ``budget`` and ``quota``."""
    from spmopt.cli import _OUT_HELP, _count, _Parser, _seed

    solve = commands.add_parser(
        "solve-for",
        help="reverse questions: sales for a payout, budget for a share at quota, quota for a "
        "cost of sales",
        description="Reverse questions. 'sales' inverts a plan's payout curve exactly; 'budget' "
        "and 'quota' search a quota (or rate) multiple by bisection on simulations sharing "
        "their random numbers, to within --tolerance of the multiple.",
    )
    questions = solve.add_subparsers(dest="question", required=True, parser_class=_Parser)

    sales = questions.add_parser("sales", help="sales a rep needs for a target annual incentive")
    sales.add_argument(
        "--plan", required=True, type=Path, metavar="PLAN.toml", help="the plan file (required)"
    )
    target = sales.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--incentive",
        type=_money,
        metavar="AMOUNT",
        help="annual incentive wanted (required: this or --total-pay)",
    )
    target.add_argument(
        "--total-pay",
        type=_money,
        metavar="AMOUNT",
        help="annual base + incentive wanted (required: this or --incentive)",
    )
    sales.add_argument(
        "--quota",
        type=_money,
        metavar="AMOUNT",
        help="the rep's own annual quota (default: the plan's; single-measure plans)",
    )
    sales.add_argument(
        "--out", type=Path, metavar="DIR", help="also write solve_for.csv (" + _OUT_HELP + ")"
    )
    sales.set_defaults(run=_sales)

    for name, helptext in (
        ("budget", "comp budget for a target share of reps at quota"),
        ("quota", "quota multiple meeting a cost-of-sales target"),
    ):
        question = questions.add_parser(name, help=helptext)
        question.add_argument(
            "scenario", type=Path, metavar="SCENARIO.toml", help="the scenario file (required)"
        )
        if name == "budget":
            question.add_argument(
                "--share-at-quota",
                required=True,
                type=_ratio,
                metavar="RATIO",
                help="share of reps (seated all year) at or above quota, e.g. 0.6 or 60%% (required)",
            )
            question.add_argument(
                "--lever",
                choices=["quota", "rate"],
                default="quota",
                help="what moves: quota level (largest multiple reaching the share) or every "
                "tier's rate (smallest multiple reaching it) (default: quota)",
            )
        else:
            question.add_argument(
                "--cost-of-sales",
                required=True,
                type=_ratio,
                metavar="RATIO",
                help="ceiling on (base + incentive) / revenue, e.g. 0.2 or 20%% (required)",
            )
        question.add_argument(
            "--plan",
            metavar="NAME",
            help="a plan name from the scenario's [plans] for every segment (default: each "
            "segment's own plan)",
        )
        question.add_argument(
            "--bounds",
            type=_bounds,
            default=(0.5, 2.0),
            metavar="LOW,HIGH",
            help="multiples searched (default: 0.5,2)",
        )
        question.add_argument(
            "--tolerance",
            type=float,
            default=0.005,
            metavar="MULTIPLE",
            help="width of the final bracket of the multiple (default: 0.005)",
        )
        question.add_argument(
            "--replications",
            type=_count,
            metavar="N",
            help="replications per evaluation (default: the scenario's)",
        )
        question.add_argument(
            "--seed", type=_seed, metavar="S", help="random seed (default: the scenario's)"
        )
        question.add_argument(
            "--engine", choices=["fast", "events"], help="engine (default: the scenario's)"
        )
        question.add_argument(
            "--out",
            type=Path,
            metavar="DIR",
            help="also write solve_for.csv and solve_for_evaluations.csv (" + _OUT_HELP + ")",
        )
        question.set_defaults(run=_simulated)


def _sales(args: argparse.Namespace) -> int:
    from spmopt.errors import SpmoptInputError
    from spmopt.optimise.reverse import sales_for_payout
    from spmopt.plan import Plan

    plan = Plan.load(args.plan)
    incentive = args.incentive
    if incentive is None:
        incentive = args.total_pay - plan.base_salary
        if incentive < 0:
            raise SpmoptInputError(
                f"--total-pay {args.total_pay:,.0f} is below the plan's base salary "
                f"{plan.base_salary:,.0f}"
            )
    needed = sales_for_payout(plan, incentive, quota=args.quota)
    sales = ", ".join(f"{measure} {amount:,.2f}" for measure, amount in needed.sales.items())
    reached = (
        "" if needed.attained else " (reached just above it: that boundary pays the lower tier)"
    )
    print(
        f"Plan '{plan.id}': an annual incentive of {incentive:,.2f} {plan.currency} needs "
        f"{needed.attainment:.4%} attainment{reached} — sales of {sales}; the plan pays "
        f"{needed.incentive:,.2f} there (total pay {plan.base_salary + needed.incentive:,.2f})."
    )
    _write(args, {"solve_for.csv": needed.to_frame()})
    return 0


def _simulated(args: argparse.Namespace) -> int:
    from spmopt.optimise.reverse import budget_for_share_at_quota, quota_for_cost_of_sales

    options = {
        "bounds": args.bounds,
        "plan": args.plan,
        "tolerance": args.tolerance,
        "replications": args.replications,
        "seed": args.seed,
        "engine": args.engine,
    }
    if args.question == "budget":
        found = budget_for_share_at_quota(
            args.scenario, args.share_at_quota, lever=args.lever, **options
        )
        print(
            f"{args.share_at_quota:.1%} of reps at quota: {found.lever} × {found.multiple:.4g} "
            f"(crossing within [{found.bracket[0]:.4g}, {found.bracket[1]:.4g}]) gives "
            f"{found.achieved:.1%} ± {1.96 * found.achieved_se:.1%}; comp budget "
            f"{found.comp_cost:,.0f} on average, {found.comp_cost_p90:,.0f} at P90."
        )
    else:
        found = quota_for_cost_of_sales(args.scenario, args.cost_of_sales, **options)
        print(
            f"Cost of sales at most {args.cost_of_sales:.1%}: quota × {found.multiple:.4g} "
            f"(crossing within [{found.bracket[0]:.4g}, {found.bracket[1]:.4g}]) gives "
            f"{found.achieved:.2%} ± {1.96 * found.achieved_se:.2%}; comp cost "
            f"{found.comp_cost:,.0f}, revenue {found.revenue:,.0f}."
        )
    print(
        f"({len(found.evaluations)} simulations of {found.replications} replications each on "
        "common random numbers; ± is 1.96 standard errors over replications.)"
    )
    _write(
        args,
        {"solve_for.csv": found.to_frame(), "solve_for_evaluations.csv": found.evaluations},
    )
    return 0


def _write(args: argparse.Namespace, tables: dict) -> None:
    if args.out is None:
        return
    from spmopt.cli import staged_output

    with staged_output(args.out, "solve-for") as staging:
        for name, table in tables.items():
            table.to_csv(staging / name, index=False, float_format="%.10g")
    print(f"Wrote {', '.join(tables)} under {args.out}")
