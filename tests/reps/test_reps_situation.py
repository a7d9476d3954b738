"""`Situation.period_pay_of` on a plan whose components have different quota schedules, against
the earnings engine (an independent path: the plan's exact period-to-date payouts)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

import spmopt
from spmopt.plan.earnings import RepTerms, plan_earnings, to_cents
from spmopt.reps.population import Population
from spmopt.reps.situation import Situation
from spmopt.reps.technology import NormalSales

PLAN = Path(__file__).resolve().parents[2] / "scenarios" / "plans" / "multi-measure.toml"
SCHEDULES = ([0.22, 0.24, 0.25, 0.29], [0.4, 0.2, 0.2, 0.2], [0.1, 0.3, 0.3, 0.3])


def _quarterly_plan() -> spmopt.Plan:
    """multi-measure with every component measured per quarter, each on its own schedule."""
    document = tomllib.loads(PLAN.read_text())
    for component, schedule in zip(document["plan"]["components"], SCHEDULES, strict=True):
        component["measurement_period"] = "quarter"
        component["quota_schedule"] = schedule
    document["plan"]["bonuses"] = []
    return spmopt.Plan.from_dict(document)


def test_period_pay_uses_each_components_own_quota_schedule():
    """Each quarter's pay against the primary measure's sales in it (every measure at the same
    attainment) equals the earnings engine's quarter, credits booked in that quarter only (it
    used the first component's schedule for every component: off by up to 30%)."""
    plan = _quarterly_plan()
    primary = plan.components[0].quota
    population = Population.from_reps(
        [spmopt.Rep(base_sales=5e5, effectiveness=1e5, effort_cost=5e4)]
    )
    situation = Situation(plan, population, NormalSales(sigma=1e5))
    sales = np.linspace(0.0, 0.5 * primary, 41)
    terms = RepTerms.build(plan, np.zeros(sales.size).astype(str))
    for quarter in range(4):
        monthly = np.zeros((sales.size, 12))
        monthly[:, 3 * quarter + 1] = sales
        credits = {
            c.measure: to_cents(monthly * plan.quota_of_measure(c.measure).quota / primary).astype(
                float
            )
            for c in plan.components
        }
        to_date = plan_earnings(plan, terms, credits).total_to_date / 100.0
        expected = to_date[:, 3 * quarter + 2] - (to_date[:, 3 * quarter - 1] if quarter else 0.0)
        got = situation.period_pay_of(quarter)(sales[None, :])[0]
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0.05)
