"""A plan year's incentive as a sum of terms, each a pay function of the sales of its own span.

A plan measured over the year pays ``pay(S)`` on annual sales S: one term. A plan whose
components or bonuses are measured per quarter (or month) pays each measurement period on that
period's own sales, against that period's quota (its ``quota_schedule`` share of the annual
quota, or an even spread), and any annually measured terms (an annual component, a club bonus)
on annual sales on top:

    pay = Σ_p pay_p(S_p) + pay_year(S),   S_p = sales of measurement period p, S = Σ_p S_p.

The sales of a span of months have expected value ``x·(h + k·e)`` and, for normal sales,
variance ``x·σ²``, with ``x`` the span's exposure (seasonality × ramp summed over its months,
:func:`spmopt.reps.seasonality.productivity`): the monthly split of the engines, so the periods'
means and variances add up to the year's.

Expected pay is exactly the sum of the terms' expected pays. The certainty equivalent under CARA
is the sum of the terms' certainty equivalents: exact for the periods, whose sales are
independent, and an approximation when an annual term sits on top of them (annual and period
sales are positively correlated, so the sum overstates the certainty equivalent, to second order
by ``r·Cov(Σ_p pay_p, pay_year)``).

A component measured per period with a ``max_payout`` earns ``min(Σ_p f_p(S_p), M)`` over the year
(the statements engine caps year-to-date earnings): a :class:`CappedSumTerm`. Under normal sales
it is valued by approximating ``F = Σ_p f_p(S_p)`` by a normal with F's exact mean and variance
(sums over the independent periods of closed-form first and second moments) and taking the
closed-form expectation and certainty equivalent of ``min(F, M)``; under other technologies
each period is capped at M instead (an overstatement where the annual ceiling binds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmopt.plan.curve import PayoutCurve
from spmopt.plan.model import MONTHS_PER_PERIOD
from spmopt.reps.expectation import (
    normal_expected_pay,
    normal_pay_moments,
    normal_pay_second_moment,
)
from spmopt.reps.payfunction import StackedPay, plan_pay
from spmopt.reps.seasonality import MONTHS
from spmopt.reps.technology import Prepared, expected_sales

#: every month of the plan year
WHOLE_YEAR = tuple(range(MONTHS))


@dataclass(frozen=True, eq=False)
class PayTerm:
    """One term of a year's incentive: ``pay`` (per rep) of the sales credited in ``months``
    (0-based months of the plan year)."""

    pay: StackedPay
    months: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class CappedSumTerm:
    """``min(Σ_p pay_p(S_p), cap)``: a component measured over the ``periods`` (uncapped pay
    terms, one per measurement period) whose ``max_payout`` caps its annual earnings."""

    periods: list[PayTerm]
    cap: float
    months: tuple[int, ...] = WHOLE_YEAR


def search_terms(terms) -> list[PayTerm]:
    """The terms as plain :class:`PayTerm` s for the effort search (a capped sum gives its
    uncapped periods: total pay rises no faster with the ceiling than without)."""
    flat = []
    for term in terms:
        flat.extend(term.periods if isinstance(term, CappedSumTerm) else [term])
    return flat


def measurement_lengths(plan) -> list[int]:
    """The distinct lengths [months] of the plan's measurement periods, ascending."""
    lengths = {c.months_per_measurement_period for c in plan.components}
    lengths |= {MONTHS_PER_PERIOD[b.period] for b in plan.bonuses}
    return sorted(lengths)


def plan_pay_terms(plan, quota=None, target_incentive=None) -> list[PayTerm]:
    """The plan's incentive as :class:`PayTerm` s for N reps with annual ``quota`` and
    ``target_incentive`` (default the plan's): one per measurement period of every length the
    plan uses (components and bonuses measured over it, against the period's quota), the year's
    terms last. A plan measured over the year gives the single term
    ``plan_pay(plan, quota, target_incentive)`` on the whole year's sales."""
    lengths = measurement_lengths(plan)
    if lengths == [MONTHS]:
        return [PayTerm(plan_pay(plan, quota, target_incentive, horizon="year"), WHOLE_YEAR)]
    terms = []
    for months in lengths:
        if months == MONTHS:
            pay = plan_pay(plan, quota, target_incentive, horizon="year", measured_months=MONTHS)
            terms.append(PayTerm(pay, WHOLE_YEAR))
            continue
        capped = [
            c.id
            for c in plan.components
            if c.months_per_measurement_period == months and c.max_payout is not None
        ]
        others = [c.id for c in plan.components if c.id not in capped]
        spans = [tuple(range(p * months, (p + 1) * months)) for p in range(MONTHS // months)]

        def period_pay(period, ids, months=months, **options):
            return plan_pay(
                plan,
                quota,
                target_incentive,
                horizon="period",
                measured_months=months,
                period=period,
                only_components=ids,
                **options,
            )

        uncapped = [c for c in plan.components if c.id in others]
        if any(c.months_per_measurement_period == months for c in uncapped) or any(
            MONTHS_PER_PERIOD[b.period] == months for b in plan.bonuses
        ):
            for period, span in enumerate(spans):
                terms.append(PayTerm(period_pay(period, others), span))
        for component_id in capped:
            cap = plan.components[[c.id for c in plan.components].index(component_id)].max_payout
            periods = [
                PayTerm(
                    period_pay(period, [component_id], with_bonuses=False, max_payout=False), span
                )
                for period, span in enumerate(spans)
            ]
            terms.append(CappedSumTerm(periods, float(cap)))
    return terms


def situation_pay_terms(situation, objective: StackedPay | None = None) -> list[PayTerm]:
    """The terms of the plan's incentive for the reps of ``situation``; with ``objective`` (a
    replacement of the plan's annual pay against annual sales, e.g. net of a ratchet's cost),
    its difference from the plan's annual pay is added as a term on the year's sales.

    A plan measured over the year (or a bare payout curve) keeps its one annual term, and the
    objective replaces it."""
    plan = situation.plan
    if isinstance(plan, PayoutCurve) or measurement_lengths(plan) == [MONTHS]:
        pay = situation.annual_pay if objective is None else objective
        return [PayTerm(pay, WHOLE_YEAR)]
    terms = plan_pay_terms(plan, situation.quota, situation.target_incentive)
    if objective is not None:
        extra = (objective + situation.annual_pay.scaled(-1.0)).compact()
        terms.append(PayTerm(extra, WHOLE_YEAR))
    return terms


def term_exposures(terms: list[PayTerm], productivity: np.ndarray) -> list[np.ndarray]:
    """Each term's exposure (N,): ``productivity`` (N, 12) summed over its months (for the whole
    year exactly the situation's ``exposure``)."""
    return [span_exposure(term.months, productivity) for term in terms]


def span_exposure(months: tuple[int, ...], productivity: np.ndarray) -> np.ndarray:
    """``productivity`` (N, 12) summed over ``months`` (N,)."""
    if months == WHOLE_YEAR:
        return productivity.sum(axis=1)
    return productivity[:, list(months)].sum(axis=1)


class PreparedSum(Prepared):
    """Expectations of a sum of independently valued terms: expected pays and certainty
    equivalents of the parts added (see the module docstring for when that is exact)."""

    def __init__(self, parts: list[Prepared]):
        self.parts = parts

    def moments(self, effort):
        expected, ce = self.parts[0].moments(effort)
        for part in self.parts[1:]:
            more_expected, more_ce = part.moments(effort)
            expected = expected + more_expected
            ce = ce + more_ce
        return expected, ce

    def certainty_equivalent(self, effort):
        ce = self.parts[0].certainty_equivalent(effort)
        for part in self.parts[1:]:
            ce = ce + part.certainty_equivalent(effort)
        return ce


def prepare_terms(sales, terms, reps, productivity, effort_max=None) -> Prepared:
    """Expectations of the sum of ``terms`` under the technology ``sales``, each at the exposure
    of its months (``productivity`` (N, 12)); a single term is prepared as is."""
    location = getattr(sales, "location_family", False)
    parts = []
    for term in terms:
        if isinstance(term, CappedSumTerm):
            if location and hasattr(sales, "noise_sd"):
                parts.append(_PreparedCappedSum(sales, term, reps, productivity))
                continue
            capped = [PayTerm(p.pay.minimum(term.cap), p.months) for p in term.periods]
            parts.append(prepare_terms(sales, capped, reps, productivity, effort_max))
            continue
        exposure = span_exposure(term.months, productivity)
        if location:
            parts.append(sales.prepare(term.pay, reps, exposure))
        else:
            parts.append(sales.prepare(term.pay, reps, exposure, effort_max=effort_max))
    return parts[0] if len(parts) == 1 else PreparedSum(parts)


class _PreparedCappedSum(Prepared):
    """``min(F, M)`` with F = Σ_p f_p(S_p) approximated by a normal of F's exact mean and
    variance (normal sales: closed-form moments of each period's pay, periods independent)."""

    def __init__(self, sales, term: CappedSumTerm, reps, productivity):
        self.term = term
        self.reps = reps
        self.exposures = [span_exposure(p.months, productivity) for p in term.periods]
        self.sds = [sales.noise_sd(reps, x) for x in self.exposures]
        self.r = np.asarray(reps.risk_aversion, dtype=float)

    def moments(self, effort):
        effort = np.asarray(effort, dtype=float)
        mean = np.zeros(effort.shape)
        variance = np.zeros(effort.shape)
        for period, exposure, sd in zip(self.term.periods, self.exposures, self.sds, strict=True):
            mu = expected_sales(self.reps, effort, exposure)
            pay = period.pay
            pieces = [
                np.broadcast_to(values[:, None, :], mu.shape + (values.shape[-1],))
                if values.shape[0] > 1
                else values[0]
                for values in (pay.breakpoints, pay.upper_ends(), pay.intercepts, pay.slopes)
            ]
            sd_col = np.broadcast_to(sd.reshape(-1, 1), mu.shape)
            safe = np.where(sd_col > 0, sd_col, 1.0)
            first = normal_expected_pay(mu, safe, *pieces)
            second = normal_pay_second_moment(mu, safe, *pieces)
            exact = pay(mu) if not np.all(sd_col > 0) else first
            first = np.where(sd_col > 0, first, exact)
            spread = np.where(sd_col > 0, np.maximum(second - first * first, 0.0), 0.0)
            mean += first
            variance += spread
        cap = self.term.cap
        spread = np.sqrt(variance)
        lo = np.array([-np.inf, cap])
        hi = np.array([cap, np.inf])
        a = np.array([0.0, cap])
        s = np.array([1.0, 0.0])
        r = np.broadcast_to(self.r.reshape(-1, 1), mean.shape)
        expected, ce = normal_pay_moments(mean, np.where(spread > 0, spread, 1.0), lo, hi, a, s, r)
        sure = np.minimum(mean, cap)
        return np.where(spread > 0, expected, sure), np.where(spread > 0, ce, sure)
