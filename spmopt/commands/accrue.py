"""``spmopt accrue``: monthly commission accruals and the ASC 340-40 waterfall (docs/monitoring.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(commands) -> None:
    """Add the ``accrue`` subcommand to ``commands``."""
    from spmopt.cli import _OUT_HELP, _as_of
    from spmopt.commands import add_plans_credits_roster

    accrue = commands.add_parser(
        "accrue",
        help="monthly commission accruals (rate-based, expected-attainment) and the ASC 340-40 "
        "capitalisation/amortisation waterfall",
    )
    add_plans_credits_roster(accrue)
    accrue.add_argument(
        "--as-of",
        type=_as_of,
        metavar="YYYY-MM-DD",
        help="last day of the data: accruals run for each month to the one containing it "
        "(default: the plan year's end, when the year's actual variance is also reported)",
    )
    accrue.add_argument(
        "--expected-attainment",
        type=_ratio,
        metavar="RATIO",
        help="year-end attainment expected of every rep for the expected-attainment method "
        "(default: each rep's pace to date)",
    )
    accrue.add_argument(
        "--amortisation-months",
        type=_months,
        default=12,
        metavar="N",
        help="period of benefit over which capitalised commissions amortise (default: 12)",
    )
    accrue.add_argument(
        "--no-practical-expedient",
        action="store_true",
        help="capitalise even when the amortisation period is a year or less (default: expense "
        "such commissions as incurred)",
    )
    accrue.add_argument(
        "--capitalise",
        choices=["earned", "rate", "expected"],
        default="earned",
        help="monthly commission cost that is capitalised: the plan's earnings true-up, or a "
        "method's accrual (default: earned)",
    )
    accrue.add_argument(
        "--floor-at-earned",
        action="store_true",
        help="never accrue less than the earnings to date (default: the methods as they are)",
    )
    accrue.add_argument(
        "--xlsx",
        action="store_true",
        help="also write accruals.xlsx (one sheet per table) (default: CSV only)",
    )
    accrue.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    accrue.set_defaults(run=_accrue)


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a ratio ≥ 0 (e.g. 0.95), got {text!r}"
        ) from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a ratio ≥ 0 (e.g. 0.95), got {text!r}")
    return value


def _months(text: str) -> int:
    from spmopt.cli import _count

    return _count(text)


def _accrue(args: argparse.Namespace) -> int:
    from spmopt.cli import staged_output
    from spmopt.commands import load_plans_credits_roster
    from spmopt.plan.accruals import accruals

    inputs = load_plans_credits_roster(args)
    plans = inputs.plans
    result = accruals(
        inputs.plan,
        inputs.credits,
        inputs.roster,
        as_of=args.as_of,
        expected_attainment=args.expected_attainment,
        amortisation_months=args.amortisation_months,
        practical_expedient=not args.no_practical_expedient,
        capitalise=args.capitalise,
        floor_at_earned=args.floor_at_earned,
        **inputs.sources,
    )
    with staged_output(args.out, "accrue") as staging:
        written = result.write(staging, xlsx=args.xlsx)
    by_month = result.accruals.groupby(["plan_id", "month", "method"], sort=False)[
        ["accrual", "accrued_to_date", "earned_to_date"]
    ].sum()
    for plan in plans:
        if plan.id not in by_month.index.get_level_values(0):
            continue
        table = by_month.loc[plan.id].unstack("method")
        shown = {
            "rate accrual": table[("accrual", "rate")],
            "expected accrual": table[("accrual", "expected")],
            "rate to date": table[("accrued_to_date", "rate")],
            "expected to date": table[("accrued_to_date", "expected")],
            "earned to date": table[("earned_to_date", "rate")],
        }
        import pandas as pd

        frame = pd.DataFrame(shown).map("{:,.2f}".format).reset_index()
        print(f"Plan '{plan.id}': commission accruals per month, all reps ({plan.currency})")
        print(frame.to_string(index=False))
        summary = result.summary[result.summary["plan_id"] == plan.id]
        if result.year_complete:
            errors = summary.groupby("method")[["true_up", "mean_abs_error"]].sum()
            print(
                "Year complete: year-end true-up (actual − accrued) rate-based "
                f"{errors.loc['rate', 'true_up']:,.2f}, expected-attainment "
                f"{errors.loc['expected', 'true_up']:,.2f}; summed per-rep mean absolute error of "
                "accrued to date against the actual year allocated by credits: rate-based "
                f"{errors.loc['rate', 'mean_abs_error']:,.2f}, expected-attainment "
                f"{errors.loc['expected', 'mean_abs_error']:,.2f}"
            )
        waterfall = result.waterfall[result.waterfall["plan_id"] == plan.id]
        in_year = waterfall.head(len(table))
        if waterfall["capitalised"].eq(0).all():
            print(
                f"ASC 340-40: a {args.amortisation_months}-month period of benefit, practical "
                f"expedient: {in_year['expensed_as_incurred'].sum():,.2f} expensed as incurred to "
                f"{table.index[-1]}\n"
            )
        else:
            print(
                f"ASC 340-40: a {args.amortisation_months}-month period of benefit: capitalised "
                f"{in_year['capitalised'].sum():,.2f}, amortised {in_year['amortised'].sum():,.2f} "
                f"to {table.index[-1]}; balance {in_year['balance'].iloc[-1]:,.2f} amortising to "
                f"{waterfall['month'].iloc[-1]}\n"
            )
    print("Wrote " + ", ".join(str(Path(args.out) / path.name) for path in written))
    return 0
