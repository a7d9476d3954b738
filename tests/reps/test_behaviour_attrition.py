"""Attrition: baseline turnover calibration, shortfall hazard and vacancies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reps_helpers import Z_FAIL

from spmopt.reps.behaviour.attrition import HazardAttrition, NoAttrition, Workforce
from spmopt.sim.streams import RandomStreams


def test_baseline_hazard_reproduces_annual_turnover():
    """h₀ = 1 − (1 − T)^(1/12): 12 months of survival give exactly 1 − T. Simulated share of
    seats with at least one quit in a year: binomial, tolerance Z_FAIL standard errors
    (false-failure rate 1.1e-5)."""
    model = HazardAttrition(annual_turnover=0.30, vacancy_months=1)
    assert (1 - model.baseline_monthly) ** 12 == pytest.approx(0.70, rel=1e-12)
    seats = 200_000
    state = Workforce.start(np.full(seats, 24.0))
    rng = RandomStreams(3).generator("attrition")
    quit_once = np.zeros(seats, bool)
    for _ in range(12):
        hazard = model.monthly_hazard(np.full(seats, 1e5), np.full(seats, 9e4))
        state, quits, _ = model.step(state, np.where(quit_once, 0.0, hazard), rng)
        quit_once |= quits
    share = quit_once.mean()
    se = np.sqrt(0.3 * 0.7 / seats)
    assert abs(share - 0.30) < Z_FAIL * se


def test_vacancies_and_steady_state():
    """Leavers' seats stay empty for v months, then a hire with tenure 0 arrives. In steady state
    the share of vacant seats at a month end is v/(v + 1/h₀) (renewal argument: employment spells
    last 1/h₀ month ends on average, vacancies v). Binomial tolerance over independent seats."""
    model = HazardAttrition(annual_turnover=0.35, vacancy_months=3)
    seats = 100_000
    state = Workforce.start(np.full(seats, 12.0))
    rng = RandomStreams(4).generator("vacancy")
    for _ in range(240):  # 20 years: the initial condition is forgotten
        state, quits, hires = model.step(state, model.baseline_monthly, rng)
    vacant = 1 - state.active.mean()
    expected = model.steady_state_vacancy()
    assert abs(vacant - expected) < Z_FAIL * np.sqrt(expected * (1 - expected) / seats)
    assert np.all(state.tenure_months[state.hires > 0] < 240)


def test_immediate_replacement_and_hire_tenure():
    model = HazardAttrition(annual_turnover=0.5, vacancy_months=0)
    state = Workforce.start(np.array([10.0, 10.0]))
    state, quits, hires = model.step(state, np.array([1.0, 0.0]), RandomStreams(1).generator("x"))
    assert quits.tolist() == [True, False] and hires.tolist() == [True, False]
    assert state.active.all()
    assert state.tenure_months.tolist() == [0.0, 11.0]


@given(
    ce=st.floats(0, 3e5),
    outside=st.floats(1e3, 3e5),
    more=st.floats(0, 1e5),
    sensitivity=st.floats(0, 5),
)
def test_hazard_rises_with_the_shortfall(ce, outside, more, sensitivity):
    model = HazardAttrition()
    base = model.monthly_hazard(ce, outside, sensitivity)
    worse = model.monthly_hazard(ce - more, outside, sensitivity)
    assert model.baseline_monthly - 1e-15 <= base <= worse + 1e-15 <= 1.0 + 1e-15
    if ce >= outside:
        assert base == model.baseline_monthly


def test_no_attrition_keeps_everyone():
    state = Workforce.start(np.zeros(3))
    state, quits, hires = NoAttrition().step(state, 0.9, None)
    assert state.active.all() and not quits.any() and state.tenure_months.tolist() == [1, 1, 1]
