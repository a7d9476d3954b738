"""Mid-year adaptation: hold the plan or revise it for the rest of the year (issue 12).

At an as-of date (a month end inside the plan year) the company may revise the plan for the
remaining months: a **quota multiple** m_q on the quota of the remaining months and a **rate
multiple** m_r on every tier's rate, multiplier or payout (as the optimiser's ``quota`` and
``rate`` levers). For each candidate revision the scenario's year is simulated by the fast engine
with common random numbers: the months up to the as-of date under the plan as it stands (the same
draws and the same efforts for every candidate, so the as-of state is the same), the remaining
months with the reps re-deciding under the revised plan from the state they are in.

**Pay under a revision.** With t the as-of month and E(·) a plan's earnings to date on a rep
spell's monthly credits (:func:`~spmopt.plan.earnings.plan_earnings`), the revised year pays

    E_old(credits to t)  +  [E_new(credits to year end) − E_new(credits to t)]

— earnings to the as-of date stay as earned under the old terms, and each later month pays the
step of the revised plan's earnings to date. ``E_new`` is the plan with the annual quota
Q' = Q·(1 + (m_q − 1)·(1 − f)) (f: the quota schedule's share of the months to date, so the
months to date keep their quota and the remaining months get m_q times theirs; plans measured per
quarter or month get the matching ``quota_schedule``) and tiers scaled by m_r. Annual terms are
thus judged on the whole year's credits against the revised annual quota: an accelerator from
100% starts at Q', a cap at cap·Q', a club bonus at ``at``·Q' (bonuses are not scaled by m_r);
``max_payout`` bounds E_new. A multiplier tier pays a multiple of weight·TI/Q', so raising the
quota of a multiplier plan also lowers its rate per unit of credit (target incentive kept).

**Effort.** From the as-of month on, each rep's effort is the revised plan's policy (solved for
the whole year, whose later blocks depend only on the remaining months) read at the rep's
attainment converted to the revised period quota. Because the revised year's pay is the revised
plan's earnings plus a constant fixed at the as-of date, and CARA certainty equivalents move
one for one with constants, that is the rep's exact best response under the revised terms.

**Credibility cost.** A revision teaches reps that plans get revised. Next year they hold back
as if, with probability ρ, their quota were ratcheted on their sales
(:class:`~spmopt.reps.behaviour.ratchet.RatchetAnticipation`: penalty −ρ·m·λ·D·(S − Q)). The
cost is next year's expected profit under the plan held without that belief minus with it
(one simulated year of the held plan, common random numbers, paired).

See ``docs/monitoring.md`` (Mid-year adaptation) for the assumptions and what is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.optimise.levers import apply_levers, plan_id_for
from spmopt.plan.plan import Plan
from spmopt.reps.behaviour.dynamic import DynamicBestResponse
from spmopt.reps.behaviour.ratchet import RatchetAnticipation
from spmopt.reps.seasonality import MONTHS
from spmopt.sim._fast_engine import PAY_ROWS, Engine, segment_arrays
from spmopt.sim._fast_output import Buffers
from spmopt.sim._fast_pay import segment_incentive
from spmopt.sim.model import SimulationModel, YearDecisions, decide_year
from spmopt.sim.streams import RandomStreams

__all__ = [
    "Revision",
    "RevisionResult",
    "BelievedRatchet",
    "DEFAULT_RATCHET",
    "revise",
    "revise_model",
    "revised_plan",
    "months_to_date",
]

#: the quota revision rule reps are assumed to fear after a revision when the scenario has none
#: (an assumption: the parameters of docs/behaviour.md's example, not a calibrated estimate)
DEFAULT_RATCHET = RatchetAnticipation(up=0.5, down=0.2, discount=0.9, horizon_years=3)
#: default belief ρ that a revised plan will be ratcheted (an assumption; see the docs)
DEFAULT_BELIEF = 0.5

SUMMARY_COLUMNS = (
    "revision_id",
    "quota_multiple",
    "rate_multiple",
    "rest_revenue",
    "rest_revenue_se",
    "rest_incentive_cost",
    "rest_incentive_cost_se",
    "rest_profit",
    "rest_profit_se",
    "rest_profit_gain",
    "rest_profit_gain_se",
    "rest_incentive_gain",
    "rest_incentive_gain_se",
    "rest_mean_effort",
    "year_incentive_cost",
    "year_incentive_cost_se",
    "year_comp_cost",
    "within_budget",
    "credibility_cost",
    "credibility_cost_se",
    "net_gain",
    "net_gain_se",
    "break_even_belief",
    "chosen",
)


@dataclass(frozen=True)
class Revision:
    """A candidate revision of the remaining months: quota and rate multiples (≥ 0, quota > 0)."""

    quota_multiple: float = 1.0
    rate_multiple: float = 1.0

    def __post_init__(self):
        for name in ("quota_multiple", "rate_multiple"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise SpmoptInputError(f"{name.replace('_', ' ')}: expected ≥ 0, got {value}")
        if self.quota_multiple == 0:
            raise SpmoptInputError("quota multiple: expected above 0, got 0")

    @property
    def is_hold(self) -> bool:
        """Whether the revision changes nothing (multiples 1 and 1)."""
        return self.quota_multiple == 1.0 and self.rate_multiple == 1.0

    @property
    def id(self) -> str:
        return f"quota={self.quota_multiple:g},rate={self.rate_multiple:g}"


@dataclass(frozen=True)
class BelievedRatchet(RatchetAnticipation):
    """Ratchet anticipation believed with probability ``belief`` (the penalty scaled by it)."""

    belief: float = 1.0

    def penalty_slopes(self, quota_value):
        below, above = super().penalty_slopes(quota_value)
        return self.belief * below, self.belief * above


def months_to_date(model: SimulationModel, as_of: dt.date | str) -> int:
    """Months of the plan year completed at ``as_of`` (1–11); the date must be a month end."""
    as_of = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    start = model.year_start
    end = dt.date(start.year + 1, start.month, 1)
    if not start <= as_of < end - dt.timedelta(days=1):
        raise SpmoptInputError(
            f"as-of date {as_of} is outside the plan year {start} – {end - dt.timedelta(days=1)} "
            "(or is its last day: nothing is left to revise)"
        )
    if (as_of + dt.timedelta(days=1)).day != 1:
        raise SpmoptInputError(
            f"as-of date {as_of}: a revision takes effect from a month start; give a month end"
        )
    return (as_of.year - start.year) * MONTHS + as_of.month - start.month + 1


def _quota_factor(plan: Plan, months: int, quota_multiple: float) -> float:
    """Q'/Q = 1 + (m_q − 1)·(1 − f), f the schedule's share of the first ``months`` months."""
    component = plan.quota_of_measure(plan.measures[0])
    done = sum(component.monthly_quota_fractions()[:months])
    return 1.0 + (quota_multiple - 1.0) * (1.0 - done)


def revised_plan(plan: Plan, months: int, revision: Revision) -> tuple[Plan, float]:
    """The plan whose earnings pay the remaining months under ``revision`` (see the module), and
    the annual quota factor Q'/Q. Plans measured per quarter or month get a ``quota_schedule``
    keeping the first ``months`` months' quotas and scaling the others by m_q."""
    factor = _quota_factor(plan, months, revision.quota_multiple)
    settings = {"quota": factor, "rate": revision.rate_multiple}
    changed, _, _ = apply_levers(plan, settings, plan_id_for(plan.id, "revised." + revision.id))
    if revision.quota_multiple == 1.0:
        return changed, factor
    document = changed.to_dict()
    touched = False
    for original, component in zip(plan.components, document["plan"]["components"], strict=True):
        if original.months_per_measurement_period == MONTHS:
            continue
        fractions = np.array(original.monthly_quota_fractions())
        fractions[months:] *= revision.quota_multiple
        component["quota_schedule"] = [float(x) for x in fractions / fractions.sum()]
        touched = True
    if touched:
        changed = Plan.from_dict(document, source=f"revised plan '{changed.id}'")
    return changed, factor


def _conversion(model: SimulationModel, revised: SimulationModel, factor: np.ndarray) -> np.ndarray:
    """(12, N): attainment the engine sees (credited over the old period quota, spread evenly)
    → attainment against the revised plan's period quota; ``factor`` (N,) each seat's Q'/Q."""
    out = np.ones((MONTHS, model.seats))
    for name, seats in model.segment_seats().items():
        plan = revised.segments[name].plan
        component = plan.quota_of_measure(plan.measures[0])
        months = component.months_per_measurement_period
        if months == MONTHS:
            out[:, seats] = 1.0 / factor[seats]
            continue
        fractions = np.array(component.monthly_quota_fractions())
        for month in range(MONTHS):
            first = month // months * months
            share = fractions[first : first + months].sum()
            out[month, seats] = (months / MONTHS) / (factor[seats] * share)
    return out


class _SwitchEngine(Engine):
    """The fast engine with a plan switch at month ``switch``: effort, timing and pay follow the
    revised decisions from then on (the engine's month loop is unchanged)."""

    def __init__(self, model, switch, revised_model=None, revised=None, factor=None):
        super().__init__(model)
        self.switch = switch
        self.revised = revised
        self.factor = factor
        if revised is not None:
            self.revised_segments = segment_arrays(revised_model)
            self.conversion = _conversion(model, revised_model, factor)

    def effort(self, decisions, month, attainment):
        if self.revised is None or month < self.switch:
            return super().effort(decisions, month, attainment)
        return super().effort(self.revised, month, attainment * self.conversion[month])

    def timing_moves(self, decisions, state, m, *args, **kwargs):
        use = self.revised if self.revised is not None and m >= self.switch else decisions
        return super().timing_moves(use, state, m, *args, **kwargs)

    def incentive(self, decisions, o, year_quota):
        super().incentive(decisions, o, year_quota)
        if self.revised is None:
            return
        revised = np.zeros(o["incentive"].shape)
        quota = year_quota * self.factor
        for segment in self.revised_segments:
            block = max(1, PAY_ROWS // segment.seats.size)
            for first in range(0, quota.shape[0], block):
                part = slice(first, first + block)
                view = {name: o[name][part] for name in ("occupied", "hired", "credited")}
                view["incentive"] = revised[part]
                segment_incentive(segment, self.revised, view, quota[part])
        o["incentive"][:, self.switch :] = revised[:, self.switch :]


def _simulate(
    model: SimulationModel,
    decisions: YearDecisions,
    replications: int,
    streams: RandomStreams,
    switch: int = MONTHS,
    revised: tuple | None = None,
) -> dict[str, np.ndarray]:
    """One plan year of ``model`` (replications, 12, seats) columns, optionally switching to
    ``revised`` = (model, decisions, each seat's quota factor (N,)) from month ``switch``."""
    if revised is None:
        engine = _SwitchEngine(model, MONTHS)
    else:
        engine = _SwitchEngine(model, switch, revised[0], revised[1], revised[2])
    buffers = Buffers(0, replications, MONTHS, model.seats)
    state = engine.start(streams, 0, replications, model.initial_quotas())
    view = buffers.view(0, replications)
    engine.run_year(0, decisions, state, view)
    return {name: np.array(column) for name, column in view.items()}


def _profit(columns: dict, months: slice) -> dict[str, np.ndarray]:
    """Per replication totals over ``months`` (R,): revenue, incentive, base, profit, effort."""
    total = {name: columns[name][:, months].sum(axis=(1, 2)) for name in ("revenue", "margin")}
    total["incentive"] = columns["incentive"][:, months].sum(axis=(1, 2))
    total["base"] = columns["base_pay"][:, months].sum(axis=(1, 2))
    total["profit"] = total["margin"] - total["incentive"] - total["base"]
    occupied = columns["occupied"][:, months]
    total["effort"] = (columns["effort"][:, months] * occupied).sum(axis=(1, 2)) / np.maximum(
        occupied.sum(axis=(1, 2)), 1
    )
    return total


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, float)
    if values.size < 2:
        return float(values.mean()), float("nan")
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def _one_year_model(model: SimulationModel) -> SimulationModel:
    return model if model.years == 1 else replace(model, years=1, quota_revision=None)


def _check_reviews(model: SimulationModel, decisions: YearDecisions, switch: int) -> None:
    """Reps with a dynamic policy must review their standing at the switch month (static and
    baseline efforts do not read it: they re-decide when told of the revision)."""
    if not isinstance(model.behaviour.effort, DynamicBestResponse):
        return
    for name in decisions.policies:
        if switch not in decisions.review_months(name):
            raise SpmoptInputError(
                f"segment '{name}': its reps review their standing in months "
                f"{[m + 1 for m in decisions.review_months(name)]} of the plan year, so a "
                f"revision after month {switch} reaches them only at their next review; give an "
                "as-of date at the end of a review block (e.g. a quarter end for quarterly feedback)"
            )


def revise_model(
    model: SimulationModel,
    switch: int,
    revisions: Sequence[Revision],
    replications: int,
    streams: RandomStreams,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict]:
    """Simulate holding the plan and each revision from month ``switch`` (1–11).

    Returns ``{revision id or "hold": columns}`` with (replications, 12, seats) arrays of the
    fast engine's columns; every run uses the same streams (common random numbers).
    """
    model = _one_year_model(model)
    held = decide_year(model, model.initial_quotas())
    _check_reviews(model, held, switch)
    runs = {"hold": _simulate(model, held, replications, streams)}
    if progress is not None:
        progress("hold")
    for revision in revisions:
        plans, factor = {}, np.ones(model.seats)
        for name, seats in model.segment_seats().items():
            plans[name], factor[seats] = revised_plan(model.segments[name].plan, switch, revision)
        revised_model = model.with_plans(plans)
        decisions = decide_year(revised_model, model.initial_quotas() * factor)
        runs[revision.id] = _simulate(
            model, held, replications, streams, switch, (revised_model, decisions, factor)
        )
        if progress is not None:
            progress(revision.id)
    return runs


def _with_belief(model: SimulationModel, belief: float) -> SimulationModel | None:
    """The model whose reps hold back as if a ratchet applied with probability ``belief`` on top
    of any ratchet the scenario already anticipates; None when its effort model cannot."""
    effort = model.behaviour.effort
    if not hasattr(effort, "ratchet"):
        return None
    base = effort.ratchet
    if base is None:
        ratchet = BelievedRatchet(**_ratchet_fields(DEFAULT_RATCHET), belief=belief)
    else:
        ratchet = BelievedRatchet(**_ratchet_fields(base), belief=1.0 + belief)
    behaviour = replace(model.behaviour, effort=replace(effort, ratchet=ratchet))
    return replace(model, behaviour=behaviour)


def _ratchet_fields(ratchet: RatchetAnticipation) -> dict:
    return {
        "up": ratchet.up,
        "down": ratchet.down,
        "discount": ratchet.discount,
        "horizon_years": ratchet.horizon_years,
        "quota_value": ratchet.quota_value,
    }


def credibility_costs(
    model: SimulationModel,
    beliefs: Sequence[float],
    replications: int,
    streams: RandomStreams,
) -> pd.DataFrame:
    """Next year's expected profit lost when reps believe with probability ρ (each of
    ``beliefs``) that plans are ratcheted: one year of the held plan with and without the
    belief, common random numbers (stream family ``next_year``), paired. Columns ``belief,
    credibility_cost, credibility_cost_se, next_year_profit, next_year_mean_effort``."""
    model = _one_year_model(model)
    streams = streams.spawn("next_year")
    base_columns = _simulate(
        model, decide_year(model, model.initial_quotas()), replications, streams
    )
    base = _profit(base_columns, slice(None))
    rows = []
    for belief in beliefs:
        if belief < 0 or belief > 1:
            raise SpmoptInputError(f"belief ρ: expected a probability in [0, 1], got {belief}")
        believing = None if belief == 0 else _with_belief(model, belief)
        if believing is None:
            year = base
        else:
            decisions = decide_year(believing, believing.initial_quotas())
            year = _profit(_simulate(believing, decisions, replications, streams), slice(None))
        cost, se = _mean_se(base["profit"] - year["profit"])
        rows.append(
            {
                "belief": float(belief),
                "credibility_cost": cost,
                "credibility_cost_se": 0.0 if believing is None else se,
                "next_year_profit": float(year["profit"].mean()),
                "next_year_mean_effort": float(year["effort"].mean()),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RevisionResult:
    """The comparison of holding the plan with each revision (tidy tables).

    ``summary``: one row per candidate (``hold`` first) with the remaining months' revenue,
    incentive cost and profit (mean over replications and standard error), the paired gain over
    holding (``rest_profit_gain``, its SE from the per-replication differences), the year's
    incentive cost and compensation cost (base included) against the budget, the credibility
    cost at the chosen belief, the net gain, the belief below which the revision pays
    (``break_even_belief``; empty when it never does) and the chosen candidate. ``credibility``: the credibility cost for each belief ρ (its
    sensitivity). ``reps``: per candidate and rep, mean effort, revenue and incentive of the
    remaining months and the year's incentive.
    """

    summary: pd.DataFrame
    credibility: pd.DataFrame
    reps: pd.DataFrame
    as_of: dt.date
    belief: float
    budget: float | None
    metadata: dict = field(default_factory=dict)

    @property
    def chosen(self) -> str:
        return str(self.summary.loc[self.summary["chosen"], "revision_id"].iloc[0])

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``revise_summary.csv``, ``revise_credibility.csv`` and ``revise_reps.csv``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in (
            ("revise_summary.csv", self.summary),
            ("revise_credibility.csv", self.credibility),
            ("revise_reps.csv", self.reps),
        ):
            path = directory / name
            table.to_csv(path, index=False)
            written.append(path)
        return written


def _parse_as_of(as_of) -> dt.date:
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of))
    except ValueError:
        raise SpmoptInputError(f"as-of date: expected YYYY-MM-DD, got {as_of!r}") from None


def revise(
    scenario,
    as_of,
    *,
    quota_multiples: Sequence[float] = (1.0,),
    rate_multiples: Sequence[float] = (1.0,),
    plan: str | Plan | None = None,
    replications: int | None = None,
    seed: int | None = None,
    belief: float = DEFAULT_BELIEF,
    beliefs: Sequence[float] = (0.0, 0.25, 0.5, 1.0),
    budget: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> RevisionResult:
    """Compare holding the plan with revising it for the rest of the year (see the module).

    Parameters
    ----------
    scenario:
        A :class:`~spmopt.scenario.Scenario`, a path to one, or a compiled
        :class:`~spmopt.sim.model.SimulationModel`.
    as_of:
        The month end (date or ``YYYY-MM-DD``) from which the revision applies.
    quota_multiples, rate_multiples:
        The grid of revisions: every combination except (1, 1), which is holding the plan.
    plan:
        A plan name of the scenario's ``[plans]`` (or a Plan) replacing every segment's plan.
    replications, seed:
        Simulated years (default: the scenario's) and the random seed (default: the scenario's).
    belief:
        ρ, the probability reps put on being ratcheted after a revision (used for ``net_gain``).
    beliefs:
        The values of ρ whose credibility cost is reported (``belief`` is added).
    budget:
        The year's compensation budget, base salaries and incentives [currency] (as ``spmopt
        compare``); default the scenario's ``finance.comp_budget``. Candidates whose expected
        compensation cost of the year exceeds it cannot be chosen.

    Example
    -------
    >>> result = spmopt.revise("scenarios/saas-ae.toml", "2027-06-30",
    ...                        quota_multiples=[0.9, 1.1])  # doctest: +SKIP
    >>> result.summary[["revision_id", "rest_profit_gain", "net_gain", "chosen"]]  # doctest: +SKIP
    """
    from spmopt.run.simulation import as_scenario

    as_of = _parse_as_of(as_of)
    for value in [*quota_multiples, *rate_multiples]:
        if isinstance(value, bool) or not np.isfinite(float(value)) or float(value) < 0:
            raise SpmoptInputError(f"revision multiples: expected numbers ≥ 0, got {value}")
    revisions = [
        Revision(float(q), float(r))
        for q in quota_multiples
        for r in rate_multiples
        if not (float(q) == 1.0 and float(r) == 1.0)
    ]
    if isinstance(scenario, SimulationModel):
        model = scenario
        replications = replications or 100
        seed = 0 if seed is None else seed
    else:
        scenario = as_scenario(scenario)
        model = scenario.model(plan)
        replications = replications or scenario.replications
        seed = scenario.seed if seed is None else seed
        if budget is None:
            budget = scenario.spec.finance.comp_budget
    if replications < 2:
        raise SpmoptInputError(f"replications: expected at least 2, got {replications}")
    switch = months_to_date(model, as_of)
    belief = float(belief)
    if not 0 <= belief <= 1:
        raise SpmoptInputError(f"belief ρ: expected a probability in [0, 1], got {belief}")
    streams = RandomStreams(seed)
    runs = revise_model(model, switch, revisions, replications, streams, progress)
    grid = sorted({*(float(b) for b in beliefs), belief})
    credibility = credibility_costs(model, grid, replications, streams)
    at_belief = credibility.loc[credibility["belief"] == belief].iloc[0]
    summary = _summary(runs, revisions, switch, at_belief, budget, _cost_per_belief(credibility))
    reps = _rep_table(runs, model, switch)
    return RevisionResult(
        summary=summary,
        credibility=credibility,
        reps=reps,
        as_of=as_of,
        belief=belief,
        budget=budget,
        metadata={"seed": seed, "replications": replications, "switch_month": switch},
    )


def _cost_per_belief(credibility: pd.DataFrame) -> float:
    """The credibility cost per unit of ρ: least squares through the origin over the beliefs
    simulated (the cost is close to linear in ρ: the penalty is)."""
    rho = credibility["belief"].to_numpy(float)
    cost = credibility["credibility_cost"].to_numpy(float)
    scale = float(np.sum(rho * rho))
    return float(np.sum(rho * cost) / scale) if scale > 0 else float("nan")


def _summary(runs, revisions, switch, at_belief, budget, per_belief) -> pd.DataFrame:
    rest = slice(switch, MONTHS)
    hold_rest = _profit(runs["hold"], rest)
    rows = []
    for revision in [Revision(), *revisions]:
        key = "hold" if revision.is_hold else revision.id
        columns = runs[key]
        totals = _profit(columns, rest)
        year_cost = columns["incentive"].sum(axis=(1, 2))
        year_comp = year_cost + columns["base_pay"].sum(axis=(1, 2))
        credibility = 0.0 if revision.is_hold else float(at_belief["credibility_cost"])
        credibility_se = 0.0 if revision.is_hold else float(at_belief["credibility_cost_se"])
        gain, gain_se = _mean_se(totals["profit"] - hold_rest["profit"])
        incentive_gain, incentive_gain_se = _mean_se(totals["incentive"] - hold_rest["incentive"])
        row = {
            "revision_id": "hold" if revision.is_hold else revision.id,
            "quota_multiple": revision.quota_multiple,
            "rate_multiple": revision.rate_multiple,
        }
        for name, column in (("revenue", "revenue"), ("incentive_cost", "incentive")):
            row[f"rest_{name}"], row[f"rest_{name}_se"] = _mean_se(totals[column])
        row["rest_profit"], row["rest_profit_se"] = _mean_se(totals["profit"])
        row["rest_profit_gain"], row["rest_profit_gain_se"] = gain, gain_se
        row["rest_incentive_gain"] = incentive_gain
        row["rest_incentive_gain_se"] = incentive_gain_se
        row["rest_mean_effort"] = float(totals["effort"].mean())
        row["year_incentive_cost"], row["year_incentive_cost_se"] = _mean_se(year_cost)
        row["year_comp_cost"] = float(year_comp.mean())
        row["within_budget"] = bool(budget is None or row["year_comp_cost"] <= budget)
        row["credibility_cost"] = credibility
        row["credibility_cost_se"] = credibility_se
        row["net_gain"] = gain - credibility
        # the gain and the cost come from independent simulations: variances add
        row["net_gain_se"] = float(np.hypot(gain_se, credibility_se)) if rows else 0.0
        # the belief below which the revision pays: gain = ρ·(cost per unit of ρ)
        if revision.is_hold or gain <= 0 or not per_belief > 0:
            row["break_even_belief"] = float("nan")  # hold, or a revision that never pays
        else:
            row["break_even_belief"] = min(gain / per_belief, 1.0)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.loc[0, "rest_profit_gain_se"] = 0.0
    table.loc[0, "rest_incentive_gain_se"] = 0.0
    allowed = table["within_budget"].to_numpy()
    if not allowed.any():  # nothing fits: holding the plan is the default answer
        allowed = np.zeros(len(table), bool)
        allowed[0] = True
    net = np.where(allowed, table["net_gain"].to_numpy(), -np.inf)
    table["chosen"] = np.arange(len(table)) == int(np.argmax(net))
    return table[list(SUMMARY_COLUMNS)]


def _rep_table(runs, model: SimulationModel, switch: int) -> pd.DataFrame:
    rest = slice(switch, MONTHS)
    frames = []
    for key, columns in runs.items():
        occupied = columns["occupied"][:, rest]
        effort = (columns["effort"][:, rest] * occupied).sum(axis=(0, 1)) / np.maximum(
            occupied.sum(axis=(0, 1)), 1
        )
        frames.append(
            pd.DataFrame(
                {
                    "revision_id": key,
                    "rep_id": model.population.rep_ids,
                    "segment": model.seat_segments,
                    "rest_mean_effort": effort,
                    "rest_revenue": columns["revenue"][:, rest].sum(axis=1).mean(axis=0),
                    "rest_incentive": columns["incentive"][:, rest].sum(axis=1).mean(axis=0),
                    "year_incentive": columns["incentive"].sum(axis=1).mean(axis=0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
