"""Scenario files: shipped scenarios load; invalid ones fail before any simulation, by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmopt.errors import SpmoptInputError
from spmopt.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))
SAAS = (ROOT / "scenarios" / "saas-ae.toml").read_text()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenarios_load_and_compile(path):
    scenario = Scenario.load(path)
    model = scenario.model()
    assert model.seats == len(scenario.population) > 0
    assert set(model.seat_segments) == set(scenario.spec.segments)
    assert len(scenario.content_hash) == 16


def test_population_is_reproducible_and_plans_can_be_swapped():
    a = Scenario.load(ROOT / "scenarios" / "saas-ae.toml")
    b = Scenario.load(ROOT / "scenarios" / "saas-ae.toml")
    assert a.population.frame.equals(b.population.frame)
    assert a.model("capped").plan_id() == "capped-decelerator"
    assert a.model().plan_id() == "saas-ae"


def load(text: str, tmp_path: Path) -> Scenario:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    (tmp_path / "plans").mkdir(exist_ok=True)
    for plan in (ROOT / "scenarios" / "plans").glob("*.toml"):
        (tmp_path / "plans" / plan.name).write_text(plan.read_text())
    return Scenario.load(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("years = 1", "years = 1\ncolour = 2"), "unknown key 'scenario.colour'"),
        (("years = 1", "years = 0"), "scenario.years: Input should be greater than or equal to 1"),
        (
            ('year_start = "2027-01-01"', 'year_start = "2027-01-15"'),
            "must start on the first of a month",
        ),
        (('plan = "incumbent"', 'plan = "nope"'), "no plan named 'nope'"),
        (('kind = "deals"', 'kind = "magic"'), "segments.ae.technology"),
        (
            ("deal_size_mean = 40000", "deal_size_mean = -5"),
            "deal_size_mean: Input should be greater than 0",
        ),
        (("effort_cost = 55000", "effort_cost = -1"), "effort_cost"),
        (
            (
                'base_sales = { dist = "lognormal", median = 640000, sigma = 0.30 }',
                'base_sales = { dist = "lognormal" }',
            ),
            "base_sales",
        ),
        (
            ('effort = { model = "dynamic", cadence = "month" }', 'effort = { model = "psychic" }'),
            "unknown effort model 'psychic'",
        ),
        (
            ('measure = "bookings"', 'measure = "renewals"'),
            "pays on bookings, which the segment's sales do not produce",
        ),
        (
            ("quarter_end_lift = 1.3", "quarter_end_lift = 1.3\nseasonality = [1, 2]"),
            "seasonality needs 12",
        ),
        (("count = 120", "count = 120\nshare = 0.5"), "unknown key 'segments.ae.reps.share'"),
    ],
)
def test_invalid_scenarios_are_named(tmp_path, change, message):
    old, new = change
    assert old in SAAS
    with pytest.raises(SpmoptInputError, match=message) as error:
        load(SAAS.replace(old, new, 1), tmp_path)
    assert "scenario.toml" in str(error.value)


def test_shares_must_sum_to_one(tmp_path):
    text = SAAS.replace("count = 120\n", "").replace("count = 30\n", "")
    text = text.replace('engine = "fast"', 'engine = "fast"\nreps = 100')
    text = text.replace('plan = "incumbent"', 'plan = "incumbent"\nshare = 0.6', 1)
    text = text.replace(
        "gross_margin = 0.80\nquarter_end_lift = 1.5",
        "gross_margin = 0.80\nquarter_end_lift = 1.5\nshare = 0.3",
    )
    with pytest.raises(SpmoptInputError, match="shares must sum to 1; they sum to 0.9"):
        load(text, tmp_path)
    scenario = load(text.replace("share = 0.3", "share = 0.4"), tmp_path)
    assert len(scenario.population) == 100
    assert (scenario.population.column("segment") == "ae").sum() == 60
