"""Shared builders for the reps and behaviour tests (plans written inline, small populations)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import spmopt
from spmopt.reps.population import Population, Rep
from spmopt.sim.streams import RandomStreams

QUOTA = 1_000_000.0
# |z| above this fails a statistical check: two-sided false-failure rate 1.1e-5 per assertion
Z_FAIL = 4.4


def make_plan(
    tiers,
    *,
    threshold=None,
    cap=None,
    bonuses=(),
    target_incentive=100_000.0,
    base_salary=0.0,
    measurement_period="year",
    quota=QUOTA,
    boundary="higher",
    method="marginal",
):
    """A one-component plan on 'bookings' keyed on attainment."""
    component = {
        "id": "bookings",
        "measure": "bookings",
        "quota": quota,
        "tiers": list(tiers),
        "measurement_period": measurement_period,
        "boundary": boundary,
        "method": method,
    }
    if threshold is not None:
        component["threshold"] = threshold
    if cap is not None:
        component["cap"] = cap
    body = {
        "id": "test",
        "year_start": "2027-01-01",
        "base_salary": base_salary,
        "target_incentive": target_incentive,
        "components": [component],
        "bonuses": [
            {"id": f"b{i}", "measure": "bookings", "period": measurement_period, **bonus}
            for i, bonus in enumerate(bonuses)
        ],
    }
    return spmopt.Plan.from_dict({"schema_version": 1, "plan": body})


def commission_plan(rate, **kwargs):
    """pay = rate × sales (attainment basis, rate per unit credited)."""
    return make_plan([{"from": 0.0, "rate": rate}], **kwargs)


def bonus_plan(amount, at=1.0, **kwargs):
    """A lump sum ``amount`` at attainment ``at``, nothing else."""
    return make_plan([{"from": 0.0, "rate": 0.0}], bonuses=[{"at": at, "amount": amount}], **kwargs)


def reps_population(n=40, seed=7, **fixed):
    """A heterogeneous population (lognormal/gamma traits) for contract and speed checks."""
    spec = {
        "count": n,
        "base_sales": {"dist": "lognormal", "mean": 700_000, "sigma": 0.25},
        "effectiveness": {"dist": "gamma", "mean": 300_000, "sd": 60_000},
        "effort_cost": {"dist": "lognormal", "mean": 100_000, "sigma": 0.3},
        "risk_aversion": {"dist": "uniform", "low": 0.0, "high": 2e-5},
        "outside_option": 150_000,
    }
    spec.update(fixed)
    rng = RandomStreams(seed).generator("population")
    return Population.generate({"segments": {"ae": spec}}, rng)


def one_rep(**traits):
    defaults = {"base_sales": 700_000.0, "effectiveness": 300_000.0, "effort_cost": 100_000.0}
    defaults.update(traits)
    return Rep(**defaults)


def reps_with_base_sales(base_sales, **traits) -> Population:
    """The population ``Population.from_reps([one_rep(base_sales=h, **traits) for h in
    base_sales])`` builds (rep_ids rep-1, rep-2, …), validated once as a table rather than rep by
    rep (each ``Rep`` validates a one-row table: ~15 ms apiece)."""
    row = one_rep(**traits)._row()
    count = len(base_sales)
    frame = pd.DataFrame([row] * count).assign(
        base_sales=np.asarray(base_sales, dtype=float),
        rep_id=[f"rep-{i + 1}" for i in range(count)],
    )
    return Population(frame)
