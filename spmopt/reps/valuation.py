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
by ``r·Cov(Σ_p pay_p, pay_year)``). A component's ``max_payout`` caps each period's earnings
(the statements engine caps the year-to-date sum, which only matters near the ceiling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmopt.plan.curve import PayoutCurve
from spmopt.plan.model import MONTHS_PER_PERIOD
from spmopt.reps.payfunction import StackedPay, plan_pay
from spmopt.reps.seasonality import MONTHS
from spmopt.reps.technology import Prepared

#: every month of the plan year
WHOLE_YEAR = tuple(range(MONTHS))


@dataclass(frozen=True, eq=False)
class PayTerm:
    """One term of a year's incentive: ``pay`` (per rep) of the sales credited in ``months``
    (0-based months of the plan year)."""

    pay: StackedPay
    months: tuple[int, ...]


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
        for period in range(MONTHS // months):
            pay = plan_pay(
                plan,
                quota,
                target_incentive,
                horizon="period",
                measured_months=months,
                period=period,
            )
            terms.append(PayTerm(pay, tuple(range(period * months, (period + 1) * months))))
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
    return [
        productivity.sum(axis=1)
        if term.months == WHOLE_YEAR
        else productivity[:, list(term.months)].sum(axis=1)
        for term in terms
    ]


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


def prepare_terms(sales, terms, reps, exposures, effort_max=None) -> Prepared:
    """Expectations of the sum of ``terms`` under the technology ``sales`` (one prepared pay
    function per term, at its exposure); a single term is prepared as is."""
    parts = []
    for term, exposure in zip(terms, exposures, strict=True):
        if getattr(sales, "location_family", False):
            parts.append(sales.prepare(term.pay, reps, exposure))
        else:
            parts.append(sales.prepare(term.pay, reps, exposure, effort_max=effort_max))
    return parts[0] if len(parts) == 1 else PreparedSum(parts)
