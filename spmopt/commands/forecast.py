"""``spmopt forecast``: year-end payout and attainment forecast from the credits to an as-of date."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(commands) -> None:
    """Add the ``forecast`` subcommand to ``commands``."""
    from spmopt.cli import _OUT_HELP, _as_of, _count, _seed
    from spmopt.commands import add_plans_credits_roster

    forecast = commands.add_parser(
        "forecast",
        help="forecast each rep's year-end payout and attainment (P10/P50/P90, P(quota)) from "
        "the credits to an as-of date",
    )
    add_plans_credits_roster(forecast)
    forecast.add_argument(
        "--as-of",
        required=True,
        type=_as_of,
        metavar="YYYY-MM-DD",
        help="the as-of date (required): credits after it are left out",
    )
    forecast.add_argument(
        "--replications",
        type=_count,
        default=1000,
        metavar="N",
        help="simulated rests of the year (default: 1000)",
    )
    forecast.add_argument(
        "--seed", type=_seed, default=0, metavar="S", help="random seed (default: 0)"
    )
    forecast.add_argument(
        "--budget",
        type=float,
        metavar="AMOUNT",
        help="the year's incentive budget for all reps (default: their target incentives)",
    )
    forecast.add_argument(
        "--last-year",
        type=Path,
        metavar="CREDITS.csv",
        help="credits of the previous plan year: adds a replay of each rep's rest of last year "
        "(scaled to this year's quota where --last-year-roster gives last year's; reps without "
        "credits last year fall back to their run rate; default: no replay)",
    )
    forecast.add_argument(
        "--last-year-roster",
        type=Path,
        metavar="ROSTER.csv",
        help="last year's roster (its quota column scales the replay where the quota changed; "
        "default: no scaling)",
    )
    forecast.add_argument(
        "--behaviour",
        type=Path,
        metavar="SCENARIO.toml",
        help="let each rep's remaining months respond to their plan position (give up far below "
        "a threshold, coast at a cap) through their own dynamic effort policy: base sales fitted "
        "to their rate, the other traits of a segment of this scenario (effort model 'dynamic'); "
        "single-measure plans only (default: no response, the statistical forecast)",
    )
    forecast.add_argument(
        "--behaviour-segment",
        metavar="NAME",
        help="the scenario segment lending the reps' traits but base sales (default: its first)",
    )
    forecast.add_argument(
        "--seasonality",
        metavar="W1,...,W12|behaviour",
        help="expected sales per unit of quota of each month of the plan year (12 comma-separated "
        "relative weights), or 'behaviour' for the --behaviour scenario segment's seasonality: "
        "rates are measured against, and the rest of the year simulated on, the quota shaped by "
        "it (default: none)",
    )
    forecast.add_argument(
        "--pipeline",
        type=Path,
        metavar="PIPELINE.csv",
        help="open deals (rep_id, deal_id, amount, expected_close[, probability, stage, "
        "measure]): each closes in its month with its probability (default 1), and the "
        "statistical forecast of the business not yet in the pipeline is scaled down by the "
        "share the pipeline holds force-wide; deals expected after the year end are ignored "
        "(default: no pipeline)",
    )
    forecast.add_argument(
        "--show", type=int, default=10, metavar="N", help="reps to print per plan (default: 10)"
    )
    forecast.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    forecast.set_defaults(run=_forecast)


def _forecast(args: argparse.Namespace) -> int:
    import pandas as pd

    from spmopt.cli import staged_output
    from spmopt.commands import load_plans_credits_roster
    from spmopt.plan import read_credits, read_roster
    from spmopt.sim.forecast import forecast
    from spmopt.sim.forecast_pipeline import read_pipeline

    inputs = load_plans_credits_roster(args)
    plans = inputs.plans
    result = forecast(
        inputs.plan,
        inputs.credits,
        inputs.roster,
        as_of=args.as_of,
        replications=args.replications,
        seed=args.seed,
        budget=args.budget,
        **inputs.sources,
        last_year=read_credits(args.last_year) if args.last_year else None,
        last_year_roster=read_roster(args.last_year_roster) if args.last_year_roster else None,
        behaviour=args.behaviour,
        behaviour_segment=args.behaviour_segment,
        pipeline=read_pipeline(args.pipeline) if args.pipeline else None,
        pipeline_source=str(args.pipeline),
        seasonality=_seasonality(args.seasonality),
    )
    with staged_output(args.out, "forecast") as staging:
        written = result.write(staging)
    money = "{:,.0f}".format
    percent = "{:.0%}".format
    for plan in plans:
        rows = result.reps[result.reps["plan_id"] == plan.id]
        if rows.empty:
            continue
        shown = pd.DataFrame(
            {
                "rep_id": rows["rep_id"],
                "attained": rows["attainment_ytd"].map(percent),
                "pace": rows["pace"].map(percent),
                "earned": rows["earned_ytd"].map(money),
                "payout P10": rows["payout_p10"].map(money),
                "P50": rows["payout_p50"].map(money),
                "P90": rows["payout_p90"].map(money),
                "run rate": rows["run_rate_payout"].map(money),
                **(
                    {
                        "replay": rows["replay_payout"].map(money)
                        + rows["replay_basis"].map({"last_year": "", "run_rate": "*"})
                    }
                    if args.last_year
                    else {}
                ),
                **(
                    {"rate ×": rows["behaviour_factor"].map("{:.2f}".format)}
                    if args.behaviour and rows["behaviour_factor"].notna().any()
                    else {}
                ),
                **({"pipeline": rows["pipeline_expected"].map(money)} if args.pipeline else {}),
                "year attainment P50": rows["attainment_p50"].map(percent),
                "P(quota)": rows["p_quota"].map(percent),
            }
        ).head(args.show)
        print(f"Plan '{plan.id}' ({len(rows)} reps), year-end forecast from {result.as_of}:")
        print(shown.to_string(index=False))
        if args.last_year and (rows["replay_basis"] == "run_rate").any():
            print("* no credits last year: the replay uses the rep's run rate")
        if len(rows) > args.show:
            print(f"… {len(rows) - args.show} more reps in forecast_reps.csv")
        print()
    for row in result.totals.itertuples():
        label = "All reps" if row.plan_id == "all" else f"Plan '{row.plan_id}'"
        print(
            f"{label}: year-end incentive cost {money(row.expected_payout)} expected "
            f"(P10 {money(row.payout_p10)}, P50 {money(row.payout_p50)}, P90 "
            f"{money(row.payout_p90)}); run-rate {money(row.run_rate_payout)}; "
            + (
                f"replay of last year {money(row.replay_payout)} ({row.replay_from_last_year} of "
                f"{row.reps} reps from their own history); "
                if args.last_year
                else ""
            )
            + (
                f"probability-weighted pipeline {money(row.pipeline_expected)}; "
                if args.pipeline
                else ""
            )
            + f"budget "
            f"{money(row.budget)}, P(over budget) {row.p_over_budget:.0%}; expected share of reps "
            f"at quota {row.expected_share_at_quota:.0%}"
        )
    for note in result.notes:
        print(f"Note: {note}")
    print("Wrote " + ", ".join(str(Path(args.out) / path.name) for path in written))
    return 0


def _seasonality(text: str | None):
    """``--seasonality``: None, ``"behaviour"`` or 12 weights."""
    from spmopt.errors import SpmoptInputError

    if text is None or text.strip() == "behaviour":
        return None if text is None else "behaviour"
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise SpmoptInputError(
            f"--seasonality: expected 12 comma-separated weights or 'behaviour', not '{text}'"
        ) from None
