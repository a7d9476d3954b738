"""Deal timing in the behavioural forecast (issue 12): period-end pulls and pushes on the
simulated paths (:class:`spmopt.sim.forecast.ForecastTiming`)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from spmopt.reps.behaviour.timing import DealTiming
from spmopt.reps.payfunction import StackedPay
from spmopt.sim.forecast import ForecastTiming

THRESHOLD = 310_000.0  # quarterly credit at which the accelerator starts [currency]
RATE = 0.20  # commission on credit above the threshold, nothing below


def accelerator_pay(count: int) -> StackedPay:
    """Quarterly pay max(0, 0.2·(C − 310k)) of ``count`` reps [currency]."""

    def column(values):
        return np.tile(np.asarray(values, dtype=float), (count, 1))

    return StackedPay(
        breakpoints=column([-np.inf, THRESHOLD]),
        intercepts=column([0.0, -RATE * THRESHOLD]),
        slopes=column([0.0, RATE]),
        at=column([0.0, 0.0]),
    )


def quarterly(count: int, timing: DealTiming) -> ForecastTiming:
    """The forecast's timing on a quarterly plan paying :func:`accelerator_pay`, risk neutral."""
    situation = SimpleNamespace(
        measurement_months=3, period_pay_of=lambda period: accelerator_pay(count)
    )
    return ForecastTiming(timing, situation, np.zeros(count))


def flat_paths(monthly: float, first: int = 6):
    """One path of a noiseless rep crediting ``monthly`` every month: actual months before
    ``first``, simulated from it; rate and quota such that every month's expectation is
    ``monthly`` [currency]. Returns (simulated, actual, rate, quota)."""
    actual = np.zeros((1, 12))
    actual[:, :first] = monthly
    simulated = np.zeros((1, 1, 12))
    simulated[..., first:] = monthly
    return simulated, actual, np.ones((1, 1, 12)), np.full((1, 12), monthly)


def test_a_rep_just_below_the_threshold_pulls_the_whole_capacity_from_october():
    """100k a month: 300k at the end of Q3, 10k short of the accelerator. Pulling x ≤ 50k
    (half of October) earns 0.2·(300k + 0.9x − 310k) now and costs nothing in Q4 (300k − x
    stays below the threshold), so the rep pulls the whole capacity: x = 50k, September
    +45k, October −50k, discount 5k. At the year end (Q4 at 250k) no pull from January
    (≤ 50k) reaches the threshold and pushes are off: nothing moves."""
    simulated, actual, rate, quota = flat_paths(100_000.0)
    timing = DealTiming(discount=0.10, pull_share=0.5, push_share=0.0)
    moves = quarterly(1, timing).apply(simulated, actual, 6, rate, quota, 0.0)
    expected_pulled = np.zeros(12)
    expected_pulled[8] = 50_000.0
    np.testing.assert_allclose(moves.pulled[0, 0], expected_pulled, atol=1e-6)
    np.testing.assert_allclose(moves.discount_lost[0, 0, 8], 5_000.0, atol=1e-6)
    after = np.array([0] * 6 + [100_000, 100_000, 145_000, 50_000, 100_000, 100_000], float)
    np.testing.assert_allclose(moves.simulated[0, 0], after, atol=1e-6)
    assert not moves.pushed.any()
    # the engines' decision for the same inputs (capacity, position, next quarter's moments)
    engine = timing.decide(accelerator_pay(1), [300_000.0], [50_000.0], [0.0], [300_000.0], [0.0])
    assert engine.pulled[0] == pytest.approx(moves.pulled[0, 0, 8])


def test_a_rep_far_above_the_threshold_does_not_pull():
    """150k a month: 450k at the end of Q3, far above the threshold; next quarter also pays
    0.2 per unit, so pulling x gains 0.2·0.9x now and loses 0.2x next quarter: no pull."""
    simulated, actual, rate, quota = flat_paths(150_000.0)
    timing = DealTiming(discount=0.10, pull_share=0.5, push_share=0.0)
    moves = quarterly(1, timing).apply(simulated, actual, 6, rate, quota, 0.0)
    assert not moves.pulled.any()
    np.testing.assert_array_equal(moves.simulated, simulated)


def test_moves_inside_the_year_lose_only_the_discounts():
    """Noisy paths of 40 reps from April: the year's credits after the moves equal those before
    minus the discounts of pulls inside the year plus the year-end move (credit (1 − δ)·x − y in
    December, whose other side falls in next year), month by month conservation included."""
    generator = np.random.default_rng(7)
    count, paths = 40, 5
    level = generator.uniform(60_000, 140_000, count)
    simulated = level[None, :, None] * (1 + 0.3 * generator.standard_normal((paths, count, 12)))
    simulated[..., :3] = 0.0
    actual = np.zeros((count, 12))
    actual[:, :3] = level[:, None]
    rate = np.broadcast_to((level / 100_000.0)[None, :, None], simulated.shape)
    quota = np.full((count, 12), 100_000.0)
    timing = DealTiming(discount=0.10, pull_share=0.5, push_share=0.3)
    moves = quarterly(count, timing).apply(simulated, actual, 3, rate, quota, 0.3)
    assert moves.pulled.any() and moves.pushed.any()
    year_end = 0.9 * moves.pulled[..., 11] - moves.pushed[..., 11]
    np.testing.assert_allclose(
        moves.simulated.sum(axis=2),
        simulated.sum(axis=2) - moves.discount_lost[..., :11].sum(axis=2) + year_end,
        rtol=1e-12,
        atol=1e-6,
    )
    np.testing.assert_allclose(moves.discount_lost, 0.1 * moves.pulled)
    # only quarter ends move deals
    quiet = [m for m in range(12) if m not in (5, 8, 11)]
    assert not moves.pulled[..., quiet].any() and not moves.pushed[..., quiet].any()


QUARTERLY_PLAN = """
schema_version = 1
[plan]
id = "fc"
year_start = "2027-01-01"
payout_frequency = "quarter"
target_incentive = 120000
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1200000
measurement_period = "quarter"
tiers = [{ from = 0.0, rate = 0.05 }, { from = 1.0, rate = 0.25 }]
"""


def forecast_with(timing: str):
    """Behavioural forecast at 30 June of 8 reps around 60–130k a month under
    :data:`QUARTERLY_PLAN`, the scenario's ``[behaviour]`` timing ``timing`` (TOML)."""
    from forecast_helpers import frame, monthly
    from test_forecast import BEHAVIOUR_SCENARIO

    import spmopt
    from spmopt.scenario import Scenario
    from spmopt.sim.forecast import forecast
    from spmopt.sim.streams import RandomStreams

    generator = RandomStreams(4).generator("test_forecast_timing")
    rows = []
    for i in range(8):
        rows += monthly(f"r{i}", 60_000 + 10_000 * i + 20_000 * generator.standard_normal(6))
    text = BEHAVIOUR_SCENARIO.replace("CADENCE", "month") + f"timing = {timing}\n"
    scenario = Scenario.from_toml(text, source="t")
    plan = spmopt.Plan.from_toml(QUARTERLY_PLAN)
    result = forecast(
        plan, frame(rows), as_of="2027-06-30", replications=60, seed=3, behaviour=scenario
    )
    return result.reps.set_index("rep_id")


def test_timing_none_leaves_the_forecast_alone_and_pull_push_moves_deals():
    """Timing ``none`` and ``pull_push`` with both capacities 0 give the same forecast to the
    bit (no moves, empty timing columns for ``none``); with capacities the reps pull or push
    at the quarter ends and the forecast changes."""
    none = forecast_with('{ model = "none" }')
    idle = forecast_with('{ model = "pull_push", pull_share = 0.0, push_share = 0.0 }')
    active = forecast_with('{ model = "pull_push", pull_share = 0.5, push_share = 0.3 }')
    assert none["timing_pulled"].isna().all() and none["timing_pushed"].isna().all()
    columns = [c for c in none.columns if not c.startswith("timing_")]
    assert none[columns].equals(idle[columns])
    assert (idle["timing_pulled"] == 0).all() and (idle["timing_pushed"] == 0).all()
    assert (active["timing_pulled"] + active["timing_pushed"] > 0).any()
    assert not np.allclose(active["expected_payout"], none["expected_payout"])
