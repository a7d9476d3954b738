"""The simulation model both engines implement: a compiled scenario and the decisions taken at the
start of each plan year (design §5; the monthly sequence is in ``docs/simulation-model.md``).

Everything here is deterministic; engines draw their random numbers from
:class:`~spmopt.sim.streams.RandomStreams` and call these functions so that the event engine and
the fast engine share every modelling decision except how deals are scheduled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
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

    ``population``: one rep per type (the policies solved); each rep's effort is the weighted
    sum over its C types ``codes`` (N, C) with ``weights`` (N, C) (rows sum to 1; C = 1 when
    every rep has a type of its own profile) of the type's effort times ``effort_scale``
    (N, C), (k_t/k)·(Q_t/Q)·(κ_t/κ)^(1/(γ−1)), read at the rep's attainment shifted by
    ``base_offset`` (N,): h/Q − h_t/Q_t [annual quota per unit of exposure], the shift that
    removes base sales (zero unless ``shift_base_sales``; one h_t/Q_t for all the rep's types).
    """

    population: Population
    codes: np.ndarray
    weights: np.ndarray
    effort_scale: np.ndarray
    base_offset: np.ndarray


def _reduced_traits(population: Population, shift_base_sales: bool):
    """Exact-match keys (N, ·), continuous traits (N, ·) of the reduced dynamic problem and
    whether each continuous trait is interpolated on a log scale.

    Effort enters only as sales k·e at cost c·e^γ/γ, so with u = k·e the problem depends on
    (k, c) only through κ = c/k^γ; base sales h only shift the attainment state (removed when
    ``shift_base_sales``)."""
    reps = population.arrays
    frame = population.frame
    quota = frame["quota"].to_numpy(dtype=float)
    keys = frame[[name for name in EXACT_TRAITS if name in frame.columns]].fillna(-1.0)
    kappa = reps.effort_cost / reps.effectiveness**reps.effort_exponent
    continuous, log_scale = [kappa, quota, reps.risk_aversion], [True, True, False]
    if "sales_sd" in frame.columns:
        continuous.append(frame["sales_sd"].fillna(-1.0).to_numpy(dtype=float))
        log_scale.append(False)
    if not shift_base_sales:
        continuous.append(reps.base_sales / quota)
        log_scale.append(False)
    return keys.to_numpy(dtype=float), np.column_stack(continuous), np.array(log_scale)


def _node_counts(varying: int, budget: int, first_doubled: bool = False) -> list[int]:
    """Nodes per varying trait of a tensor grid of at most ``budget`` nodes: the same count p
    on every trait and the remainder on the first, or, with ``first_doubled`` (the first is κ,
    along which effort is the most curved: measured in docs/simulation-model.md), about p² on
    the first."""
    if varying == 0:
        return []
    power = varying + 1 if first_doubled else varying
    per = max(1, int(np.floor(budget ** (1.0 / power) + 1e-9)))
    return [max(1, budget // per ** (varying - 1))] + [per] * (varying - 1)


def _tensor_weights(values: np.ndarray, budget: int):
    """Multilinear interpolation of reps with traits ``values`` (m, d) (already on their
    interpolation scale) on a tensor grid of at most ``budget`` nodes (:func:`_node_counts`) on
    each varying trait, halfway between its equal-count quantiles and equal spacing (the
    extremes included, so no rep is extrapolated).

    Returns (node traits (nodes, d), node index of each rep's corners (m, C), weights (m, C)),
    with only the nodes some rep uses."""
    m, d = values.shape
    varying = [j for j in range(d) if np.ptp(values[:, j]) > 0]
    counts = _node_counts(len(varying), budget, first_doubled=bool(varying) and varying[0] == 0)
    axes = [np.array([np.median(values[:, j])]) for j in range(d)]
    for j, count in zip(varying, counts, strict=True):
        if count == 1:
            continue
        # halfway between equal-count quantiles and equal spacing: dense where reps are, but
        # not so sparse in the tails (where the effort is most curved, e.g. at low κ)
        position = np.linspace(0.0, 1.0, count)
        low, high = values[:, j].min(), values[:, j].max()
        nodes = 0.5 * (np.quantile(values[:, j], position) + low + (high - low) * position)
        axes[j] = np.unique(nodes)
    corners_index = [np.zeros((m, 1), dtype=np.intp)]
    corners_weight = [np.ones((m, 1))]
    for j in range(d):
        nodes = axes[j]
        if nodes.size == 1:
            index, weight = np.zeros((m, 1), dtype=np.intp), np.ones((m, 1))
        else:
            low = np.clip(np.searchsorted(nodes, values[:, j], side="right") - 1, 0, nodes.size - 2)
            frac = (values[:, j] - nodes[low]) / (nodes[low + 1] - nodes[low])
            frac = np.clip(frac, 0.0, 1.0)
            index = np.column_stack([low, low + 1])
            weight = np.column_stack([1.0 - frac, frac])
        corners_index.append(index)
        corners_weight.append(weight)
    shape = tuple(axis.size for axis in axes)
    flat = np.zeros((m, 1), dtype=np.intp)
    weights = np.ones((m, 1))
    for j in range(d):
        flat = (flat[:, :, None] * shape[j] + corners_index[j + 1][:, None, :]).reshape(m, -1)
        weights = (weights[:, :, None] * corners_weight[j + 1][:, None, :]).reshape(m, -1)
    used, codes = np.unique(flat, return_inverse=True)
    grid = np.stack(np.unravel_index(used, shape), axis=1)
    node_traits = np.column_stack([axes[j][grid[:, j]] for j in range(d)])
    return node_traits, codes.reshape(m, -1), weights


def rep_types(population: Population, max_types: int, shift_base_sales: bool = False) -> RepTypes:
    """At most ``max_types`` rep types for the dynamic policy, and how each rep reads them.

    The dynamic problem is solved in reduced traits: κ = c/k^γ instead of (k, c) (exact: a rep's
    effort is its type's scaled by k_t/k) and, with ``shift_base_sales`` (exact when nothing
    couples the measurement periods), without base sales, which only shift the attainment
    state. Up to ``max_types`` distinct profiles (all behaviour traits), each profile is its own
    type, solved as it is; otherwise reps whose reduced traits are identical share a type
    exactly (up to the grid's interpolation of the shift). Beyond ``max_types`` distinct
    reduced profiles, each combination of the exact traits (effort exponent, tenure, ramp,
    target incentive) gets a share of ``max_types`` in proportion to its reps; within it, types
    sit on a tensor grid over κ (log), quota (log), risk aversion, sales sd (and h/Q when base
    sales are not shifted), about p² nodes on κ and p on each other trait, placed halfway
    between equal-count quantiles and equal spacing; a rep's effort interpolates
    multilinearly between the 2^d types around it, each corrected to first order for the rep's
    own κ and quota — an approximation (``docs/simulation-model.md``, "Policies and rep
    types").
    """
    frame = population.frame
    reps = population.arrays
    count = len(frame)
    traits = [name for name in BEHAVIOUR_TRAITS if name in frame.columns]
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame[traits].fillna(-1.0)))
    if len(uniques) <= max_types:  # one type per distinct profile, solved as it is
        first_of_type = pd.Series(np.arange(count)).groupby(codes).first().to_numpy()
        representatives = Population(frame.iloc[first_of_type].reset_index(drop=True))
        return RepTypes(
            representatives,
            codes.astype(np.int64)[:, None],
            np.ones((count, 1)),
            np.ones((count, 1)),
            np.zeros(count),
        )
    quota = frame["quota"].to_numpy(dtype=float)
    keys, continuous, log_scale = _reduced_traits(population, shift_base_sales)
    magnitude = 10.0 ** np.floor(np.log10(np.where(continuous != 0, np.abs(continuous), 1.0)))
    rounded = np.round(continuous / magnitude, 11) * magnitude  # κ equal up to rounding
    scaled = np.where(log_scale, np.log(np.where(rounded > 0, rounded, 1.0)), rounded)
    exact_codes, uniques = pd.factorize(
        pd.MultiIndex.from_arrays(np.column_stack([keys, rounded]).T)
    )
    exact_everywhere = len(uniques) <= max_types
    groups = (
        pd.factorize(pd.MultiIndex.from_arrays(keys.T))[0]
        if keys.shape[1]
        else np.zeros(count, dtype=np.int64)
    )
    sizes = np.bincount(groups)
    budgets = np.maximum(1, (max_types * sizes) // count)
    ratio = reps.base_sales / quota
    gamma = reps.effort_exponent
    rows, type_traits, type_ratio, type_k = [], [], [], []
    width = 1 if exact_everywhere else 2 ** continuous.shape[1]
    type_codes = np.zeros((count, width), dtype=np.int64)
    weights = np.zeros((count, width))
    offset = 0
    for group, budget in enumerate(budgets):
        members = np.flatnonzero(groups == group)
        inner, distinct = np.unique(exact_codes[members], return_inverse=True)
        if exact_everywhere or inner.size <= budget:  # one type per reduced profile
            first = members[np.unique(distinct, return_index=True)[1]]
            nodes = scaled[first]
            corner, weight = distinct[:, None], np.ones((members.size, 1))
        else:
            nodes, corner, weight = _tensor_weights(scaled[members], int(budget))
        type_codes[members, : corner.shape[1]] = offset + corner
        weights[members, : weight.shape[1]] = weight
        offset += len(nodes)
        rows.extend([members[0]] * len(nodes))
        type_traits.append(nodes)
        # under the shift every type of the group has the group's median h/Q (the rep's own is
        # reached through its offset); otherwise h/Q is a trait of the grid
        type_ratio.append(np.full(len(nodes), np.median(ratio[members])))
        type_k.append(np.full(len(nodes), np.median(reps.effectiveness[members])))
    type_traits = np.where(log_scale, np.exp(np.vstack(type_traits)), np.vstack(type_traits))
    if not shift_base_sales:
        type_ratio = [type_traits[:, -1]]
    representatives = frame.iloc[rows].reset_index(drop=True)
    representatives["rep_id"] = [f"type-{t}" for t in range(len(rows))]
    kappa_t, q_t, r_t = type_traits[:, 0], type_traits[:, 1], type_traits[:, 2]
    k_t, ratio_t = np.concatenate(type_k), np.concatenate(type_ratio)
    gamma_t = gamma[rows]
    representatives["effectiveness"] = k_t
    representatives["effort_cost"] = kappa_t * k_t**gamma_t
    representatives["quota"] = q_t
    representatives["base_sales"] = ratio_t * q_t
    representatives["risk_aversion"] = r_t
    if "sales_sd" in frame.columns:
        representatives["sales_sd"] = type_traits[:, 3]
    # a rep's effort is its type's scaled by k_t/k (exact at equal κ), corrected to first order
    # for κ and Q: with V locally linear the effort FOC gives k·e ∝ κ^(−1/(γ−1)) (exact for a
    # linear plan), and a pay curve in attainment pays ∝ 1/Q per sale, so e ∝ 1/Q; the
    # interpolation between the types takes the rest (docs/simulation-model.md)
    kappa = continuous[:, 0][:, None]
    effort_scale = (
        (k_t * q_t)[type_codes]
        / (reps.effectiveness * quota)[:, None]
        * (kappa_t[type_codes] / kappa) ** (1 / (gamma[:, None] - 1))
    )
    effort_scale = np.where(weights > 0, effort_scale, 0.0)
    base_offset = ratio - ratio_t[type_codes[:, 0]] if shift_base_sales else np.zeros(count)
    return RepTypes(Population(representatives), type_codes, weights, effort_scale, base_offset)


class _TypedPolicy:
    """A dynamic policy solved for rep types, answering for reps: a rep at attainment a reads
    each of its types' policies at a + (h/Q − h_t/Q_t)·(exposure left in the period)/s_q and
    sums their efforts scaled by ``effort_scale`` with the interpolation weights
    (:class:`RepTypes`)."""

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
        # the corners some rep uses (rows of zero weight are skipped)
        self._corners = [c for c in range(types.weights.shape[1]) if types.weights[:, c].any()]

    @property
    def size(self) -> int:
        return len(self._types.codes)

    def effort(self, rep_index, month, attainment) -> np.ndarray:
        rep_index = np.asarray(rep_index)
        month = np.asarray(month)
        attainment = np.asarray(attainment, float)
        offset = self._types.base_offset[rep_index]
        effort = None
        for corner in self._corners:
            types = self._types.codes[rep_index, corner]
            shift = offset * self._remaining[types, month]
            value = self._policy.effort(types, month, attainment + shift)
            value = value * self._types.effort_scale[rep_index, corner]
            if len(self._corners) > 1:
                value = value * self._types.weights[rep_index, corner]
            effort = value if effort is None else effort + value
        return effort


def decide_year(
    model: SimulationModel,
    quotas: np.ndarray,
    tenure_months=None,
    max_types: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> YearDecisions:
    """Solve every seat's effort policy for a plan year with the given annual ``quotas``.

    ``tenure_months`` (N,) of the seats' reps at the year's start (default: the population's).
    Quotas that differ across replications are passed as their mean per seat (the policy is
    solved once per seat and year). Static, fixed and rule-of-thumb effort and every rep's
    certainty equivalent (which sets the quit hazard) are solved rep by rep (vectorised, about
    1 s per 10,000 reps); the dynamic policy, ~100× dearer per rep, is solved for at most
    ``max_types`` rep types per segment (default: the model's ``policy_types``; see
    :func:`rep_types`). ``progress(done, total)`` is called as seats' policies are solved (a
    dynamic segment's seats in proportion to its types solved), ``total`` the number of seats.
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
    done = 0
    for name, seats in model.segment_seats().items():
        if seats.size == 0:
            continue

        def report(types_done, types, before=done, count=seats.size):
            if progress is not None:
                progress(before + (count * types_done) // max(types, 1), n)

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
            solved = behaviour.effort.solve(situation, progress=report)
            policy = _TypedPolicy(solved, types, situation.productivity)
        else:  # vectorised over reps and cheap: every rep solved exactly
            policy = behaviour.effort.solve(situations[name])
        policies[name] = (seats, policy)
        target_incentive[seats] = situations[name].target_incentive
        base_salary[seats] = situations[name].base_salary
        done += seats.size
        report(1, 1)
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
