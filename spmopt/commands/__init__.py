"""Subcommands of ``spmopt`` that live in their own module (registered in ``spmopt.cli``).

Each module exposes ``add_parser(commands)``: it adds one subparser to ``commands`` (an
``argparse`` sub-parsers action whose parser class is ``spmopt.cli._Parser``) and sets
``run=handler``; the handler takes the parsed ``argparse.Namespace`` and returns the exit status.
Heavy imports happen inside the handler, so that ``spmopt --help`` stays fast.
"""


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
