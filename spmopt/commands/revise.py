"""``spmopt revise``: hold the plan or revise it for the rest of the year (quota / rate for H2)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _multiples(text: str) -> list[float]:
    """A comma-separated list of multiples ≥ 0 (argparse type)."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated numbers, got {text!r}"
            ) from None
        if not (0 <= value < float("inf")):
            raise argparse.ArgumentTypeError(f"expected multiples ≥ 0, got {part.strip()!r}")
        values.append(value)
    return values


def _probabilities(text: str) -> list[float]:
    """A comma-separated list of probabilities in [0, 1] (argparse type)."""
    values = _multiples(text)
    if any(value > 1 for value in values):
        raise argparse.ArgumentTypeError(f"expected probabilities in [0, 1], got {text!r}")
    return values


def _probability(text: str) -> float:
    values = _probabilities(text)
    if len(values) != 1:
        raise argparse.ArgumentTypeError(f"expected one probability in [0, 1], got {text!r}")
    return values[0]


def add_parser(commands) -> None:
    """Add the ``revise`` subcommand to ``commands``."""
    from spmopt.cli import _OUT_HELP, _as_of, _count, _seed

    revise = commands.add_parser(
        "revise",
        help="compare holding the plan with revising quota or rates for the rest of the year, "
        "with the credibility cost of a revision",
    )
    revise.add_argument("scenario", type=Path, help="scenario file (TOML)")
    revise.add_argument(
        "--as-of",
        required=True,
        type=_as_of,
        metavar="YYYY-MM-DD",
        help="the month end from which the revision applies (required)",
    )
    revise.add_argument(
        "--plan",
        metavar="NAME",
        help="a plan of the scenario's [plans] for every segment (default: each segment's own)",
    )
    revise.add_argument(
        "--quota-multiples",
        type=_multiples,
        default=[1.0],
        metavar="M,M,…",
        help="multiples of the remaining months' quota to try (default: 1)",
    )
    revise.add_argument(
        "--rate-multiples",
        type=_multiples,
        default=[1.0],
        metavar="M,M,…",
        help="multiples of every tier's rate for the remaining months to try (default: 1)",
    )
    revise.add_argument(
        "--belief",
        type=_probability,
        default=0.5,
        metavar="RHO",
        help="probability ρ reps put on being ratcheted after a revision (default: 0.5, an "
        "assumption; see docs/monitoring.md)",
    )
    revise.add_argument(
        "--beliefs",
        type=_probabilities,
        default=[0.0, 0.25, 0.5, 1.0],
        metavar="RHO,RHO,…",
        help="values of ρ whose credibility cost is reported (default: 0,0.25,0.5,1)",
    )
    revise.add_argument(
        "--budget",
        type=float,
        metavar="AMOUNT",
        help="the year's compensation budget, base + incentive (default: the scenario's "
        "finance.comp_budget)",
    )
    revise.add_argument(
        "--replications", type=_count, metavar="N", help="simulated years (default: scenario's)"
    )
    revise.add_argument("--seed", type=_seed, metavar="S", help="random seed (default: scenario's)")
    revise.add_argument(
        "--credits",
        type=Path,
        metavar="CREDITS.csv",
        help="the company's credits (rep_id, date, measure, amount): the reps are the "
        "company's and the months to the as-of date are their observed credits; credits after "
        "it are left out (default: none, the months to date are simulated from the scenario)",
    )
    revise.add_argument(
        "--roster",
        type=Path,
        metavar="ROSTER.csv",
        help="the company's roster (quota, target incentive, base salary, start date, plan_id; "
        "with --credits; default: every credited rep on the plan's terms)",
    )
    revise.add_argument(
        "--segment",
        metavar="NAME",
        help="with --credits: the scenario segment lending the reps' traits, sales technology "
        "and plan (default: the first)",
    )
    revise.add_argument(
        "--show",
        type=int,
        default=10,
        metavar="N",
        help="reps to print with --credits (default: 10)",
    )
    revise.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines (default: one per candidate simulated, on stderr)",
    )
    revise.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    revise.set_defaults(run=_revise)


def _revise(args: argparse.Namespace) -> int:
    import sys

    import numpy as np
    import pandas as pd

    from spmopt.cli import staged_output
    from spmopt.errors import SpmoptInputError
    from spmopt.plan import read_credits, read_roster
    from spmopt.run.revise import revise

    if args.credits is None and (args.roster is not None or args.segment is not None):
        raise SpmoptInputError("--roster and --segment need --credits")
    credits = read_credits(args.credits) if args.credits else None
    roster = read_roster(args.roster) if args.roster else None

    def progress(label: str) -> None:
        if not args.quiet:
            print(f"simulated: {label}", file=sys.stderr, flush=True)

    result = revise(
        args.scenario,
        args.as_of,
        quota_multiples=args.quota_multiples,
        rate_multiples=args.rate_multiples,
        plan=args.plan,
        replications=args.replications,
        seed=args.seed,
        belief=args.belief,
        beliefs=args.beliefs,
        budget=args.budget,
        progress=progress,
        credits=credits,
        roster=roster,
        segment=args.segment,
        credits_source=str(args.credits) if args.credits else "credits",
        roster_source=str(args.roster) if args.roster else "roster",
    )
    with staged_output(args.out, "revise") as staging:
        written = result.write(staging)
    money = "{:,.0f}".format
    summary = result.summary

    def with_se(mean: str, se: str) -> list[str]:
        return [f"{money(m)} ({money(s)})" for m, s in zip(summary[mean], summary[se], strict=True)]

    shown = pd.DataFrame(
        {
            "candidate": summary["revision_id"],
            "rest profit": summary["rest_profit"].map(money),
            "gain vs hold (se)": with_se("rest_profit_gain", "rest_profit_gain_se"),
            "rest incentive": summary["rest_incentive_cost"].map(money),
            "year incentive": summary["year_incentive_cost"].map(money),
            "in budget": summary["within_budget"].map({True: "yes", False: "no"}),
            "credibility cost": summary["credibility_cost"].map(money),
            "net gain (se)": with_se("net_gain", "net_gain_se"),
            "pays if ρ <": [
                "" if hold else "never" if np.isnan(rho) else f"{rho:.3f}"
                for rho, hold in zip(
                    summary["break_even_belief"], summary["revision_id"] == "hold", strict=True
                )
            ],
            "chosen": summary["chosen"].map({True: "*", False: ""}),
        }
    )
    print(
        f"Rest of the year from {result.as_of} ({result.metadata['replications']} replications, "
        f"common random numbers; credibility cost at ρ = {result.belief:g}):"
    )
    print(shown.to_string(index=False))
    costs = ", ".join(
        f"ρ = {row.belief:g}: {money(row.credibility_cost)}"
        for row in result.credibility.itertuples()
    )
    print(f"Credibility cost of a revision (next year's profit lost): {costs}")
    print(f"Chosen: {result.chosen}")
    if credits is not None:
        _print_reps(result, args.show)
    print("Wrote " + ", ".join(str(Path(args.out) / path.name) for path in written))
    return 0


def _print_reps(result, show: int) -> None:
    """The company's reps: observed to date, and the expected pay of the rest of the year under
    hold and the chosen candidate (the best revision by net gain when holding is chosen)."""
    import pandas as pd

    money = "{:,.0f}".format
    reps = result.reps
    hold = reps[reps["revision_id"] == "hold"].reset_index(drop=True)
    label = result.chosen
    if label == "hold" and len(result.summary) > 1:  # then the best revision by net gain
        revisions = result.summary.iloc[1:]
        label = str(revisions.loc[revisions["net_gain"].idxmax(), "revision_id"])
    chosen = reps[reps["revision_id"] == label].reset_index(drop=True)
    shown = pd.DataFrame(
        {
            "rep_id": hold["rep_id"],
            "attained to date": hold["attainment_to_date"].map("{:.0%}".format),
            "earned to date": hold["earned_to_date"].map(money),
            "rest pay, hold": hold["rest_incentive"].map(money),
            f"rest pay, {label}": chosen["rest_incentive"].map(money),
        }
    ).head(show)
    print(f"Observed reps ({len(hold)}; expected pay of the rest of the year):")
    print(shown.to_string(index=False))
    if len(hold) > show:
        print(f"… {len(hold) - show} more reps in revise_reps.csv")
    for note in result.metadata.get("notes", ()):
        print(f"Note: {note}")
