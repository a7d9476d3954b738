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

from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.optimise.constraints import (
    SHARE_BELOW_OUTSIDE,
    Constraints,
    CVaRLimit,
    RepParticipation,
    below_outside_option,
)
from spmopt.optimise.levers import INCUMBENT, Candidate, apply_levers, candidates
from spmopt.optimise.lp import Solution, solve
from spmopt.optimise.selection import GapInterval
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
    "gap_rel",
    "time_limit_s",
    "solver",
    "participation",
    "rep_participation",
    "cvar",
    "validate_engine",
    "selection_size",
    "indifference_rel",
    "gap_batches",
    "max_overrun_probability",
    "shrinkage",
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
    gap_rel: float | None = None
    time_limit_s: float | None = None
    solver: str = "highs"
    participation: bool = True
    rep_participation: RepParticipation | None = None
    cvar: CVaRLimit | None = None
    validate_engine: str = "fast"
    selection_size: int = 5
    indifference_rel: float = 0.002
    gap_batches: int = 10
    max_overrun_probability: float | None = None
    shrinkage: bool = True
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
        _check_solve_options(table, scenario.source)
        _check_refinement(table, scenario)
        return cls(levers=per_segment, cvar=cvar, rep_participation=rep_participation, **table)


def _check_solve_options(table: Mapping[str, object], source: str | None) -> None:
    """Stop before any simulation when the mode, gap or time limit cannot be used: ``milp``
    needs both a relative gap and a time limit [s] (a binary programme can run for minutes)."""
    from spmopt.optimise.lp import MODES

    mode = table.get("mode", "round")
    if mode not in MODES:
        raise SpmoptInputError(
            f"optimise.mode: expected one of {', '.join(MODES)}, got {mode!r}", source
        )
    for key, low, high in (
        ("selection_size", 1, None),
        ("gap_batches", 0, None),
        ("indifference_rel", 0, None),
        ("max_overrun_probability", 0, 1),
    ):
        value = table.get(key)
        if value is None:
            continue
        whole = key in ("selection_size", "gap_batches")
        kinds = int if whole else int | float
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value:
            raise SpmoptInputError(
                f"optimise.{key}: expected {'a whole number' if whole else 'a number'} >= {low}, "
                f"got {value!r}",
                source,
            )
        if high is not None and value > high:
            raise SpmoptInputError(
                f"optimise.{key}: expected at most {high}, got {value!r}", source
            )
    if not isinstance(table.get("shrinkage", True), bool):
        raise SpmoptInputError(
            f"optimise.shrinkage: expected true or false, got {table['shrinkage']!r}", source
        )
    for key in ("gap_rel", "time_limit_s"):
        value = table.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0
        ):
            raise SpmoptInputError(f"optimise.{key}: expected a number >= 0, got {value!r}", source)
    if mode == "milp" and (table.get("gap_rel") is None or table.get("time_limit_s") is None):
        raise SpmoptInputError(
            "mode 'milp' needs a relative gap and a time limit (--gap 0.001 --time-limit 300 on "
            "the command line, gap_rel and time_limit_s in [optimise] or in spmopt.optimise): "
            "a binary programme over every unit can run for minutes; or use mode 'round'",
            source,
        )


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
            made[name] = [with_participation_base(scenario, candidate) for candidate in made[name]]
    return made


def with_participation_base(scenario: Scenario, candidate: Candidate) -> Candidate:
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


def model_for_choice(scenario: Scenario, chosen: Mapping[str, Candidate]) -> SimulationModel:
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


def simulate_model(model: SimulationModel, engine: str, replications: int, streams: RandomStreams):
    """Simulate ``model`` for ``replications`` years on the named engine (``events`` or ``fast``)."""
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
        model = model_for_choice(scenario, chosen)
        result = simulate_model(model, "fast", options.replications, streams)
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
    scenario: Scenario,
    *,
    diagnose: bool = True,
) -> Solution:
    """The programme's choice among the simulated candidates (:func:`spmopt.optimise.lp.solve`);
    per-rep responses are shrunk towards their segment first (``options.shrinkage``).
    ``diagnose=False`` skips the infeasibility analysis (re-solves that may fail quietly)."""
    return solve(
        _lp_responses(scenario, responses, samples, options),
        constraints,
        samples=samples[["unit", "candidate", "scenario", "comp_cost"]]
        if constraints.cvar is not None
        else None,
        mode=options.mode,
        solver=options.solver,
        gap_rel=options.gap_rel,
        time_limit_s=options.time_limit_s,
        diagnose=diagnose,
    )


def _lp_responses(
    scenario: Scenario, responses: pd.DataFrame, samples: pd.DataFrame, options: OptimiseOptions
) -> pd.DataFrame:
    """The response table the programme sees: per-rep gains shrunk (:func:`_shrunk`) when
    choosing per rep with ``shrinkage``, else ``responses`` as simulated."""
    if options.unit == "rep" and options.shrinkage:
        return _shrunk(scenario, responses, samples)
    return responses


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
        Figures of the incumbent, the chosen plans and the gain between them: ``in_sample``
        (the choice stream's response table, optimistic for a plan chosen as the best of many)
        and ``predicted`` (re-simulated on the independent stream B, ``validation``, with
        confidence intervals; the prediction to report), and their difference ``optimism``.
    safety:
        The chosen plans' re-simulated budget, cost of sales, revenue and share at quota
        against the constraints (:func:`constraint_safety`); see :attr:`constraints_safe`.
    selection:
        The Kim–Nelson ranking and selection among the close configurations (empty when not
        run, e.g. per-rep choices).
    optimality_gap:
        The multiple-replication procedure's interval of the chosen plans' optimality gap
        (:class:`~spmopt.optimise.selection.GapInterval`), or None.
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
    safety: pd.DataFrame = field(default_factory=pd.DataFrame)
    selection: pd.DataFrame = field(default_factory=pd.DataFrame)
    optimality_gap: GapInterval | None = None

    @property
    def breaches(self) -> list[str]:
        """The constraints the re-simulated chosen plans break beyond ``SAFETY_Z`` standard
        errors, each as one sentence (empty when safe or not re-simulated)."""
        if not len(self.safety):
            return []
        messages = []
        for row in self.safety[self.safety["breached"]].itertuples(index=False):
            side = "above" if row.sense == "<=" else "below"
            ratio = row.constraint in ("cos_ceiling", "attain_floor", "attain_ceiling")
            ratio |= row.constraint == "overrun_probability"
            fmt = "{:.2%}".format if ratio else "{:,.0f}".format
            messages.append(
                f"{row.constraint}: re-simulated {fmt(row.simulated)} ± {fmt(row.simulated_se)} "
                f"(1 se) is {side} the limit {fmt(row.limit)} by {row.excess_z:.1f} standard "
                "errors"
            )
        return messages

    @property
    def constraints_safe(self) -> bool:
        """False when a re-simulated figure breaks a constraint (see :attr:`breaches`)."""
        return not self.breaches

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
        """Expected profit against the comp budget (re-solving the LP over a budget grid of
        ``points`` budgets plus the current budget, marked, when ``budgets`` is None)."""
        from spmopt.optimise.frontier import frontier

        return frontier(
            self.responses,
            self.constraints,
            budgets,
            points=points,
            samples=self.samples[["unit", "candidate", "scenario", "comp_cost"]]
            if self.constraints.cvar is not None
            else None,
            mode=self.options.mode,
            solver=self.options.solver,
            gap_rel=self.options.gap_rel,
            time_limit_s=self.options.time_limit_s,
        )

    def write(self, out_dir: str | Path) -> list[Path]:
        """Plan files (``plans/<plan id>.toml``), a roster when plans are chosen per rep,
        ``model.lp``, ``responses.csv``, ``choice.csv``, ``shadow_prices.csv``,
        ``constraints.csv``, ``validation.csv``, ``safety.csv``, ``selection.csv``,
        ``optimality_gap.csv`` (when estimated) and ``refinement.csv`` (when refined)."""
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
            "safety": self.safety,
            "selection": self.selection,
        }
        if self.optimality_gap is not None:
            tables["optimality_gap"] = pd.DataFrame([self.optimality_gap.as_dict()])
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
    gap_rel: float | None = None,
    time_limit_s: float | None = None,
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
    ``gap_rel`` (relative optimality gap) and ``time_limit_s`` [s] configure the binary solves;
    ``mode="milp"`` needs both, checked before any simulation (:class:`SpmoptInputError`).

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
        gap_rel=gap_rel,
        time_limit_s=time_limit_s,
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
        solution = solve_choice(responses, samples, constraints, options, scenario)
        refinement, refinement_status = pd.DataFrame(), "off"
    responses = _lp_responses(scenario, responses, samples, options)
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
        result = _after_choice(result, by_segment, streams, progress)
    return result


def _configuration_model(scenario, options, chosen_candidates, by_segment) -> SimulationModel:
    """A model running each unit's chosen plan (per-rep choices become sub-segments)."""
    if options.unit == "segment":
        return model_for_choice(scenario, chosen_candidates)
    model = model_for_choice(scenario, {s: made[0] for s, made in by_segment.items()})
    frame = model.population.frame.copy()
    chosen = pd.Series(chosen_candidates)
    rep_ids = frame["rep_id"].astype(str)
    frame["segment"] = rep_ids.map(lambda rep: f"{chosen[rep].segment}:{chosen[rep].id}")
    # each rep's quota as when its candidate was simulated: its own quota (or the plan's) times
    # the candidate's quota multiple, times territory potential when quotas follow territories
    original = scenario.model().population
    quota = np.empty(len(frame))
    for name, candidate in {f"{c.segment}:{c.id}": c for c in chosen_candidates.values()}.items():
        seats = (frame["segment"] == name).to_numpy()
        quota[seats] = _quotas(original.select(seats), candidate)
    frame["quota"] = quota
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


def _shrunk(scenario: Scenario, responses: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """Per-rep responses with each candidate's gain over the incumbent shrunk towards its
    segment's mean (:func:`spmopt.optimise.selection.shrink_rep_responses`)."""
    from spmopt.optimise.selection import shrink_rep_responses

    segment_of = scenario.population.frame.set_index("rep_id")["segment"]
    segment_of.index = segment_of.index.astype(str)
    return shrink_rep_responses(responses, samples, segment_of)


# ------------------------------------------------------------------------------ run size
def planned_runs(
    scenario: Scenario, options: OptimiseOptions, *, validate: bool = True
) -> list[tuple[str, str, int, int]]:
    """The simulations :func:`optimise` will run, for an up-front estimate: rows of
    ``(stage, engine, replications per run, runs)`` — candidates, the optimality-gap batches
    (at most: the contending candidates),
    at most ``selection_size`` configurations in ranking and selection, and the validation of
    the incumbent and the chosen plans."""
    rounds = 0
    for name, spec in scenario.spec.segments.items():
        levers = {k: v for k, v in options.levers[name].items() if v != PARTICIPATION}
        try:
            made = candidates(scenario.plans[spec.plan], name, levers)
        except SpmoptInputError as error:
            raise error.in_source(scenario.source) from None
        rounds = max(rounds, len(made))
    runs = [("candidates", "fast", options.replications, rounds)]
    if options.refine and options.refine_budget:
        runs.append(("refinement", "fast", options.replications, options.refine_budget))
        rounds += options.refine_budget
    if not validate:
        return runs
    if options.unit == "segment" and options.selection_size >= 2:
        runs.append(("selection", "fast", options.validation_replications, options.selection_size))
    runs.append(("validation", options.validate_engine, options.validation_replications, 2))
    if min(options.gap_batches, options.replications // 2) >= 2:
        # the contenders (_gap_candidates): per segment the selection_size best and the chosen
        # one; per-rep choices may choose every candidate somewhere
        contenders = options.selection_size + 1 if options.unit == "segment" else rounds
        runs.append(("gap", "fast", options.replications, min(rounds, contenders)))
    return runs


# ------------------------------------------------------------------------------ after the choice
VALIDATION_METRICS = ("revenue", "comp_cost", "profit", "share_at_quota")
SAFETY_Z = 2.0
"""A constraint is breached when the re-simulated figure is beyond its limit by more than this
many standard errors (one-sided false-alarm rate 2.3% for a plan exactly at its limit)."""


def _after_choice(result: OptimisationResult, by_segment, streams: RandomStreams, progress):
    """Ranking and selection among the close configurations (stream ``selection``), the
    out-of-sample prediction and constraint safety (stream ``validation``), and the optimality
    gap's interval (stream ``gap``); each stream is independent of the choice stream."""
    options = result.options
    needed = options.selection_size >= 2 or options.gap_batches >= 2
    held = _held_solutions(result) if needed else {}
    result = _select(result, held, by_segment, streams.spawn("selection"), progress)
    chosen = _chosen_candidates(result, by_segment)
    validation, safety = _validate(
        result.scenario, result.options, result, chosen, by_segment, streams, progress
    )
    result = replace(result, validation=validation, safety=safety)
    if result.options.gap_batches >= 2:
        contenders = _gap_candidates(result, held, by_segment)
        gap = _optimality_gap(result, contenders, streams.spawn("gap"), progress)
        result = replace(result, optimality_gap=gap)
    return result


def _chosen_candidates(result: OptimisationResult, by_segment) -> dict[str, Candidate]:
    """Each unit's chosen :class:`Candidate` (by unit name)."""
    lookup = {(s, c.id): c for s, made in by_segment.items() for c in made}
    seat_segment = result.scenario.population.frame.set_index("rep_id")["segment"].astype(str)
    chosen = {}
    for row in result.solution.choice.itertuples(index=False):
        unit = str(row.unit)
        segment = unit if result.options.unit == "segment" else seat_segment[unit]
        chosen[unit] = lookup[(segment, row.candidate)]
    return chosen


def _solve_again(result: OptimisationResult, responses: pd.DataFrame, samples: pd.DataFrame):
    """The programme re-solved on another response table as the choice was made
    (:func:`solve_choice`: same constraints and options, per-rep shrinkage included)."""
    return solve_choice(
        responses, samples, result.constraints, result.options, result.scenario, diagnose=False
    )


def _held_solutions(result: OptimisationResult) -> dict[tuple[str, str], Solution]:
    """Per-segment choices: for each unit and each of its candidates, the best configuration
    with that unit held to that candidate, re-solved on the choice stream (absent when no such
    configuration meets the constraints there). Empty for per-rep choices (thousands of units
    times their candidates would each need a solve)."""
    if result.options.unit != "segment":
        return {}
    responses, samples = result.responses, result.samples
    units = responses["unit"].astype(str)
    held = {}
    for unit, candidate in responses.loc[:, ["unit", "candidate"]].astype(str).itertuples(False):
        keep = (units != unit) | (responses["candidate"].astype(str) == candidate)
        kept_samples = (samples["unit"].astype(str) != unit) | (
            samples["candidate"].astype(str) == candidate
        )
        try:
            held[(unit, candidate)] = _solve_again(result, responses[keep], samples[kept_samples])
        except SpmoptNoSolutionError:
            continue
    return held


def _shortlist(
    result: OptimisationResult, held: Mapping[tuple[str, str], Solution]
) -> list[Solution]:
    """The LP's choice and its closest rivals on the choice stream: the configurations of
    :func:`_held_solutions` (so every rival meets the constraints on the choice stream's
    estimates); the ``selection_size`` best by expected profit, the LP's choice first."""
    found = {_choice_key(result.solution): result.solution}
    for solution in held.values():
        found.setdefault(_choice_key(solution), solution)
    rivals = sorted(
        (s for key, s in found.items() if key != _choice_key(result.solution)),
        key=lambda s: -s.objective,
    )
    return [result.solution, *rivals[: result.options.selection_size - 1]]


def _choice_key(solution: Solution) -> tuple:
    return tuple(sorted(solution.choice[["unit", "candidate"]].astype(str).itertuples(False)))


def _select(result: OptimisationResult, held, by_segment, streams: RandomStreams, progress):
    """Kim–Nelson selection with common random numbers among the shortlisted configurations
    (:func:`_shortlist` of ``held``, :func:`_held_solutions`) on a stream independent of the
    choice; the winner becomes the choice.

    Per-rep choices (thousands of units) are not shortlisted: the table notes it."""
    from spmopt.optimise.selection import kim_nelson

    options = result.options
    if options.unit != "segment" or options.selection_size < 2:
        return replace(result, selection=pd.DataFrame())
    shortlist = _shortlist(result, held)
    if len(shortlist) < 2:
        return replace(result, selection=pd.DataFrame())
    models = []
    for solution in shortlist:
        chosen = _chosen_candidates(replace(result, solution=solution), by_segment)
        models.append(_configuration_model(result.scenario, options, chosen, by_segment))
    budget = options.validation_replications
    most = max(budget, 10)
    profits: dict[int, np.ndarray] = {}

    def profit_of(index: int) -> np.ndarray:
        """Per-replication profit of configuration ``index`` over all ``most`` replications,
        simulated in one run when first asked for: the run's cost is mostly solving the reps'
        policies, once per run, so one run beats one per stage of the procedure (the
        replications are the same: each uses its own streams)."""
        if index not in profits:
            from spmopt.sim.fast import simulate_fast

            simulated = simulate_fast(models[index], most, streams)
            metrics = simulated.replication_metrics().sort_values("replication")
            profits[index] = metrics["profit"].to_numpy(dtype=float)
        return profits[index]

    def sample(first: int, count: int, alive: np.ndarray) -> np.ndarray:
        columns = [profit_of(index)[first : first + count] for index in alive]
        if progress:
            progress("selection", min(first + count, budget), budget)
        return np.column_stack(columns)

    incumbent_profit = abs(float(shortlist[0].objective))
    delta = max(options.indifference_rel * incumbent_profit, 1e-9)
    outcome = kim_nelson(
        sample,
        len(shortlist),
        delta=delta,
        n0=max(2, min(10, budget)),
        batch=10,
        max_replications=most,
    )
    if progress:
        progress("selection", budget, budget)
    table = pd.DataFrame(
        {
            "configuration": ["; ".join(f"{u}={c}" for u, c in _choice_key(s)) for s in shortlist],
            "choice_stream_profit": [s.objective for s in shortlist],
            "selection_stream_profit": outcome.means,
            "replications": outcome.replications,
            "eliminated_at": outcome.eliminated_at,
            "selected": np.arange(len(shortlist)) == outcome.best,
            "lp_choice": np.arange(len(shortlist)) == 0,
            "indifference": delta,
            "stopped": outcome.stopped,
        }
    )
    winner = shortlist[outcome.best]
    chosen = _chosen_candidates(replace(result, solution=winner), by_segment)
    plans = {unit: candidate.plan for unit, candidate in chosen.items()}
    return replace(result, solution=winner, plans=plans, selection=table)


def _validate(scenario, options, result, chosen_candidates, by_segment, streams, progress):
    """Re-simulate incumbent and chosen plans on a stream independent of the choice (stream B,
    ``validation``; common random numbers between the two): B's figures are the prediction, the
    choice stream's (in-sample) figures are shown beside them with their optimism; the gain of
    the chosen over the incumbent is paired on B. Returns the validation table and the chosen
    plans' constraint-safety table."""
    fresh = streams.spawn("validation")
    incumbent = {segment: made[0] for segment, made in by_segment.items()}
    rows, per_replication = [], {}
    for label, model in (
        ("incumbent", model_for_choice(scenario, incumbent)),
        ("optimised", _configuration_model(scenario, options, chosen_candidates, by_segment)),
    ):
        simulated = simulate_model(
            model, options.validate_engine, options.validation_replications, fresh
        )
        metrics = simulated.replication_metrics().sort_values("replication")
        metrics["comp_cost"] = metrics["incentive_cost"] + metrics["base_cost"]
        per_replication[label] = metrics.set_index("replication")
        if label == "incumbent":
            pairs = result.responses.loc[
                result.responses["candidate"] == INCUMBENT, ["unit", "candidate"]
            ]
        else:
            pairs = result.solution.choice[["unit", "candidate"]]
        in_sample = _predicted_totals(result, pairs)
        for metric in VALIDATION_METRICS:
            rows.append(_validation_row(label, metric, metrics[metric], in_sample[metric], options))
        if progress:
            progress("validation", 1 if label == "incumbent" else 2, 2)
    difference = (
        per_replication["optimised"][list(VALIDATION_METRICS)]
        - per_replication["incumbent"][list(VALIDATION_METRICS)]
    )
    gain_in_sample = {
        metric: (
            rows[4 + i]["in_sample"] - rows[i]["in_sample"],
            float(np.hypot(rows[4 + i]["in_sample_se"], rows[i]["in_sample_se"])),
        )
        for i, metric in enumerate(VALIDATION_METRICS)
    }
    for metric in VALIDATION_METRICS:
        rows.append(
            _validation_row("gain", metric, difference[metric], gain_in_sample[metric], options)
        )
    safety = constraint_safety(
        result.constraints, per_replication["optimised"], options.max_overrun_probability
    )
    return pd.DataFrame(rows), safety


def _validation_row(label, metric, values, in_sample, options) -> dict[str, object]:
    """One row of the validation table: in-sample (choice stream) vs out-of-sample (stream B)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    mean = float(values.mean())
    se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
    estimate, estimate_se = in_sample
    combined = float(np.hypot(se, estimate_se))
    return {
        "configuration": label,
        "metric": metric,
        "in_sample": estimate,
        "in_sample_se": estimate_se,
        "predicted": mean,
        "predicted_se": se,
        "ci_low": mean - 1.96 * se,
        "ci_high": mean + 1.96 * se,
        "optimism": estimate - mean,
        "z": (estimate - mean) / combined if combined > 0 else 0.0,
        "agrees": bool(abs(estimate - mean) <= 1.96 * combined),
        "engine": options.validate_engine,
        "replications": len(values),
    }


def constraint_safety(
    constraints: Constraints,
    metrics: pd.DataFrame,
    max_overrun_probability: float | None = None,
    z: float = SAFETY_Z,
) -> pd.DataFrame:
    """Does the re-simulated plan keep the constraints? One row per checked constraint.

    ``metrics`` holds per-replication company figures (``comp_cost``, ``revenue``,
    ``share_at_quota``). A constraint is ``breached`` when the figure is past its limit by more
    than ``z`` standard errors (``excess_z`` > z): the budget (mean comp cost), the cost-of-sales
    ceiling (mean comp cost / mean revenue, delta-method error), the revenue target and the band
    on the share of reps at quota; with a budget, the chance constraint P(comp cost > budget) ≤
    ``max_overrun_probability`` (the share of replications over budget, binomial error), checked
    only when that limit is given (else reported with no limit).
    """
    n = len(metrics)
    cost = metrics["comp_cost"].to_numpy(dtype=float)
    revenue = metrics["revenue"].to_numpy(dtype=float)
    share = metrics["share_at_quota"].to_numpy(dtype=float)
    share = share[~np.isnan(share)]

    def mean_se(values):
        se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
        return float(values.mean()), se

    rows = []

    def check(name, limit, value, se, sense):
        excess = (value - limit) if sense == "<=" else (limit - value)
        excess_z = excess / se if se > 0 else (np.inf if excess > 0 else -np.inf)
        rows.append(
            {
                "constraint": name,
                "sense": sense,
                "limit": float(limit),
                "simulated": value,
                "simulated_se": se,
                "excess_z": float(excess_z),
                "breached": bool(excess_z > z),
            }
        )

    if constraints.budget is not None:
        check("budget", constraints.budget, *mean_se(cost), "<=")
        overrun = cost > constraints.budget
        p = float(overrun.mean())
        p_se = float(np.sqrt(max(p * (1 - p), 1e-12) / n))
        limit = np.nan if max_overrun_probability is None else max_overrun_probability
        if max_overrun_probability is None:
            rows.append(
                {
                    "constraint": "overrun_probability",
                    "sense": "<=",
                    "limit": limit,
                    "simulated": p,
                    "simulated_se": p_se,
                    "excess_z": np.nan,
                    "breached": False,
                }
            )
        else:
            check("overrun_probability", limit, p, p_se, "<=")
    if constraints.cos_ceiling is not None:
        ratio = cost.mean() / revenue.mean()
        # delta method for a ratio of means: var ≈ var(C − ratio·R) / (n · mean(R)²)
        residual = cost - ratio * revenue
        se = float(residual.std(ddof=1) / (np.sqrt(n) * revenue.mean())) if n > 1 else 0.0
        check("cos_ceiling", constraints.cos_ceiling, float(ratio), se, "<=")
    if constraints.revenue_target is not None:
        check("revenue_target", constraints.revenue_target, *mean_se(revenue), ">=")
    band = constraints.quota_share
    if band is not None and not band.per_unit and len(share):
        if band.low is not None:
            check("attain_floor", band.low, *mean_se(share), ">=")
        if band.high is not None:
            check("attain_ceiling", band.high, *mean_se(share), "<=")
    columns = ["constraint", "sense", "limit", "simulated", "simulated_se", "excess_z", "breached"]
    return pd.DataFrame(rows, columns=columns)


def _batch_responses(frame: pd.DataFrame, part: pd.DataFrame) -> pd.DataFrame:
    """The response table of one batch of replications: revenue, comp cost, profit and share
    at quota are the batch's means per unit and candidate; base pay, discounts, certainty
    equivalents and attrition keep the whole run's means (comp cost is split so that base +
    incentive is the batch's)."""
    keys = ["unit", "candidate"]
    means = part.groupby(keys, sort=False)[["comp_cost", "revenue", "profit", "reps_at_quota"]]
    means = means.mean().reindex(pd.MultiIndex.from_frame(frame[keys].astype(str)))
    batch = frame.copy()
    batch["revenue"] = means["revenue"].to_numpy()
    batch["incentive_cost"] = means["comp_cost"].to_numpy() - frame["base_cost"].to_numpy()
    batch["margin"] = (
        means["profit"].to_numpy()
        + means["comp_cost"].to_numpy()
        + frame["discount_cost"].to_numpy()
    )
    reps = frame["reps"].to_numpy(dtype=float)
    batch["p_quota"] = np.where(reps > 0, means["reps_at_quota"].to_numpy() / reps, 0.0)
    return batch


def _gap_candidates(
    result: OptimisationResult, held: Mapping[tuple[str, str], Solution], by_segment
) -> dict[str, list[Candidate]]:
    """The candidates the optimality-gap batches re-simulate, per segment: those the programme
    could pick — per unit the ``selection_size`` best by the choice stream's profit with the
    unit held to them (:func:`_held_solutions`; per-rep choices: by the segment's total LP
    profit over its reps, and the incumbent the shrinkage needs) — and the chosen ones."""
    options = result.options
    keep: dict[str, set[str]] = {segment: set() for segment in by_segment}
    for candidate in _chosen_candidates(result, by_segment).values():
        keep[candidate.segment].add(candidate.id)
    if options.unit == "segment":
        for unit in keep:
            ranked = sorted(
                (-solution.objective, candidate)
                for (held_unit, candidate), solution in held.items()
                if held_unit == unit
            )
            keep[unit].update(candidate for _, candidate in ranked[: options.selection_size])
    else:
        seat_segment = result.scenario.population.frame.set_index("rep_id")["segment"]
        seat_segment.index = seat_segment.index.astype(str)
        table = result.responses.astype({"unit": str, "candidate": str})
        profit = table["margin"] - table["incentive_cost"] - table["base_cost"]
        profit = (
            (profit - table["discount_cost"])
            .groupby([seat_segment.reindex(table["unit"]).to_numpy(), table["candidate"]])
            .sum()
        )
        for segment in keep:
            if segment in profit.index.get_level_values(0):
                best = profit.loc[segment].sort_values(ascending=False, kind="stable")
                keep[segment].update(best.index[: options.selection_size])
            keep[segment].add(INCUMBENT)
    return {
        segment: [candidate for candidate in made if candidate.id in keep[segment]]
        for segment, made in by_segment.items()
    }


def _optimality_gap(result: OptimisationResult, contenders, streams: RandomStreams, progress):
    """Mak–Morton–Wood multiple-replication procedure on the contending candidates
    (:func:`_gap_candidates`), simulated again on a stream independent of the choice and split
    into ``gap_batches`` batches of replications; in each, the programme re-solved as the choice
    was (:func:`solve_choice`, shrinkage included) gives v*_g and the chosen plans' profit in
    the same table v_g(x̂); the batch gaps G_g = v*_g − v_g(x̂) give a one-sided 95% interval of
    the optimality gap among the contenders."""
    from spmopt.optimise.selection import optimality_gap_interval

    options, scenario = result.options, result.scenario
    batches = min(options.gap_batches, options.replications // 2)
    if batches < 2:
        return None
    size = options.replications // batches
    run = replace(options, replications=size * batches)
    responses, samples = simulate_candidates(
        scenario, run, contenders, streams, progress, stage="gap"
    )
    samples["batch"] = samples["scenario"] // size
    choice = result.solution.choice[["unit", "candidate"]].astype(str)
    gaps = []
    for _, part in samples.groupby("batch", sort=True):
        batch = _batch_responses(responses, part)
        try:
            best = _solve_again(result, batch, part).objective
        except SpmoptNoSolutionError:
            continue
        seen = _lp_responses(scenario, batch, part, options)
        mine = seen.astype({"unit": str, "candidate": str}).merge(choice, on=["unit", "candidate"])
        value = float(
            (
                mine["margin"] - mine["incentive_cost"] - mine["base_cost"] - mine["discount_cost"]
            ).sum()
        )
        gaps.append(best - value)
    if len(gaps) < 2:
        return None
    interval = optimality_gap_interval(gaps, alpha=0.05)
    counted = sum(len(made) for made in contenders.values())
    return replace(interval, batch_replications=size, candidates=counted)
