"""docs/optimiser.md executes: its Python example runs, and its answer is the true optimum.

The example's choice is checked against a brute-force enumeration of every one-plan-per-unit
choice (each constraint checked from its definition, ``test_lp_helpers.brute_force``), and its
budget shadow price against a finite difference of the LP optimum.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from test_lp_helpers import brute_force, check_choice

from spmopt.optimise.lp import solve

DOC = Path(__file__).parents[2] / "docs" / "optimiser.md"


def test_python_examples_in_the_optimiser_doc_run():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, str(DOC), "exec"), namespace)
        result, frame = namespace["result"], namespace["responses"]
        constraints = namespace["constraints"]
        best = brute_force(frame, constraints)
        assert best is not None
        assert result.objective == pytest.approx(best, rel=1e-9)
        keys = list(zip(frame["unit"], frame["candidate"], strict=True))
        picks = zip(result.choice["unit"], result.choice["candidate"], strict=True)
        rows = [keys.index(key) for key in picks]
        assert check_choice(frame, rows, constraints) == []
        # the status claims no more than is proven
        assert result.status in ("optimal", "within_gap", "feasible")
        if result.status != "optimal":
            assert result.objective < result.bound
        # the budget's shadow price is the slope of the LP optimum in the budget
        h = 1.0
        up = dataclasses.replace(constraints, budget=constraints.budget + h)
        down = dataclasses.replace(constraints, budget=constraints.budget - h)
        slope = [
            (solve(frame, up, mode="relaxation").objective - result.lp_bound) / h,
            (result.lp_bound - solve(frame, down, mode="relaxation").objective) / h,
        ]
        price = result.shadow_price("budget")
        assert min(slope) - 1e-6 <= price <= max(slope) + 1e-6
