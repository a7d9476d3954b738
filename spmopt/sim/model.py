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


def rep_types(population: Population, max_types: int) -> tuple[Population, np.ndarray]:
    """At most ``max_types`` representative reps, and each rep's type index.

    Reps with identical behaviour traits share a type. When there are more distinct reps than
    ``max_types``, reps are ranked by base sales relative to quota and split into equal-count
    groups whose representative has the group's median traits (an approximation of the
    policy for large heterogeneous populations; exact when reps repeat). Only the dynamic policy
    uses types (``docs/simulation-model.md``, "Policies and rep types", gives its error).
    """
    frame = population.frame
    traits = [name for name in BEHAVIOUR_TRAITS if name in frame.columns]
    keys = frame[traits].fillna(-1.0)  # an empty override cell (NaN) is its own value
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys))
    if len(uniques) <= max_types:
        first_of_type = pd.Series(np.arange(len(frame))).groupby(codes).first().to_numpy()
        return Population(frame.iloc[first_of_type].reset_index(drop=True)), codes
    ratio = frame["base_sales"].to_numpy(dtype=float) / frame["quota"].to_numpy(dtype=float)
    order = np.argsort(ratio, kind="stable")
    codes = np.empty(len(frame), dtype=np.int64)
    codes[order] = np.arange(len(frame)) * max_types // len(frame)
    positions = np.arange(len(frame))
    first_of_type = pd.Series(positions).groupby(codes).first().to_numpy()  # in type order
    representatives = frame.iloc[first_of_type].reset_index(drop=True)
    medians = frame[traits].reset_index(drop=True).groupby(codes).median()
    representatives[traits] = medians.sort_index().to_numpy()
    return Population(representatives), codes


class _TypedPolicy:
    """A policy solved for rep types, answering for reps (rep index → type index)."""

    def __init__(self, policy, codes: np.ndarray):
        self._policy = policy
        self._codes = codes
        self.review_months = getattr(policy, "review_months", tuple(range(MONTHS)))

    @property
    def size(self) -> int:
        return len(self._codes)

    def effort(self, rep_index, month, attainment) -> np.ndarray:
        return self._policy.effort(self._codes[np.asarray(rep_index)], month, attainment)


def decide_year(
    model: SimulationModel, quotas: np.ndarray, tenure_months=None, max_types: int = 256
) -> YearDecisions:
    """Solve every seat's effort policy for a plan year with the given annual ``quotas``.

    ``tenure_months`` (N,) of the seats' reps at the year's start (default: the population's).
    Quotas that differ across replications are passed as their mean per seat (the policy is
    solved once per seat and year). Static, fixed and rule-of-thumb effort and every rep's
    certainty equivalent (which sets the quit hazard) are solved rep by rep (vectorised, about
    1 s per 10,000 reps); the dynamic policy, ~100× dearer per rep, is solved for at most
    ``max_types`` rep types per segment (see :func:`rep_types`).
    """
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
            types, codes = rep_types(members, max_types)
            situation = Situation(
                segment.plan, types, technology, seasonality=segment.seasonality, ramp=model.ramp
            )
            policy = _TypedPolicy(behaviour.effort.solve(situation), codes)
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
