"""Tiny plans and credit tables shared by the statements, position and accruals tests.

Imported by module name (``from plan_helpers import ...``): pytest puts this folder on the path.
"""

from __future__ import annotations

import pandas as pd

import spmopt

CREDIT_COLUMNS = ["rep_id", "date", "measure", "amount", "deal_id"]

#: one component paying 10% of bookings against a 1M annual quota (so 100,000 at quota)
SIMPLE = """
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1000000
tiers = [{ from = 0.0, rate = 0.1 }]
"""


def make_plan(components: str, extra: str = "", payout: str = "quarter") -> spmopt.Plan:
    """A plan of the year 2027 (base 90,000, target incentive 90,000 a year) with the TOML
    ``components`` and ``extra`` tables (draw, clawback, bonuses), paid each ``payout``."""
    return spmopt.Plan.from_toml(
        f"""
schema_version = 1
[plan]
id = "test"
year_start = "2027-01-01"
payout_frequency = "{payout}"
base_salary = 90000
target_incentive = 90000
{components}
{extra}
"""
    )


def credits(*rows) -> pd.DataFrame:
    """A credits table of ``(rep_id, date, measure, amount[, deal_id])`` rows (deal_id "" when
    left out)."""
    rows = [row if len(row) == 5 else (*row, "") for row in rows]
    return pd.DataFrame(rows, columns=CREDIT_COLUMNS)


def monthly_credits(rep: str, amounts) -> list[tuple]:
    """Credit rows of ``rep`` on the 15th of each month from January 2027, one per non-zero
    amount (bookings, currency)."""
    return [
        (rep, f"2027-{month:02d}-15", "bookings", float(amount), "")
        for month, amount in enumerate(amounts, start=1)
        if amount
    ]
