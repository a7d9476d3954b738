"""Per-rep views of a comparison: pay spread, Gini, typical rep, pay at attainments, and the
confidence interval of the probability of overrunning the budget — against known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spmopt
from spmopt.analysis.compare import (
    comparison_table,
    gini,
    pay_at_attainments,
    pay_distribution,
    wilson_interval,
)
from spmopt.sim.streams import RandomStreams


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0, 5.0, 5.0, 5.0], 0.0),  # equal pay
        ([0.0, 0.0, 0.0, 1.0], 0.75),  # one of four takes all: (n − 1) / n
        ([1.0, 2.0, 3.0, 4.0, 5.0], 4.0 / 15.0),  # Σ|xi − xj| = 40 over 2·25·3
        ([3.0, 1.0, 2.0], 2.0 / 9.0),  # order does not matter: Σ|xi − xj| = 8 over 2·9·2
    ],
)
def test_gini_of_known_vectors(values, expected):
    assert gini(values) == pytest.approx(expected)


def test_gini_matches_the_pairwise_definition():
    """Brute force Σ_i Σ_j |x_i − x_j| / (2 n² mean) on random amounts."""
    x = RandomStreams(3).generator("test").lognormal(11, 0.5, 301)
    brute = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())
    assert gini(x) == pytest.approx(brute, rel=1e-12)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [  # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (score interval without CC)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe(successes, trials, low, high):
    got = wilson_interval(successes, trials)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_p_over_budget_carries_its_interval():
    comp = np.arange(1.0, 21.0)  # 20 replications; 0 of them over 100
    metrics = pd.DataFrame(
        {
            "plan_id": "a",
            "replication": np.arange(20),
            "revenue": 100.0,
            "incentive_cost": comp,
            "base_cost": 0.0,
            "cost_of_sales": comp / 100,
            "profit": 0.0,
            "share_at_quota": 0.5,
            "attrition": 0.0,
            "discount_lost": 0.0,
        }
    )
    row = comparison_table(metrics, budget=100.0).iloc[0]
    assert row["p_over_budget"] == 0.0
    assert row["p_over_budget_ci_low"] == 0.0
    assert row["p_over_budget_ci_high"] == pytest.approx(0.1611, abs=5e-5)
    row = comparison_table(metrics, budget=15.5).iloc[0]  # 16 … 20 over: 5 of 20
    assert row["p_over_budget"] == 0.25
    assert row["p_over_budget_ci_low"] < 0.25 < row["p_over_budget_ci_high"]


def rep_years_of(pay_by_year: list[np.ndarray], attainment: list[np.ndarray]) -> pd.DataFrame:
    frames = []
    for replication, (pay, att) in enumerate(zip(pay_by_year, attainment, strict=True)):
        frames.append(
            pd.DataFrame(
                {
                    "plan_id": "p",
                    "replication": replication,
                    "year": 1,
                    "rep_id": np.arange(pay.size),
                    "incentive": pay - 100.0,
                    "base_pay": 100.0,
                    "attainment": att,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_pay_distribution_of_a_known_sales_force():
    """Ten reps paid 110, 120, …, 200 (base 100): P50 = 155, P10 = 119, P90 = 191 (linear
    quantiles at position q·9), top decile (one rep, 200) over the median = 200/155, typical rep
    = mean pay of the reps 5th and 6th by attainment. A partial-year seat (NaN attainment) is
    left out."""
    pay = np.arange(110.0, 201.0, 10.0)
    attainment = np.array([0.1, 0.2, 0.3, 0.4, 2.0, 0.5, 0.6, 0.7, 0.8, 0.9])  # rep 4 tops
    years = rep_years_of([pay], [attainment])
    partial = years.iloc[[0]].assign(rep_id=99, incentive=1e6, attainment=np.nan)
    row = pay_distribution(pd.concat([years, partial])).iloc[0]
    assert row["pay_p50"] == pytest.approx(155.0)
    assert row["pay_p10"] == pytest.approx(119.0)
    assert row["pay_p90"] == pytest.approx(191.0)
    assert row["pay_mean"] == pytest.approx(155.0)
    assert row["incentive_p50"] == pytest.approx(55.0)
    assert row["top_decile_to_median"] == pytest.approx(200.0 / 155.0)
    # by attainment: 0.1…0.4 are reps 0–3, then 0.5 (rep 5, 160) and 0.6 (rep 6, 170)
    assert row["typical_rep_pay"] == pytest.approx((160.0 + 170.0) / 2)
    assert row["gini"] == pytest.approx(gini(pay))
    assert row["rep_years"] == 1


def test_pay_distribution_averages_over_replications():
    a, b = np.array([100.0, 300.0]), np.array([200.0, 200.0])
    row = pay_distribution(rep_years_of([a, b], [np.array([0.5, 1.5])] * 2)).iloc[0]
    assert row["gini"] == pytest.approx((0.25 + 0.0) / 2)  # |100 − 300|·2 / (2·4·200) = 0.25
    assert row["pay_p50"] == pytest.approx(200.0)
    assert row["rep_years"] == 2


def test_pay_at_attainments_reads_the_plan():
    """saas-ae: base 100,000, target incentive 100,000 linear to quota, then 1.5x to 125% and
    2x above (scenarios/plans/README.md): 50% → 50,000; 100% → 100,000;
    150% → 100,000 + 0.25·1.5·100,000 + 0.25·2·100,000 = 187,500."""
    plan = spmopt.Plan.load("scenarios/plans/saas-ae.toml")
    table = pay_at_attainments([plan], (0.5, 1.0, 1.5)).set_index("attainment")
    assert table["incentive"].tolist() == pytest.approx([50_000.0, 100_000.0, 187_500.0])
    assert table["total_pay"].tolist() == pytest.approx([150_000.0, 200_000.0, 287_500.0])
