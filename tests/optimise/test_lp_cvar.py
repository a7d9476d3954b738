"""The CVaR constraint (Rockafellar–Uryasev) on problems with derived optima, on every backend.

Two units share ten equally likely scenarios (common random numbers). Each chooses a risky plan
(profit 10; comp cost 1 in eight scenarios and 10 in two) or a safe one (profit 8; comp cost 3
always). Unit A's bad scenarios are 9 and 10, unit B's are 1 and 2. CVaR at α = 0.8 is the mean
comp cost of the worst 2 scenarios.

Binary choices: (safe, safe) losses 6 everywhere → CVaR 6, profit 16; one risky → 13 in its bad
scenarios → CVaR 13, profit 18; (risky, risky) → 11 in s1, s2, s9, s10 and 2 elsewhere → CVaR 11,
profit 20 — diversification: less than the sum of the units' own CVaRs, 10 + 10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lp_helpers import PROPERTY_SOLVERS, SOLVERS, item, responses, tail_cvar

from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.optimise.constraints import Constraints, CVaRLimit, cvar_of_losses
from spmopt.optimise.lp import solve

RISKY_A = [1.0] * 8 + [10.0, 10.0]
RISKY_B = [10.0, 10.0] + [1.0] * 8
SAFE = [3.0] * 10


def two_units():
    frame = responses(
        [
            item("A", "risky", profit=10, cost=2.8),
            item("A", "safe", profit=8, cost=3.0),
            item("B", "risky", profit=10, cost=2.8),
            item("B", "safe", profit=8, cost=3.0),
        ]
    )
    costs = {("A", "risky"): RISKY_A, ("A", "safe"): SAFE, ("B", "risky"): RISKY_B}
    costs[("B", "safe")] = SAFE
    samples = pd.DataFrame(
        [
            {"unit": u, "candidate": c, "scenario": s, "comp_cost": value}
            for (u, c), values in costs.items()
            for s, value in enumerate(values, start=1)
        ]
    )
    return frame, samples


def chosen(result) -> dict:
    return dict(zip(result.choice["unit"], result.choice["candidate"], strict=True))


@pytest.mark.parametrize("solver", SOLVERS)
def test_cvar_limit_binds_and_changes_the_plan(solver):
    """Unconstrained: (risky, risky), 20. Limit 12 still allows it (CVaR 11 — the joint scenarios
    count, not the sum 20 of the units' own CVaRs). Limit 10 leaves only (safe, safe): 16."""
    frame, samples = two_units()
    free = solve(frame, Constraints(), samples=samples, solver=solver)
    assert chosen(free) == {"A": "risky", "B": "risky"}
    loose = solve(frame, Constraints(cvar=CVaRLimit(0.8, 12.0)), samples=samples, solver=solver)
    assert chosen(loose) == {"A": "risky", "B": "risky"}
    assert loose.totals["comp_cost_cvar"] == pytest.approx(11.0)
    tight = solve(frame, Constraints(cvar=CVaRLimit(0.8, 10.0)), samples=samples, solver=solver)
    assert chosen(tight) == {"A": "safe", "B": "safe"}
    assert tight.objective == pytest.approx(16.0)
    assert tight.totals["comp_cost_cvar"] == pytest.approx(6.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_rockafellar_uryasev_identity_at_the_lp_optimum(solver):
    """LP relaxation with limit 10: weights a, b on the risky plans give losses 6 − 2a + 7b (s1,
    s2), 6 − 2a − 2b (s3–s8), 6 + 7a − 2b (s9, s10), so CVaR = max(6 − 2a + 7b, 6 + 7a − 2b).
    Maximising 16 + 2a + 2b subject to both ≤ 10: adding them, a + b ≤ 1.6 with equality only
    at a = b = 0.8 — unique optimum 19.2. Raising the limit by d allows a + b ≤ 1.6 + 0.4d:
    shadow price 0.8.

    At the optimum the LP's η + Σ z_s/((1 − α)S) equals the CVaR of the chosen weights
    computed directly from the samples (the mean of the worst 20 %): both are 10.
    """
    frame, samples = two_units()
    constraints = Constraints(cvar=CVaRLimit(0.8, 10.0))
    result = solve(frame, constraints, samples=samples, mode="relaxation", solver=solver)
    assert result.objective == pytest.approx(19.2, abs=1e-6)
    w = result.weights.set_index(["unit", "candidate"])["weight"]
    assert [w[("A", "risky")], w[("B", "risky")]] == pytest.approx([0.8, 0.8], abs=1e-6)
    losses = (
        w[("A", "risky")] * np.array(RISKY_A)
        + w[("A", "safe")] * np.array(SAFE)
        + w[("B", "risky")] * np.array(RISKY_B)
        + w[("B", "safe")] * np.array(SAFE)
    )
    direct = tail_cvar(losses, 0.8)
    assert direct == pytest.approx(10.0, abs=1e-6)
    assert result.lp_cvar == pytest.approx(direct, abs=1e-6)
    assert result.totals["comp_cost_cvar"] == pytest.approx(direct, abs=1e-6)
    assert result.shadow_price("cvar") == pytest.approx(0.8, abs=1e-6)


@pytest.mark.parametrize("solver", PROPERTY_SOLVERS)
@settings(
    max_examples=15, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    data=st.lists(
        st.lists(st.floats(0.0, 100.0, allow_nan=False), min_size=7, max_size=7),
        min_size=1,
        max_size=3,
    ),
    alpha=st.sampled_from([0.5, 0.7, 0.8, 0.85, 0.9]),
)
def test_cvar_row_is_feasible_exactly_up_to_the_direct_cvar(solver, data, alpha):
    """With one candidate per unit the weights are fixed, so the CVaR row is feasible iff
    min_η η + Σ (L_s − η)⁺/((1 − α)S) ≤ limit, i.e. iff the direct tail CVaR ≤ limit
    (Rockafellar–Uryasev, also for fractional tails (1 − α)·7)."""
    frame = responses([item(f"u{i}", "only", profit=1.0, cost=1.0) for i in range(len(data))])
    samples = pd.DataFrame(
        [
            {"unit": f"u{i}", "candidate": "only", "scenario": s, "comp_cost": value}
            for i, values in enumerate(data)
            for s, value in enumerate(values)
        ]
    )
    direct = tail_cvar(np.sum(data, axis=0), alpha)
    assert cvar_of_losses(np.sum(data, axis=0), alpha)[0] == pytest.approx(direct, abs=1e-9)
    margin = 1e-5 * max(1.0, direct)
    above = Constraints(cvar=CVaRLimit(alpha, direct + margin))
    assert solve(frame, above, samples=samples, solver=solver).status == "optimal"
    with pytest.raises(SpmoptNoSolutionError, match="cvar"):
        below = Constraints(cvar=CVaRLimit(alpha, direct - margin))
        solve(frame, below, samples=samples, solver=solver, diagnose=False)


def test_cvar_needs_samples_covering_every_candidate_and_scenario():
    frame, samples = two_units()
    constraints = Constraints(cvar=CVaRLimit(0.8, 10.0))
    with pytest.raises(SpmoptInputError, match="samples"):
        solve(frame, constraints)
    missing = samples.drop(index=samples.index[-1])
    with pytest.raises(SpmoptInputError, match="scenario 10"):
        solve(frame, constraints, samples=missing)
    stranger = pd.concat(
        [samples, pd.DataFrame([{"unit": "C", "candidate": "x", "scenario": 1, "comp_cost": 1}])]
    )
    with pytest.raises(SpmoptInputError, match="not in the response table"):
        solve(frame, constraints, samples=stranger)


def test_cvar_conflict_with_revenue_target_is_named():
    """Revenue 5 for risky, 3 for safe plans: a target of 10 needs both risky (CVaR 11), which a
    limit of 10 forbids. LP: revenue 6 + 2a + 2b ≥ 10 needs a + b ≥ 2 > 1.6."""
    frame, samples = two_units()
    frame["revenue"] = [5.0, 3.0, 5.0, 3.0]
    constraints = Constraints(cvar=CVaRLimit(0.8, 10.0), revenue_target=10.0)
    with pytest.raises(SpmoptNoSolutionError) as caught:
        solve(frame, constraints, samples=samples)
    assert caught.value.diagnosis.conflict == ("revenue_target", "cvar")
    suggested = {r.family: r.suggested for r in caught.value.diagnosis.relaxations}
    assert suggested["cvar"] == pytest.approx(11.0, abs=1e-6)  # a = b = 1
    assert suggested["revenue_target"] == pytest.approx(9.2, abs=1e-6)  # a = b = 0.8
