"""The payout engine against worked examples we did not write.

Each test reproduces one numeric example published by an ICM vendor (Oracle, Xactly, Salesforce
Spiff, QuotaPath), a compensation practitioner or a public incentive-plan document. The docstring
names the source (title and address) and quotes the example's numbers; the test builds the plan
with :meth:`spmopt.Plan.from_toml` (design §3.2) and asserts the documented figures to the cent.
Where we had to add an assumption the source leaves open (a quota, a deal size), the docstring
says so; where a figure is derived by us rather than printed in the source, it says that too.

``docs/worked-examples.md`` lists the examples, their sources and what each one checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spmopt


def money(value: float):
    """A documented currency figure, compared to the cent."""
    return pytest.approx(value, abs=0.005)


def make_plan(
    component: str,
    *,
    target_incentive: float = 0.0,
    payout_frequency: str = "year",
    year_start: str = "2027-01-01",
    extra: str = "",
) -> spmopt.Plan:
    """A one-component plan from the TOML body of its ``[[plan.components]]`` table."""
    text = f"""
schema_version = 1
[plan]
id = "worked-example"
currency = "USD"
year_start = "{year_start}"
payout_frequency = "{payout_frequency}"
target_incentive = {target_incentive}

[[plan.components]]
{component}
{extra}
"""
    return spmopt.Plan.from_toml(text)


def pay(plan: spmopt.Plan, credited: float) -> float:
    """Earnings of the plan's single component for ``credited`` in one measurement period."""
    return float(plan.curve()(credited))


def run_statements(plan: spmopt.Plan, rows: list[tuple]) -> pd.DataFrame:
    """Statements of one rep, indexed by payout period label.

    ``rows`` are ``(date, amount)`` or ``(date, amount, deal_id)`` credits on the ``bookings``
    measure for rep ``r1``.
    """
    columns = ["date", "amount", "deal_id"][: len(rows[0])]
    credits = pd.DataFrame(rows, columns=columns)
    credits.insert(0, "rep_id", "r1")
    credits.insert(2, "measure", "bookings")
    result = spmopt.statements(plan, credits)
    statements = result.statements
    assert set(statements["rep_id"]) == {"r1"}
    return statements.set_index("period")


# --------------------------------------------------------------------------------------------
# Marginal (step / incremental) versus retroactive (flat / highest-tier) rate tables
# --------------------------------------------------------------------------------------------

ORACLE_SPLIT_TABLE = """
id = "revenue"
measure = "bookings"
quota = 100000
basis = "amount"
method = "{method}"
tiers = [
  {{ from = 0, rate = 0.01 }},
  {{ from = 10000, rate = 0.02 }},
  {{ from = 50000, rate = 0.03 }},
  {{ from = 100000, rate = 0.04 }},
]
"""


def test_oracle_rate_not_split_applies_highest_tier_rate_to_whole_amount():
    """Oracle Fusion Incentive Compensation, "Options for Splitting Attainment Numbers Across Rate
    Tiers", https://docs.oracle.com/en/cloud/saas/sales/facmi/options-for-splitting-attainment-numbers-across-rate-tiers.html

    "Rate Not Split (Flat Commission): the application applies a single fixed rate based on the
    highest tier attained." Rate table: 0–10,000 → 1%, 10,000–50,000 → 2%, 50,000–100,000 → 3%,
    100,000–9,999,999 → 4%. Resulting rate: 5,000 → 1%, 15,000 → 2%, 60,000 → 3%, i.e.
    commissions of 50, 300 and 1,800 (the rate times the whole transaction amount).
    This is ``method = "retroactive"``.
    """
    plan = make_plan(ORACLE_SPLIT_TABLE.format(method="retroactive"))
    assert pay(plan, 5_000) == money(5_000 * 0.01)
    assert pay(plan, 15_000) == money(15_000 * 0.02)
    assert pay(plan, 60_000) == money(60_000 * 0.03)


def test_oracle_step_rate_splits_amount_across_tiers():
    """Oracle Fusion Incentive Compensation, "Options for Splitting Attainment Numbers Across Rate
    Tiers", same rate table as the flat example (0–10,000 1%, 10,000–50,000 2%, 50,000–100,000
    3%, 100,000+ 4%). English edition:
    https://docs.oracle.com/en/cloud/saas/sales/facmi/options-for-splitting-attainment-numbers-across-rate-tiers.html
    ; the step-rate table is quoted from the Japanese edition of the same page,
    https://docs.oracle.com/cd/G38197_01/trans/F77870-04/options-for-splitting-attainment-numbers-across-rate-tiers.html

    "Split Rates Are Fixed for the Tier (Step Rate)": 5,000 → 1%; 15,000 → 1% on the first
    10,000 and 2% on the remaining 5,000; 60,000 → 1% on the first 10,000, 2% on the next 40,000
    and 3% on the remaining 10,000. Commissions: 50; 100 + 100 = 200; 100 + 800 + 300 = 1,200.
    This is ``method = "marginal"``.
    """
    plan = make_plan(ORACLE_SPLIT_TABLE.format(method="marginal"))
    assert pay(plan, 5_000) == money(50.00)
    assert pay(plan, 15_000) == money(10_000 * 0.01 + 5_000 * 0.02)
    assert pay(plan, 60_000) == money(10_000 * 0.01 + 40_000 * 0.02 + 10_000 * 0.03)


def test_oracle_equal_tier_values_use_the_higher_tier():
    """Oracle Fusion Incentive Compensation, "Equal Tier Values",
    https://docs.oracle.com/en/cloud/saas/sales/facmi/equal-tier-values.html

    "If a transaction amount or percentage matches the To value of one tier and From value of the
    next higher tier, then the rate calculation uses the higher tier." Table: 0–25,000 → 1%,
    25,000–50,000 → 2%, 50,000–75,000 → 3%, 75,000–100,000 → 4%; "the calculation process pays a
    transaction that matches exactly 50,000 at the 3 percent rate" → 1,500. Our
    ``boundary = "higher"`` rule; a cent below the boundary still pays 2%.
    """
    plan = make_plan(
        """
id = "revenue"
measure = "bookings"
quota = 100000
basis = "amount"
method = "retroactive"
boundary = "higher"
tiers = [
  { from = 0, rate = 0.01 },
  { from = 25000, rate = 0.02 },
  { from = 50000, rate = 0.03 },
  { from = 75000, rate = 0.04 },
]
"""
    )
    assert pay(plan, 50_000) == money(50_000 * 0.03)
    assert pay(plan, 49_999.99) == money(49_999.99 * 0.02)


def test_oracle_split_rate_report_blended_step_rate():
    """Oracle Sales 24B readiness, "Report Split Rates in Calculation",
    https://docs.oracle.com/en/cloud/saas/readiness/sales/24b/salm-24b/24B-spm-wn-f31649.htm

    Rate table 0–1,000 → 1%, 1,000–5,000 → 2%, 5,000–10,000 → 3%, 10,000–1,000,000 → 0%.
    "If the rate split option is non-proportional (step rate) and the input is 2500 … the first
    1000 out of 2500 is applicable to the first tier where the rate is 1% and the remaining 1500
    … to the second tier where the rate is 2% … a blended rate of 1.6%", i.e. 40 on 2,500.
    """
    plan = make_plan(
        """
id = "revenue"
measure = "bookings"
quota = 10000
basis = "amount"
method = "marginal"
tiers = [
  { from = 0, rate = 0.01 },
  { from = 1000, rate = 0.02 },
  { from = 5000, rate = 0.03 },
  { from = 10000, rate = 0.0 },
]
"""
    )
    assert pay(plan, 2_500) == money(2_500 * 0.016)
    assert pay(plan, 2_500) == money(1_000 * 0.01 + 1_500 * 0.02)


def test_sparrowgenie_non_retroactive_commission():
    """Sparrowgenie, "Non-Retroactive Commission: A Complete Guide",
    https://www.sparrowgenie.com/sales-commission-models/non-retroactive-commission

    Medical-device rep: 3% on the first $300,000 of quarterly sales, 5% on $300,001–$500,000, 7%
    above $500,000. At $600,000: $9,000 + $10,000 + $7,000 = $26,000.
    """
    plan = make_plan(
        """
id = "device_sales"
measure = "bookings"
quota = 2400000
basis = "amount"
method = "marginal"
measurement_period = "quarter"
tiers = [
  { from = 0, rate = 0.03 },
  { from = 300000, rate = 0.05 },
  { from = 500000, rate = 0.07 },
]
""",
        payout_frequency="quarter",
    )
    assert pay(plan, 600_000) == money(26_000.00)
    assert pay(plan, 300_000) == money(9_000.00)
    assert pay(plan, 500_000) == money(19_000.00)


def test_earnbase_retroactive_tier_jumping_versus_incremental():
    """Earn Base glossary, "Retroactive Tier Jumping",
    https://www.earnbase.no/glossary/retroactive-tier-jumping

    Tiers: 50% up to $100K, 60% above. "If you have $180K in sales and hit the 60% tier … all
    $180K gets recalculated at 60% commission — giving you $108K total instead of the $98K you'd
    receive under an incremental system ($50K on first $100K at 50%, plus $48K on remaining $80K
    at 60%)."
    """
    table = """
id = "production"
measure = "bookings"
quota = 100000
basis = "amount"
method = "{method}"
tiers = [{{ from = 0, rate = 0.50 }}, {{ from = 100000, rate = 0.60 }}]
"""
    retroactive = make_plan(table.format(method="retroactive"))
    incremental = make_plan(table.format(method="marginal"))
    assert pay(retroactive, 180_000) == money(108_000.00)
    assert pay(incremental, 180_000) == money(98_000.00)


# --------------------------------------------------------------------------------------------
# Per-transaction evaluation (Oracle's "transactions processed individually")
# --------------------------------------------------------------------------------------------

ORACLE_TRANSACTIONS = [  # (date, amount, documented commission)
    ("2015-01-01", 200.0, 2.0),
    ("2015-01-02", 300.0, 3.0),
    ("2015-01-15", 1_500.0, 20.0),
    ("2015-02-01", 1_200.0, 14.0),
    ("2015-02-15", 2_000.0, 30.0),
    ("2015-03-01", 4_500.0, 95.0),
]

ORACLE_STEP_TABLE = """
id = "revenue"
measure = "bookings"
quota = 80000
basis = "amount"
method = "marginal"
evaluation = "per_transaction"
tiers = [
  { from = 0, rate = 0.01 },
  { from = 1000, rate = 0.02 },
  { from = 3000, rate = 0.03 },
  { from = 8000, rate = 0.05 },
]
"""


def test_oracle_step_rates_transactions_processed_individually():
    """Oracle Fusion Incentive Compensation, "Examples of Calculating Earnings Using Step Rates",
    https://docs.oracle.com/en/cloud/saas/sales/facmi/examples-of-calculating-earnings-using-step-rates.html
    (transaction table quoted from the Japanese edition,
    https://docs.oracle.com/cd/G12028_01/trans/F77870-03/examples-of-calculating-earnings-using-step-rates.html).

    Percentage rate table 0–1,000 → 1%, 1,000–3,000 → 2%, 3,000–8,000 → 3%, 8,000–20,000 → 5%;
    "processes all incentive compensation transactions individually against the rate table" and
    splits each non-proportionally across tiers. T1 200 → 2; T2 300 → 3; T3 1,500 →
    (1,000 × .01) + (500 × .02) = 20; T4 1,200 → 14; T5 2,000 → 30; T6 4,500 →
    (1,000 × .01) + (2,000 × .02) + (1,500 × .03) = 95. "The total amount of compensation earned
    for the quarter is 164 USD."
    """
    plan = make_plan(ORACLE_STEP_TABLE)
    curve = plan.curve()
    for _, amount, commission in ORACLE_TRANSACTIONS:
        assert float(curve(amount)) == money(commission)
    total = curve(np.array([amount for _, amount, _ in ORACLE_TRANSACTIONS])).sum()
    assert total == money(164.00)


ORACLE_INTERPOLATED_TABLE = """
id = "revenue"
measure = "bookings"
quota = 20000
basis = "amount"
method = "interpolated"
evaluation = "per_transaction"
tiers = [
  { from = 0, payout = 0.0 },
  { from = 1000, payout = 0.10 },
  { from = 3000, payout = 0.50 },
  { from = 8000, payout = 1.50 },
  { from = 20000, payout = 21.50 },
]
"""


def test_oracle_interpolated_rates_transactions_processed_individually():
    """Oracle Fusion Incentive Compensation, "Examples of Calculating Earnings Using Interpolated
    Rates" (Japanese edition),
    https://docs.oracle.com/cd/G11809_01/trans/F77870-03/examples-of-calculating-earnings-using-interpolated-rates.html

    Amount rate table: 0–1,000 → 10, 1,000–3,000 → 40, 3,000–8,000 → 100, 8,000–20,000 → 2,000,
    each tier's amount earned in proportion to the part of the tier covered ("proportional
    split"). Transactions processed individually: T1 200 → (200 / 1,000) × 10 = 2; T2 300 → 3;
    T3 1,500 → 10 + (500 / 2,000) × 40 = 20; T4 1,200 → 14; T5 2,000 → 30; T6 4,500 →
    10 + 40 + (1,500 / 5,000) × 100 = 80; total 149 USD.

    As an interpolated pay curve the cumulative points are (0, 0), (1,000, 10), (3,000, 50),
    (8,000, 150), (20,000, 2,150); with a target incentive of 100 they are the payout fractions
    0, 0.10, 0.50, 1.50, 21.50.
    """
    plan = make_plan(ORACLE_INTERPOLATED_TABLE, target_incentive=100.0)
    curve = plan.curve()
    documented = [2.0, 3.0, 20.0, 14.0, 30.0, 80.0]
    for (_, amount, _), commission in zip(ORACLE_TRANSACTIONS, documented, strict=True):
        assert float(curve(amount)) == money(commission)
    total = curve(np.array([amount for _, amount, _ in ORACLE_TRANSACTIONS])).sum()
    assert total == money(149.00)


def test_oracle_step_rates_per_transaction_statement_for_the_quarter():
    """Oracle, "Examples of Calculating Earnings Using Step Rates" (see above): the six 2015
    transactions, each processed individually, earn "164 USD" "for the quarter". Through the
    statements engine with ``evaluation = "per_transaction"`` and quarterly payouts, Q1 earns
    164.00 and the other quarters nothing.
    """
    plan = make_plan(ORACLE_STEP_TABLE, payout_frequency="quarter", year_start="2015-01-01")
    rows = [(date, amount) for date, amount, _ in ORACLE_TRANSACTIONS]
    statements = run_statements(plan, rows)
    assert statements.loc["2015-Q1", "earned"] == money(164.00)
    assert statements.loc["2015-Q1", "paid"] == money(164.00)
    assert statements["earned"].sum() == money(164.00)


def test_oracle_interpolated_rates_per_transaction_statement():
    """Oracle, "Examples of Calculating Earnings Using Interpolated Rates" (see above): the same
    six transactions, processed individually on the proportional (interpolated) amount table,
    earn "149 USD" in total; through the statements engine Q1 2015 earns 149.00.
    """
    plan = make_plan(
        ORACLE_INTERPOLATED_TABLE,
        target_incentive=100.0,
        payout_frequency="quarter",
        year_start="2015-01-01",
    )
    rows = [(date, amount) for date, amount, _ in ORACLE_TRANSACTIONS]
    statements = run_statements(plan, rows)
    assert statements.loc["2015-Q1", "earned"] == money(149.00)
    assert statements["earned"].sum() == money(149.00)


# --------------------------------------------------------------------------------------------
# Accelerators and decelerators as multipliers of the base rate (target incentive / quota)
# --------------------------------------------------------------------------------------------


def test_spiff_individual_commission_rate_is_target_incentive_over_quota():
    """Salesforce Spiff help, "Create a Basic Attainment Rule with an Individual Commission
    Rate", https://help.salesforce.com/s/articleView?id=sales.spiff_rules_individual_attainment.htm&language=en_US&type=5

    "A rep has a quarterly quota of $250,000 and an OTE of $25,000. If they achieve their
    quarterly quota, the ICR calculation is $25,000 divided by $250,000, or 10% … This option
    pays a $1,000 commission for a $10,000 deal" and $25,000 "by the time they close $250,000".

    Our base rate is ``weight · target_incentive / quota``; annual figures 4 × the quarterly
    ones (quota 1,000,000, variable 100,000), measured per quarter; ``multiplier = 1``.
    Checked on both bases: amount (base-rate multiplier per unit) and attainment.
    """
    for basis in ("amount", "attainment"):
        plan = make_plan(
            f"""
id = "arr"
measure = "bookings"
quota = 1000000
basis = "{basis}"
method = "marginal"
measurement_period = "quarter"
tiers = [{{ from = 0, multiplier = 1.0 }}]
""",
            target_incentive=100_000.0,
            payout_frequency="quarter",
        )
        assert pay(plan, 10_000) == money(1_000.00), basis
        assert pay(plan, 250_000) == money(25_000.00), basis


def test_prowi_accelerator_multipliers_of_the_base_rate():
    """Prowi glossary, "Accelerator", https://prowi.io/en/glossary/accelerator

    0–100% of quota → 8% (1.0x base), 100–120% → 12% (1.5x), over 120% → 16% (2.0x). "A rep has
    an annual quota of $150,000 and a base commission rate of 8%. By year-end, the rep has closed
    $195,000 (130% attainment)": $150,000 × 8% = $12,000, $30,000 × 12% = $3,600, $15,000 × 16%
    = $2,400, total $18,000. "Without accelerator: $195,000 × 8% = $15,600."

    Base rate 8% = target incentive / quota, so the target incentive is $12,000; the tiers are
    multipliers 1.0, 1.5 and 2.0 keyed on attainment.
    """
    accelerated = make_plan(
        """
id = "new_arr"
measure = "bookings"
quota = 150000
basis = "attainment"
method = "marginal"
tiers = [
  { from = 0.0, multiplier = 1.0 },
  { from = 1.0, multiplier = 1.5 },
  { from = 1.2, multiplier = 2.0 },
]
""",
        target_incentive=12_000.0,
    )
    flat = make_plan(
        """
id = "new_arr"
measure = "bookings"
quota = 150000
basis = "attainment"
tiers = [{ from = 0.0, multiplier = 1.0 }]
""",
        target_incentive=12_000.0,
    )
    assert pay(accelerated, 150_000) == money(12_000.00)
    assert pay(accelerated, 180_000) == money(12_000.00 + 3_600.00)
    assert pay(accelerated, 195_000) == money(18_000.00)
    assert float(accelerated.attainment_curve()(1.3)) == money(18_000.00)
    assert pay(flat, 195_000) == money(15_600.00)


def test_revopsmasters_single_tier_accelerator():
    """RevOps Masters, "Accelerators and Decelerators",
    https://revopsmasters.com/category/sales-compensation/accelerators-and-decelerators

    "$500K Quota, $100K Variable": 0–100% → 1.0x, 101–130% → 1.5x, 131%+ → 2.0x. "A rep who
    closes $650K against a $500K quota (130% attainment) would earn: base variable $100,000 …
    accelerator tier 1: 30% x $100,000 x 1.5 = $45,000 … total variable: $145,000." "Without the
    accelerator, that same rep earns $130,000."
    """
    plan = make_plan(
        """
id = "bookings"
measure = "bookings"
quota = 500000
basis = "attainment"
method = "marginal"
tiers = [
  { from = 0.0, multiplier = 1.0 },
  { from = 1.0, multiplier = 1.5 },
  { from = 1.3, multiplier = 2.0 },
]
""",
        target_incentive=100_000.0,
    )
    assert pay(plan, 500_000) == money(100_000.00)
    assert pay(plan, 650_000) == money(145_000.00)
    without = make_plan(
        """
id = "bookings"
measure = "bookings"
quota = 500000
basis = "attainment"
tiers = [{ from = 0.0, multiplier = 1.0 }]
""",
        target_incentive=100_000.0,
    )
    assert pay(without, 650_000) == money(130_000.00)


def test_revopsmasters_threshold_decelerator():
    """RevOps Masters, "Accelerators and Decelerators" (same page), "Example: Threshold
    Decelerator": 0–50% → 0.5x, 51–100% → 1.0x, 101%+ → 1.5x. "A rep at 40% attainment on a
    $100K variable target earns $20,000 in variable pay (40% x $100K x 0.5) instead of $40,000 at
    the standard rate."

    The page gives no quota for this example; any quota gives the same figures, we use $500K.
    """
    plan = make_plan(
        """
id = "bookings"
measure = "bookings"
quota = 500000
basis = "attainment"
method = "marginal"
tiers = [
  { from = 0.0, multiplier = 0.5 },
  { from = 0.5, multiplier = 1.0 },
  { from = 1.0, multiplier = 1.5 },
]
""",
        target_incentive=100_000.0,
    )
    assert pay(plan, 0.40 * 500_000) == money(20_000.00)
    assert float(plan.attainment_curve()(0.40)) == money(20_000.00)


def test_quotapath_decelerator_retroactive_then_marginal_accelerator():
    """QuotaPath comp plan template, "Account Executive: Accelerators & Decelerators",
    https://comp.quotapath.com/account-executive/accelerators-decelerators

    "The rep earns half of the commission base rate on all deals between 0% and 50% of their
    quota. Once a rep reaches 50% quota, the rep begins earning their full base rate which can be
    retroactively applied to past deals. Upon passing quota, the rep unlocks the accelerator …
    on all new deals for the remainder of the quota cycle" (it "doesn't apply to previous
    tiers"). Sample AE: monthly quota $33,000 ARR; 0–50% → 5%; 50–100% → "10% base rate on all
    ARR that month"; 100% and above → 20%.

    The template gives the rules, not payouts; the figures below are derived by us:
    40% ($13,200) → 5% × 13,200 = $660; 50% ($16,500) → 10% × 16,500 = $1,650 (retroactive, the
    boundary pays the higher tier); 80% ($26,400) → $2,640; 100% ($33,000) → $3,300;
    120% ($39,600) → $3,300 + 20% × $6,600 = $4,620. Exercises per-tier ``method`` overrides:
    a retroactive tier restarts as rate × whole amount, a marginal tier continues from there.
    """
    plan = make_plan(
        """
id = "arr"
measure = "bookings"
quota = 396000
basis = "attainment"
method = "marginal"
measurement_period = "month"
tiers = [
  { from = 0.0, rate = 0.05 },
  { from = 0.5, rate = 0.10, method = "retroactive" },
  { from = 1.0, rate = 0.20, method = "marginal" },
]
""",
        payout_frequency="month",
    )
    assert pay(plan, 13_200) == money(660.00)
    assert pay(plan, 16_500) == money(1_650.00)
    assert pay(plan, 16_499.99) == money(16_499.99 * 0.05)
    assert pay(plan, 26_400) == money(2_640.00)
    assert pay(plan, 33_000) == money(3_300.00)
    assert pay(plan, 39_600) == money(4_620.00)


# --------------------------------------------------------------------------------------------
# Interpolated pay curves (payout as a fraction of target incentive)
# --------------------------------------------------------------------------------------------


def test_justia_performance_period_percentage_pay_curve():
    """Justia contracts dictionary, "Performance Period Percentage" (an example definition from
    a filed incentive plan), https://dictionary.contracts.justia.com/performance-period-percentage/

    Achievement of goals → payout percentage: less than 80% → 0%; 80% → 50%; 100% → 100%; 120%
    or greater → 150%; in between, the level below "plus 2.50% for each whole percentage
    achievement in excess of such stated level (e.g., at 90% achievement … 50% plus 25%, or
    75%)". At whole percentages this is linear interpolation (2.5 points per point on both
    segments), which is what we check; the source rounds down to whole percentages in between.
    With a target incentive of $10,000: 79% → $0, 80% → $5,000, 90% → $7,500, 100% → $10,000,
    110% → $12,500, 120% → $15,000, 130% → $15,000.
    """
    plan = make_plan(
        """
id = "goals"
measure = "bookings"
quota = 1000000
basis = "attainment"
method = "interpolated"
tiers = [
  { from = 0.8, payout = 0.5 },
  { from = 1.0, payout = 1.0 },
  { from = 1.2, payout = 1.5 },
]
""",
        target_incentive=10_000.0,
    )
    expected = {0.79: 0.0, 0.80: 5_000.0, 0.90: 7_500.0, 1.00: 10_000.0, 1.10: 12_500.0}
    expected |= {1.20: 15_000.0, 1.30: 15_000.0}
    for attainment, payout in expected.items():
        assert pay(plan, round(attainment * 1_000_000, 2)) == money(payout), attainment
        assert float(plan.attainment_curve()(attainment)) == money(payout), attainment


def test_sec_exhibit_ceo_incentive_interpolated_with_threshold_jump():
    """SEC EDGAR, incentive plan filed as exhibit 10.20 (filer CIK 862831, 2006),
    https://www.sec.gov/Archives/edgar/data/862831/000095015206002115/l17984aexv10w20.htm

    CEO: target incentive 50% of base pay. Below 80% achievement → 0%. "For actual achievement
    percentages between 80% and 100% the target incentive as a percentage of base pay will equal
    the actual achievement percentage times 50%. For … between 100% and 120% … will increase by
    1.5% from 50% at 100% achievement to a maximum of 80% at 120% achievement."

    In fractions of the target incentive: points (0.8, 0.8), (1.0, 1.0), (1.2, 1.6), zero below
    the first point (a jump from 0 to 40% of base at the threshold), flat after the last. With
    the target incentive set to 50 the curve reads directly in percent of base pay:
    79% → 0, 80% → 40, 90% → 45, 100% → 50, 110% → 65, 120% → 80, 150% → 80.
    """
    plan = make_plan(
        """
id = "corporate_goal"
measure = "bookings"
quota = 1000000
basis = "attainment"
method = "interpolated"
tiers = [
  { from = 0.8, payout = 0.8 },
  { from = 1.0, payout = 1.0 },
  { from = 1.2, payout = 1.6 },
]
""",
        target_incentive=50.0,
    )
    expected = {0.79: 0.0, 0.80: 40.0, 0.90: 45.0, 1.00: 50.0, 1.10: 65.0, 1.20: 80.0}
    expected |= {1.50: 80.0}
    curve = plan.attainment_curve()
    for attainment, percent_of_base in expected.items():
        assert float(curve(attainment)) == money(percent_of_base), attainment
    at_threshold = np.isclose(curve.breakpoints, 0.8)
    assert curve.jumps()[at_threshold] == pytest.approx([40.0])


# --------------------------------------------------------------------------------------------
# Thresholds, caps and bonuses
# --------------------------------------------------------------------------------------------


def test_visdum_threshold_pays_from_the_first_dollar_once_cleared():
    """Visdum glossary, "Commission Threshold",
    https://visdum.com/term/payout-floor-commission-threshold

    "Annual quota: $1,000,000; commission threshold: 70%; commission rate: 10% on bookings, once
    the threshold is cleared." Table: 50% ($500,000) → $0; 69% ($690,000) → $0; 70% ($700,000) →
    $70,000; 90% ($900,000) → $90,000. Our gate: nothing below the threshold; once reached, the
    curve pays from zero as if ungated.
    """
    plan = make_plan(
        """
id = "bookings"
measure = "bookings"
quota = 1000000
basis = "attainment"
tiers = [{ from = 0.0, rate = 0.10 }]
threshold = 0.7
"""
    )
    assert pay(plan, 500_000) == money(0.00)
    assert pay(plan, 690_000) == money(0.00)
    assert pay(plan, 700_000) == money(70_000.00)
    assert pay(plan, 900_000) == money(90_000.00)


def test_sparrowgenie_incremental_threshold_pays_above_the_threshold_only():
    """Sparrowgenie, "Threshold Commission: A Complete Guide",
    https://www.sparrowgenie.com/sales-commission-models/threshold-commission

    Incremental threshold: "Monthly Commission = Commission Rate × MAX(0, Monthly Sales − Monthly
    Threshold)". Monthly threshold $10,000 in sales, 7% on sales above it: $15,000 → $350;
    "if they sell only $9,000 in a month … $0". A marginal table keyed on the amount credited in
    a monthly measurement period (0% up to $10,000, 7% above).
    """
    plan = make_plan(
        """
id = "retail"
measure = "bookings"
quota = 180000
basis = "amount"
method = "marginal"
measurement_period = "month"
tiers = [{ from = 0, rate = 0.0 }, { from = 10000, rate = 0.07 }]
""",
        payout_frequency="month",
    )
    assert pay(plan, 15_000) == money(350.00)
    assert pay(plan, 9_000) == money(0.00)


def test_sparrowgenie_capped_commission():
    """Sparrowgenie, "Capped Commission: A Complete Guide",
    https://www.sparrowgenie.com/sales-commission-models/capped-commission

    Hard cap: "If (Commission Rate × Sales Volume) ≤ Maximum Cap, then Commission = Commission
    Rate × Sales Volume, Else Commission = Maximum Cap." Commission rate 3%, cap $10,000: "if
    monthly sales reach $400,000: commission earned is capped at $10,000 (rather than
    $12,000)". The source's period is a month; ``max_payout`` caps a component's earnings over
    its measurement period, so we take one period (the plan year) as that month. Below the cap
    ($300,000) the formula gives $9,000.
    """
    plan = make_plan(
        """
id = "retail"
measure = "bookings"
quota = 400000
basis = "amount"
tiers = [{ from = 0, rate = 0.03 }]
max_payout = 10000
"""
    )
    assert pay(plan, 400_000) == money(10_000.00)
    assert pay(plan, 300_000) == money(9_000.00)
    uncapped = make_plan(
        """
id = "retail"
measure = "bookings"
quota = 400000
basis = "amount"
tiers = [{ from = 0, rate = 0.03 }]
"""
    )
    assert pay(uncapped, 400_000) == money(12_000.00)


def test_prowi_lump_sum_bonus_at_quota():
    """Prowi glossary, "Accelerator", https://prowi.io/en/glossary/accelerator — its comparison
    table: "Bonus | One-time payout at milestone | $3,500 at 100% quota", next to the 8% / 12% /
    16% accelerator table of the same page ($12,000 at quota for a $150,000 quota).

    With the bonus added to that plan: total incentive at 100% attainment is $12,000 + $3,500 =
    $15,500; a dollar short of quota the bonus is not earned.
    """
    plan = make_plan(
        """
id = "new_arr"
measure = "bookings"
quota = 150000
basis = "attainment"
method = "marginal"
tiers = [
  { from = 0.0, multiplier = 1.0 },
  { from = 1.0, multiplier = 1.5 },
  { from = 1.2, multiplier = 2.0 },
]
""",
        target_incentive=12_000.0,
        extra="""
[[plan.bonuses]]
id = "quota_bonus"
measure = "bookings"
at = 1.0
amount = 3500
""",
    )
    curve = plan.attainment_curve()
    assert float(curve(1.0)) == money(15_500.00)
    assert float(curve(149_999 / 150_000)) == money(149_999 * 0.08)
    assert float(plan.bonus_curve(plan.bonuses[0])(150_000)) == money(3_500.00)


# --------------------------------------------------------------------------------------------
# Shorter measurement periods: the annual quota spread evenly
# --------------------------------------------------------------------------------------------


def test_oracle_interval_goal_is_the_annual_target_spread_evenly():
    """Oracle Fusion Incentive Compensation, "Examples of Calculating Attainment by Grouped
    Transactions" (Japanese edition),
    https://docs.oracle.com/cd/G44591_01/trans/F77870-09/examples-of-calculating-attainment-by-grouped-transactions.html

    Target 36,000, "distributed evenly so that each month's target amount is 3,000". Interval I1:
    T1 1,000, T2 1,500, T3 500 → 3,000 → 100% (3,000 / 3,000); I2: T4 1,500, T5 500 → 2,000 →
    66.67% (2,000 / 3,000). With a monthly measurement period our period quota is 36,000 / 12, so
    the curve's 100%-attainment breakpoint sits at 3,000 credited, and an interpolated curve
    paying attainment × target incentive pays 100% and 66.67% of the monthly target incentive.
    """
    plan = make_plan(
        """
id = "revenue"
measure = "bookings"
quota = 36000
basis = "attainment"
method = "interpolated"
measurement_period = "month"
tiers = [{ from = 0.0, payout = 0.0 }, { from = 1.0, payout = 1.0 }]
""",
        target_incentive=12_000.0,
        payout_frequency="month",
    )
    curve = plan.curve()
    assert 3_000.0 in curve.breakpoints
    assert float(curve(3_000)) == money(1_000.00)  # 100% of the monthly 12,000 / 12
    assert float(curve(2_000)) == money(1_000.00 * 2_000 / 3_000)


def test_oracle_interval_attainment_in_statements():
    """Oracle, "Examples of Calculating Attainment by Grouped Transactions" (see above), through
    the statements engine: with a monthly measurement period and monthly payouts, January
    (I1: 1,000 + 1,500 + 500) is credited 3,000 at 100% attainment and February (I2: 1,500 +
    500) 2,000 at 66.67%.
    """
    plan = make_plan(
        """
id = "revenue"
measure = "bookings"
quota = 36000
basis = "attainment"
measurement_period = "month"
tiers = [{ from = 0.0, rate = 0.05 }]
""",
        payout_frequency="month",
    )
    rows = [
        ("2027-01-05", 1_000.0),
        ("2027-01-12", 1_500.0),
        ("2027-01-20", 500.0),
        ("2027-02-03", 1_500.0),
        ("2027-02-17", 500.0),
    ]
    statements = run_statements(plan, rows)
    assert statements.loc["2027-01", "credited"] == money(3_000.00)
    assert statements.loc["2027-01", "attainment"] == pytest.approx(1.0)
    assert statements.loc["2027-02", "credited"] == money(2_000.00)
    assert statements.loc["2027-02", "attainment"] == pytest.approx(0.6667, abs=5e-5)


# --------------------------------------------------------------------------------------------
# Statements: true-ups, draws, clawbacks
# --------------------------------------------------------------------------------------------


def test_spiff_true_up_pays_year_to_date_earned_minus_paid():
    """Salesforce Spiff help, "Adjust Compensation Variances with a Lump-Sum True-Up Rule",
    https://help.salesforce.com/apex/HTViewHelpDoc?id=sales.spiff_rules_true_up.htm — the rule is
    "True-Up = YTD_Earned − YTD_Paid", applied here to the Prowi accelerator plan
    (https://prowi.io/en/glossary/accelerator: quota $150,000, 8% to quota, 12% to 120%, 16%
    above; $195,000 closed in the year → $18,000).

    The quarterly split of the $195,000 is ours (Q1 $60,000, Q2 $60,000, Q3 $45,000, Q4
    $30,000), and so are the quarterly figures derived from the two documented rules: YTD earned
    $4,800, $9,600, $13,800 ($12,000 + $15,000 × 12%), $18,000; each quarter pays YTD earned −
    YTD paid: $4,800, $4,800, $4,200, $4,200; the year pays the documented $18,000.
    """
    plan = make_plan(
        """
id = "new_arr"
measure = "bookings"
quota = 150000
basis = "attainment"
method = "marginal"
evaluation = "period_to_date"
measurement_period = "year"
tiers = [
  { from = 0.0, multiplier = 1.0 },
  { from = 1.0, multiplier = 1.5 },
  { from = 1.2, multiplier = 2.0 },
]
""",
        target_incentive=12_000.0,
        payout_frequency="quarter",
    )
    rows = [
        ("2027-02-10", 60_000.0),
        ("2027-05-10", 60_000.0),
        ("2027-08-10", 45_000.0),
        ("2027-11-10", 30_000.0),
    ]
    statements = run_statements(plan, rows)
    expected = {"2027-Q1": 4_800.0, "2027-Q2": 4_800.0, "2027-Q3": 4_200.0, "2027-Q4": 4_200.0}
    for period, amount in expected.items():
        assert statements.loc[period, "earned"] == money(amount), period
        assert statements.loc[period, "paid"] == money(amount), period
    assert statements["paid"].sum() == money(18_000.00)
    assert statements.loc["2027-Q4", "attainment"] == pytest.approx(1.3)


def test_oracle_siebel_recoverable_draw_scenario():
    """Oracle Siebel Incentive Compensation Administration Guide, "Recoverable Draw Scenario"
    (Table 4), https://docs.oracle.com/cd/E05553_01/books/InCompAdm/InCompAdmPlanDesign8.html

    Recoverable draw of $2,000 a month for the first six months of employment. Gross earnings →
    net earnings: Jan $2,750 → $2,750; Feb $3,000 → $3,000; Mar $1,500 → $2,000 ("the company
    pays $1,500 plus an additional $500 … seen as a loan", balance −$500); Apr $2,375 → $2,000
    ("$375 is paid back to the draw", balance −$125); May $3,000 → $2,875 ("pays off the draw
    balance of $125"); Jun $2,750 → $2,750.

    The earnings come from a flat 10% commission on credits ten times the gross earnings (the
    source gives earnings, not sales); ``periods = 6`` limits the draw to the six months.
    """
    plan = make_plan(
        """
id = "revenue"
measure = "bookings"
quota = 300000
basis = "amount"
tiers = [{ from = 0, rate = 0.10 }]
""",
        payout_frequency="month",
        year_start="2002-01-01",
        extra="""
[plan.draw]
kind = "recoverable"
amount = 2000
periods = 6
""",
    )
    gross = {"01": 2_750.0, "02": 3_000.0, "03": 1_500.0, "04": 2_375.0, "05": 3_000.0}
    gross |= {"06": 2_750.0}
    rows = [(f"2002-{month}-15", 10 * amount) for month, amount in gross.items()]
    statements = run_statements(plan, rows)
    documented = {  # month: (earned, draw top-up, draw recovery, paid, draw balance owed)
        "2002-01": (2_750.0, 0.0, 0.0, 2_750.0, 0.0),
        "2002-02": (3_000.0, 0.0, 0.0, 3_000.0, 0.0),
        "2002-03": (1_500.0, 500.0, 0.0, 2_000.0, 500.0),
        "2002-04": (2_375.0, 0.0, 375.0, 2_000.0, 125.0),
        "2002-05": (3_000.0, 0.0, 125.0, 2_875.0, 0.0),
        "2002-06": (2_750.0, 0.0, 0.0, 2_750.0, 0.0),
        "2002-07": (0.0, 0.0, 0.0, 0.0, 0.0),  # the draw ended with the sixth month
    }
    columns = ["earned", "draw_topup", "draw_recovery", "paid", "draw_balance"]
    for month, figures in documented.items():
        row = statements.loc[month, columns].astype(float).tolist()
        assert row == pytest.approx(list(figures), abs=0.005), month


XACTLY_PLAN = """
id = "revenue"
measure = "bookings"
quota = 200000
basis = "amount"
tiers = [{ from = 0, rate = 0.10 }]
"""


def test_xactly_recoverable_draw():
    """Xactly blog, "The Non-Recoverable Draw Against Commission",
    https://www.xactlycorp.com/blog/non-recoverable-draw/

    "If a sales rep is eligible for a $1,500 draw in August and ends up earning $500 in
    commissions, the rep earns the $500 in commissions plus $1,000 from the set draw allowance.
    This 'borrowed' $1,000 … carries over to September … If the rep ends up earning $3,000 in
    commissions, they must first pay back the $1,000 balance, bringing their earned total down
    to $2,000." Table: August paid $1,500, balance −$1,000; September paid $2,000, balance $0.

    A plan year starting in August, a flat 10% commission on $5,000 and $30,000 of credits (the
    source gives commissions, not sales), the draw for those two months.
    """
    plan = make_plan(
        XACTLY_PLAN,
        payout_frequency="month",
        year_start="2027-08-01",
        extra='[plan.draw]\nkind = "recoverable"\namount = 1500\nperiods = 2\n',
    )
    statements = run_statements(plan, [("2027-08-20", 5_000.0), ("2027-09-20", 30_000.0)])
    august, september = statements.loc["2027-08"], statements.loc["2027-09"]
    assert august["earned"] == money(500.00)
    assert august["draw_topup"] == money(1_000.00)
    assert august["paid"] == money(1_500.00)
    assert august["draw_balance"] == money(1_000.00)
    assert september["earned"] == money(3_000.00)
    assert september["draw_recovery"] == money(1_000.00)
    assert september["paid"] == money(2_000.00)
    assert september["draw_balance"] == money(0.00)


def test_xactly_non_recoverable_draw():
    """Xactly blog, "The Non-Recoverable Draw Against Commission" (see above): "if the rep's
    commissions earned are less than the draw amount, the rep is paid an amount equal to the
    full draw … the borrowed amount … does not carry forward"; in the same $1,500 / $500 /
    $3,000 scenario "the non-recoverable draw … would result in the rep taking home $3,000 in
    September". So August pays $1,500, September $3,000, and nothing is owed.
    """
    plan = make_plan(
        XACTLY_PLAN,
        payout_frequency="month",
        year_start="2027-08-01",
        extra='[plan.draw]\nkind = "non_recoverable"\namount = 1500\nperiods = 2\n',
    )
    statements = run_statements(plan, [("2027-08-20", 5_000.0), ("2027-09-20", 30_000.0)])
    assert statements.loc["2027-08", "paid"] == money(1_500.00)
    assert statements.loc["2027-08", "draw_topup"] == money(1_000.00)
    assert statements.loc["2027-09", "paid"] == money(3_000.00)
    assert statements.loc["2027-09", "draw_recovery"] == money(0.00)
    assert (statements["draw_balance"] == 0).all()


CLAWBACK_PLAN = """
id = "revenue"
measure = "bookings"
quota = 100000
basis = "amount"
tiers = [{ from = 0, rate = 0.10 }]
"""


def test_spiff_clawback_reclaims_the_commission_paid():
    """Salesforce Spiff help, "Create a Clawback Rule in Salesforce Spiff",
    https://help.salesforce.com/s/articleView?id=sales.spiff_clawback.htm&language=en_US&type=5

    "A rep closes a deal in June and receives a $500 commission payout. In August, the deal is
    canceled … the admin must reclaim the $500 commission that was paid. The reclaimed amount is
    the same amount that was paid."

    Our assumptions: a flat 10% commission on a $5,000 deal, cancelled by a −$5,000 credit on
    the same ``deal_id`` within a 180-day clawback window, no other sales. (Spiff keeps the deal
    in quota attainment; spmopt lowers credited-to-date, design §3.2 — attainment is not
    checked here.) June pays $500; August's true-up is −$500, which — with nothing to deduct it
    from — is deferred as owed (``clawback`` +$500, ``clawback_balance`` $500, paid $0), so the
    year nets to zero.
    """
    plan = make_plan(
        CLAWBACK_PLAN, payout_frequency="month", extra="[plan.clawback]\nwindow_days = 180\n"
    )
    statements = run_statements(
        plan, [("2027-06-15", 5_000.0, "D-1"), ("2027-08-20", -5_000.0, "D-1")]
    )
    assert statements.loc["2027-06", "paid"] == money(500.00)
    assert statements.loc["2027-08", "earned"] == money(-500.00)
    assert statements.loc["2027-08", "clawback"] == money(500.00)
    assert statements.loc["2027-08", "paid"] == money(0.00)
    assert statements.loc["2027-12", "clawback_balance"] == money(500.00)
    assert statements["paid"].sum() - statements.loc["2027-12", "clawback_balance"] == money(0.0)


def test_purium_clawback_leaves_a_negative_balance_when_next_pay_is_short():
    """Purium support, "Negative Balance",
    https://support.mypurium.com/support/solutions/articles/6000058186-negative-balance

    "If you originally earned $50 on the weekly commission schedule, that same amount will be
    deducted from your next weekly commission. If you earn less than $50 on the next commission,
    there will be a negative balance of $50 minus whatever you did earn."

    Monthly payouts here (spmopt pays by month, quarter or year) and a flat 10% commission: a
    $500 sale in January earns $50; in February the sale is returned (−$500, same deal) and new
    sales of $300 earn $30. February's true-up is −$20: nothing is paid and $20 (= $50 − $30) is
    carried as owed.
    """
    plan = make_plan(
        CLAWBACK_PLAN, payout_frequency="month", extra="[plan.clawback]\nwindow_days = 90\n"
    )
    rows = [
        ("2027-01-10", 500.0, "S-1"),
        ("2027-02-05", -500.0, "S-1"),
        ("2027-02-12", 300.0, "S-2"),
    ]
    statements = run_statements(plan, rows)
    assert statements.loc["2027-01", "paid"] == money(50.00)
    february = statements.loc["2027-02"]
    assert february["earned"] == money(30.00 - 50.00)
    assert february["paid"] == money(0.00)
    assert february["clawback"] == money(20.00)
    assert february["clawback_balance"] == money(50.00 - 30.00)
