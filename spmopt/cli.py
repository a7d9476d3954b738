"""The ``spmopt`` command (design §7).

Bad input exits with status 2 and one message naming the file, the key or row, and what was
expected; an infeasible programme exits with status 3; ``optimise`` exits with status 4 when the
chosen plans, re-simulated, break a constraint beyond 2 standard errors. Outputs are staged and
moved into ``--out`` only when the command completes.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from spmopt import __version__
from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.run.output import check_output_folder, staged_output

if TYPE_CHECKING:  # the commands import what they use, so that `spmopt --help` starts fast
    import pandas as pd


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit status 2 and one line, like bad input."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def _money_table(frame: pd.DataFrame, money: Sequence[str]) -> str:
    """A table as text: money with thousands separators and 2 decimals, attainment in %."""
    shown = frame.copy()
    for column in money:
        if column in shown:
            shown[column] = shown[column].map("{:,.2f}".format)
    if "attainment" in shown:
        shown["attainment"] = shown["attainment"].map("{:.1%}".format)
    return shown.to_string(index=False)


# ------------------------------------------------------------------------------------ commands
def _payouts(args: argparse.Namespace) -> int:
    from spmopt.commands import load_plans_credits_roster
    from spmopt.plan import statements
    from spmopt.plan.select import select_for_plans

    inputs = load_plans_credits_roster(args)
    plans = inputs.plans
    credits, roster, notes = select_for_plans(
        plans,
        inputs.credits,
        inputs.roster,
        by_roster="roster" in (args.select or ()),
        by_measure="measure" in (args.select or ()),
        reps_of=args.reps_of,
        **inputs.sources,
    )
    for note in notes:
        print(f"note: {note}")
    result = statements(inputs.plan, credits, roster, **inputs.sources, as_of=args.as_of)
    with staged_output(args.out, "payouts") as staging:
        result.write(staging)
        if args.report:
            from spmopt.analysis.reports import payouts_report

            payouts_report(result, plans, staging)
    if result.position is not None:
        return _print_position(result, plans, args)
    summary = result.summary()
    money = ["credited", "earned", "draw_topup", "draw_recovery", "clawback", "paid"]
    money += ["draw_balance", "clawback_balance"]
    print(f"Statements for {len(summary)} reps, {len(result.statements)} rep-period rows.")
    for plan in plans:
        rows = summary[summary["plan_id"] == plan.id].drop(columns=["plan_id"])
        if rows.empty:
            continue
        totals = rows[["credited", "earned", "paid"]].sum()
        print(f"\nPlan '{plan.id}' ({len(rows)} reps), year totals per rep:")
        print(_money_table(rows.head(args.show), money))
        if len(rows) > args.show:
            print(f"… {len(rows) - args.show} more reps in statements.csv")
        print(
            f"Total credited {totals['credited']:,.2f} {plan.currency}; earned "
            f"{totals['earned']:,.2f}; paid {totals['paid']:,.2f} "
            f"({totals['earned'] / totals['credited']:.2%} of credited); "
            f"{(rows['attainment'] >= 1.0).mean():.0%} of reps at or above quota."
        )
        revenue = _revenue_credited(credits, rows["rep_id"], plan.revenue)
        if len(plan.measures) > 1 and revenue > 0:  # credited adds every measure's credits
            print(
                f"Revenue ({', '.join(plan.revenue)}) credited {revenue:,.2f}: incentive earned "
                f"is {totals['earned'] / revenue:.2%} of it (docs/finance.md)."
            )
    report = ", report.html and report.xlsx" if args.report else ""
    print(f"Wrote {Path(args.out) / 'statements.csv'} and {Path(args.out) / 'lines.csv'}{report}")
    return 0


def _revenue_credited(credits: pd.DataFrame, rep_ids, measures: Sequence[str]) -> float:
    """Credits [currency] of ``rep_ids`` on the revenue ``measures`` (cancellations net)."""
    rows = credits["rep_id"].isin(set(rep_ids)) & credits["measure"].isin(set(measures))
    return float(credits.loc[rows, "amount"].sum())


def _print_position(result, plans, args: argparse.Namespace) -> int:
    """Print statements to date (``payouts --as-of``): each plan's reps' position."""
    position = result.position
    print(
        f"Statements to {result.as_of} for {len(position)} reps, {len(result.statements)} "
        f"rep-period rows (the last period open); {result.credits_after_as_of} credit rows dated "
        "after the as-of date left out."
    )
    shown_columns = ["rep_id", "credited_ytd", "attainment_year", "attainment_to_date"]
    shown_columns += ["earned_ytd", "paid_to_date", "at_stake_to_quota"]
    money = ["credited_ytd", "earned_ytd", "paid_to_date", "at_stake_to_quota"]
    for plan in plans:
        rows = position[position["plan_id"] == plan.id]
        if rows.empty:
            continue
        shown = rows[shown_columns].head(args.show).copy()
        for column in ("attainment_year", "attainment_to_date"):
            shown[column] = shown[column].map("{:.1%}".format)
        print(f"\nPlan '{plan.id}' ({len(rows)} reps), position at {result.as_of}:")
        print(_money_table(shown, money))
        if len(rows) > args.show:
            print(f"… {len(rows) - args.show} more reps in position.csv")
        print(
            f"Credited to date {rows['credited_ytd'].sum():,.2f} {plan.currency} "
            f"({rows['credited_ytd'].sum() / rows['quota_to_date'].sum():.1%} of quota to date, "
            f"{rows['credited_ytd'].sum() / rows['quota_year'].sum():.1%} of the year's); earned "
            f"{rows['earned_ytd'].sum():,.2f}; paid {rows['paid_to_date'].sum():,.2f}; "
            f"{(rows['attainment_to_date'] >= 1.0).mean():.0%} of reps at or above quota to date, "
            f"{(rows['attainment_year'] >= 1.0).mean():.0%} already at the year's quota; "
            f"{rows['at_stake_to_quota'].sum():,.2f} more to pay if all finish at quota."
        )
    out = Path(args.out)
    print(f"Wrote {out / 'statements.csv'}, {out / 'lines.csv'} and {out / 'position.csv'}")
    return 0


def _as_of(text: str):
    """An as-of date from the command line (YYYY-MM-DD)."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _is_scenario_file(path: Path) -> bool:
    """Whether a TOML file is a scenario (has a [scenario] table) rather than a plan file."""
    import tomllib

    try:
        return "scenario" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # the plan loader reports the problem


def _validate(args: argparse.Namespace) -> int:
    from spmopt.plan import Plan, read_credits, read_roster, statements
    from spmopt.plan.plan import payout_table
    from spmopt.scenario import Scenario

    scenario_paths = [path for path in args.plans if _is_scenario_file(path)]
    for path in scenario_paths:
        scenario = Scenario.load(path)
        segments = scenario.population.frame.groupby("segment").size()
        print(
            f"{path}: ok — scenario '{scenario.id}', {len(scenario.population)} reps in "
            f"{len(segments)} segment(s) ({', '.join(f'{n}: {c}' for n, c in segments.items())}), "
            f"plans {', '.join(scenario.plans)}, {scenario.spec.scenario.years} year(s), "
            f"content hash {scenario.content_hash}"
        )
    plan_paths = [path for path in args.plans if path not in scenario_paths]
    plans = [Plan.load(path) for path in plan_paths]
    for plan, path in zip(plans, plan_paths, strict=True):
        table = payout_table(plan, max_attainment=1.5, step=0.5)
        pay = ", ".join(
            f"{row.attainment:.0%} → {row.incentive:,.0f}" for row in table.itertuples(index=False)
        )
        print(
            f"{path}: ok — plan '{plan.id}', {len(plan.components)} component(s), "
            f"{len(plan.bonuses)} bonus(es), OTE {plan.on_target_earnings:,.0f} {plan.currency} "
            f"({plan.base_salary / plan.on_target_earnings:.0%} base); incentive at {pay}"
        )
        for warning in plan_warnings(plan, table):
            print(f"{path}: warning: {warning}", file=sys.stderr)
    if (args.credits or args.roster) and not plans:
        raise SpmoptInputError("--credits and --roster are checked against plan files; give one")
    if args.credits or args.roster:
        credits = read_credits(args.credits) if args.credits else None
        roster = read_roster(args.roster) if args.roster else None
        if credits is not None:
            statements(
                plans if len(plans) > 1 else plans[0],
                credits,
                roster,
                credits_source=str(args.credits),
                roster_source=str(args.roster) if args.roster else "roster",
            )
            print(f"{args.credits}: ok — {len(credits)} credit rows")
        if roster is not None:
            print(f"{args.roster}: ok — {len(roster)} reps")
    return 0


def plan_warnings(plan, table: pd.DataFrame) -> list[str]:
    """Valid but suspicious settings of a plan: a zero payout ceiling, a plan that pays nothing.

    ``table`` is the plan's :func:`~spmopt.plan.plan.payout_table` (annual incentive by
    attainment).
    """
    warnings = [
        f"component '{component.id}' has max_payout = 0, so it never pays; remove the key for "
        "no ceiling, or give the ceiling in " + plan.currency
        for component in plan.components
        if component.max_payout is not None and component.max_payout == 0
    ]
    if plan.target_incentive > 0 and float(table["incentive"].abs().max()) == 0.0:
        warnings.append(
            f"the plan pays no incentive at any attainment up to {table['attainment'].max():.0%} "
            f"although target_incentive is {plan.target_incentive:,.0f} {plan.currency}"
        )
    return warnings


def _curve(args: argparse.Namespace) -> int:
    from spmopt.analysis.plots import plot_payout_curve
    from spmopt.plan import Plan
    from spmopt.plan.plan import payout_table

    plan = Plan.load(args.plan)
    if args.max_attainment <= 0 or args.step <= 0 or args.step > args.max_attainment:
        raise SpmoptInputError(
            "--max-attainment and --step must be positive, with --step below --max-attainment"
        )
    table = payout_table(plan, max_attainment=args.max_attainment, step=args.step)
    breakpoints = plan.attainment_curve().to_frame().rename(columns={"breakpoint": "attainment"})
    with staged_output(args.out, "curve") as staging:
        table.to_csv(staging / "curve.csv", index=False, float_format="%.10g")
        breakpoints.to_csv(staging / "curve_breakpoints.csv", index=False, float_format="%.10g")
        plot_payout_curve(table, staging / "curve.png", title=f"{plan.id}: annual payout curve")
    marks = table[table["attainment"].isin([0.5, 0.8, 1.0, 1.2, 1.5, 2.0])]
    print(f"Payout curve of plan '{plan.id}' (annual, every measure at the same attainment):")
    columns = ["attainment", "credited", "incentive", "effective_rate", "cost_of_sales"]
    if len(plan.measures) > 1:  # cost of sales is over the revenue measures only: show them
        columns.insert(2, "revenue")
        print(f"Revenue: {', '.join(plan.revenue)} (cost of sales is comp over it).")
    print(
        _money_table(
            marks[columns].assign(
                effective_rate=lambda t: t["effective_rate"].map("{:.2%}".format),
                cost_of_sales=lambda t: t["cost_of_sales"].map("{:.2%}".format),
            ),
            ["credited", "revenue", "incentive"],
        )
    )
    out = Path(args.out)
    print(f"Wrote {out / 'curve.csv'}, {out / 'curve_breakpoints.csv'} and {out / 'curve.png'}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spmopt.run.simulation import as_scenario, simulate_to_files

    scenario = as_scenario(args.scenario)
    plan = args.plan
    if args.plan_file:
        from spmopt.run.plan_files import combine_plan_files

        if args.plan:
            raise SpmoptInputError("give --plan NAME or --plan-file FILE, not both")
        plan = combine_plan_files(args.plan_file, scenario)
    replications = scenario.replications if args.replications is None else args.replications
    _check_run_size(
        args, scenario, replications, args.engine, file_format=args.format, chunked=True
    )
    with tqdm(
        total=replications, desc="simulating", unit="rep", file=sys.stderr, disable=args.quiet
    ) as bar:

        def progress(done: int) -> None:
            bar.update(done - bar.n)

        deciding_bar = []

        def deciding(done: int, total: int) -> None:
            # the reps' policies, solved before (and between the years of) the replications
            if not deciding_bar:
                deciding_bar.append(
                    tqdm(
                        total=total,
                        desc="deciding",
                        unit="rep",
                        file=sys.stderr,
                        leave=False,
                        disable=args.quiet,
                    )
                )
            deciding_bar[0].update(done - deciding_bar[0].n)
            if done >= total:
                deciding_bar.pop().close()

        with staged_output(args.out, "simulate") as staging:
            summary, _, monthly, metadata, written = simulate_to_files(
                scenario,
                staging,
                plan,
                replications=replications,
                seed=args.seed,
                engine=args.engine,
                file_format=args.format,
                progress=progress,
                decision_progress=deciding,
            )
            if args.plot:
                from spmopt.analysis.plots import plot_monthly_profile

                written.append(
                    plot_monthly_profile(
                        monthly, staging / "bookings_by_month.png", title=scenario.id
                    )
                )
    print(
        f"Scenario '{scenario.id}', plan '{metadata['plan_id']}', {metadata['engine']} engine, "
        f"{replications} replications, seed {metadata['seed']}:"
    )
    if len(scenario.spec.segments) > 1:
        from spmopt.run.plan_files import describe_assignment

        print(f"Plans by segment: {describe_assignment(scenario, plan)}")
    print(_summary_table(summary))
    print(f"Wrote {', '.join(str(Path(args.out) / path.name) for path in written)}")
    return 0


def _check_run_size(
    args: argparse.Namespace,
    scenario,
    replications: int,
    engine: str | None,
    *,
    file_format: str | None = None,
    chunked: bool = False,
    runs: int = 1,
) -> None:
    """Print the run's estimated time, memory and disk; stop if it exceeds this machine.

    ``runs`` simulations of ``replications`` each (one held in memory at a time); see
    :mod:`spmopt.run.estimate` for the measured costs per rep-month.
    """
    from spmopt.run.estimate import check_fits, estimate_run

    engine = engine or scenario.spec.scenario.engine
    months = 12 * scenario.spec.scenario.years
    one = estimate_run(
        replications,
        len(scenario.population),
        months,
        engine,
        file_format=file_format,
        chunked=chunked,
    )
    estimate = type(one)(
        one.rows * runs,
        tuple(s * runs for s in one.seconds),
        one.memory_bytes,
        one.disk_bytes * runs,
    )
    if not args.quiet:
        print(f"estimate: {estimate.describe()}", file=sys.stderr)
    check_fits(estimate, args.out, force=args.force)


def _check_optimise_size(args: argparse.Namespace, scenario) -> None:
    """Print the optimiser's estimated time and memory (every simulation it will run, one held
    in memory at a time); stop before simulating if it exceeds this machine (unless --force).
    Also checks the options (e.g. ``--mode milp`` without ``--gap``) before any simulation."""
    from spmopt.optimise.pipeline import OptimiseOptions, planned_runs
    from spmopt.run.estimate import check_fits, combine, estimate_run

    options = OptimiseOptions.from_scenario(scenario, **_optimise_settings(args))
    months = 12 * scenario.spec.scenario.years
    reps = len(scenario.population)
    estimates = [
        estimate_run(replications, reps, months, engine, file_format=None, chunked=False)
        for _, engine, replications, count in planned_runs(scenario, options)
        for _ in range(count)
    ]
    estimate = combine(estimates)
    if not args.quiet:
        print(f"estimate: {estimate.describe()}", file=sys.stderr)
    check_fits(estimate, None, force=args.force)


def _optimise_settings(args: argparse.Namespace) -> dict:
    """The optimiser settings given on the command line (None: the scenario's), used alike for
    the up-front estimate and the run."""
    return {
        "unit": args.unit,
        "replications": args.replications,
        "validation_replications": args.validation_replications,
        "mode": args.mode,
        "gap_rel": args.gap,
        "time_limit_s": args.time_limit,
        "solver": args.solver,
        "validate_engine": args.validate_engine,
        "participation": args.participation,
        "refine": args.refine,
        "resolution": args.resolution,
        "refine_budget": args.refine_budget,
    }


def _optimise(args: argparse.Namespace) -> int:
    import pandas as pd
    from tqdm import tqdm

    from spmopt.optimise.pipeline import optimise
    from spmopt.run.simulation import as_scenario

    scenario = as_scenario(args.scenario)
    _require_levers(scenario, args.scenario)
    _check_optimise_size(args, scenario)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            label = {
                "candidates": "simulating candidates",
                "selection": "ranking and selection",
                "gap": "optimality gap batches",
                "refinement": "refining (simulation runs of the budget)",
            }.get(stage, "re-simulating")
            bars[stage] = tqdm(total=total, desc=label, file=sys.stderr, disable=args.quiet)
        bars[stage].update(done - bars[stage].n)
        if done >= total:
            bars[stage].close()

    result = optimise(scenario, seed=args.seed, progress=progress, **_optimise_settings(args))
    from spmopt.optimise.frontier import incumbent_point

    frontier = result.frontier(points=args.frontier) if args.frontier else None
    with staged_output(args.out, "optimise") as staging:
        result.write(staging)
        if frontier is not None:
            from spmopt.analysis.plots import plot_frontier

            frontier.to_csv(staging / "frontier.csv", index=False, float_format="%.10g")
            plot_frontier(
                frontier,
                staging / "frontier.png",
                title=f"{scenario.id}: efficient frontier",
                incumbent=incumbent_point(result.responses),
            )
        if args.report:
            from spmopt.analysis.reports import optimise_report

            extra = {"Efficient frontier": staging / "frontier.png"} if frontier is not None else {}
            optimise_report(result, staging, frontier=frontier, figures=extra)
        names = sorted(
            str(path.relative_to(staging)) for path in staging.rglob("*") if path.is_file()
        )
    print(format_optimisation(result))
    if frontier is not None:
        print("\nEfficient frontier (expected profit against comp budget):")
        shown = frontier.copy()
        for column in ["budget", "profit", "lp_bound", "integrality_gap", "comp_cost", "revenue"]:
            if column in shown:
                shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
        for column in ["cost_of_sales", "share_at_quota"]:
            if column in shown:
                shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        if "budget_shadow_price" in shown:
            shown["budget_shadow_price"] = shown["budget_shadow_price"].map(
                lambda v: "" if pd.isna(v) else f"{v:.3f}"
            )
        shown["current_budget"] = shown["current_budget"].map(
            lambda flag: "<- current budget" if flag else ""
        )
        shown = shown.rename(columns={"current_budget": ""})
        print(shown.to_string(index=False))
        infeasible = int((frontier["status"] == "infeasible").sum())
        if infeasible:
            print(f"{infeasible} budget(s) infeasible: no choice meets the other constraints.")
        point = incumbent_point(result.responses)
        if point is not None:
            print(f"Incumbent: comp cost {point[0]:,.0f}, expected profit {point[1]:,.0f}.")
    print(f"\nWrote {', '.join(names)} under {args.out}")
    if result.breaches:
        print(
            f"spmopt optimise: the chosen plans break {len(result.breaches)} constraint(s) when "
            "re-simulated (exit status 4): " + "; ".join(result.breaches),
            file=sys.stderr,
        )
        return 4
    return 0


LEVERS_EXAMPLE = """\
[optimise.levers]          # every combination is a candidate plan; the incumbent always is one
quota = [0.9, 1.0, 1.1]    # multiples of the plan's quota
rate = [0.8, 1.0, 1.2]     # multiples of every tier's rate or multiplier"""


def _require_levers(scenario, path: Path) -> None:
    """Stop with an example to paste when the scenario declares no ``[optimise.levers]``."""
    levers = scenario.spec.optimise.get("levers")
    if levers:
        return
    from spmopt.optimise.levers import LEVERS

    raise SpmoptInputError(
        "no [optimise.levers] table, so there are no candidate plans to choose from. Add one "
        f"to the scenario file, for example:\n\n{LEVERS_EXAMPLE}\n\n"
        f"Levers: {', '.join(LEVERS)} (docs/optimiser.md); a lever under a segment's name "
        "([optimise.levers.<segment>]) applies to that segment only.",
        str(path),
    )


def format_optimisation(result) -> str:
    """The optimiser's answer as text: choice, programme, shadow prices, validation."""
    import pandas as pd

    solution = result.solution
    lines = [
        f"Scenario '{result.scenario.id}': {len(result.responses)} candidate responses "
        f"({result.options.replications} replications each, common random numbers), "
        f"one plan per {result.options.unit}.",
        f"Programme: {solution.method}. Status {solution.status_text}; expected profit "
        f"{solution.objective:,.0f}, LP bound {solution.lp_bound:,.0f}, integrality gap "
        f"{solution.integrality_gap:,.0f}.",
        "",
        "Chosen plans:",
    ]
    choice = solution.choice.copy()
    shown = pd.DataFrame(
        {
            "unit": choice["unit"].astype(str),
            "candidate": choice["candidate"],
            "plan_id": [result.plans[str(u)].id for u in choice["unit"]],
            "profit": choice["profit"].map("{:,.0f}".format),
            "comp_cost": choice["comp_cost"].map("{:,.0f}".format),
            "revenue": choice["revenue"].map("{:,.0f}".format),
            "at_quota": choice["p_quota"].map("{:.1%}".format),
        }
    )
    lines.append(shown.head(20).to_string(index=False))
    if len(shown) > 20:
        lines.append(f"… {len(shown) - 20} more units in choice.csv")
    if len(result.refinement):
        from spmopt.optimise.refine import format_rounds

        runs = int(result.refinement["simulation_runs"].max())
        lines.append("")
        lines.append(
            f"Search beyond the grid ({result.refinement_status}; {runs} simulation runs of "
            f"{result.options.replications} replications, the grid's included): the chosen "
            "lever values, the segment's predicted profit and the steps of each round:"
        )
        lines.append(format_rounds(result.refinement))
    below = result.share_below_outside_option()
    if below:
        lines.append(
            "Reps whose certainty equivalent is below their own outside option: "
            + ", ".join(f"{share:.1%} {label}" for label, share in below.items())
            + "."
        )
    report = solution.constraint_report
    # rows with a price, and company-level rows that bind (per-unit and per-scenario rows such
    # as participation[u] or cvar_excess[s] are many; their prices show when non-zero)
    company_level = ~report["constraint"].astype(str).str.contains("[", regex=False)
    priced = report[(report["shadow_price"].abs() > 1e-9) | (report["binding"] & company_level)]
    lines.append("")
    lines.append(
        "Constraints with a shadow price (from the LP relaxation: expected profit gained per unit "
        "of the limit), with the chosen plans' activity and slack:"
    )
    if len(priced):
        shown = priced[["constraint", "rhs", "activity", "slack", "shadow_price"]].copy()
        for column in ("rhs", "activity", "slack"):
            shown[column] = shown[column].map(_constraint_figure)
        shown["shadow_price"] = shown["shadow_price"].map(lambda value: f"{value:,.4g}")
        lines.append(shown.to_string(index=False))
    else:
        lines.append("  none")
    lines.extend(_selection_lines(result))
    lines.extend(_validation_lines(result))
    if result.optimality_gap is not None:
        gap = result.optimality_gap
        lines.append(
            f"Optimality gap of the chosen plans (multiple-replication procedure, "
            f"{gap.batches} independent batches of {gap.batch_replications} replications over "
            f"the {gap.candidates} contending candidates): estimate {gap.mean:,.0f} ± "
            f"{gap.se:,.0f} (1 se), 95% upper bound {gap.upper:,.0f} of expected profit among "
            "the contenders."
        )
    breaches = result.breaches
    if breaches:
        lines.append("")
        lines.append(
            "WARNING: the chosen plans break a constraint when re-simulated on fresh random "
            "numbers (beyond 2 standard errors):"
        )
        lines.extend(f"  {message}" for message in breaches)
    return "\n".join(lines)


def _constraint_figure(value: float) -> str:
    """A constraint's limit, activity or slack as text: money-sized figures (|value| ≥ 1,000,
    e.g. a budget) in whole units with thousands separators like the rest of the output,
    small ones (shares, ratios) to four significant figures."""
    if value != value:  # NaN
        return ""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def _selection_lines(result) -> list[str]:
    """The Kim–Nelson selection among close configurations, as text (empty when not run)."""
    table = result.selection
    if not len(table):
        return []
    winner = table[table["selected"]].iloc[0]
    changed = not bool(winner["lp_choice"])
    return [
        "",
        f"Ranking and selection (Kim–Nelson, common random numbers, indifference "
        f"{table['indifference'].iloc[0]:,.0f}) among the {len(table)} best configurations on "
        f"an independent stream: {winner['configuration']} selected after "
        f"{int(table['replications'].max())} replications"
        + (" (it replaces the programme's choice)" if changed else " (the programme's choice)")
        + ("; stopped at the replication budget" if winner["stopped"] == "budget" else "")
        + ".",
    ]


def _validation_lines(result) -> list[str]:
    """In-sample vs out-of-sample figures of the incumbent, the chosen plans and the gain."""
    import pandas as pd

    validation = result.validation
    if not len(validation):
        return []
    lines = [
        "",
        f"Predicted: re-simulated on fresh random numbers (a stream independent of the choice; "
        f"{validation['replications'].iloc[0]} replications, {validation['engine'].iloc[0]} "
        "engine), ± 1.96 se, beside the in-sample figures the choice was made on:",
    ]
    rows = []
    for metric in ["revenue", "comp_cost", "profit", "share_at_quota"]:
        fmt = "{:.1%}".format if metric == "share_at_quota" else "{:,.0f}".format
        row = {"metric": metric}
        for config in ["incumbent", "optimised", "gain"]:
            part = validation[
                (validation["configuration"] == config) & (validation["metric"] == metric)
            ]
            if not len(part):
                continue
            part = part.iloc[0]
            row[f"{config} predicted"] = (
                f"{fmt(part['predicted'])} ± {fmt(1.96 * part['predicted_se'])}"
            )
            if config != "incumbent":
                row[f"{config} in-sample"] = fmt(part["in_sample"])
        rows.append(row)
    lines.append(pd.DataFrame(rows).to_string(index=False))
    profit = validation[
        (validation["configuration"] == "optimised") & (validation["metric"] == "profit")
    ]
    if len(profit):
        lines.append(_optimism_line(float(profit["optimism"].iloc[0]), float(profit["z"].iloc[0])))
    return lines


def _optimism_line(optimism: float, z: float) -> str:
    """The chosen plans' in-sample profit against the prediction, phrased by the sign of
    ``optimism`` (in-sample − predicted [currency])."""
    if optimism >= 0:
        told = f"In-sample profit exceeds the prediction by {optimism:,.0f} (z = {z:.1f})"
    else:
        told = f"In-sample profit falls short of the prediction by {-optimism:,.0f} (z = {z:.1f})"
    return (
        f"{told}: the choice stream's figures of a plan chosen as the best of many are "
        "optimistic on average; report the predicted ones."
    )


def _compare(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spmopt.run.compare import compare
    from spmopt.run.simulation import as_scenario

    scenario = as_scenario(args.scenario)
    plans = args.plans.split(",") if args.plans else []
    if args.plan_file:
        from spmopt.run.plan_files import describe_assignment, parse_plan_file

        plans += [parse_plan_file(text, scenario) for text in args.plan_file]
        if len(scenario.spec.segments) > 1:
            for text, plan in zip(args.plan_file, plans[-len(args.plan_file) :], strict=True):
                print(f"--plan-file {text}: {describe_assignment(scenario, plan)}")
    plans = plans or list(scenario.plans)
    replications = scenario.replications if args.replications is None else args.replications
    _check_run_size(args, scenario, replications, args.engine, runs=len(plans))
    with tqdm(
        total=len(plans), desc="simulating plans", file=sys.stderr, disable=args.quiet
    ) as bar:
        result = compare(
            scenario,
            plans,
            replications=args.replications,
            seed=args.seed,
            engine=args.engine,
            progress=lambda done: bar.update(done - bar.n),
        )
    with staged_output(args.out, "compare") as staging:
        written = result.write(staging)
        if args.report:
            from spmopt.analysis.reports import compare_report

            seed = scenario.seed if args.seed is None else args.seed
            written += compare_report(result, staging, notes=[f"Seed {seed}."])
    table = result.table.copy()
    money = [
        "revenue",
        "profit",
        "comp_cost_p10",
        "comp_cost_p50",
        "comp_cost_p90",
        "discount_lost",
    ]
    for column in money:
        table[column] = table[column].map("{:,.0f}".format)
    for column in ["cost_of_sales", "share_at_quota", "attrition"]:
        table[column] = table[column].map("{:.1%}".format)
    if "p_over_budget" in table:
        table["p_over_budget"] = [
            f"{p:.1%} [{low:.1%}, {high:.1%}]"
            for p, low, high in result.table[
                ["p_over_budget", "p_over_budget_ci_low", "p_over_budget_ci_high"]
            ].itertuples(index=False)
        ]
        table = table.drop(columns=["p_over_budget_ci_low", "p_over_budget_ci_high"])
    budget = f", comp budget {result.budget:,.0f}" if result.budget else ""
    print(f"Plans on scenario '{result.scenario_id}' (common random numbers{budget}):")
    print(table.to_string(index=False))
    if budget:
        print("(p_over_budget: share of replications over budget [95% Wilson interval])")
    print("\nPay per rep (base + incentive, reps seated all year; means over replication-years):")
    print(_pay_table(result.pay, result.pay_at_attainment))
    differences = result.differences
    if len(differences):
        print(
            f"\nDifferences from '{differences['baseline'].iloc[0]}', paired by replication (95% CI):"
        )
        shown = differences.assign(difference=differences.apply(_format_difference, axis=1))[
            ["plan_id", "figure", "difference"]
        ]
        print(shown.pivot(index="figure", columns="plan_id", values="difference").to_string())
    print(f"\nWrote {', '.join(path.name for path in written)} under {args.out}")
    return 0


def _pay_table(pay: pd.DataFrame, at: pd.DataFrame) -> str:
    """Per-rep pay figures of a comparison, one row per plan, with pay at each attainment."""
    shown = pay[["plan_id"]].copy()
    for column in ["pay_p10", "pay_p50", "pay_p90", "typical_rep_pay"]:
        shown[column] = pay[column].map("{:,.0f}".format)
    shown["gini"] = pay["gini"].map("{:.3f}".format)
    shown["top10%/median"] = pay["top_decile_to_median"].map("{:.2f}".format)
    for level, rows in at.groupby("attainment", sort=True):
        pays = rows.set_index("plan_id")["total_pay"]
        shown[f"pay@{level:.0%}"] = shown["plan_id"].map(pays).map("{:,.0f}".format)
    return shown.to_string(index=False)


def _bench(args: argparse.Namespace) -> int:
    import os

    import pandas as pd
    from tqdm import tqdm

    from spmopt.analysis.leaderboard import formatted
    from spmopt.run.bench import suite_from_scenarios, summary_of
    from spmopt.run.suite import is_suite_file, rank, run_suite

    note = lambda message: print(f"spmopt bench: note: {message}", file=sys.stderr)  # noqa: E731
    suite_files = [path for path in args.scenarios if is_suite_file(path)]
    if suite_files:
        suite = _bench_suite(args, suite_files)
    else:
        suite = suite_from_scenarios(
            args.scenarios,
            args.plans.split(",") if args.plans else None,
            args.plan_file or (),
            replications=args.replications,
            block=args.block or 25,
            seed=args.seed,
            engine=args.engine,
            on_skip=note,
        )
    if args.address is not None and args.executor != "dask":
        raise SpmoptInputError("--address is for --executor dask")
    cache = None if args.no_cache else (args.cache or Path(f"{os.path.abspath(args.out)}.cache"))
    _check_bench_size(args, suite)
    with tqdm(desc="tasks", file=sys.stderr, disable=args.quiet) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        metrics, computed, cached = run_suite(
            suite,
            executor=args.executor,
            workers=args.workers,
            address=args.address,
            cache_dir=cache,
            progress=progress,
            on_skip=note if suite_files else None,
        )
    result = rank(metrics, suite, computed=computed, cached=cached)
    with staged_output(args.out, "bench") as staging:
        written = result.write(staging, plot=args.plot)
        summary = summary_of(metrics)
        summary.to_csv(staging / "bench_summary.csv", index=False, float_format="%.10g")
        metrics.to_csv(staging / "bench_metrics.csv", index=False, float_format="%.10g")
    wide = summary.pivot_table(
        index=["scenario_id", "plan_name"], columns="metric", values="mean", sort=False
    )
    shown = pd.DataFrame(index=wide.index)
    for metric in ["revenue", "incentive_cost", "profit"]:
        shown[metric] = wide[metric].map("{:,.0f}".format)
    for metric in ["cost_of_sales", "share_at_quota", "attrition"]:
        shown[metric] = wide[metric].map("{:.1%}".format)
    print("Plan designs across scenarios (means over replications):")
    print(shown.to_string())
    board = formatted(result.leaderboard)[
        ["scenario", "rank", "rank (95%)", "design", "profit", "profit vs leader"]
    ]
    print(f"\nLeaderboard (suite '{suite.id}', paired differences on common random numbers):")
    print(board.to_string(index=False))
    where = f"cache {cache}" if cache else "no cache"
    print(f"\n{computed} tasks computed, {cached} read from the cache ({where})")
    names = ", ".join(path.name for path in written)
    print(f"Wrote {names}, bench_summary.csv and bench_metrics.csv under {args.out}")
    return 0


def _bench_suite(args: argparse.Namespace, suite_files: list[Path]):
    """The suite file of ``bench`` with the command line's overrides and extra plan files."""
    from dataclasses import replace

    from spmopt.run.suite import Suite, with_plan_files

    if len(args.scenarios) > 1:
        raise SpmoptInputError(
            f"give one suite file or scenario files, not both ({', '.join(map(str, args.scenarios))})"
        )
    if args.plans:
        raise SpmoptInputError("--plans selects scenario plans; a suite file names its designs")
    suite = Suite.load(suite_files[0])
    changes: dict = {}
    if args.replications is not None:
        changes["replications"] = args.replications
    if args.seed is not None:
        changes["seeds"] = (args.seed,)
    if args.engine is not None:
        changes["engine"] = args.engine
    if args.block is not None:
        changes["block"] = args.block
    suite = with_plan_files(suite, args.plan_file or ())
    return replace(suite, **changes)


MAX_BENCH_TASKS = 1_000_000
"""Tasks a bench run may plan without --force (each is one cache entry and one future)."""


def _check_bench_size(args: argparse.Namespace, suite) -> None:
    """Print the suite's estimated time and memory (before the cache is consulted: cached tasks
    cost nothing); stop beyond this machine's memory or beyond :data:`MAX_BENCH_TASKS` tasks.

    Time is serial compute (divide by the workers of a parallel run); memory is one task's
    tables in each worker process at once.
    """
    import os

    from spmopt.run.estimate import RunEstimate, check_fits, estimate_run
    from spmopt.run.suite import suite_size

    rows, low, high, memory, tasks = 0, 0.0, 0.0, 0.0, 0
    for scenario, engine, replications, count in suite_size(suite):
        months = 12 * scenario.spec.scenario.years
        reps = len(scenario.population)
        whole = estimate_run(replications, reps, months, engine, file_format=None)
        block = min(suite.block, suite.replications or scenario.replications)
        one = estimate_run(block, reps, months, engine, file_format=None, chunked=False)
        rows += whole.rows
        low += whole.seconds[0]
        high += whole.seconds[1]
        memory = max(memory, one.memory_bytes)
        tasks += count
    parallel = 1 if args.executor == "serial" else (args.workers or os.cpu_count() or 1)
    if args.executor == "dask" and args.address:
        parallel = 1  # the workers' memory is on other machines
    estimate = RunEstimate(rows, (low, high), memory * parallel, 0.0)
    if not args.quiet:
        print(
            f"estimate: {tasks:,} tasks, serial time (less for cached tasks): "
            f"{estimate.describe()}",
            file=sys.stderr,
        )
    if tasks > MAX_BENCH_TASKS and not args.force:
        raise SpmoptInputError(
            f"this suite has {tasks:,} tasks ({estimate.describe()}); more than "
            f"{MAX_BENCH_TASKS:,} — use fewer --replications or a larger --block, or --force"
        )
    check_fits(estimate, None, force=args.force)


def _format_difference(row) -> str:
    ratio = row["figure"] in ("cost_of_sales", "share_at_quota")
    fmt = (lambda v: f"{v:+.2%}") if ratio else (lambda v: f"{v:+,.0f}")
    return f"{fmt(row['difference'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"


def _summary_table(summary: pd.DataFrame) -> str:
    """The summary as a readable table: money with thousands separators, ratios as percentages."""
    import pandas as pd

    ratios = {"cost_of_sales", "share_at_quota", "attrition"}
    rows = []
    for row in summary.itertuples(index=False):
        fmt = "{:.1%}".format if row.metric in ratios else "{:,.0f}".format
        rows.append(
            {
                "metric": row.metric,
                "mean": fmt(row.mean),
                "95% CI": f"{fmt(row.ci_low)} – {fmt(row.ci_high)}",
                "P10": fmt(row.p10),
                "P50": fmt(row.p50),
                "P90": fmt(row.p90),
            }
        )
    return pd.DataFrame(rows).to_string(index=False)


# ------------------------------------------------------------------------------------ parser
def _count(text: str) -> int:
    """A positive whole number from the command line ("200", "1e6" and "1_000" are accepted)."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number, got {text!r}"
        ) from None
    if not value.is_integer() or value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(value)


def _non_negative(text: str) -> int:
    """A whole number ≥ 0 from the command line."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return value


def _non_negative_number(text: str) -> float:
    """A finite number ≥ 0 on the command line (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _positive_number(text: str) -> float:
    """A finite number above 0 from the command line."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
    return value


def _seed(text: str) -> int:
    """A random seed: a whole number ≥ 0."""
    return _non_negative(text)


_OUT_HELP = (
    "folder for the results (required); written into a staging folder beside it and swapped in "
    "whole at the end, so an earlier run's files never mix with the new ones"
)
_REPORT_HELP = (
    "also write report.html (self-contained: tables and plots embedded) and report.xlsx (one "
    "sheet per table) into --out (default: no report)"
)
_QUIET_HELP = "no progress bar (default: show one on stderr)"
_FORCE_HELP = (
    "run even when the up-front estimate exceeds this machine's memory or disk (default: refuse)"
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``spmopt`` command."""
    parser = _Parser(
        prog="spmopt",
        description="Sales performance management research toolkit: exact incentive payouts, "
        "reps who respond to the plan, and plan optimisation.",
    )
    parser.add_argument("--version", action="version", version=f"spmopt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    payouts = commands.add_parser("payouts", help="compute statements from a plan and credits")
    payouts.add_argument(
        "--plan",
        required=True,
        action="append",
        type=Path,
        metavar="PLAN.toml",
        help="plan file (required; repeat for several plans; the roster's plan_id assigns reps)",
    )
    payouts.add_argument(
        "--credits",
        required=True,
        type=Path,
        metavar="CREDITS.csv",
        help="credits file: rep_id, date, measure, amount[, deal_id] (required)",
    )
    payouts.add_argument(
        "--roster",
        type=Path,
        metavar="ROSTER.csv",
        help="one row per rep: plan_id, start_date, quota, … (default: the reps in the credits, "
        "on the plan's values)",
    )
    payouts.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    payouts.add_argument(
        "--select",
        action="append",
        choices=["roster", "measure"],
        help="pay only what the plans pay: 'roster' keeps the reps whose roster plan_id is a "
        "plan given, 'measure' leaves out credits on measures the rep's plan does not pay; "
        "repeatable; what is left out is printed (default: every credit, and an error for one "
        "no plan pays)",
    )
    payouts.add_argument(
        "--reps-of",
        metavar="PLAN_ID",
        help="pay the reps whose roster plan_id is PLAN_ID under the one plan given (e.g. an "
        "alternative plan on the incumbent's reps; default: none)",
    )
    payouts.add_argument(
        "--show",
        type=_non_negative,
        default=20,
        metavar="N",
        help="reps to print per plan (default: 20)",
    )
    payouts.add_argument("--report", action="store_true", help=_REPORT_HELP)
    payouts.add_argument(
        "--as-of",
        type=_as_of,
        metavar="YYYY-MM-DD",
        help="statements to date: credits after this date are left out, the last payout period "
        "is open, and DIR/position.csv gives each rep's YTD standing (default: the whole year)",
    )
    payouts.set_defaults(run=_payouts)

    validate = commands.add_parser(
        "validate", help="check plan and scenario files (and optionally credits, roster)"
    )
    validate.add_argument(
        "plans",
        nargs="+",
        type=Path,
        metavar="PLAN_OR_SCENARIO.toml",
        help="plan or scenario files to check (at least one)",
    )
    validate.add_argument(
        "--credits",
        type=Path,
        metavar="CREDITS.csv",
        help="also check a credits file against the plans (default: none)",
    )
    validate.add_argument(
        "--roster",
        type=Path,
        metavar="ROSTER.csv",
        help="also check a roster file (default: none)",
    )
    validate.set_defaults(run=_validate)

    curve = commands.add_parser("curve", help="tabulate and plot a plan's payout curve")
    curve.add_argument("plan", type=Path, metavar="PLAN.toml", help="the plan file")
    curve.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    curve.add_argument(
        "--max-attainment",
        type=float,
        default=2.0,
        metavar="RATIO",
        help="last attainment tabulated, as a ratio (default: 2.0 = 200%%)",
    )
    curve.add_argument(
        "--step",
        type=float,
        default=0.01,
        metavar="RATIO",
        help="attainment step, as a ratio (default: 0.01 = 1%%)",
    )
    curve.set_defaults(run=_curve)

    simulate = commands.add_parser(
        "simulate", help="simulate a scenario's sales force under a plan"
    )
    simulate.add_argument("scenario", type=Path, metavar="SCENARIO.toml", help="the scenario file")
    simulate.add_argument(
        "--plan",
        metavar="NAME",
        help="a plan name from the scenario's [plans] for every segment (default: each "
        "segment's own plan)",
    )
    simulate.add_argument(
        "--plan-file",
        action="append",
        metavar="[SEGMENT=]PLAN.toml",
        help="a plan file for every segment, or SEGMENT=PLAN.toml for one segment (the others "
        "keep their own plan); repeatable, comma-joined pairs allowed (default: --plan or each "
        "segment's own plan)",
    )
    simulate.add_argument(
        "--engine",
        choices=["fast", "events"],
        help="simulation engine (default: the scenario's engine, else fast)",
    )
    simulate.add_argument(
        "--replications",
        type=_count,
        metavar="N",
        help="simulated years to run, ≥ 1 (default: the scenario's replications, else 100)",
    )
    simulate.add_argument(
        "--seed", type=_seed, metavar="S", help="random seed ≥ 0 (default: the scenario's seed)"
    )
    simulate.add_argument(
        "--format",
        choices=["parquet", "csv"],
        default="parquet",
        help="file format of the deal and rep tables (default: parquet)",
    )
    simulate.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    simulate.add_argument("--quiet", action="store_true", help=_QUIET_HELP)
    simulate.add_argument(
        "--no-plot",
        dest="plot",
        action="store_false",
        help="skip bookings_by_month.png (default: draw it)",
    )
    simulate.add_argument("--force", action="store_true", help=_FORCE_HELP)
    simulate.set_defaults(run=_simulate)

    optimise = commands.add_parser(
        "optimise", help="choose plans maximising expected profit, then re-simulate them"
    )
    optimise.add_argument(
        "scenario",
        type=Path,
        metavar="SCENARIO.toml",
        help="the scenario file; it needs an [optimise.levers] table",
    )
    optimise.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    optimise.add_argument(
        "--unit",
        choices=["segment", "rep"],
        help="one plan per segment or per rep (default: the scenario's [optimise] unit, else "
        "segment)",
    )
    optimise.add_argument(
        "--replications",
        type=_count,
        metavar="N",
        help="replications per candidate plan (default: the scenario's [optimise] "
        "replications, else 100)",
    )
    optimise.add_argument(
        "--validation-replications",
        type=_count,
        metavar="N",
        help="replications re-simulating the chosen plans (default: the scenario's [optimise] "
        "validation_replications, else 200)",
    )
    optimise.add_argument(
        "--mode",
        choices=["round", "relaxation", "milp"],
        help="how the choice is made integral (default: the scenario's [optimise] mode, else "
        "round)",
    )
    optimise.add_argument(
        "--gap",
        type=_non_negative_number,
        metavar="REL",
        help="relative optimality gap of binary solves, e.g. 0.001 (default: the scenario's "
        "[optimise] gap_rel, else 1e-4 when rounding; --mode milp needs it)",
    )
    optimise.add_argument(
        "--time-limit",
        type=_non_negative_number,
        metavar="SECONDS",
        help="time limit per solver call [s] (default: the scenario's [optimise] time_limit_s, "
        "else 60 s for binary solves; --mode milp needs it)",
    )
    optimise.add_argument(
        "--solver",
        choices=["highs", "cbc"],
        help="LP solver (default: the scenario's [optimise] solver, else highs)",
    )
    optimise.add_argument(
        "--seed", type=_seed, metavar="S", help="random seed ≥ 0 (default: the scenario's seed)"
    )
    optimise.add_argument(
        "--validate-engine",
        choices=["fast", "events"],
        help="engine of the re-simulation (default: the scenario's [optimise] validate_engine, "
        "else fast)",
    )
    optimise.add_argument(
        "--participation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="require each unit's certainty equivalent to reach its outside option "
        "(default: the scenario's [optimise] participation, else on)",
    )
    optimise.add_argument(
        "--refine",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="search the continuous levers beyond the grid around the chosen plans (default: "
        "the scenario's [optimise] refine, else on)",
    )
    optimise.add_argument(
        "--resolution",
        type=_positive_number,
        metavar="R",
        help="step at which the search stops, in multiples of quota and rates (currency levers: "
        "R × on-target earnings) (default: the scenario's [optimise] resolution, else 0.01)",
    )
    optimise.add_argument(
        "--refine-budget",
        type=_non_negative,
        metavar="RUNS",
        help="most simulation runs the search may add to the grid's (default: the scenario's "
        "[optimise] refine_budget, else 60)",
    )
    optimise.add_argument(
        "--frontier",
        type=_count,
        metavar="POINTS",
        help="also trace profit against comp budget at this many budgets (default: no frontier)",
    )
    optimise.add_argument(
        "--quiet", action="store_true", help="no progress bars (default: show them)"
    )
    optimise.add_argument("--report", action="store_true", help=_REPORT_HELP)
    optimise.add_argument("--force", action="store_true", help=_FORCE_HELP)
    optimise.set_defaults(run=_optimise)

    compare = commands.add_parser("compare", help="compare plans on one scenario for finance")
    compare.add_argument("scenario", type=Path, metavar="SCENARIO.toml", help="the scenario file")
    compare.add_argument(
        "--plans",
        metavar="A,B",
        help="comma-separated plan names (default: all in the scenario's [plans], unless "
        "--plan-file is given)",
    )
    compare.add_argument(
        "--plan-file",
        action="append",
        metavar="[SEGMENT=]PLAN.toml",
        help="a plan file to compare, run on every segment, or SEGMENT=PLAN.toml[,SEGMENT=…] "
        "for some segments (the others keep their own plan); repeatable, each one plan to "
        "compare, after the --plans names; the first plan compared is the baseline (default: "
        "none)",
    )
    compare.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    compare.add_argument(
        "--engine",
        choices=["fast", "events"],
        help="simulation engine (default: the scenario's engine, else fast)",
    )
    compare.add_argument(
        "--replications",
        type=_count,
        metavar="N",
        help="replications per plan, ≥ 1 (default: the scenario's replications, else 100)",
    )
    compare.add_argument(
        "--seed", type=_seed, metavar="S", help="random seed ≥ 0 (default: the scenario's seed)"
    )
    compare.add_argument("--quiet", action="store_true", help=_QUIET_HELP)
    compare.add_argument("--force", action="store_true", help=_FORCE_HELP)
    compare.add_argument("--report", action="store_true", help=_REPORT_HELP)
    compare.set_defaults(run=_compare)

    bench = commands.add_parser(
        "bench", help="benchmark plan designs: a suite file, or scenarios × plans"
    )
    bench.add_argument(
        "scenarios",
        nargs="+",
        type=Path,
        metavar="SUITE_OR_SCENARIO.toml",
        help="one suite file (designs × scenarios × seeds, see docs/benchmarks.md) or scenario "
        "files (one or more)",
    )
    bench.add_argument(
        "--plans",
        metavar="A,B",
        help="comma-separated plan names, run where a scenario has them (default: each "
        "scenario's plans; not with a suite file)",
    )
    bench.add_argument(
        "--plan-file",
        action="append",
        type=Path,
        metavar="PLAN.toml",
        help="a plan file to rank on every scenario (repeatable; default: none)",
    )
    bench.add_argument("--out", required=True, type=Path, metavar="DIR", help=_OUT_HELP)
    bench.add_argument(
        "--replications",
        type=_count,
        metavar="N",
        help="replications per scenario, design and seed, ≥ 1 (default: the suite's, else each "
        "scenario's replications)",
    )
    bench.add_argument(
        "--block",
        type=_count,
        default=None,
        metavar="N",
        help="replications per task and cache entry, ≥ 1 (default: the suite's, else 25)",
    )
    bench.add_argument(
        "--seed",
        type=_seed,
        metavar="S",
        help="random seed ≥ 0 (default: the suite's seeds, else each scenario's seed)",
    )
    bench.add_argument(
        "--engine",
        choices=["fast", "events"],
        help="simulation engine (default: the suite's, else each scenario's engine)",
    )
    bench.add_argument(
        "--executor",
        choices=["serial", "processes", "dask"],
        default="serial",
        help="where tasks run (default: serial)",
    )
    bench.add_argument(
        "--workers",
        type=_count,
        metavar="N",
        help="worker processes for the processes executor and a local Dask cluster, ≥ 1 "
        "(default: one per CPU)",
    )
    bench.add_argument(
        "--address",
        metavar="tcp://HOST:PORT",
        help="Dask scheduler to run on with --executor dask (default: start a local cluster)",
    )
    bench.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="folder of finished tasks, reused by reruns (default: DIR.cache beside --out)",
    )
    bench.add_argument(
        "--no-cache", action="store_true", help="compute every task afresh (default: use the cache)"
    )
    bench.add_argument(
        "--no-plot",
        dest="plot",
        action="store_false",
        help="skip leaderboard.png (default: draw it)",
    )
    bench.add_argument("--quiet", action="store_true", help=_QUIET_HELP)
    bench.add_argument("--force", action="store_true", help=_FORCE_HELP)
    bench.set_defaults(run=_bench)
    for name in _COMMAND_MODULES:
        import_module(f"spmopt.commands.{name}").add_parser(commands)
    return parser


# Commands that live in their own module under spmopt/commands/: each module exposes
# ``add_parser(commands)``, which adds its subparser and sets ``run``; the modules import what
# their commands use inside the handler, so that `spmopt --help` stays fast.
_COMMAND_MODULES: tuple[str, ...] = (
    "solve_for",
    "accrue",
    "forecast",
    "backtest",
    "calibrate",
    "revise",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``spmopt`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    previous = _interrupt_on_sigterm()
    try:
        if getattr(args, "out", None) is not None:
            check_output_folder(args.out)
        return args.run(args)
    except (SpmoptInputError, SpmoptNoSolutionError) as error:
        print(f"spmopt {args.command}: error: {error}", file=sys.stderr)
        return error.exit_status
    except OSError as error:
        print(f"spmopt {args.command}: error: {error}; nothing was written", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"spmopt {args.command}: interrupted; nothing was written (any earlier --out is "
            "unchanged)",
            file=sys.stderr,
        )
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt_on_sigterm():
    """Treat SIGTERM (``kill``, a job scheduler's time limit) like Ctrl-C, so that the staging
    folder is removed; returns the previous handler (None outside the main thread)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        return None


if __name__ == "__main__":
    sys.exit(main())
