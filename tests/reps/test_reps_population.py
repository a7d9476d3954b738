"""Populations: generation from per-segment distributions, roster CSVs, verbs, validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reps_helpers import Z_FAIL, reps_population

from spmopt.errors import SpmoptInputError
from spmopt.reps.distributions import parse_distribution
from spmopt.reps.population import Population, Rep
from spmopt.sim.streams import RandomStreams

SPEC = {
    "segments": {
        "smb": {
            "count": 3000,
            "base_sales": {"dist": "lognormal", "mean": 400_000, "sigma": 0.4},
            "effectiveness": {"dist": "gamma", "mean": 150_000, "sd": 50_000},
            "effort_cost": 50_000,
            "risk_aversion": {"dist": "uniform", "low": 0.0, "high": 3e-5},
            "tenure_months": {"dist": "empirical", "values": [1, 6, 24], "weights": [1, 1, 2]},
            "outside_option": {"dist": "normal", "mean": 100_000, "sd": 20_000, "lower": 0},
        },
        "enterprise": {
            "count": 1000,
            "base_sales": {"dist": "lognormal", "median": 1_200_000, "sigma": 0.3},
            "effectiveness": {"dist": "fixed", "value": 400_000},
            "effort_cost": 120_000,
            "ramp_months": 6,
        },
    }
}


def _generate(spec=SPEC, seed=1):
    return Population.generate(spec, RandomStreams(seed).generator("population"))


@pytest.mark.parametrize(
    ("spec", "mean", "sd"),
    [
        (
            {"dist": "lognormal", "mean": 400_000, "sigma": 0.4},
            400_000,
            400_000 * math.sqrt(math.expm1(0.16)),
        ),
        (
            {"dist": "lognormal", "median": 100.0, "sigma": 0.5},
            100 * math.exp(0.125),
            100 * math.exp(0.125) * math.sqrt(math.expm1(0.25)),
        ),
        ({"dist": "gamma", "mean": 150_000, "sd": 50_000}, 150_000, 50_000),
        ({"dist": "normal", "mean": 10.0, "sd": 2.0}, 10.0, 2.0),
        ({"dist": "uniform", "low": 1.0, "high": 3.0}, 2.0, 2 / math.sqrt(12)),
        (
            {"dist": "empirical", "values": [1, 6, 24], "weights": [1, 1, 2]},
            13.75,
            math.sqrt((1 + 36 + 2 * 576) / 4 - 13.75**2),
        ),
    ],
)
def test_distribution_means(spec, mean, sd):
    """Sample means within Z_FAIL standard errors of the exact mean (false-failure 1.1e-5)."""
    distribution = parse_distribution("x", spec)
    assert distribution.mean() == pytest.approx(mean, rel=1e-12)
    n = 100_000
    draws = distribution.sample(n, RandomStreams(2).generator("dist", rep=str(spec)))
    assert abs(draws.mean() - mean) < Z_FAIL * sd / math.sqrt(n)


def test_truncated_normal_respects_bounds_and_mean():
    distribution = parse_distribution("x", {"dist": "normal", "mean": 0, "sd": 1, "lower": 0})
    draws = distribution.sample(50_000, RandomStreams(3).generator("tn"))
    assert draws.min() >= 0
    assert distribution.mean() == pytest.approx(math.sqrt(2 / math.pi))
    assert abs(draws.mean() - math.sqrt(2 / math.pi)) < Z_FAIL * 0.61 / math.sqrt(50_000)


def test_generation_by_segment_is_reproducible_and_complete():
    population = _generate()
    assert len(population) == 4000
    assert population.groupby("segment").count().to_dict() == {"enterprise": 1000, "smb": 3000}
    again = _generate()
    pd.testing.assert_frame_equal(population.frame, again.frame)
    other = _generate(seed=2)
    assert not np.array_equal(population.column("base_sales"), other.column("base_sales"))
    ent = population.select(segment="enterprise")
    assert np.all(ent.column("effectiveness") == 400_000)
    assert np.all(ent.column("ramp_months") == 6)
    assert np.all(population.select(segment="smb").column("ramp_months") == 0)
    assert population.rep_ids[0] == "smb-0001"


def test_verbs():
    population = _generate()
    means = population.groupby("segment").agg("base_sales", np.mean)
    assert means["enterprise"] > means["smb"]
    big = population.select(lambda t: t.base_sales > 1e6)
    assert np.all(big.column("base_sales") > 1e6)
    both = population.select(segment=["smb", "enterprise"])
    assert len(both) == len(population)
    assert population.agg("effort_cost", max) == 120_000
    richer = population.with_columns(quota=lambda t: t.base_sales * 1.2)
    assert richer.has("quota") and not population.has("quota")
    assert richer.column("quota")[0] == pytest.approx(1.2 * population.column("base_sales")[0])
    sizes = population.groupby("segment").map(len)
    assert sizes == {"enterprise": 1000, "smb": 3000}
    rep = population.rep(0)
    assert isinstance(rep, Rep) and rep.rep_id == "smb-0001"
    ordered = population.sort("base_sales", ascending=False).column("base_sales")
    assert np.all(np.diff(ordered) <= 0)
    shuffled = population.shuffle(RandomStreams(9).generator("shuffle"))
    assert sorted(shuffled.rep_ids) == sorted(population.rep_ids)
    assert shuffled.rep_ids.tolist() != population.rep_ids.tolist()


@settings(max_examples=30, deadline=None)
@given(threshold=st.floats(1e5, 2e6), segment=st.sampled_from(["smb", "enterprise"]))
def test_select_partitions(threshold, segment):
    """select(mask) and select(~mask) partition the population and keep row order."""
    population = reps_population(n=60)
    mask = population.column("base_sales") > threshold
    kept, dropped = population.select(mask), population.select(~mask)
    assert len(kept) + len(dropped) == len(population)
    order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
    assert sorted(kept.rep_ids.tolist() + dropped.rep_ids.tolist()) == sorted(population.rep_ids)
    assert kept.rep_ids.tolist() == population.rep_ids[np.sort(order[: len(kept)])].tolist()


def test_roster_csv_round_trip(tmp_path):
    population = _generate().select(lambda t: t.index < 5)
    path = tmp_path / "roster.csv"
    population.frame.to_csv(path, index=False)
    loaded = Population.from_roster(path)
    pd.testing.assert_frame_equal(loaded.frame, population.frame)


def test_shipped_examples_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "scenarios" / "populations"
    spec = Population.load_spec(root / "saas-ae.toml", RandomStreams(1).generator("p"))
    assert len(spec) > 0 and set(spec.column("segment")) >= {"smb", "enterprise"}
    roster = Population.from_roster(root / "roster-example.csv")
    assert len(roster) > 0


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("rep_id,base_sales,effectiveness\na,1,1\n", "missing column 'effort_cost'"),
        (
            "rep_id,base_sales,effectiveness,effort_cost\na,1,x,1\n",
            "row 1 (rep_id 'a'), column 'effectiveness': expected a number, not 'x'",
        ),
        ("rep_id,base_sales,effectiveness,effort_cost\na,1,1,-3\n", "column 'effort_cost'"),
        (
            "rep_id,base_sales,effectiveness,effort_cost,colour\na,1,1,1,red\n",
            "unknown column 'colour'",
        ),
        (
            "rep_id,base_sales,effectiveness,effort_cost\na,1,1,1\na,2,2,2\n",
            "rep_id 'a' appears more than once",
        ),
    ],
)
def test_roster_errors_name_file_row_and_column(tmp_path, csv, message):
    path = tmp_path / "bad.csv"
    path.write_text(csv)
    with pytest.raises(SpmoptInputError) as caught:
        Population.from_roster(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
