"""Subcommands of ``spmopt`` that live in their own module (registered in ``spmopt.cli``).

Each module exposes ``add_parser(commands)``: it adds one subparser to ``commands`` (an
``argparse`` sub-parsers action whose parser class is ``spmopt.cli._Parser``) and sets
``run=handler``; the handler takes the parsed ``argparse.Namespace`` and returns the exit status.
Heavy imports happen inside the handler, so that ``spmopt --help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from spmopt.plan import Plan


def add_plans_credits_roster(parser) -> None:
    """The ``--plan`` (repeatable), ``--credits`` and ``--roster`` options that commands paying
    plans on a credits file share (``accrue``, ``forecast``)."""
    from pathlib import Path

    parser.add_argument(
        "--plan",
        required=True,
        action="append",
        type=Path,
        metavar="PLAN.toml",
        help="plan file (required; repeat for several plans; the roster's plan_id assigns reps)",
    )
    parser.add_argument(
        "--credits", required=True, type=Path, metavar="CREDITS.csv", help="credits file (required)"
    )
    parser.add_argument(
        "--roster",
        type=Path,
        metavar="ROSTER.csv",
        help="roster: quotas and salaries per rep (default: the plans' values for every rep in "
        "the credits)",
    )


@dataclass(frozen=True)
class PlansCreditsRoster:
    """The plans, credits and roster a command read from its ``--plan``, ``--credits`` and
    ``--roster`` options, with the sources its error messages name.

    ``plans`` are in command-line order; ``roster`` is None without ``--roster``;
    ``credits_source`` is the credits path and ``roster_source`` the roster path (``"roster"``
    without one), as the statements engine's keyword arguments of those names expect.
    """

    plans: list[Plan]
    credits: pd.DataFrame
    roster: pd.DataFrame | None
    credits_source: str
    roster_source: str

    @property
    def plan(self) -> Plan | list[Plan]:
        """The one plan, or the list of plans when several were given (the first argument the
        statements, accruals and forecast engines take)."""
        return self.plans if len(self.plans) > 1 else self.plans[0]

    @property
    def sources(self) -> dict[str, str]:
        """``credits_source`` and ``roster_source`` as keyword arguments."""
        return {"credits_source": self.credits_source, "roster_source": self.roster_source}


def load_plans_credits_roster(args) -> PlansCreditsRoster:
    """Read the files named by :func:`add_plans_credits_roster`'s options in ``args`` (an
    ``argparse.Namespace``): the plans first, then the credits, then the roster (so the first bad
    file is the one reported, as ``SpmoptInputError`` → exit 2)."""
    from spmopt.plan import Plan, read_credits, read_roster

    plans = [Plan.load(path) for path in args.plan]
    credits = read_credits(args.credits)
    roster = read_roster(args.roster) if args.roster else None
    return PlansCreditsRoster(
        plans=plans,
        credits=credits,
        roster=roster,
        credits_source=str(args.credits),
        roster_source=str(args.roster) if args.roster else "roster",
    )
