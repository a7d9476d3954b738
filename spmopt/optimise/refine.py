"""Search beyond the lever grid: a compass (pattern) search over each segment's continuous levers.

The grid of ``[optimise.levers]`` is only a start. After the programme has chosen among the grid's
candidates, every continuous lever of each segment (``quota``, ``rate``, ``pay_mix``,
``base_salary``, ``cap``, ``bonus_amount``, ``bonus_at`` given as a list of at least two numbers)
is searched around the chosen candidate, the *centre*:

1. each lever ℓ has a step s_ℓ, at first the distance from the centre to the nearest other grid
   value of ℓ;
2. a round proposes the centre ± s_ℓ for each lever in turn (the others kept), skipping settings
   already simulated and keeping each lever inside its domain (a move across a bound stops at
   the bound, or halfway to an open one);
3. the new candidates are simulated on the same random numbers as all earlier ones (common random
   numbers, one run of ``replications`` per position as in the grid) and the programme is solved
   again over every candidate simulated so far, so its choice never gets worse on these numbers;
4. a segment whose choice moved re-centres and doubles the steps of the levers that moved (up
   to ``MAX_EXPANSION`` × their first step), so a choice at the grid's edge walks out of the grid
   with growing strides; a segment whose centre was chosen again halves its steps, down to the
   lever's resolution; it has **converged** when its centre beat both neighbours of every lever
   at the resolution (the choice is interior at that resolution, or at a lever's bound).

The search stops when every segment has converged, or when the next round would take the
refinement beyond ``refine_budget`` simulation runs (the grid's runs are not counted). With
plans chosen per rep, a segment's centre is the candidate chosen for most of its reps.

Resolutions: ``resolution = r`` is r in the units of the dimensionless levers (multiples of the
quota and of the rates, base share of pay, attainment of a cap or a bonus) and r × the plan's
on-target earnings for the currency levers (``base_salary``, ``bonus_amount``); a table
``resolution = { rate = 0.005, bonus_amount = 500 }`` sets levers one by one (the others keep
the default, 0.01).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.optimise.levers import INCUMBENT, Candidate, apply_levers, plan_id_for
from spmopt.optimise.lp import Solution
from spmopt.plan.plan import Plan

CONTINUOUS = ("quota", "rate", "pay_mix", "base_salary", "cap", "bonus_amount", "bonus_at")
CURRENCY = ("base_salary", "bonus_amount")
DEFAULT_RESOLUTION = 0.01
MAX_ROUNDS = 500
MAX_EXPANSION = 4.0  # a step grows to at most this multiple of its first value
# lever domain: (low, low is open, high, high is open)
DOMAINS = {
    "quota": (0.0, True, math.inf, True),
    "rate": (0.0, False, math.inf, True),
    "pay_mix": (0.0, False, 1.0, True),
    "base_salary": (0.0, False, math.inf, True),
    "cap": (0.0, True, math.inf, True),  # cap = 0 means no cap: a category, never moved
    "bonus_amount": (0.0, False, math.inf, True),
    "bonus_at": (0.0, True, math.inf, True),
}
ROUND_COLUMNS = (
    "round",
    "segment",
    "candidate",
    "lever",
    "value",
    "step",
    "resolution",
    "profit",
    "objective",
    "simulation_runs",
    "replications",
    "action",
)
PARTICIPATION = "participation"


def check_resolution(resolution) -> float | dict[str, float]:
    """The ``resolution`` option validated: a positive number, or a table of positive numbers
    by continuous lever name. Raises :class:`SpmoptInputError` naming the key."""
    if isinstance(resolution, Mapping):
        unknown = sorted(set(resolution) - set(CONTINUOUS))
        if unknown:
            raise SpmoptInputError(
                f"unknown key 'optimise.resolution.{unknown[0]}'; continuous levers are "
                f"{', '.join(CONTINUOUS)}"
            )
        return {key: _positive(f"optimise.resolution.{key}", v) for key, v in resolution.items()}
    return _positive("optimise.resolution", resolution)


def _positive(key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise SpmoptInputError(f"{key}: expected a number above 0, got {value!r}")
    if not math.isfinite(value):
        raise SpmoptInputError(f"{key}: expected a finite number above 0, got {value!r}")
    return float(value)


def lever_resolution(lever: str, resolution, plan: Plan) -> float:
    """The resolution of ``lever`` for a segment on ``plan``, in the lever's own units (a multiple,
    a ratio, or currency/yr for ``base_salary`` and ``bonus_amount``)."""
    resolution = check_resolution(resolution)
    scale = plan.on_target_earnings if lever in CURRENCY else 1.0
    if isinstance(resolution, dict):
        if lever in resolution:
            return resolution[lever]
        return DEFAULT_RESOLUTION * scale
    return resolution * scale


@dataclass(frozen=True, eq=False)
class Refinement:
    """The outcome of :func:`refine`.

    ``candidates``: every simulated candidate by segment (the incumbent first, then the grid, then
    the refined candidates in order of simulation); ``responses``, ``samples``: their response
    rows and per-replication samples (common random numbers); ``solution``: the programme's last
    choice among them; ``rounds``: one row per round, segment and lever (``ROUND_COLUMNS``);
    ``status``: ``converged`` (every segment interior at its resolution), ``budget`` (stopped by
    ``refine_budget``) or ``rounds`` (stopped after ``MAX_ROUNDS``); ``simulation_runs``: runs
    used, the grid's included, each of ``replications`` replications.
    """

    candidates: dict[str, list[Candidate]]
    responses: pd.DataFrame
    samples: pd.DataFrame
    solution: Solution
    rounds: pd.DataFrame
    status: str
    simulation_runs: int


@dataclass
class _Search:
    """One segment's search state: the centre candidate, its lever values and steps."""

    segment: str
    plan: Plan
    grid_keys: tuple[str, ...]
    participation: bool
    levers: tuple[str, ...]
    resolutions: dict[str, float]
    grids: dict[str, list[float]]
    rate_tables: Mapping[str, object]
    centre: Candidate | None = None
    settings: dict | None = None
    steps: dict | None = None
    limits: dict | None = None
    converged: bool = False


def refinable_levers(levers: Mapping[str, object]) -> tuple[str, ...]:
    """Continuous levers given as a list of at least two distinct numbers (a single value is a
    setting the user fixed)."""
    found = []
    for key in CONTINUOUS:
        values = levers.get(key)
        if not isinstance(values, list | tuple):
            continue
        numbers = {
            float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
        }
        if len(numbers) == len(values) and len(numbers) >= 2:
            found.append(key)
    return tuple(found)


def incumbent_settings(plan: Plan, grid_keys, levers: Mapping[str, object]) -> dict:
    """Lever settings that reproduce the segment's own plan (the incumbent), in the grid's keys."""
    body = plan.to_dict()["plan"]
    component = body["components"][0]
    lever_bonus = [bonus for bonus in body.get("bonuses", []) if bonus["id"] == "lever"]
    values = {
        "quota": 1.0,
        "rate": 1.0,
        "pay_mix": plan.base_salary / plan.on_target_earnings if plan.on_target_earnings else 0.0,
        "base_salary": plan.base_salary,
        "cap": float(component.get("cap", 0.0) or 0.0),
        "bonus_amount": float(lever_bonus[0]["amount"]) if lever_bonus else 0.0,
        "bonus_at": float(lever_bonus[0]["at"]) if lever_bonus else None,
        "quota_basis": "plan",
        "rate_tables": "plan",
    }
    settings = {}
    for key in grid_keys:
        value = values.get(key)
        if value is None:
            grid = levers[key]
            value = grid[0] if isinstance(grid, list | tuple) else grid
        settings[key] = value
    return settings


def _normal(key: str, value, rate_tables: Mapping[str, object]):
    """A hashable, rounded form of one setting (rate tables by name)."""
    if key == "rate_tables":
        if isinstance(value, str):
            return value
        for name, tiers in rate_tables.items():
            if tiers == value:
                return name
        return repr(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 10)
    return value


def _key(search: _Search, settings: Mapping[str, object]) -> tuple:
    return tuple(
        (key, _normal(key, settings[key], search.rate_tables))
        for key in search.grid_keys
        if key in settings
    )


def _label(search: _Search, settings: Mapping[str, object]) -> str:
    parts = []
    for key in search.grid_keys:
        value = _normal(key, settings[key], search.rate_tables)
        parts.append(f"{key}={value!r}" if isinstance(value, float) else f"{key}={value}")
    return ",".join(parts)


def _settings_of(search: _Search, candidate: Candidate, levers) -> dict:
    if candidate.id == INCUMBENT:
        return incumbent_settings(search.plan, search.grid_keys, levers)
    return {key: candidate.settings[key] for key in search.grid_keys}


def _initial_step(search: _Search, lever: str, value: float) -> float:
    """Distance from ``value`` to the nearest other grid value of ``lever`` (no-cap excluded)."""
    grid = [g for g in search.grids[lever] if not (lever == "cap" and g == 0)]
    gaps = [abs(g - value) for g in grid if abs(g - value) > 1e-12]
    step = min(gaps) if gaps else 0.1 * abs(value)
    return max(step, search.resolutions[lever])


def _moves(search: _Search) -> list[dict]:
    """Settings of the compass neighbours of the centre: ± step of one lever at a time."""
    moves = []
    for lever in search.levers:
        value = float(search.settings[lever])
        if lever == "cap" and value == 0:
            continue  # no cap: a category, not a point on the cap scale
        low, low_open, high, high_open = DOMAINS[lever]
        for sign in (-1.0, 1.0):
            moved = value + sign * search.steps[lever]
            if moved < low or (low_open and moved <= low):
                moved = (value + low) / 2 if low_open else low
            if moved > high or (high_open and moved >= high):
                moved = (value + high) / 2 if high_open else high
            moved = round(moved, 10)
            if moved != round(value, 10):
                moves.append({**search.settings, lever: moved})
    return moves


def _candidate(search: _Search, settings: Mapping[str, object], scenario) -> Candidate:
    from spmopt.optimise.pipeline import with_participation_base

    label = _label(search, settings)
    plan, multiple, territory = apply_levers(
        search.plan, settings, plan_id_for(search.plan.id, label)
    )
    candidate = Candidate(label, search.segment, dict(settings), plan, multiple, territory)
    if search.participation:
        candidate = with_participation_base(scenario, candidate)
    return candidate


def _chosen(solution: Solution, options, scenario, segment: str) -> tuple[str, float]:
    """The candidate id chosen for ``segment`` (per rep: the one most of its reps got) and the
    segment's predicted profit [currency/yr]."""
    choice = solution.choice.astype({"unit": str})
    if options.unit == "segment":
        rows = choice[choice["unit"] == segment]
    else:
        seat_segment = scenario.population.frame.set_index("rep_id")["segment"].astype(str)
        rows = choice[seat_segment.reindex(choice["unit"]).to_numpy() == segment]
    counts = rows.groupby("candidate", sort=False)["reps"].sum()
    return str(counts.idxmax()), float(rows["profit"].sum())


def refine(
    scenario,
    options,
    constraints,
    by_segment: Mapping[str, list[Candidate]],
    streams,
    progress: Callable[[str, int, int], None] | None = None,
) -> Refinement:
    """Simulate the grid's candidates, let the programme choose, then search each segment's
    continuous levers around its choice (module docstring) until every choice is interior at its
    resolution or ``options.refine_budget`` further simulation runs are spent.

    Every candidate is simulated on ``streams`` (common random numbers), so the programme's
    objective on these numbers never decreases from one round to the next.
    """
    from spmopt.optimise.pipeline import simulate_candidates, solve_choice

    candidates = {segment: list(made) for segment, made in by_segment.items()}
    responses, samples = simulate_candidates(scenario, options, candidates, streams, progress)
    runs = max(len(made) for made in candidates.values())
    solution = solve_choice(responses, samples, constraints, options, scenario)
    searches = _searches(scenario, options, candidates)
    seen = {
        search.segment: {
            _key(search, _settings_of(search, c, options.levers[search.segment]))
            for c in candidates[search.segment]
        }
        for search in searches
    }
    rows: list[dict] = []
    status = "converged"
    _update(searches, solution, options, scenario, candidates, first=True)
    _record(rows, 0, searches, solution, options, scenario, runs, "grid")
    refined_runs = 0
    for round_ in range(1, MAX_ROUNDS + 1):
        proposals = _proposals(searches, seen, scenario)
        if not proposals:
            break
        needed = max(len(made) for made in proposals.values())
        if refined_runs + needed > options.refine_budget:
            status = "budget"
            break
        for segment, made in proposals.items():
            candidates[segment].extend(made)
        new_responses, new_samples = simulate_candidates(scenario, options, proposals, streams)
        responses = pd.concat([responses, new_responses], ignore_index=True)
        samples = pd.concat([samples, new_samples], ignore_index=True)
        refined_runs += needed
        runs += needed
        solution = solve_choice(responses, samples, constraints, options, scenario)
        actions = _update(searches, solution, options, scenario, candidates)
        _record(rows, round_, searches, solution, options, scenario, runs, actions)
        if progress:
            progress("refinement", refined_runs, options.refine_budget)
    else:
        status = "rounds"
    if progress:
        progress("refinement", options.refine_budget, options.refine_budget)
    rounds = pd.DataFrame(rows, columns=list(ROUND_COLUMNS))
    if status == "converged" and not all(search.converged for search in searches):
        status = "budget"
    return Refinement(candidates, responses, samples, solution, rounds, status, runs)


def _searches(scenario, options, candidates) -> list[_Search]:
    """A search per segment that has continuous levers to refine."""
    searches = []
    for segment in candidates:
        levers = options.levers[segment]
        refinable = refinable_levers(levers)
        if not refinable:
            continue
        plan = scenario.plans[scenario.spec.segments[segment].plan]
        grid_keys = tuple(key for key in levers if levers[key] != PARTICIPATION)
        searches.append(
            _Search(
                segment=segment,
                plan=plan,
                grid_keys=grid_keys,
                participation=levers.get("base_salary") == PARTICIPATION,
                levers=refinable,
                resolutions={
                    lever: lever_resolution(lever, options.resolution, plan) for lever in refinable
                },
                grids={lever: [float(v) for v in levers[lever]] for lever in refinable},
                rate_tables=levers.get("rate_tables", {}),
            )
        )
    return searches


def _proposals(searches, seen, scenario) -> dict[str, list[Candidate]]:
    """New candidates of every unconverged segment; a segment whose neighbours were all simulated
    already (its centre beat them) contracts its steps, or converges, first."""
    proposals = {}
    for search in searches:
        while not search.converged:
            fresh = []
            for settings in _moves(search):
                key = _key(search, settings)
                if key not in seen[search.segment]:
                    seen[search.segment].add(key)
                    fresh.append(_candidate(search, settings, scenario))
            if fresh:
                proposals[search.segment] = fresh
                break
            _contract(search)
    return proposals


def _contract(search: _Search) -> None:
    """Halve the steps (not below the resolutions); converge when they were all at resolution."""
    if all(search.steps[lever] <= search.resolutions[lever] for lever in search.levers):
        search.converged = True
        return
    for lever in search.levers:
        search.steps[lever] = max(search.steps[lever] / 2, search.resolutions[lever])


def _update(searches, solution, options, scenario, candidates, first=False) -> dict[str, str]:
    """Re-centre each segment on the programme's choice; what happened, by segment."""
    actions = {}
    for search in searches:
        chosen_id, _ = _chosen(solution, options, scenario, search.segment)
        chosen = next(c for c in candidates[search.segment] if c.id == chosen_id)
        levers = options.levers[search.segment]
        if first:
            search.centre = chosen
            search.settings = _settings_of(search, chosen, levers)
            search.steps = {
                lever: _initial_step(search, lever, float(search.settings[lever]))
                for lever in search.levers
            }
            search.limits = {lever: MAX_EXPANSION * step for lever, step in search.steps.items()}
            continue
        if chosen.id != search.centre.id:
            settings = _settings_of(search, chosen, levers)
            for lever in search.levers:  # a lever that moved doubles its step (expansion)
                if _normal(lever, settings[lever], {}) != _normal(
                    lever, search.settings[lever], {}
                ):
                    search.steps[lever] = min(2 * search.steps[lever], search.limits[lever])
            search.centre = chosen
            search.settings = settings
            search.converged = False
            actions[search.segment] = "moved"
        elif search.converged:
            actions[search.segment] = "converged"
        else:
            _contract(search)
            actions[search.segment] = "converged" if search.converged else "contracted"
    return actions


def _record(rows, round_, searches, solution, options, scenario, runs, actions) -> None:
    """Append one row per segment and lever for this round."""
    for search in searches:
        _, profit = _chosen(solution, options, scenario, search.segment)
        action = actions if isinstance(actions, str) else actions.get(search.segment, "")
        for lever in search.levers:
            rows.append(
                {
                    "round": round_,
                    "segment": search.segment,
                    "candidate": search.centre.id,
                    "lever": lever,
                    "value": float(search.settings[lever]),
                    "step": float(search.steps[lever]),
                    "resolution": search.resolutions[lever],
                    "profit": profit,
                    "objective": float(solution.objective),
                    "simulation_runs": runs,
                    "replications": runs * options.replications,
                    "action": action,
                }
            )


def format_rounds(rounds: pd.DataFrame, status: str | None = None) -> str:
    """The refinement rounds as text: one line per round and segment, lever values and steps."""
    if rounds is None or not len(rounds):
        return ""
    lines = []
    for (round_, segment), part in rounds.groupby(["round", "segment"], sort=False):
        first = part.iloc[0]
        values = " ".join(f"{row.lever}={row.value:g}" for row in part.itertuples())
        steps = " ".join(f"{row.step:g}" for row in part.itertuples())
        lines.append(
            {
                "round": round_,
                "segment": segment,
                "levers": values,
                "profit": f"{first['profit']:,.0f}",
                "step": steps,
                "runs": int(first["simulation_runs"]),
                "action": first["action"],
            }
        )
    return pd.DataFrame(lines).to_string(index=False)


__all__ = [
    "CONTINUOUS",
    "ROUND_COLUMNS",
    "Refinement",
    "check_resolution",
    "format_rounds",
    "lever_resolution",
    "refinable_levers",
    "refine",
]
