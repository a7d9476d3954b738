"""The payout engine: plan model, canonical payout curve, statements (no simpy, no RNG)."""

from spmopt.plan.curve import CurveFamily, PayoutCurve
from spmopt.plan.plan import Plan

__all__ = ["CurveFamily", "PayoutCurve", "Plan"]
