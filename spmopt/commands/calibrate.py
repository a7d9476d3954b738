"""``spmopt calibrate HISTORY.csv --scenario S.toml --out DIR``: fit a scenario's behaviour
parameters to a company's rep-month history (``docs/calibration-from-history.md``)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: a segment label usable as a folder name
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def add_parser(commands) -> None:
    """Add the ``calibrate`` subcommand to ``commands``."""
    from spmopt.cli import _OUT_HELP, _QUIET_HELP, _count, _seed

    parser = commands.add_parser(
        "calibrate",
        help="fit behaviour parameters to a rep-month history (simulated method of moments)",
        description="Fit a scenario's behaviour parameters (base sales, effort cost, timing, "
        "attrition) to a rep-month history by two-step simulated method of moments on the fast "
        "engine; writes a calibrated scenario, a fit report and diagnostics.",
    )
    parser.add_argument(
        "history",
        type=Path,
        metavar="HISTORY.csv",
        help="rep-month history (format: docs/calibration-from-history.md)",
    )
    parser.add_argument(
        "--scenario",
        required=True,
        type=Path,
        metavar="S.toml",
        help="scenario giving the model structure and starting values (required)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    parser.add_argument(
        "--parameters",
        metavar="NAMES",
        help="comma-separated parameters to fit (default: "
        "base_sales_log_median, base_sales_sigma, effort_cost_log, push_share, "
        "annual_turnover, shortfall_hazard; also risk_aversion_per_million)",
    )
    parser.add_argument(
        "--replications",
        type=_count,
        default=10,
        metavar="S",
        help="simulated histories per parameter value (default: 10)",
    )
    parser.add_argument(
        "--bootstrap",
        type=_count,
        default=200,
        metavar="B",
        help="bootstrap resamples of reps for the moments' covariance (default: 200)",
    )
    parser.add_argument(
        "--max-evaluations",
        type=_count,
        default=60,
        metavar="N",
        help="simulator calls per search step (default: 60)",
    )
    parser.add_argument(
        "--profile-points",
        type=int,
        default=5,
        metavar="N",
        help="points per objective profile, 0 for none (default: 5)",
    )
    parser.add_argument(
        "--seed", type=_seed, default=1, help="seed of the fixed draws (default: 1)"
    )
    parser.add_argument(
        "--no-plots",
        action="store_true",
        help="skip moments.png and profiles.png (default: draw them)",
    )
    parser.add_argument(
        "--segment-column",
        metavar="NAME",
        help="history column labelling each rep's segment: each segment with at least 100 reps "
        "in the first month is fitted alone into DIR/<segment>/, the smaller ones pooled into "
        "DIR/pooled/ with a warning (default: one segment)",
    )
    parser.add_argument("--quiet", action="store_true", help=_QUIET_HELP)
    parser.set_defaults(run=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    from spmopt.calibrate.fit import calibrate, calibrate_segments
    from spmopt.calibrate.history import read_history
    from spmopt.calibrate.report import write_calibration
    from spmopt.calibrate.simulate import DEFAULT_PARAMETERS
    from spmopt.cli import staged_output
    from spmopt.errors import SpmoptInputError
    from spmopt.scenario import Scenario

    history = read_history(args.history, args.segment_column)
    scenario = Scenario.load(args.scenario)
    parameters = DEFAULT_PARAMETERS
    if args.parameters:
        parameters = tuple(name.strip() for name in args.parameters.split(",") if name.strip())
    if args.profile_points < 0:
        raise SpmoptInputError(
            f"--profile-points: expected a whole number ≥ 0, got {args.profile_points}"
        )

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"calibrate: {message}", file=sys.stderr, flush=True)

    options = {
        "parameters": parameters,
        "replications": args.replications,
        "seed": args.seed,
        "bootstrap": args.bootstrap,
        "max_evaluations": args.max_evaluations,
        "profile_points": args.profile_points,
        "progress": progress,
    }
    if args.segment_column is None:
        results = {None: calibrate(history, scenario, **options)}
    else:
        bad = [s for s in history["segment"].unique() if not _SAFE_NAME.match(str(s))]
        if bad:
            raise SpmoptInputError(
                f"column '{args.segment_column}': segment '{bad[0]}' cannot name a folder; "
                "expected letters, digits, '_', '-' or '.'",
                str(args.history),
            )
        results = calibrate_segments(history, scenario, **options)
    with staged_output(args.out, "calibrate") as staging:
        for group, result in results.items():
            folder = staging if group is None else staging / group
            folder.mkdir(exist_ok=True)
            write_calibration(result, folder, plots=not args.no_plots)
    for group, result in results.items():
        fit = result.fit
        if group is not None:
            print(f"segment {group}:")
        print(fit.parameters().to_string(index=False, float_format=lambda v: f"{v:.5g}"))
        print(f"J = {fit.j_statistic:.3g} on {fit.j_dof} dof, p = {fit.j_p_value:.3g}")
        for warning in result.warnings:
            prefix = "" if group is None else f"{group}: "
            print(f"warning: {prefix}{warning}", file=sys.stderr)
    where = "" if None in results else "<segment>/"
    print(f"wrote {args.out}/{where} (scenario.toml, report.md, parameters.csv, moments.csv, …)")
    return 0
