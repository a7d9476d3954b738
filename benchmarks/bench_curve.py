"""Curve evaluation throughput against numpy.interp on the same 10 million points (issue 2).

Target: the canonical curve evaluates at least half as many points per second as
``numpy.interp`` (which has no jumps and no boundary rule) on the same points, same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import best_of, record

import spmopt
from spmopt.sim.streams import RandomStreams

POINTS = 10_000_000
PLAN = Path(__file__).parents[1] / "scenarios" / "plans" / "saas-ae.toml"


GATED_PLAN = """
schema_version = 1
[plan]
id = "gated"
year_start = "2027-01-01"
base_salary = 95000
target_incentive = 90000
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 900000
threshold = 0.5
cap = 2.0
tiers = [{ from = 0.0, rate = 0.1 }, { from = 1.0, multiplier = 1.5 }, { from = 1.2, multiplier = 2.0 }]
[[plan.bonuses]]
id = "club"
measure = "bookings"
at = 1.0
amount = 10000
"""


def measure(curve: spmopt.PayoutCurve, x: np.ndarray) -> dict[str, float]:
    """Time ``curve(x)`` against ``numpy.interp`` through the same breakpoints."""
    left = curve.left_limits()
    xp = np.append(curve.breakpoints, curve.breakpoints[-1] + 10.0)
    fp = np.append(left, left[-1] + curve.slopes[-1] * 10.0)
    interp_seconds = best_of(lambda: np.interp(x, xp, fp))
    curve_seconds = best_of(lambda: curve(x))
    return {
        "breakpoints": int(curve.breakpoints.size),
        "jumps": int(np.count_nonzero(curve.jumps())),
        "numpy_interp_seconds": round(interp_seconds, 4),
        "curve_seconds": round(curve_seconds, 4),
        "curve_points_per_second": round(POINTS / curve_seconds),
        "throughput_ratio_vs_interp": round(interp_seconds / curve_seconds, 3),
    }


def main() -> dict[str, object]:
    x = RandomStreams(seed=1).generator("bench_curve").uniform(0.0, 2.5, POINTS)
    figures = {
        "points": POINTS,
        "target_ratio": 0.5,
        # shipped SaaS AE plan: marginal tiers with accelerators (continuous)
        "saas_ae": measure(spmopt.Plan.load(PLAN).attainment_curve(), x),
        # threshold jump, two accelerators, cap, payout ceiling and a club bonus jump
        "gated_with_bonus": measure(spmopt.Plan.from_toml(GATED_PLAN).attainment_curve(), x),
    }
    for key, value in figures.items():
        print(f"{key:>18}: {value}")
    record("curve", figures)
    return figures


if __name__ == "__main__":
    main()
