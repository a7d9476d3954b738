"""The forecast tests' plan and credit tables (shared by test_forecast and test_forecast_pipeline).

Imported by module name (``from forecast_helpers import ...``): pytest puts this folder on the path.
"""

from __future__ import annotations

import pandas as pd

#: bookings against a 1.2M annual quota: 10% to quota, 15% above it (paid each quarter)
PLAN_TEXT = """
schema_version = 1
[plan]
id = "fc"
year_start = "2027-01-01"
payout_frequency = "quarter"
base_salary = 90000
target_incentive = 120000
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1200000
tiers = [{ from = 0.0, rate = 0.10 }, { from = 1.0, rate = 0.15 }]
"""


def monthly(rep: str, amounts) -> list[tuple]:
    """Credit rows of ``rep``: one bookings credit on the 15th of each month of 2027 from
    January, ``amounts`` [currency] in month order."""
    return [
        (rep, f"2027-{month:02d}-15", "bookings", float(amount), "")
        for month, amount in enumerate(amounts, start=1)
    ]


def frame(rows) -> pd.DataFrame:
    """Credit rows as a credits table."""
    return pd.DataFrame(rows, columns=["rep_id", "date", "measure", "amount", "deal_id"])
