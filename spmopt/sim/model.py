"""The simulation model both engines implement: a compiled scenario and the decisions taken at the
start of each plan year (design §5; the monthly sequence is in ``docs/simulation-model.md``).

Everything here is deterministic; engines draw their random numbers from
:class:`~spmopt.sim.streams.RandomStreams` and call these functions so that the event engine and
the fast engine share every modelling decision except how deals are scheduled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from spmopt.plan.plan import Plan
from spmopt.reps.behaviour.contract import TablePolicy
from spmopt.reps.behaviour.dynamic import DynamicBestResponse
from spmopt.reps.behaviour.registry import Behaviour
from spmopt.reps.behaviour.static import StaticBestResponse, best_response
from spmopt.reps.population import Population
from spmopt.reps.seasonality import MONTHS, Ramp, Seasonality
from spmopt.reps.situation import Situation
from spmopt.reps.technology import DealSales, NormalSales


@dataclass(frozen=True, eq=False)
class Segment:
    """A segment's market and plan.

    ``gross_margin`` is the share of revenue kept after cost of goods (ratio); ``plan`` pays the
    segment's reps (every component's measure is the segment's single sales measure).
    """

    name: str
    plan: Plan
    technology: DealSales | NormalSales
    seasonality: Seasonality = field(default_factory=Seasonality.flat)
    gross_margin: float = 0.75

    @property
    def plan_quota(self) -> float:
        """The plan's annual quota of the segment's measure [currency/yr]."""
        return float(self.plan.quota_of_measure(self.plan.measures[0]).quota)


@dataclass(frozen=True)
class QuotaRevision:
    """Next year's quota = q + up·(s − q) when sales s beat quota q, q + down·(s − q) otherwise."""

    up: float = 0.0
    down: float | None = None

    def revise(self, quota, sales) -> np.ndarray:
        quota = np.asarray(quota, dtype=float)
        gap = np.asarray(sales, dtype=float) - quota
        down = self.up if self.down is None else self.down
        return np.maximum(quota + np.where(gap > 0, self.up, down) * gap, 0.01 * quota)


@dataclass(frozen=True, eq=False)
class SimulationModel:
    """A compiled scenario: seats (the population), segments, behaviour, horizon.

    ``population`` has one row per seat with a ``segment`` column naming a key of ``segments``;
    a leaver's seat is refilled by a new hire with the same traits, tenure 0 (so ramping).
    """

    scenario_id: str
    population: Population
    segments: Mapping[str, Segment]
    behaviour: Behaviour = field(default_factory=Behaviour)
    ramp: Ramp = field(default_factory=Ramp)
    years: int = 1
    year_start: dt.date = dt.date(2027, 1, 1)
    quota_revision: QuotaRevision | None = None
    content_hash: str = ""
    #: most dynamic-policy rep types solved per segment and year (:func:`rep_types`)
    policy_types: int = 256

    @property
    def seats(self) -> int:
        return len(self.population)

    @property
    def seat_segments(self) -> np.ndarray:
        """Segment name of each seat (N,)."""
        return self.population.column("segment").astype(str)

    def segment_seats(self) -> dict[str, np.ndarray]:
        """Seat indices of each segment, in segment order."""
        names = self.seat_segments
        return {name: np.flatnonzero(names == name) for name in self.segments}

    def with_plans(self, plans: Mapping[str, Plan]) -> SimulationModel:
        """The same scenario with some segments' plans replaced (for comparing plans)."""
        segments = {
            name: replace(segment, plan=plans.get(name, segment.plan))
            for name, segment in self.segments.items()
        }
        return replace(self, segments=segments)

    def plan_id(self) -> str:
        """The plan id, or ids joined by '+' when segments have different plans."""
        ids = dict.fromkeys(segment.plan.id for segment in self.segments.values())
        return "+".join(ids)

    def period_labels(self) -> list[str]:
        """Calendar labels of the simulated months: ``2027-01`` … over all years."""
        months = pd.period_range(
            pd.Timestamp(self.year_start), periods=MONTHS * self.years, freq="M"
        )
        return [str(month) for month in months]

    def initial_quotas(self) -> np.ndarray:
        """Each seat's first-year quota: the population's ``quota`` column or the plan's."""
        quotas = np.empty(self.seats)
        for name, seats in self.segment_seats().items():
            quotas[seats] = self.segments[name].plan_quota
        if self.population.has("quota"):
            column = self.population.column("quota").astype(float)
            quotas = np.where(np.isnan(column), quotas, column)
        return quotas


def behaviour_technology(technology, population: Population):
    """The technology the behaviour models solve with.

    The dynamic policy needs a location family: for deal sales it solves with the normal
    technology of the same annual mean and variance at unit effort (σ per rep).
    """
    if isinstance(technology, NormalSales):
        return technology, population
    reps = population.arrays
    sd = np.sqrt(technology.variance(reps, np.ones(len(population))))
    return NormalSales(sigma=float(np.median(sd))), population.with_columns(sales_sd=sd)


@dataclass(frozen=True, eq=False)
class YearDecisions:
    """What every seat's rep decides at the start of a plan year (arrays over seats).

    ``policies``: per segment, (seat indices, effort policy); ``certainty_equivalent`` and
    ``hazard`` (monthly quit probability) of the seat's rep; ``quota``, ``target_incentive`` and
    ``base_salary`` are annual.
    """

    policies: dict[str, tuple[np.ndarray, object]]
    quota: np.ndarray
    target_incentive: np.ndarray
    base_salary: np.ndarray
    certainty_equivalent: np.ndarray
    hazard: np.ndarray
    situations: dict[str, Situation]

    def effort(self, seat, month, attainment) -> np.ndarray:
        """Effort of the reps in ``seat`` (any shape) in ``month`` with ``attainment`` seen."""
        seat, month, attainment = np.broadcast_arrays(
            np.asarray(seat), np.asarray(month), np.asarray(attainment, dtype=float)
        )
        effort = np.zeros(seat.shape)
        for seats, policy in self.policies.values():
            position = np.searchsorted(seats, seat)
            position = np.minimum(position, len(seats) - 1)
            mine = seats[position] == seat
            if mine.any():
                effort[mine] = policy.effort(position[mine], month[mine], attainment[mine])
        return effort

    def review_months(self, segment: str) -> tuple[int, ...]:
        """Months (0–11) in which the segment's reps look at their attainment and re-decide."""
        return tuple(getattr(self.policies[segment][1], "review_months", tuple(range(MONTHS))))


BEHAVIOUR_TRAITS = (  # the traits an effort policy depends on (ū and attrition do not move it)
    "base_sales",
    "effectiveness",
    "effort_cost",
    "effort_exponent",
    "risk_aversion",
    "tenure_months",
    "ramp_months",
    "quota",
    "target_incentive",
    "sales_sd",
)
EXACT_TRAITS = ("effort_exponent", "tenure_months", "ramp_months", "target_incentive")


@dataclass(frozen=True, eq=False)
class RepTypes:
    """Rep types of a segment for the dynamic policy (:func:`rep_types`).

    ``population``: one representative rep per type; ``codes`` (N,): each rep's type;
    ``effort_scale`` (N,): the rep's effort per unit of its type's effort,
    (k_t/Q_t)/(k/Q)·(κ_t/κ)^(1/(γ−1));
    ``base_offset`` (N,): h/Q − h_t/Q_t [annual quota per unit of exposure], the shift of the
    attainment state that removes base sales (zero unless ``shift_base_sales``).
    """

    population: Population
    codes: np.ndarray
    effort_scale: np.ndarray
    base_offset: np.ndarray


def _reduced_traits(population: Population, shift_base_sales: bool):
    """Exact-match keys (N, ·) and continuous traits (N, ·) of the reduced dynamic problem.

    Effort enters only as sales k·e at cost c·e^γ/γ, so with u = k·e the problem depends on
    (k, c) only through κ = c/k^γ; base sales h only shift the attainment state (removed when
    ``shift_base_sales``)."""
    reps = population.arrays
    frame = population.frame
    quota = frame["quota"].to_numpy(dtype=float)
    keys = frame[[name for name in EXACT_TRAITS if name in frame.columns]].fillna(-1.0)
    kappa = reps.effort_cost / reps.effectiveness**reps.effort_exponent
    continuous = [kappa, quota, reps.risk_aversion]
    if "sales_sd" in frame.columns:
        continuous.append(frame["sales_sd"].fillna(-1.0).to_numpy(dtype=float))
    if not shift_base_sales:
        continuous.append(reps.base_sales / quota)
    return keys.to_numpy(dtype=float), np.column_stack(continuous)


def _nested_bins(values: np.ndarray, budget: int) -> np.ndarray:
    """Equal-count bins nested over the columns of ``values`` (N, d): at most ``budget`` bins,
    split evenly over the columns that vary (the first column gets the remainder)."""
    varying = [j for j in range(values.shape[1]) if np.ptp(values[:, j]) > 0]
    codes = np.zeros(len(values), dtype=np.int64)
    if not varying or budget <= 1:
        return codes
    per = max(1, int(np.floor(budget ** (1.0 / len(varying)) + 1e-9)))
    splits = [max(1, budget // per ** (len(varying) - 1))] + [per] * (len(varying) - 1)
    for j, count in zip(varying, splits, strict=True):
        refined = np.empty_like(codes)
        for group in np.unique(codes):
            members = np.flatnonzero(codes == group)
            order = members[np.argsort(values[members, j], kind="stable")]
            parts = min(count, len(members))
            refined[order] = group * count + np.arange(len(members)) * parts // len(members)
        codes = refined
    return np.unique(codes, return_inverse=True)[1]


def rep_types(population: Population, max_types: int, shift_base_sales: bool = False) -> RepTypes:
    """At most ``max_types`` representative reps for the dynamic policy, and each rep's type.

    The dynamic problem is solved in reduced traits: κ = c/k^γ instead of (k, c) (exact: a rep's
    effort is its type's scaled by k_t/k) and, with ``shift_base_sales`` (exact when nothing
    couples the measurement periods), without base sales, which only shift the attainment
    state. Up to ``max_types`` distinct profiles (all behaviour traits), each profile is its own
    type, solved as it is; otherwise reps whose reduced traits are identical share a type
    exactly (up to the grid's interpolation of the shift). Beyond ``max_types``
    distinct profiles, reps are split into equal-count bins nested over κ, quota, risk
    aversion, sales sd (and h/Q when base sales are not shifted) within each combination of the
    exact traits (effort exponent, tenure, ramp, target incentive), with the bin's median
    traits — an approximation (``docs/simulation-model.md``, "Policies and rep types").
    """
    frame = population.frame
    reps = population.arrays
    count = len(frame)
    traits = [name for name in BEHAVIOUR_TRAITS if name in frame.columns]
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame[traits].fillna(-1.0)))
    if len(uniques) <= max_types:  # one type per distinct profile, solved as it is
        first_of_type = pd.Series(np.arange(count)).groupby(codes).first().to_numpy()
        representatives = Population(frame.iloc[first_of_type].reset_index(drop=True))
        return RepTypes(representatives, codes.astype(np.int64), np.ones(count), np.zeros(count))
    quota = frame["quota"].to_numpy(dtype=float)
    keys, continuous = _reduced_traits(population, shift_base_sales)
    magnitude = 10.0 ** np.floor(np.log10(np.where(continuous != 0, np.abs(continuous), 1.0)))
    rounded = np.round(continuous / magnitude, 11) * magnitude  # κ equal up to rounding
    exact_codes, uniques = pd.factorize(
        pd.MultiIndex.from_arrays(np.column_stack([keys, rounded]).T)
    )
    if len(uniques) <= max_types:
        codes = exact_codes.astype(np.int64)
    else:
        groups, group_names = (
            pd.factorize(pd.MultiIndex.from_arrays(keys.T))
            if keys.shape[1]
            else (np.zeros(len(frame), dtype=np.int64), [0])
        )
        sizes = np.bincount(groups)
        budgets = np.maximum(1, (max_types * sizes) // len(frame))
        codes = np.empty(len(frame), dtype=np.int64)
        offset = 0
        for group, budget in enumerate(budgets):
            members = np.flatnonzero(groups == group)
            inner = _nested_bins(continuous[members], int(budget))
            codes[members] = offset + inner
            offset += inner.max() + 1
    first_of_type = pd.Series(np.arange(len(frame))).groupby(codes).first().to_numpy()
    representatives = frame.iloc[first_of_type].reset_index(drop=True)

    def median(values):
        return pd.Series(values).groupby(codes).median().sort_index().to_numpy()

    k_t = median(reps.effectiveness)
    q_t = median(quota)
    kappa_t = median(continuous[:, 0])
    gamma_t = median(reps.effort_exponent)
    ratio_t = median(reps.base_sales / quota)
    representatives["effectiveness"] = k_t
    representatives["effort_cost"] = kappa_t * k_t**gamma_t
    representatives["quota"] = q_t
    representatives["base_sales"] = ratio_t * q_t
    representatives["risk_aversion"] = median(reps.risk_aversion)
    if "sales_sd" in frame.columns:
        representatives["sales_sd"] = median(frame["sales_sd"].to_numpy(dtype=float))
    effort_scale = (k_t / q_t)[codes] / (reps.effectiveness / quota)
    # first-order correction for κ within a bin: with V locally linear the effort FOC gives
    # k·e ∝ κ^(−1/(γ−1)) (exact for a linear plan, measured otherwise: docs)
    effort_scale = effort_scale * (kappa_t[codes] / continuous[:, 0]) ** (
        1 / (reps.effort_exponent - 1)
    )
    base_offset = (
        reps.base_sales / quota - ratio_t[codes] if shift_base_sales else np.zeros(len(frame))
    )
    return RepTypes(Population(representatives), codes, effort_scale, base_offset)


class _TypedPolicy:
    """A dynamic policy solved for rep types, answering for reps: a rep at attainment a reads
    its type's policy at a + (h/Q − h_t/Q_t)·(exposure left in the period)/s_q and scales the
    effort by (k_t/Q_t)/(k/Q) (:class:`RepTypes`)."""

    def __init__(self, policy, types: RepTypes, productivity: np.ndarray):
        self._policy = policy
        self._types = types
        self.review_months = policy.review_months
        # exposure from the start of each month's review block to the end of its period, per
        # type, in period attainment per unit of h/Q (types, 12)
        period, block = policy.period_months, policy.block_months
        months = np.arange(MONTHS)
        remaining = np.zeros_like(productivity)
        for month in months:
            start = month // block * block
            end = (month // period + 1) * period
            share = policy.period_shares[month // period]
            remaining[:, month] = productivity[:, start:end].sum(axis=1) / share
        self._remaining = remaining

    @property
    def size(self) -> int:
        return len(self._types.codes)

    def effort(self, rep_index, month, attainment) -> np.ndarray:
        rep_index = np.asarray(rep_index)
        types = self._types.codes[rep_index]
        shift = self._types.base_offset[rep_index] * self._remaining[types, np.asarray(month)]
        effort = self._policy.effort(types, month, np.asarray(attainment, float) + shift)
        return effort * self._types.effort_scale[rep_index]


def decide_year(
    model: SimulationModel, quotas: np.ndarray, tenure_months=None, max_types: int | None = None
) -> YearDecisions:
    """Solve every seat's effort policy for a plan year with the given annual ``quotas``.

    ``tenure_months`` (N,) of the seats' reps at the year's start (default: the population's).
    Quotas that differ across replications are passed as their mean per seat (the policy is
    solved once per seat and year). Static, fixed and rule-of-thumb effort and every rep's
    certainty equivalent (which sets the quit hazard) are solved rep by rep (vectorised, about
    1 s per 10,000 reps); the dynamic policy, ~100× dearer per rep, is solved for at most
    ``max_types`` rep types per segment (default: the model's ``policy_types``; see
    :func:`rep_types`).
    """
    max_types = model.policy_types if max_types is None else max_types
    behaviour = model.behaviour
    population = model.population.with_columns(quota=np.asarray(quotas, dtype=float))
    if tenure_months is not None:
        population = population.with_columns(tenure_months=np.asarray(tenure_months, dtype=float))
    policies, situations = {}, {}
    n = model.seats
    certainty_equivalent = np.zeros(n)
    target_incentive = np.zeros(n)
    base_salary = np.zeros(n)
    for name, seats in model.segment_seats().items():
        if seats.size == 0:
            continue
        segment = model.segments[name]
        members = population.select(np.isin(np.arange(n), seats))
        technology, members = behaviour_technology(segment.technology, members)
        situations[name] = Situation(
            segment.plan, members, technology, seasonality=segment.seasonality, ramp=model.ramp
        )
        responses = best_response(
            segment.plan, members, technology, seasonality=segment.seasonality, ramp=model.ramp
        )
        certainty_equivalent[seats] = responses["certainty_equivalent"].to_numpy()
        if behaviour.effort == StaticBestResponse():  # the same solve: reuse it
            policy = TablePolicy(responses["effort"].to_numpy())
        elif isinstance(behaviour.effort, DynamicBestResponse):
            situation = situations[name]
            coupled = situation.measurement_months < MONTHS and situation.has_annual_terms
            shift = behaviour.effort.ratchet is None and not coupled
            types = rep_types(members, max_types, shift_base_sales=shift)
            situation = Situation(
                segment.plan,
                types.population,
                technology,
                seasonality=segment.seasonality,
                ramp=model.ramp,
            )
            policy = _TypedPolicy(behaviour.effort.solve(situation), types, situation.productivity)
        else:  # vectorised over reps and cheap: every rep solved exactly
            policy = behaviour.effort.solve(situations[name])
        policies[name] = (seats, policy)
        target_incentive[seats] = situations[name].target_incentive
        base_salary[seats] = situations[name].base_salary
    outside = population.column("outside_option").astype(float)
    sensitivity = population.column("attrition_sensitivity").astype(float)
    hazard = behaviour.attrition.monthly_hazard(certainty_equivalent, outside, sensitivity)
    return YearDecisions(
        policies=policies,
        quota=np.asarray(quotas, dtype=float),
        target_incentive=target_incentive,
        base_salary=base_salary,
        certainty_equivalent=certainty_equivalent,
        hazard=np.broadcast_to(np.asarray(hazard, dtype=float), (n,)).copy(),
        situations=situations,
    )


def closing_lags(technology) -> np.ndarray:
    """P(a deal won in month m closes in month m + d), d = 0, 1, …: P(floor(U + T) = d) with U
    uniform in the month and T the Gamma cycle time [months]. ``[1.0]`` for normal sales."""
    if not isinstance(technology, DealSales):
        return np.ones(1)
    return technology.closing_lags()


def closing_lag_table(technology) -> np.ndarray:
    """(12, L): row c, P(a deal created in plan month c closes in month c + d), the lags of
    :func:`closing_lags` bunched towards quarter ends (``DealSales.closing_lag_table``; every
    row is :func:`closing_lags` without a quarter-end lift). ``[[1.0]] × 12`` for normal sales."""
    if not isinstance(technology, DealSales):
        return np.ones((MONTHS, 1))
    return technology.closing_lag_table()


def exposure(
    model: SimulationModel, segment: Segment, month: int, tenure_months, ramp_months
) -> np.ndarray:
    """Month ``month``'s share of annual output (seasonality × ramp) for reps with the given tenure
    at the start of the month and ramp length [months]."""
    return segment.seasonality.weights[month] * model.ramp.factor(tenure_months, ramp_months)
