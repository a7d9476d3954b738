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

**From observed credits** (``credits=``, ``roster=``; :func:`observed_model`). The reps are the
company's (roster terms, every other trait a scenario segment's median, base sales fitted so that
the expected credits of the months to date equal the observed ones), and in every candidate and
replication the months before the switch credit each rep exactly their observed monthly credits
(the fast engine's ``observe`` hook; no timing, no quits and no new business before a rep's start
in them), so the as-of state — attainment, earnings to date (equal to the statements'), the
policy's state — is the observed one; the remaining months are simulated as above.

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
from spmopt.plan.earnings import RepTerms, to_cents
from spmopt.plan.plan import Plan
from spmopt.reps.behaviour.dynamic import DynamicBestResponse
from spmopt.reps.behaviour.ratchet import RatchetAnticipation
from spmopt.reps.seasonality import MONTHS
from spmopt.sim._fast_engine import PAY_ROWS, Engine, segment_arrays
from spmopt.sim._fast_output import Buffers
from spmopt.sim._fast_pay import Spells, by_seat, monthly_earnings, segment_incentive
from spmopt.sim.model import SimulationModel, YearDecisions, decide_year
from spmopt.sim.streams import RandomStreams

__all__ = [
    "Revision",
    "RevisionResult",
    "ObservedState",
    "observed_model",
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
#: relative gap between a fitted rep's expected and observed credits tolerated (as the fit's)
_FIT_TOLERANCE = 1e-3
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


@dataclass(frozen=True, eq=False)
class ObservedState:
    """The company's reps on the revised plan and what they credited to the as-of date.

    Attributes
    ----------
    terms:
        Their roster terms (start month, annual target incentive [currency/yr], roster quotas),
        one per seat, in seat order.
    quota_ratio:
        (N,) each rep's roster quota over the plan's quota (NaN: the plan's, prorated).
    monthly:
        (N, 12) credits per rep and month [currency] (counted credits, as the statements count
        them), zero from the as-of month's end on.
    started:
        (12, N) whether the rep is employed in each month (from the roster's ``start_date``).
    position:
        The statements' position to the as-of date (:data:`spmopt.plan.position.POSITION_COLUMNS`).
    fitted:
        The fit of base sales, one row per rep: ``rep_id, start_month, credited_to_date,
        share_to_date`` (seasonality share of the year's sales the months employed to date
        hold), ``target_sales`` (credits to date ÷ that share) [currency/yr], ``base_sales``
        [currency/yr], ``expected_sales`` (annual, at the static best response)
        [currency/yr], ``expected_credits_to_date`` [currency] and ``fit_gap`` (expected over
        target sales − 1; a note names the reps beyond the fit's 0.1% tolerance).
    notes:
        What was left out, in words.
    """

    terms: RepTerms
    quota_ratio: np.ndarray
    monthly: np.ndarray
    started: np.ndarray
    position: pd.DataFrame
    fitted: pd.DataFrame
    notes: tuple[str, ...] = ()


def _segment_name(model: SimulationModel, segment: str | None) -> str:
    names = list(model.segments)
    if segment is None:
        return names[0]
    if segment not in names:
        raise SpmoptInputError(
            f"segment: no segment '{segment}' in scenario '{model.scenario_id}' "
            f"(segments: {', '.join(names)})"
        )
    return segment


def _company_reps(plan: Plan, credits, roster, credits_source, roster_source, notes):
    """The credits and roster rows of the reps on ``plan``: every credited rep must have a
    roster row; with a ``plan_id`` column, the reps whose plan_id is the plan's (or every rep
    when the roster names one plan only) are kept."""
    from spmopt.plan.inputs import describe_row, is_validated, validate_credits, validate_roster

    if not is_validated(credits, "credits"):
        credits = validate_credits(credits, credits_source)
    if roster is None:
        return credits, None
    if not is_validated(roster, "roster"):
        roster = validate_roster(roster, roster_source)
    missing = ~credits["rep_id"].isin(roster["rep_id"]).to_numpy()
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise SpmoptInputError(
            f"{describe_row(credits, position)}: rep_id {credits['rep_id'].iloc[position]!r} is "
            f"not in the roster {roster_source}; expected every credited rep to have a roster row",
            credits_source,
        )
    if "plan_id" not in roster.columns:
        return credits, roster
    plan_ids = sorted(set(roster["plan_id"].astype(str)))
    if plan.id in plan_ids:
        keep = (roster["plan_id"] == plan.id).to_numpy()
    elif len(plan_ids) == 1:
        keep = np.ones(len(roster), bool)
    else:
        raise SpmoptInputError(
            f"no rep's plan_id is '{plan.id}' (the plan revised; plan_ids: {', '.join(plan_ids)})",
            roster_source,
        )
    if not keep.all():
        notes.append(
            f"{int(keep.sum())} reps on plan '{plan.id}' kept; {int((~keep).sum())} reps on "
            f"other plans ({', '.join(p for p in plan_ids if p != plan.id)}) left out"
        )
    roster = roster[keep].drop(columns=["plan_id"])
    kept = credits["rep_id"].isin(roster["rep_id"]).to_numpy()
    if not kept.all():
        credits = credits[kept]
    return credits, roster


def observed_model(
    model: SimulationModel,
    credits: pd.DataFrame,
    roster: pd.DataFrame | None,
    as_of: dt.date | str,
    *,
    segment: str | None = None,
    credits_source: str = "credits",
    roster_source: str = "roster",
) -> tuple[SimulationModel, ObservedState]:
    """The company's reps as a one-segment model and their observed state at ``as_of``.

    One seat per rep on the plan of ``segment`` (default: the model's first) in the roster (or,
    without one, in the credits): quota, target incentive and base salary are the roster's
    (else the plan's, prorated for a mid-year start as the statements do); every other trait
    is the segment's median. Base sales ``h`` are fitted
    (:func:`spmopt.finance.behavioural.fit_base_sales`) so that the expected sales of the months
    employed to date — the annual expected sales at the static best response times their
    seasonality share — equal each rep's credits to date. Credits dated after ``as_of`` are
    left out (a note), as :func:`spmopt.statements` does; reps starting after it are left out
    (nothing observed to fit; a note). Returns ``(model, state)``.
    """
    from spmopt.finance.behavioural import fit_base_sales, typical_traits
    from spmopt.plan.earnings import Quotas
    from spmopt.plan.statements import statements
    from spmopt.reps.population import Population

    model = _one_year_model(model)
    name = _segment_name(model, segment)
    seg = model.segments[name]
    plan = seg.plan
    if len(plan.measures) != 1:
        raise SpmoptInputError(
            f"plan '{plan.id}' pays on {', '.join(plan.measures)}; a revision from observed "
            "credits simulates one measure"
        )
    switch = months_to_date(model, as_of)
    notes: list[str] = []
    credits, roster = _company_reps(plan, credits, roster, credits_source, roster_source, notes)
    result = statements(
        plan,
        credits,
        roster,
        credits_source=credits_source,
        roster_source=roster_source,
        as_of=as_of,
    )
    if result.credits_after_as_of:
        notes.append(f"{result.credits_after_as_of} credits dated after {as_of} left out")
    state = result.plan_states[0]
    terms = state.reps
    keep = terms.start_month < switch
    if not keep.all():
        notes.append(
            "reps starting after the as-of date left out (nothing observed): "
            + ", ".join(terms.ids[~keep])
        )
    if not keep.any():
        raise SpmoptInputError(f"no rep on plan '{plan.id}' is employed by {as_of}", roster_source)
    terms = RepTerms(
        ids=terms.ids[keep],
        start_month=terms.start_month[keep],
        target_incentive=terms.target_incentive[keep],
        explicit_quota={key: value[keep] for key, value in terms.explicit_quota.items()},
    )
    measure = plan.measures[0]
    monthly = state.monthly_by_measure[measure][keep] / 100.0
    component = plan.quota_of_measure(measure)
    started = np.arange(MONTHS)[:, None] >= terms.start_month[None, :]
    weights = np.asarray(seg.seasonality.weights, float)
    share = (weights[:switch, None] * started[:switch]).sum(axis=0) / weights.sum()
    credited = monthly[:, :switch].sum(axis=1)
    target = np.maximum(credited, 0.0) / share
    frame = pd.DataFrame({"rep_id": terms.ids, "segment": name})
    for trait, value in typical_traits(model, name).items():
        if trait != "base_sales":
            frame[trait] = value
    frame["quota"] = Quotas.of(component, terms).annual
    frame["target_incentive"] = terms.target_incentive
    base_salary = np.full(len(frame), float(plan.base_salary))
    if roster is not None and "base_salary" in roster.columns:
        given = roster.set_index("rep_id")["base_salary"].reindex(terms.ids).to_numpy(float)
        base_salary = np.where(np.isnan(given), base_salary, given)
    frame["base_salary"] = base_salary
    base, expected = fit_base_sales(plan, frame, seg.technology, seg.seasonality, target)
    gap = (expected - target) / np.maximum(target, 1.0)
    unfitted = np.abs(gap) > _FIT_TOLERANCE
    if unfitted.any():
        notes.append(
            "base sales not fitted within 0.1% (the best response jumps near a kink of the plan, "
            "or credits below what zero base sales give) for: "
            + ", ".join(
                f"{rep} ({value:+.1%})"
                for rep, value in zip(terms.ids[unfitted], gap[unfitted], strict=True)
            )
        )
    population = Population(frame.assign(base_sales=base))
    company = replace(model, population=population, segments={name: seg})
    position = result.position
    position = position[position["rep_id"].isin(terms.ids)].reset_index(drop=True)
    fitted = pd.DataFrame(
        {
            "rep_id": terms.ids,
            "start_month": terms.start_month,
            "credited_to_date": credited,
            "share_to_date": share,
            "target_sales": target,
            "base_sales": base,
            "expected_sales": expected,
            "expected_credits_to_date": expected * share,
            "fit_gap": gap,
        }
    )
    observed = ObservedState(
        terms=terms,
        quota_ratio=terms.explicit_quota[component.id] / component.quota,
        monthly=monthly,
        started=started,
        position=position,
        fitted=fitted,
        notes=tuple(notes),
    )
    return company, observed


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
    revised decisions from then on (the engine's month loop is unchanged). With ``observed``
    (:class:`ObservedState`) the months before ``switch`` credit each seat its rep's observed
    credits: no timing and no attrition in them (attrition from the as-of month's end on),
    no new business before a rep's start, and the company's reps paid on their roster terms."""

    def __init__(self, model, switch, revised_model=None, revised=None, factor=None, observed=None):
        super().__init__(model)
        self.switch = switch
        self.revised = revised
        self.factor = factor
        self.observed = observed
        if revised is not None:
            self.revised_model = revised_model
            self.revised_segments = segment_arrays(revised_model)
            self.conversion = _conversion(model, revised_model, factor)
        if observed is not None:
            self.started = observed.started

    def effort(self, decisions, month, attainment):
        if self.revised is None or month < self.switch:
            return super().effort(decisions, month, attainment)
        return super().effort(self.revised, month, attainment * self.conversion[month])

    def exposure(self, month, tenure):
        out = super().exposure(month, tenure)
        if self.observed is not None and month < self.switch:
            out *= self.started[month]
        return out

    def observe(self, m, revenue):
        if self.observed is not None and m < self.switch:
            revenue[...] = self.observed.monthly[:, m]

    def timing_moves(self, decisions, state, m, *args, **kwargs):
        if self.observed is not None and m < self.switch:
            return  # the observed credits are what the reps' timing left
        use = self.revised if self.revised is not None and m >= self.switch else decisions
        return super().timing_moves(use, state, m, *args, **kwargs)

    def attrition(self, state, hazard, draws, out, m):
        if self.observed is not None and m < self.switch - 1:
            draws = None  # the company's reps are employed to the as-of date
        super().attrition(state, hazard, draws, out, m)

    def incentive(self, decisions, o, year_quota):
        super().incentive(decisions, o, year_quota)
        if self.revised is not None:
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
        if self.observed is not None:
            self._company_incentive(o)

    def _company_incentive(self, o) -> None:
        """The pay of the company's reps (the seats' first spells) on their roster terms: start
        month, target incentive and quota (:attr:`ObservedState.terms`), spliced at the switch
        under a revision; hires keep the engine's pay."""
        (segment,) = self.segments
        plan, measure = segment.segment.plan, segment.measure
        own = Spells.of(by_seat(o["occupied"]), by_seat(o["hired"])).own  # (R, N, 12)
        cents = to_cents(by_seat(o["credited"])) * own
        observed = self.observed
        pay = _terms_pay(plan, measure, observed.terms, observed.quota_ratio, cents)
        if self.revised is not None:
            revised_plan = self.revised_model.segments[segment.name].plan
            after = _terms_pay(revised_plan, measure, observed.terms, observed.quota_ratio, cents)
            pay[:, :, self.switch :] = after[:, :, self.switch :]
        o["incentive"][...] = np.where(
            own.transpose(0, 2, 1), pay.transpose(0, 2, 1), o["incentive"]
        )


def _terms_pay(plan: Plan, measure: str, terms: RepTerms, ratio, cents) -> np.ndarray:
    """Monthly incentive [currency] (R, N, 12) of reps on ``terms`` crediting ``cents`` (R, N, 12)
    under ``plan``; ``ratio`` (N,): each rep's roster quota over the *held* plan's quota (NaN: the
    plan's, prorated), so that a revised plan's quota factor applies to a roster quota too."""
    r, n, _ = cents.shape
    pay = monthly_earnings(
        plan,
        measure,
        cents.reshape(r * n, MONTHS),
        np.tile(terms.start_month, r),
        np.tile(terms.target_incentive, r),
        np.tile(ratio, r),
    )
    return pay.reshape(r, n, MONTHS)


def _simulate(
    model: SimulationModel,
    decisions: YearDecisions,
    replications: int,
    streams: RandomStreams,
    switch: int = MONTHS,
    revised: tuple | None = None,
    observed: ObservedState | None = None,
) -> dict[str, np.ndarray]:
    """One plan year of ``model`` (replications, 12, seats) columns, optionally switching to
    ``revised`` = (model, decisions, each seat's quota factor (N,)) from month ``switch``, and
    with ``observed`` credits in the months before it."""
    engine = _SwitchEngine(model, switch, *(revised or (None, None, None)), observed=observed)
    buffers = Buffers(0, replications, MONTHS, model.seats)
    state = engine.start(streams, 0, replications, model.initial_quotas())
    view = buffers.view(0, replications)
    engine.run_year(0, decisions, state, view)
    columns = {name: np.array(column) for name, column in view.items()}
    if observed is not None and not observed.started.all():  # before a rep's start: no seat
        for name in ("occupied", "base_pay", "effort"):
            columns[name] = columns[name] * observed.started
    return columns


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
    observed: ObservedState | None = None,
) -> dict[str, dict]:
    """Simulate holding the plan and each revision from month ``switch`` (1–11).

    Returns ``{revision id or "hold": columns}`` with (replications, 12, seats) arrays of the
    fast engine's columns; every run uses the same streams (common random numbers). With
    ``observed`` (from :func:`observed_model`, whose model this must be) the months before
    ``switch`` credit the observed credits in every run.
    """
    model = _one_year_model(model)
    if observed is not None and observed.monthly.shape != (model.seats, MONTHS):
        raise ValueError("observed credits: expected one row per seat of the model")
    held = decide_year(model, model.initial_quotas())
    _check_reviews(model, held, switch)
    runs = {"hold": _simulate(model, held, replications, streams, switch, observed=observed)}
    if progress is not None:
        progress("hold")
    for revision in revisions:
        plans, factor = {}, np.ones(model.seats)
        for name, seats in model.segment_seats().items():
            plans[name], factor[seats] = revised_plan(model.segments[name].plan, switch, revision)
        revised_model = model.with_plans(plans)
        decisions = decide_year(revised_model, model.initial_quotas() * factor)
        runs[revision.id] = _simulate(
            model,
            held,
            replications,
            streams,
            switch,
            (revised_model, decisions, factor),
            observed,
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
    credits: pd.DataFrame | None = None,
    roster: pd.DataFrame | None = None,
    segment: str | None = None,
    credits_source: str = "credits",
    roster_source: str = "roster",
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
        compare``); default the scenario's ``finance.comp_budget`` (none with ``credits``: the
        scenario's budget is for its own population). Candidates whose expected compensation
        cost of the year exceeds it cannot be chosen.
    credits, roster:
        Optional: the company's credits to date and roster (the formats of
        :func:`spmopt.statements`). The reps are then the company's (:func:`observed_model`)
        and the months to ``as_of`` credit each rep its observed credits in every candidate and
        replication; the rest of the year is simulated. ``segment`` names the scenario segment
        lending the reps' traits, sales technology and plan (default: the first);
        ``credits_source`` and ``roster_source`` name the files in error messages.

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
        if budget is None and credits is None:
            budget = scenario.spec.finance.comp_budget
    if replications < 2:
        raise SpmoptInputError(f"replications: expected at least 2, got {replications}")
    switch = months_to_date(model, as_of)
    belief = float(belief)
    if not 0 <= belief <= 1:
        raise SpmoptInputError(f"belief ρ: expected a probability in [0, 1], got {belief}")
    observed = None
    if credits is not None:
        model, observed = observed_model(
            model,
            credits,
            roster,
            as_of,
            segment=segment,
            credits_source=credits_source,
            roster_source=roster_source,
        )
    elif roster is not None:
        raise SpmoptInputError("a roster was given without credits; give --credits too")
    streams = RandomStreams(seed)
    runs = revise_model(model, switch, revisions, replications, streams, progress, observed)
    grid = sorted({*(float(b) for b in beliefs), belief})
    credibility = credibility_costs(model, grid, replications, streams)
    at_belief = credibility.loc[credibility["belief"] == belief].iloc[0]
    summary = _summary(runs, revisions, switch, at_belief, budget, _cost_per_belief(credibility))
    reps = _rep_table(runs, model, switch, observed)
    metadata = {"seed": seed, "replications": replications, "switch_month": switch}
    if observed is not None:
        metadata["notes"] = observed.notes
        metadata["fitted"] = observed.fitted
    return RevisionResult(
        summary=summary,
        credibility=credibility,
        reps=reps,
        as_of=as_of,
        belief=belief,
        budget=budget,
        metadata=metadata,
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


def _rep_table(runs, model: SimulationModel, switch: int, observed=None) -> pd.DataFrame:
    """Per candidate and rep: mean effort, revenue and incentive of the remaining months and the
    year's incentive; with ``observed``, also the rep's observed ``credited_to_date``,
    ``attainment_to_date`` (against the quota to date) and ``earned_to_date`` (the statements'
    earnings to the as-of date), and ``year_incentive_to_date`` (the simulated year's incentive
    of the months to date: equal to ``earned_to_date`` for a rep paid on the statements' terms)."""
    rest = slice(switch, MONTHS)
    frames = []
    for key, columns in runs.items():
        occupied = columns["occupied"][:, rest]
        effort = (columns["effort"][:, rest] * occupied).sum(axis=(0, 1)) / np.maximum(
            occupied.sum(axis=(0, 1)), 1
        )
        frame = pd.DataFrame(
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
        if observed is not None:
            position = observed.position
            frame.insert(3, "credited_to_date", position["credited_ytd"].to_numpy())
            frame.insert(4, "attainment_to_date", position["attainment_to_date"].to_numpy())
            frame.insert(5, "earned_to_date", position["earned_ytd"].to_numpy())
            frame["year_incentive_to_date"] = (
                columns["incentive"][:, :switch].sum(axis=1).mean(axis=0)
            )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
