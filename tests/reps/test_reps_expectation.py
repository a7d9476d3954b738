"""Closed-form expectations of piecewise-linear pay under normal sales, against quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from spmopt.reps.expectation import normal_pay_moments, normal_pay_second_moment

LO = np.array([-np.inf, 0.5, 1.0, 1.5])
HI = np.r_[LO[1:], np.inf]
A = np.array([0.0, 0.2, 1.0, 2.5])  # jumps at 1.0 and 1.5
S = np.array([0.0, 0.5, 1.0, 0.0])


def _pay(x):
    k = np.searchsorted(LO, x, side="right") - 1
    return A[k] + S[k] * x


def _quad(function, density, lo, hi):
    """∫ f·density over the pieces, split at the breakpoints (jumps)."""
    total = 0.0
    edges = [lo, 0.5, 1.0, 1.5, hi]
    for left, right in zip(edges[:-1], edges[1:], strict=True):
        total += integrate.quad(
            lambda x: function(x) * density(x), left, right, epsabs=1e-13, epsrel=1e-12, limit=200
        )[0]
    return total


@settings(max_examples=25, deadline=None)
@given(mu=st.floats(-0.5, 2.5), sd=st.floats(0.05, 1.5), r=st.just(0.0) | st.floats(1e-3, 3.0))
def test_normal_closed_form_matches_quadrature(mu, sd, r):
    expected, ce = normal_pay_moments(mu, sd, LO, HI, A, S, r)
    density = stats.norm(mu, sd).pdf
    lo, hi = mu - 12 * sd, mu + 12 * sd
    assert expected == pytest.approx(_quad(_pay, density, lo, hi), abs=1e-9)
    if r > 0:
        mean_utility = _quad(lambda x: np.exp(-r * _pay(x)), density, lo, hi)
        assert ce == pytest.approx(-np.log(mean_utility) / r, abs=1e-8)
    else:
        assert ce == expected


def test_vanishing_risk_aversion_tends_to_the_mean():
    expected, ce = normal_pay_moments(1.0, 0.3, LO, HI, A, S, 1e-30)
    assert ce == expected
    _, ce_small = normal_pay_moments(1.0, 0.3, LO, HI, A, S, 1e-4)
    assert ce_small < expected and ce_small == pytest.approx(expected, abs=1e-4)


def test_extreme_risk_aversion_does_not_overflow():
    expected, ce = normal_pay_moments(1.0, 0.3, LO, HI, A * 1e5, S * 1e5, 1e-2)
    assert np.isfinite(ce) and ce <= expected


@pytest.mark.parametrize(("mu", "sd"), [(0.3, 0.2), (1.0, 0.4), (1.2, 0.05), (3.0, 1.0)])
def test_normal_second_moment_matches_quadrature(mu, sd):
    """E[pay²] in closed form (used for the variance of capped sums of period pay) against
    quadrature of pay² under the normal density, pieces with jumps included."""
    density = stats.norm(mu, sd).pdf
    exact = _quad(lambda x: _pay(x) ** 2, density, -np.inf, np.inf)
    value = normal_pay_second_moment(mu, sd, LO, HI, A, S)
    assert value == pytest.approx(exact, rel=1e-8, abs=1e-12)
