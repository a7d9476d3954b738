"""The SimPy event engine and the vectorised fast engine agree in distribution.

Both engines simulate one model on different random streams; the checks are two-sample tests of

* per-rep annual sales and incentive pay (Kolmogorov–Smirnov on seat-years, per plan year),
* their means, the share of reps at quota, attrition, and the month-of-year profile of bookings
  (credited per month) and of timing moves at period ends (Welch t-tests on replication means),

and of the seats' quotas (which quota revision and hiring change from the second year on),
each at ``FALSE_FAILURE / number of checks`` (Bonferroni), so a test function fails by chance
with probability at most ``FALSE_FAILURE``. Seat-years of one plan year are independent given
the year's decisions (which both engines solve identically); sampling every seat in every
replication stratifies the mixture over seats, which only makes the KS test conservative.
From the second year on, the policies are solved on the run's mean quotas and tenures, a
run-level random effect these checks ignore; at the sizes used it moves mean sales by about a
tenth of their standard error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sim_fixtures import ae_population, shipped_plan

from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.seasonality import Seasonality
from spmopt.reps.technology import DealSales
from spmopt.sim.events import simulate_events
from spmopt.sim.fast import simulate_fast
from spmopt.sim.model import QuotaRevision, Segment, SimulationModel
from spmopt.sim.results import SimulationResult
from spmopt.sim.streams import RandomStreams

ROOT = Path(__file__).resolve().parents[2]
FALSE_FAILURE = 1e-3  # per test function, over all its checks
BEHAVIOUR = {
    "effort": {"model": "dynamic"},
    "timing": {"model": "pull_push", "discount": 0.1},
    "attrition": {"model": "hazard"},
}


def brief_model(
    count=50, years=1, period="year", revision=None, base_sales=500000, quarter_end_lift=1.0
):
    """The model of the engine brief: SaaS AEs with dynamic effort, timing and attrition
    (``quarter_end_lift``: deals' closings bunched at quarter ends)."""
    population = ae_population(
        count, base_sales={"dist": "lognormal", "mean": base_sales, "sigma": 0.3}
    )
    segment = Segment(
        "ae",
        shipped_plan(period=period),
        DealSales(deal_size_mean=40000, quarter_end_lift=quarter_end_lift),
        Seasonality.quarter_end(1.5),
        0.8,
    )
    return SimulationModel(
        "test",
        population,
        {"ae": segment},
        behaviour=behaviour_from_dict(BEHAVIOUR),
        years=years,
        quota_revision=revision,
    )


def welch(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Welch p-value; 1 when both samples are the same constant, 0 when different."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return 1.0 if a[0] == b[0] else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def agreement_pvalues(a: SimulationResult, b: SimulationResult) -> dict[str, float]:
    """p-values of every check of the two results' agreement (see the module docstring)."""
    years_a, years_b = a.rep_years(), b.rep_years()
    pvalues = {}
    for year in sorted(years_a["year"].unique()):
        ya, yb = years_a[years_a["year"] == year], years_b[years_b["year"] == year]
        for metric in ("credited", "incentive"):
            pvalues[f"year {year} {metric}: KS"] = stats.ks_2samp(
                ya[metric], yb[metric], method="asymp"
            ).pvalue

    def per_replication(years, metric, how="sum"):
        return years.groupby("replication")[metric].agg(how).to_numpy()

    for metric in ("credited", "incentive", "quits", "quota"):
        pvalues[f"{metric}: mean"] = welch(
            per_replication(years_a, metric), per_replication(years_b, metric)
        )
    pvalues["share at quota"] = welch(
        per_replication(years_a, "at_quota", "mean"), per_replication(years_b, "at_quota", "mean")
    )
    pvalues["attrition"] = welch(
        a.replication_metrics()["attrition"], b.replication_metrics()["attrition"]
    )

    def monthly(result, column):
        periods = result.rep_periods
        table = periods.groupby(["replication", "period"], observed=True)[column].mean()
        return table.unstack("period")

    for column in ("credited", "pulled", "pushed"):
        ma, mb = monthly(a, column), monthly(b, column)
        for period in ma.columns:
            if column != "credited" and not (ma[period].any() or mb[period].any()):
                continue  # no timing move that month in either engine
            pvalues[f"{column} in {period}"] = welch(ma[period], mb[period])
    return pvalues


def assert_agree(a: SimulationResult, b: SimulationResult) -> dict[str, float]:
    pvalues = agreement_pvalues(a, b)
    level = FALSE_FAILURE / len(pvalues)
    failed = {name: p for name, p in pvalues.items() if not p > level}
    assert not failed, f"engines disagree (level {level:.2g} per check): {failed}"
    return pvalues


def both(model, replications):
    events = simulate_events(model, replications, RandomStreams(101))
    fast_result = simulate_fast(model, replications, RandomStreams(202))
    return events, fast_result


@pytest.fixture(scope="module")
def fast_brief() -> SimulationResult:
    return simulate_fast(brief_model(count=80), 60, RandomStreams(202))


def test_engines_agree_on_the_test_model(fast_brief):
    events = simulate_events(brief_model(count=80), 60, RandomStreams(101))
    pvalues = assert_agree(events, fast_brief)
    assert len(pvalues) >= 20
    assert events.rep_periods["pushed"].sum() > 0 and events.rep_periods["pulled"].sum() > 0


def test_engines_agree_with_quarterly_periods_and_revised_quotas():
    """Also with closings bunched at quarter ends (each engine draws a deal's lag from its
    creation month's row of the lag table, across the year boundary too)."""
    model = brief_model(
        count=40,
        years=2,
        period="quarter",
        revision=QuotaRevision(up=0.5),
        quarter_end_lift=1.4,
    )
    events, fast_result = both(model, 40)
    pvalues = assert_agree(events, fast_result)
    assert sum(name.startswith("pushed") for name in pvalues) >= 4  # quarter-end moves


def test_the_checks_detect_a_five_percent_shift_in_base_sales(fast_brief):
    """Power: the same checks on the same sizes reject a model whose reps sell 5% more."""
    shifted = simulate_events(brief_model(count=80, base_sales=525000), 60, RandomStreams(303))
    pvalues = agreement_pvalues(shifted, fast_brief)
    assert min(pvalues.values()) < FALSE_FAILURE / len(pvalues)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "plan_name"),
    [
        ("saas-ae", None),
        ("saas-ae", "bonus"),  # quarterly periods, quota schedule, pacer and club bonuses
        ("field-sales", None),
        ("broken-quotas", None),
        ("uncapped-windfall", None),
    ],
)
def test_engines_agree_on_the_shipped_scenarios(scenario, plan_name):
    from spmopt.scenario import Scenario

    model = Scenario.load(ROOT / "scenarios" / f"{scenario}.toml").model(plan_name)
    events, fast_result = both(model, 200)
    assert_agree(events, fast_result)


@pytest.mark.slow
def test_engines_agree_on_a_larger_run_over_three_years():
    model = brief_model(count=100, years=3, period="quarter", revision=QuotaRevision(0.5, 0.2))
    events, fast_result = both(model, 150)
    assert_agree(events, fast_result)
    profile = pd.DataFrame(
        {
            "events": events.rep_periods.groupby("month")["credited"].mean(),
            "fast": fast_result.rep_periods.groupby("month")["credited"].mean(),
        }
    )
    assert profile.notna().all().all()
