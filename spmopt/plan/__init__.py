"""The payout engine: plan model, canonical payout curve, statements (no simpy, no RNG)."""

from spmopt.plan.curve import CurveFamily, PayoutCurve
from spmopt.plan.inputs import read_credits, read_roster
from spmopt.plan.plan import Plan
from spmopt.plan.statements import Statements, statements

__all__ = [
    "CurveFamily",
    "PayoutCurve",
    "Plan",
    "Statements",
    "read_credits",
    "read_roster",
    "statements",
]
