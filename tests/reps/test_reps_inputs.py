"""Bad input gives a SpmoptInputError naming the key and what is expected."""

from __future__ import annotations

import pytest
from reps_helpers import commission_plan, one_rep, reps_population

from spmopt.errors import SpmoptInputError
from spmopt.reps.behaviour.attrition import HazardAttrition
from spmopt.reps.behaviour.ratchet import RatchetAnticipation
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.behaviour.timing import DealTiming
from spmopt.reps.population import Population
from spmopt.reps.seasonality import Ramp, Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim.streams import RandomStreams


@pytest.mark.parametrize(
    ("traits", "message"),
    [
        ({"effort_cost": -5.0}, "column 'effort_cost': expected a finite number > 0"),
        ({"effort_cost": 0.0}, "column 'effort_cost'"),
        ({"base_sales": -1.0}, "column 'base_sales': expected a finite number >= 0"),
        ({"risk_aversion": -1e-5}, "column 'risk_aversion': expected a finite number >= 0"),
        ({"risk_aversion": 2.0}, "column 'risk_aversion': expected an absolute (CARA) coefficient"),
        ({"effort_exponent": 1.0}, "column 'effort_exponent': expected a finite number > 1"),
        ({"ramp_months": -2.0}, "column 'ramp_months'"),
        ({"ramp_months": 240.0}, "column 'ramp_months': expected a finite number >= 0 and <= 60"),
        ({"tenure_months": float("nan")}, "column 'tenure_months': expected a value"),
        ({"sales_sd": -1.0}, "column 'sales_sd'"),
        ({"quota": 0.0}, "column 'quota'"),
    ],
)
def test_nonsensical_rep_traits(traits, message):
    with pytest.raises(SpmoptInputError) as caught:
        one_rep(**traits)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: NormalSales(sigma=-1.0),
            "NormalSales.sigma (σ of annual sales): expected a number >= 0",
        ),
        (lambda: NormalSales(sigma=float("inf")), "NormalSales.sigma"),
        (lambda: DealSales(deal_size_sigma=-0.1), "DealSales.deal_size_sigma"),
        (
            lambda: DealSales(win_probability=0.0),
            "DealSales.win_probability: expected a number > 0",
        ),
        (lambda: DealSales(deal_size_mean=-3), "DealSales.deal_size_mean"),
        (lambda: Ramp(start_fraction=1.5), "ramp.start_fraction: expected a number <= 1"),
        (lambda: Seasonality([1.0] * 11), "seasonality: expected 12 monthly weights"),
        (lambda: Seasonality([-1.0] + [1.0] * 11), "seasonality: expected finite numbers >= 0"),
        (lambda: RatchetAnticipation(up=1.5), "behaviour.ratchet.up: expected a number <= 1"),
        (lambda: RatchetAnticipation(up=0.5, horizon_years=0), "behaviour.ratchet.horizon_years"),
        (lambda: DealTiming(discount=1.0), "behaviour.timing.discount: expected a number <= 0.99"),
        (lambda: HazardAttrition(annual_turnover=-0.1), "behaviour.attrition.annual_turnover"),
        (
            lambda: HazardAttrition(vacancy_months=1.5),
            "behaviour.attrition.vacancy_months: expected a whole number",
        ),
    ],
)
def test_bad_parameters(make, message):
    with pytest.raises(SpmoptInputError) as caught:
        make()
    assert message in str(caught.value)


def _segment(**changes):
    segment = {"count": 3, "base_sales": 1e5, "effectiveness": 1e5, "effort_cost": 1e5}
    segment.update(changes)
    return {"segments": {"smb": segment}}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            _segment(base_sales={"dist": "lognormal", "mean": 5e5}),
            "missing key 'segments.smb.base_sales.sigma'",
        ),
        (
            _segment(base_sales={"dist": "lognormal", "sigma": 0.3}),
            "segments.smb.base_sales: expected exactly one of 'mean' or 'median'",
        ),
        (
            _segment(base_sales={"dist": "weibull", "k": 2}),
            "segments.smb.base_sales.dist: expected one of",
        ),
        (_segment(base_sales={"mean": 5}), "segments.smb.base_sales: expected a 'dist' key"),
        (
            _segment(base_sales={"dist": "gamma", "mean": 5, "sd": 1, "shape": 2}),
            "unknown key 'segments.smb.base_sales.shape'",
        ),
        (
            _segment(base_sales={"dist": "uniform", "low": 3, "high": 1}),
            "segments.smb.base_sales.high",
        ),
        (
            _segment(base_sales={"dist": "normal", "mean": 5, "sd": -1}),
            "segments.smb.base_sales.sd: expected a number >= 0",
        ),
        (
            _segment(effort_cost={"dist": "normal", "mean": 1e4, "sd": 1e5}),
            "segments.smb: the distributions produced invalid reps",
        ),
        (_segment(count=-1), "segments.smb.count: expected a number >= 0"),
        (_segment(count=2.5), "segments.smb.count: expected a whole number"),
        (_segment(mood="happy"), "unknown key 'segments.smb.mood'"),
        (
            {"segments": {"smb": {"count": 3, "base_sales": 1}}},
            "missing key 'segments.smb.effectiveness'",
        ),
        ({"segment": {}}, "unknown key 'segment'"),
        ({"segments": {}}, "segments: expected a table of segments"),
        (
            _segment(base_sales={"dist": "empirical", "values": []}),
            "segments.smb.base_sales.values",
        ),
        (
            _segment(base_sales={"dist": "empirical", "values": [1, 2], "weights": [1]}),
            "segments.smb.base_sales.weights",
        ),
    ],
)
def test_bad_population_specs(spec, message):
    with pytest.raises(SpmoptInputError) as caught:
        Population.generate(spec, RandomStreams(1).generator("spec"))
    assert message in str(caught.value)


def test_bad_best_response_arguments():
    with pytest.raises(SpmoptInputError, match="expected a Rep or a Population"):
        best_response(commission_plan(0.1), {"base_sales": 1}, NormalSales(1.0))
    with pytest.raises(SpmoptInputError, match="plan: expected a spmopt.Plan"):
        best_response("plan.toml", one_rep(), NormalSales(1.0))
    population = reps_population(n=2)
    with pytest.raises(SpmoptInputError, match="sales: expected a sales technology"):
        best_response(commission_plan(0.1), population, "normal")
    with pytest.raises(SpmoptInputError, match="grid_points: expected a number >= 8"):
        best_response(commission_plan(0.1), population, NormalSales(1.0), grid_points=2)


def test_missing_files_are_input_errors(tmp_path):
    with pytest.raises(SpmoptInputError, match="file not found"):
        Population.from_roster(tmp_path / "none.csv")
    with pytest.raises(SpmoptInputError, match="file not found"):
        Population.load_spec(tmp_path / "none.toml", RandomStreams(1).generator("x"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[segments.smb]\ncount = 2\nbase_sales = 1\n")
    with pytest.raises(SpmoptInputError) as caught:
        Population.load_spec(bad, RandomStreams(1).generator("x"))
    assert str(bad) in str(caught.value) and "segments.smb.effectiveness" in str(caught.value)
