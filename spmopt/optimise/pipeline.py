"""The optimiser's pipeline (design §6): candidate plans → simulated responses (common random
numbers) → linear programme → chosen plans → re-simulation on fresh random numbers.

Configuration comes from the scenario's ``[optimise]`` table (levers, unit, replications, solver,
participation, per-rep participation ``rep_participation`` and CVaR) and ``[finance]`` (budget,
revenue target, cost-of-sales ceiling, quota-share band). Each candidate's responses include the
share of reps whose own certainty equivalent is below their own outside option.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.optimise.constraints import (
    SHARE_BELOW_OUTSIDE,
    Constraints,
    CVaRLimit,
    RepParticipation,
    below_outside_option,
)
from spmopt.optimise.levers import INCUMBENT, Candidate, apply_levers, candidates
from spmopt.optimise.lp import Solution, solve
from spmopt.plan.plan import Plan
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.population import Population
from spmopt.scenario import Scenario
from spmopt.sim.model import SimulationModel, behaviour_technology
from spmopt.sim.results import SimulationResult, rep_years
from spmopt.sim.streams import RandomStreams

OPTIONS = (
    "levers",
    "unit",
    "replications",
    "validation_replications",
    "mode",
    "solver",
    "participation",
    "rep_participation",
    "cvar",
    "validate_engine",
    "refine",
    "resolution",
    "refine_budget",
)
PARTICIPATION = "participation"


@dataclass(frozen=True)
class OptimiseOptions:
    """The ``[optimise]`` table: levers per segment, unit of choice, run sizes, solver, CVaR."""

    levers: Mapping[str, Mapping[str, object]]
    unit: str = "segment"
    replications: int = 100
    validation_replications: int = 200
    mode: str = "round"
    solver: str = "highs"
    participation: bool = True
    rep_participation: RepParticipation | None = None
    cvar: CVaRLimit | None = None
    validate_engine: str = "fast"
    refine: bool = True
    resolution: float | Mapping[str, float] = 0.01
    refine_budget: int = 60

    @classmethod
    def from_scenario(cls, scenario: Scenario, **overrides) -> OptimiseOptions:
        table = dict(scenario.spec.optimise)
        unknown = sorted(set(table) - set(OPTIONS))
        if unknown:
            raise SpmoptInputError(
                f"unknown key 'optimise.{unknown[0]}'; expected one of {', '.join(OPTIONS)}",
                scenario.source,
            )
        table.update({key: value for key, value in overrides.items() if value is not None})
        levers = table.pop("levers", {})
        if not isinstance(levers, Mapping) or not levers:
            raise SpmoptInputError(
                "missing key 'optimise.levers': declare at least one lever (quota, rate, …)",
                scenario.source,
            )
        segments = scenario.spec.segments
        shared = {key: value for key, value in levers.items() if key not in segments}
        per_segment = {name: {**shared, **dict(levers.get(name, {}))} for name in segments}
        cvar = table.pop("cvar", None)
        if isinstance(cvar, Mapping):
            cvar = CVaRLimit(**cvar)
        rep_participation = table.pop("rep_participation", None)
        try:
            rep_participation = Constraints(rep_participation=rep_participation).rep_participation
        except (SpmoptInputError, TypeError) as error:
            raise SpmoptInputError(
                "optimise.rep_participation: expected a share in [0, 1] or a table "
                f"{{ max_share = …, per_unit = true|false }}, got {rep_participation!r} ({error})",
                scenario.source,
            ) from None
        unit = table.get("unit", "segment")
        if unit not in ("segment", "rep"):
            raise SpmoptInputError(
                f"optimise.unit: expected 'segment' or 'rep', got {unit!r}", scenario.source
            )
        _check_refinement(table, scenario)
        return cls(levers=per_segment, cvar=cvar, rep_participation=rep_participation, **table)


def _check_refinement(table: Mapping[str, object], scenario: Scenario) -> None:
    """Stop (exit status 2) on a bad ``refine``, ``resolution`` or ``refine_budget``."""
    from spmopt.optimise.refine import check_resolution

    refine = table.get("refine", True)
    if not isinstance(refine, bool):
        raise SpmoptInputError(
            f"optimise.refine: expected true or false, got {refine!r}", scenario.source
        )
    budget = table.get("refine_budget", 60)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise SpmoptInputError(
            "optimise.refine_budget: expected a whole number of simulation runs ≥ 0, "
            f"got {budget!r}",
            scenario.source,
        )
    try:
        check_resolution(table.get("resolution", 0.01))
    except SpmoptInputError as error:
        raise error.in_source(scenario.source) from None


def constraints_from(scenario: Scenario, options: OptimiseOptions) -> Constraints:
    """The programme's constraints from ``[finance]`` and ``[optimise]``."""
    finance = scenario.spec.finance
    return Constraints(
        budget=finance.comp_budget,
        cos_ceiling=finance.cost_of_sales_ceiling,
        revenue_target=finance.revenue_target,
        quota_share=finance.quota_share_band,
        participation=options.participation,
        rep_participation=options.rep_participation,
        cvar=options.cvar,
    )


# ------------------------------------------------------------------------------ responses
def _segment_candidates(scenario: Scenario, options: OptimiseOptions) -> dict[str, list[Candidate]]:
    made = {}
    for name, spec in scenario.spec.segments.items():
        plan = scenario.plans[spec.plan]
        levers = {
            key: value for key, value in options.levers[name].items() if value != PARTICIPATION
        }
        try:
            made[name] = candidates(plan, name, levers)
        except SpmoptInputError as error:
            raise error.in_source(scenario.source) from None
        if options.levers[name].get("base_salary") == PARTICIPATION:
            made[name] = [_with_participation_base(scenario, candidate) for candidate in made[name]]
    return made


def _with_participation_base(scenario: Scenario, candidate: Candidate) -> Candidate:
    """The candidate with the base salary that makes the segment's mean certainty equivalent
    equal to its mean outside option (the participation constraint binding, Holmström–Milgrom)."""
    members = _segment_population(scenario, candidate)
    model = scenario.model()
    segment = model.segments[candidate.segment]
    technology, members = behaviour_technology(segment.technology, members)
    unpaid = candidate.plan.replace(base_salary=0.0)
    responses = best_response(
        unpaid, members, technology, seasonality=segment.seasonality, ramp=model.ramp
    )
    needed = float(
        members.column("outside_option").mean() - responses["certainty_equivalent"].mean()
    )
    settings = {**candidate.settings, "base_salary": PARTICIPATION}
    plan, _, _ = apply_levers(candidate.plan, {"base_salary": max(needed, 0.0)}, candidate.plan.id)
    return Candidate(
        candidate.id,
        candidate.segment,
        settings,
        plan,
        candidate.quota_multiple,
        candidate.territory_quota,
    )


def _segment_population(scenario: Scenario, candidate: Candidate):
    population = scenario.population
    members = population.select(segment=candidate.segment)
    return members.with_columns(quota=_quotas(members, candidate))


def _quotas(members, candidate: Candidate) -> np.ndarray:
    """Reps' quotas under a candidate: the population's own quotas (or the plan's) times the
    candidate's quota multiple, times territory potential when quotas follow territories."""
    quota = np.full(len(members), candidate.plan.quota_of_measure(candidate.plan.measures[0]).quota)
    if members.has("quota"):
        own = members.column("quota").astype(float) * candidate.quota_multiple
        quota = np.where(np.isnan(own), quota, own)
    if candidate.territory_quota:
        quota = quota * members.column("territory_potential").astype(float)
    return quota


def _model_for(scenario: Scenario, chosen: Mapping[str, Candidate]) -> SimulationModel:
    """The scenario with each segment's candidate plan (and candidate quotas)."""
    model = scenario.model()
    plans = {segment: candidate.plan for segment, candidate in chosen.items()}
    model = model.with_plans(plans)
    quotas = model.initial_quotas()
    segments = model.seat_segments
    for segment, candidate in chosen.items():
        seats = segments == segment
        members = model.population.select(seats)
        quotas[seats] = _quotas(members, candidate)
    return replace(model, population=model.population.with_columns(quota=quotas))


def _run(model: SimulationModel, engine: str, replications: int, streams: RandomStreams):
    if engine == "events":
        from spmopt.sim.events import simulate_events as run
    else:
        from spmopt.sim.fast import simulate_fast as run
    return run(model, replications, streams)


def _responses_of(
    result: SimulationResult,
    scenario: Scenario,
    chosen: Mapping[str, Candidate],
    unit: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Response rows and per-replication comp-cost samples of one simulated configuration."""
    years = rep_years(result.rep_periods)
    years = years[years["segment"].isin(list(chosen))].assign(left=lambda t: t["quits"] > 0)
    key = "segment" if unit == "segment" else "rep_id"
    per_replication = years.groupby([key, "replication"], sort=False).agg(
        revenue=("revenue", "sum"),
        margin=("margin", "sum"),
        incentive_cost=("incentive", "sum"),
        base_cost=("base_pay", "sum"),
        discount_cost=("discount_lost", "sum"),
        at_quota=("at_quota", "mean"),
        left=("left", "mean"),
        quota=("quota", "mean"),
    )
    per_replication["comp_cost"] = per_replication["incentive_cost"] + per_replication["base_cost"]
    grouped = per_replication.groupby(level=0, sort=False)
    means = grouped.mean()
    ses = grouped.std(ddof=1) / np.sqrt(grouped.size().to_numpy()[:, None])
    frame = pd.DataFrame(
        {
            "unit": means.index.astype(str),
            "revenue": means["revenue"].to_numpy(),
            # the engines' margin is on revenue net of timing discounts; add the discount back so
            # that the LP's margin − discount_cost is the simulated profit
            "margin": (means["margin"] + means["discount_cost"]).to_numpy(),
            "incentive_cost": means["incentive_cost"].to_numpy(),
            "base_cost": means["base_cost"].to_numpy(),
            "discount_cost": means["discount_cost"].to_numpy(),
            "p_quota": np.nan_to_num(means["at_quota"].to_numpy(), nan=0.0),
            "quota": means["quota"].to_numpy(),
            # share of the unit's seats whose rep left during the year
            "attrition": means["left"].fillna(0).to_numpy(),
            "revenue_se": ses["revenue"].fillna(0).to_numpy(),
            "incentive_cost_se": ses["incentive_cost"].fillna(0).to_numpy(),
        }
    )
    population = scenario.population.frame
    if unit == "segment":
        counts = population.groupby("segment").size()
        frame["reps"] = counts.reindex(frame["unit"]).to_numpy(dtype=float)
        outside = population.groupby("segment")["outside_option"].mean()
        frame["outside_option"] = outside.reindex(frame["unit"]).to_numpy()
    else:
        frame["reps"] = 1.0
        outside = population.set_index("rep_id")["outside_option"]
        frame["outside_option"] = outside.reindex(frame["unit"]).to_numpy()
    ce, below = _certainty_equivalents(scenario, chosen, unit, frame["unit"])
    frame["certainty_equivalent"] = ce
    frame[SHARE_BELOW_OUTSIDE] = below
    per_replication["profit"] = per_replication["margin"] - per_replication["comp_cost"]
    per_replication["reps_at_quota"] = (
        per_replication["at_quota"].fillna(0)
        * frame.set_index("unit")["reps"]
        .reindex(per_replication.index.get_level_values(0).astype(str))
        .to_numpy()
    )
    samples = per_replication[["comp_cost", "revenue", "profit", "reps_at_quota"]].reset_index()
    samples = samples.rename(columns={key: "unit", "replication": "scenario"})
    samples["unit"] = samples["unit"].astype(str)
    return frame, samples


def _certainty_equivalents(scenario, chosen, unit, units) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the certainty equivalent of one rep (a segment's mean) under its candidate
    [currency/yr], and the share of its reps whose own CE is below their own outside option
    (static best response; below by more than ``PARTICIPATION_RTOL`` of the option)."""
    values, below = {}, {}
    model = scenario.model()
    for segment, candidate in chosen.items():
        members = _segment_population(scenario, candidate)
        market = model.segments[segment]
        technology, members = behaviour_technology(market.technology, members)
        ce = best_response(
            candidate.plan, members, technology, seasonality=market.seasonality, ramp=model.ramp
        )["certainty_equivalent"].to_numpy()
        short = below_outside_option(ce, members.column("outside_option"))
        if unit == "segment":
            values[segment] = float(ce.mean())
            below[segment] = float(short.mean())
        else:
            values.update(zip(members.rep_ids.astype(str), ce, strict=True))
            below.update(zip(members.rep_ids.astype(str), short.astype(float), strict=True))
    return (
        np.array([values[str(u)] for u in units]),
        np.array([below[str(u)] for u in units]),
    )


def simulate_candidates(
    scenario: Scenario,
    options: OptimiseOptions,
    by_segment: Mapping[str, list[Candidate]],
    streams: RandomStreams,
    progress: Callable[[str, int, int], None] | None = None,
    stage: str = "candidates",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Response rows and per-replication samples of every candidate, all on ``streams``
    (common random numbers). The i-th candidates of all segments share one simulation run
    (``max`` over segments of the candidate counts runs of ``options.replications`` each)."""
    runs = max((len(made) for made in by_segment.values()), default=0)
    response_frames, sample_frames = [], []
    for position in range(runs):
        chosen = {
            segment: made[position] for segment, made in by_segment.items() if position < len(made)
        }
        model = _model_for(scenario, chosen)
        result = _run(model, "fast", options.replications, streams)
        frame, samples = _responses_of(result, scenario, chosen, options.unit)
        ids = {segment: candidate.id for segment, candidate in chosen.items()}
        if options.unit == "segment":
            frame["candidate"] = frame["unit"].map(ids)
            samples["candidate"] = samples["unit"].map(ids)
        else:
            seat_segment = scenario.population.frame.set_index("rep_id")["segment"]
            frame["candidate"] = seat_segment.reindex(frame["unit"]).map(ids).to_numpy()
            samples["candidate"] = seat_segment.reindex(samples["unit"]).map(ids).to_numpy()
        response_frames.append(frame)
        sample_frames.append(samples)
        if progress:
            progress(stage, position + 1, runs)
    return (
        pd.concat(response_frames, ignore_index=True),
        pd.concat(sample_frames, ignore_index=True),
    )


def solve_choice(
    responses: pd.DataFrame,
    samples: pd.DataFrame,
    constraints: Constraints,
    options: OptimiseOptions,
) -> Solution:
    """The programme's choice among the simulated candidates (:func:`spmopt.optimise.lp.solve`)."""
    return solve(
        responses,
        constraints,
        samples=samples[["unit", "candidate", "scenario", "comp_cost"]]
        if constraints.cvar is not None
        else None,
        mode=options.mode,
        solver=options.solver,
    )


# ------------------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class OptimisationResult:
    """The optimiser's answer.

    Attributes
    ----------
    plans:
        The chosen plan of each unit (segment name or rep id).
    solution:
        The LP solution (:class:`spmopt.optimise.lp.Solution`): objective, LP bound, integrality
        gap, shadow prices, constraint report, timings.
    responses, samples:
        The response table and per-replication comp-cost samples the LP was built from.
    validation:
        Predicted (response table) vs re-simulated (fresh random numbers) figures of the incumbent
        and the chosen plans, with confidence intervals.
    refinement:
        The search beyond the grid, one row per round, segment and lever
        (:data:`spmopt.optimise.refine.ROUND_COLUMNS`); empty when refinement is off.
    refinement_status:
        ``off``, ``converged`` (every refined segment's choice interior at its resolution),
        ``budget`` (stopped by ``refine_budget``) or ``rounds``.
    """

    scenario: Scenario
    options: OptimiseOptions
    constraints: Constraints
    candidates: dict[str, list[Candidate]]
    responses: pd.DataFrame
    samples: pd.DataFrame
    solution: Solution
    plans: dict[str, Plan]
    validation: pd.DataFrame = field(default_factory=pd.DataFrame)
    refinement: pd.DataFrame = field(default_factory=pd.DataFrame)
    refinement_status: str = "off"

    @property
    def shadow_prices(self) -> pd.Series:
        """Change in the optimum per unit of each constraint's parameter, by constraint name."""
        return self.solution.shadow_prices

    def summary(self) -> pd.DataFrame:
        """The chosen candidate per unit with its expected figures."""
        return self.solution.choice

    def share_below_outside_option(self) -> dict[str, float]:
        """Head-count share of reps whose own certainty equivalent (static best response) is
        below their own outside option, under the ``incumbent`` and the ``optimised`` plans."""
        frame = self.responses
        if SHARE_BELOW_OUTSIDE not in frame.columns:
            return {}
        chosen = self.solution.choice[["unit", "candidate"]].astype({"unit": str})
        rows = {
            "incumbent": frame[frame["candidate"] == INCUMBENT],
            "optimised": frame.astype({"unit": str}).merge(chosen, on=["unit", "candidate"]),
        }
        return {
            label: float((part["reps"] * part[SHARE_BELOW_OUTSIDE]).sum() / part["reps"].sum())
            for label, part in rows.items()
            if part["reps"].sum() > 0
        }

    def frontier(self, budgets=None, points: int = 9) -> pd.DataFrame:
        """Expected profit against the comp budget (re-solving the LP over a budget grid)."""
        from spmopt.optimise.frontier import budget_grid, frontier

        if budgets is None:
            budgets = budget_grid(self.responses, points=points)
        return frontier(
            self.responses,
            self.constraints,
            budgets,
            samples=self.samples[["unit", "candidate", "scenario", "comp_cost"]]
            if self.constraints.cvar is not None
            else None,
            solver=self.options.solver,
        )

    def write(self, out_dir: str | Path) -> list[Path]:
        """Plan files (``plans/<plan id>.toml``), a roster when plans are chosen per rep,
        ``model.lp``, ``responses.csv``, ``choice.csv``, ``shadow_prices.csv``,
        ``constraints.csv``, ``validation.csv`` and ``refinement.csv`` (when refined)."""
        out_dir = Path(out_dir)
        (out_dir / "plans").mkdir(parents=True, exist_ok=True)
        written = []
        for plan in {plan.id: plan for plan in self.plans.values()}.values():
            written.append(plan.save(out_dir / "plans" / f"{plan.id}.toml"))
        if self.options.unit == "rep":
            roster = pd.DataFrame(
                {"rep_id": list(self.plans), "plan_id": [p.id for p in self.plans.values()]}
            )
            roster.to_csv(out_dir / "roster.csv", index=False)
            written.append(out_dir / "roster.csv")
        self.solution.write_lp(out_dir / "model.lp")
        written.append(out_dir / "model.lp")
        tables = {
            "responses": self.responses,
            "choice": self.solution.choice,
            "shadow_prices": self.shadow_prices.rename("shadow_price")
            .rename_axis("constraint")
            .reset_index(),
            "constraints": self.solution.constraint_report,
            "validation": self.validation,
        }
        if len(self.refinement):
            tables["refinement"] = self.refinement
        for name, table in tables.items():
            path = out_dir / f"{name}.csv"
            table.to_csv(path, index=False, float_format="%.10g")
            written.append(path)
        return written


# ------------------------------------------------------------------------------ pipeline
def optimise(
    scenario: str | Path | Scenario,
    *,
    unit: str | None = None,
    replications: int | None = None,
    validation_replications: int | None = None,
    mode: str | None = None,
    solver: str | None = None,
    seed: int | None = None,
    validate: bool = True,
    validate_engine: str | None = None,
    participation: bool | None = None,
    refine: bool | None = None,
    resolution: float | Mapping[str, float] | None = None,
    refine_budget: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> OptimisationResult:
    """Choose plans for a scenario's segments (or reps) maximising expected profit.

    Each candidate plan from the scenario's levers is simulated on the same random numbers
    (common random numbers); the response table feeds the LP with the constraints from
    ``[finance]``; the chosen plans are re-simulated on fresh streams and reported beside the
    prediction (``result.validation``). ``progress(stage, done, total)`` reports progress.

    With ``refine`` (default on) the choice does not stop at the grid: each segment's lever
    values are searched around the chosen candidate (:func:`spmopt.optimise.refine.refine`)
    until the choice is interior at ``resolution`` or ``refine_budget`` simulation runs are
    spent; the rounds are in ``result.refinement``.
    """
    from spmopt.run.simulation import as_scenario

    scenario = as_scenario(scenario)
    options = OptimiseOptions.from_scenario(
        scenario,
        unit=unit,
        replications=replications,
        validation_replications=validation_replications,
        mode=mode,
        solver=solver,
        validate_engine=validate_engine,
        participation=participation,
        refine=refine,
        resolution=resolution,
        refine_budget=refine_budget,
    )
    constraints = constraints_from(scenario, options)
    by_segment = _segment_candidates(scenario, options)
    streams = RandomStreams(scenario.seed if seed is None else seed)
    if options.refine:
        from spmopt.optimise.refine import refine

        search = refine(scenario, options, constraints, by_segment, streams, progress)
        by_segment, responses, samples, solution = (
            search.candidates,
            search.responses,
            search.samples,
            search.solution,
        )
        refinement, refinement_status = search.rounds, search.status
    else:
        responses, samples = simulate_candidates(scenario, options, by_segment, streams, progress)
        solution = solve_choice(responses, samples, constraints, options)
        refinement, refinement_status = pd.DataFrame(), "off"
    lookup = {
        (segment, candidate.id): candidate
        for segment, made in by_segment.items()
        for candidate in made
    }
    seat_segment = scenario.population.frame.set_index("rep_id")["segment"].astype(str)
    plans = {}
    chosen_candidates = {}
    for row in solution.choice.itertuples(index=False):
        segment = str(row.unit) if options.unit == "segment" else seat_segment[str(row.unit)]
        candidate = lookup[(segment, row.candidate)]
        plans[str(row.unit)] = candidate.plan
        chosen_candidates[str(row.unit)] = candidate
    result = OptimisationResult(
        scenario=scenario,
        options=options,
        constraints=constraints,
        candidates=by_segment,
        responses=responses,
        samples=samples,
        solution=solution,
        plans=plans,
        refinement=refinement,
        refinement_status=refinement_status,
    )
    if validate:
        validation = _validate(
            scenario, options, result, chosen_candidates, by_segment, streams, progress
        )
        result = replace(result, validation=validation)
    return result


def _configuration_model(scenario, options, chosen_candidates, by_segment) -> SimulationModel:
    """A model running each unit's chosen plan (per-rep choices become sub-segments)."""
    if options.unit == "segment":
        return _model_for(scenario, chosen_candidates)
    model = _model_for(scenario, {s: made[0] for s, made in by_segment.items()})
    frame = model.population.frame.copy()
    chosen = pd.Series(chosen_candidates)
    rep_ids = frame["rep_id"].astype(str)
    frame["segment"] = rep_ids.map(lambda rep: f"{chosen[rep].segment}:{chosen[rep].id}")
    frame["quota"] = rep_ids.map(
        lambda rep: chosen[rep].plan.quota_of_measure(chosen[rep].plan.measures[0]).quota
    )
    segments = {}
    for candidate in {f"{c.segment}:{c.id}": c for c in chosen_candidates.values()}.values():
        name = f"{candidate.segment}:{candidate.id}"
        segments[name] = replace(model.segments[candidate.segment], name=name, plan=candidate.plan)
    return replace(model, population=Population(frame), segments=segments)


def _predicted_totals(
    result: OptimisationResult, pairs: pd.DataFrame
) -> dict[str, tuple[float, float]]:
    """Mean and standard error over the candidate replications of the company totals of the
    chosen (unit, candidate) pairs: what the response table predicts, and how precisely."""
    chosen = result.samples.merge(pairs.astype({"unit": str}), on=["unit", "candidate"])
    totals = chosen.groupby("scenario")[["revenue", "comp_cost", "profit", "reps_at_quota"]].sum()
    reps = float(result.responses.drop_duplicates("unit")["reps"].sum())
    totals["share_at_quota"] = totals["reps_at_quota"] / reps
    count = len(totals)
    return {
        metric: (
            float(totals[metric].mean()),
            float(totals[metric].std(ddof=1) / np.sqrt(count)) if count > 1 else 0.0,
        )
        for metric in ("revenue", "comp_cost", "profit", "share_at_quota")
    }


def _validate(scenario, options, result, chosen_candidates, by_segment, streams, progress):
    """Re-simulate incumbent and chosen plans on fresh random numbers; predicted vs simulated."""
    fresh = streams.spawn("validation")
    incumbent = {segment: made[0] for segment, made in by_segment.items()}
    rows = []
    for label, model in (
        ("incumbent", _model_for(scenario, incumbent)),
        ("optimised", _configuration_model(scenario, options, chosen_candidates, by_segment)),
    ):
        simulated = _run(model, options.validate_engine, options.validation_replications, fresh)
        metrics = simulated.replication_metrics()
        metrics["comp_cost"] = metrics["incentive_cost"] + metrics["base_cost"]
        if label == "incumbent":
            pairs = result.responses.loc[
                result.responses["candidate"] == INCUMBENT, ["unit", "candidate"]
            ]
        else:
            pairs = result.solution.choice[["unit", "candidate"]]
        predicted = _predicted_totals(result, pairs)
        for metric in ("revenue", "comp_cost", "profit", "share_at_quota"):
            values = metrics[metric].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            mean = float(values.mean())
            se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
            prediction, prediction_se = predicted[metric]
            combined = float(np.hypot(se, prediction_se))
            rows.append(
                {
                    "configuration": label,
                    "metric": metric,
                    "predicted": prediction,
                    "predicted_se": prediction_se,
                    "simulated": mean,
                    "simulated_se": se,
                    "ci_low": mean - 1.96 * se,
                    "ci_high": mean + 1.96 * se,
                    "z": (prediction - mean) / combined if combined > 0 else 0.0,
                    "agrees": bool(abs(prediction - mean) <= 1.96 * combined),
                    "engine": options.validate_engine,
                    "replications": len(values),
                }
            )
        if progress:
            progress("validation", 1 if label == "incumbent" else 2, 2)
    return pd.DataFrame(rows)
