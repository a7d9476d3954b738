"""Statements engine: semantics of design §3.2–§3.3 and the reconciliation invariant.

Expected figures are worked out by hand in each test from the plan's rules.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_helpers import SIMPLE, credits, make_plan

import spmopt
from spmopt.errors import SpmoptInputError


def paid_by_period(result, rep="a") -> dict[str, float]:
    rows = result.statements[result.statements["rep_id"] == rep]
    return dict(zip(rows["period"], rows["paid"], strict=True))


def test_true_up_pays_the_increase_in_earnings_to_date():
    """Marginal 10% to quota, 1.5x above (base rate 0.09 → 0.135). Q1 600k → 60,000;
    Q2 +600k → 1.2M to date: 100,000 + 0.135·200,000 = 127,000 → true-up 67,000."""
    plan = make_plan(
        SIMPLE.replace(
            "tiers = [{ from = 0.0, rate = 0.1 }]",
            "tiers = [{ from = 0.0, rate = 0.1 }, { from = 1.0, multiplier = 1.5 }]",
        )
    )
    result = spmopt.statements(
        plan,
        credits(("a", "2027-02-01", "bookings", 600000), ("a", "2027-04-01", "bookings", 600000)),
    )
    assert paid_by_period(result) == {
        "2027-Q1": 60000,
        "2027-Q2": 67000,
        "2027-Q3": 0,
        "2027-Q4": 0,
    }


def test_quarterly_measurement_resets_and_spreads_quota():
    """Retroactive: 5% below 100% of the quarter's quota (250k), 8% at or above it.
    Q1 260k → 8%·260k = 20,800; Q2 240k → 5%·240k = 12,000 (the reset forgets Q1)."""
    component = """
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1000000
method = "retroactive"
measurement_period = "quarter"
tiers = [{ from = 0.0, rate = 0.05 }, { from = 1.0, rate = 0.08 }]
"""
    result = spmopt.statements(
        make_plan(component),
        credits(("a", "2027-03-31", "bookings", 260000), ("a", "2027-05-15", "bookings", 240000)),
    )
    assert paid_by_period(result) == {
        "2027-Q1": 20800,
        "2027-Q2": 12000,
        "2027-Q3": 0,
        "2027-Q4": 0,
    }


@pytest.mark.parametrize(("boundary", "expected"), [("higher", 80000.0), ("lower", 50000.0)])
def test_boundary_rule_on_a_retroactive_tier(boundary, expected):
    """Exactly at 100% of quota: 'higher' takes the 8% tier (80,000), 'lower' the 5% (50,000)."""
    component = f"""
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1000000
method = "retroactive"
boundary = "{boundary}"
tiers = [{{ from = 0.0, rate = 0.05 }}, {{ from = 1.0, rate = 0.08 }}]
"""
    result = spmopt.statements(
        make_plan(component), credits(("a", "2027-06-30", "bookings", 1000000))
    )
    assert result.statements["earned"].sum() == expected


def test_threshold_gate_pays_from_zero_once_reached():
    """Threshold 50%: 499,999.99 earns nothing; one more cent earns 10% of the whole 500,000."""
    plan = make_plan(SIMPLE.replace("tiers", "threshold = 0.5\ntiers"))
    below = spmopt.statements(plan, credits(("a", "2027-01-10", "bookings", 499999.99)))
    at = spmopt.statements(
        plan,
        credits(("a", "2027-01-10", "bookings", 499999.99), ("a", "2027-01-11", "bookings", 0.01)),
    )
    assert below.statements["earned"].sum() == 0
    assert at.statements["earned"].sum() == 50000


def test_cap_and_max_payout():
    """Cap at 150%: credit above 1.5M earns nothing → 150,000; max_payout 120,000 binds first."""
    plan = make_plan(SIMPLE.replace("tiers", "cap = 1.5\ntiers"))
    result = spmopt.statements(plan, credits(("a", "2027-01-10", "bookings", 2_000_000)))
    assert result.statements["earned"].sum() == 150000
    capped = make_plan(SIMPLE.replace("tiers", "cap = 1.5\nmax_payout = 120000\ntiers"))
    result = spmopt.statements(capped, credits(("a", "2027-01-10", "bookings", 2_000_000)))
    assert result.statements["earned"].sum() == 120000


def test_per_transaction_tiers_apply_to_each_credit():
    """Amount basis per transaction: 5% up to 100k of a deal, 10% on the part above.
    Deals 50k and 150k: 2,500 + (5,000 + 5,000) = 12,500 (period-to-date would give 15,000)."""
    component = """
[[plan.components]]
id = "deals"
measure = "bookings"
quota = 1000000
basis = "amount"
evaluation = "per_transaction"
tiers = [{ from = 0, rate = 0.05 }, { from = 100000, rate = 0.10 }]
"""
    rows = (("a", "2027-01-10", "bookings", 50000), ("a", "2027-01-20", "bookings", 150000))
    per_deal = spmopt.statements(make_plan(component), credits(*rows))
    cumulative = spmopt.statements(
        make_plan(component.replace("per_transaction", "period_to_date")), credits(*rows)
    )
    assert per_deal.statements["earned"].sum() == 12500
    assert cumulative.statements["earned"].sum() == 15000


def test_non_recoverable_draw_tops_up_and_forgets():
    """Draw 5,000 a month, non-recoverable: January earns 2,000 → paid 5,000; February earns
    9,000 → paid 9,000 (nothing recovered)."""
    plan = make_plan(SIMPLE, '[plan.draw]\nkind = "non_recoverable"\namount = 5000', payout="month")
    result = spmopt.statements(
        plan,
        credits(("a", "2027-01-10", "bookings", 20000), ("a", "2027-02-10", "bookings", 90000)),
    )
    rows = result.statements.set_index("period")
    assert rows.loc["2027-01", "paid"] == 5000
    assert rows.loc["2027-01", "draw_topup"] == 3000
    assert rows.loc["2027-02", "paid"] == 9000
    assert rows["draw_recovery"].sum() == 0


def test_recoverable_draw_is_repaid_from_later_excess():
    """Draw 5,000 a month, recoverable: Jan earns 2,000 → topup 3,000 (owed 3,000); Feb earns
    6,000 → 1,000 above the draw repays 1,000 (paid 5,000, owed 2,000); Mar earns 10,000 →
    repays 2,000 (paid 8,000, owed 0); from April nothing earned → the draw pays 5,000 each
    month and the balance grows by 5,000 a month."""
    plan = make_plan(SIMPLE, '[plan.draw]\nkind = "recoverable"\namount = 5000', payout="month")
    result = spmopt.statements(
        plan,
        credits(
            ("a", "2027-01-10", "bookings", 20000),
            ("a", "2027-02-10", "bookings", 60000),
            ("a", "2027-03-10", "bookings", 100000),
        ),
    )
    rows = result.statements.set_index("period")
    assert rows.loc["2027-01", ["paid", "draw_topup", "draw_balance"]].tolist() == [
        5000,
        3000,
        3000,
    ]
    assert rows.loc["2027-02", ["paid", "draw_recovery", "draw_balance"]].tolist() == [
        5000,
        1000,
        2000,
    ]
    assert rows.loc["2027-03", ["paid", "draw_recovery", "draw_balance"]].tolist() == [
        8000,
        2000,
        0,
    ]
    assert rows.loc["2027-12", "draw_balance"] == 9 * 5000


def test_draw_limited_to_first_periods_of_employment():
    """A 2-quarter draw for a rep starting in April applies in Q2 and Q3 only."""
    plan = make_plan(SIMPLE, '[plan.draw]\nkind = "non_recoverable"\namount = 4000\nperiods = 2')
    roster = pd.DataFrame({"rep_id": ["a"], "start_date": ["2027-04-01"]})
    result = spmopt.statements(plan, credits(("a", "2027-05-10", "bookings", 1000)), roster)
    rows = result.statements.set_index("period")
    assert list(rows.index) == ["2027-Q2", "2027-Q3", "2027-Q4"]
    assert rows["draw_topup"].tolist() == [3900, 4000, 0]


def test_cancellation_is_clawed_back_from_later_payouts():
    """Q1 earns 10,000; a Q2 cancellation of 60,000 makes earnings to date 4,000 → true-up
    −6,000, deferred (paid 0, owed 6,000); Q3 earns 8,000 → 6,000 recovered, paid 2,000."""
    plan = make_plan(SIMPLE, "[plan.clawback]\nwindow_days = 180")
    result = spmopt.statements(
        plan,
        credits(
            ("a", "2027-02-01", "bookings", 100000, "d1"),
            ("a", "2027-05-01", "bookings", -60000, "d1"),
            ("a", "2027-08-01", "bookings", 80000, "d2"),
        ),
    )
    rows = result.statements.set_index("period")
    assert rows["earned"].tolist() == [10000, -6000, 8000, 0]
    assert rows["clawback"].tolist() == [0, 6000, -6000, 0]
    assert rows["paid"].tolist() == [10000, 0, 2000, 0]
    assert rows["clawback_balance"].tolist() == [0, 6000, 0, 0]


def test_cancellation_outside_the_window_is_not_clawed_back():
    """Booked 2027-01-05, cancelled 2027-09-01 (239 days > 180): pay is kept, an audit line says so."""
    plan = make_plan(SIMPLE, "[plan.clawback]\nwindow_days = 180")
    result = spmopt.statements(
        plan,
        credits(
            ("a", "2027-01-05", "bookings", 100000, "d1"),
            ("a", "2027-09-01", "bookings", -100000, "d1"),
        ),
    )
    assert result.statements["paid"].sum() == 10000
    assert (result.lines["line"] == "cancellation_outside_clawback_window").sum() == 1


def test_mid_year_starter_is_prorated():
    """Start 2027-07-01: quota 500,000 and TI 45,000 (6/12). 500,000 credited is 100%, so the
    multiplier tier (1x base rate = 45,000/500,000 = 0.09) pays 45,000."""
    component = SIMPLE.replace("rate = 0.1", "multiplier = 1.0")
    roster = pd.DataFrame({"rep_id": ["a"], "start_date": ["2027-07-01"]})
    result = spmopt.statements(
        make_plan(component), credits(("a", "2027-08-01", "bookings", 500000)), roster
    )
    assert result.statements["earned"].sum() == 45000
    assert result.statements["attainment"].iloc[-1] == 1.0


def test_roster_quota_and_target_incentive_override_the_plan():
    component = SIMPLE.replace("rate = 0.1", "multiplier = 1.0")
    roster = pd.DataFrame(
        {"rep_id": ["a"], "quota_bookings": [400000.0], "target_incentive": [60000.0]}
    )
    result = spmopt.statements(
        make_plan(component), credits(("a", "2027-08-01", "bookings", 200000)), roster
    )
    assert result.statements["earned"].sum() == 30000  # 50% of 60,000 at a base rate of 0.15


def test_quarterly_bonus_per_quarter():
    """10,000 bonus at 100% of the quarter's quota (250k): Q1 300k yes, Q2 200k no, Q3 250k yes."""
    extra = '[[plan.bonuses]]\nid = "q"\nmeasure = "bookings"\nat = 1.0\namount = 10000\nperiod = "quarter"'
    plan = make_plan(SIMPLE.replace("rate = 0.1", "rate = 0.0"), extra)
    result = spmopt.statements(
        plan,
        credits(
            ("a", "2027-01-10", "bookings", 300000),
            ("a", "2027-04-10", "bookings", 200000),
            ("a", "2027-09-30", "bookings", 250000),
        ),
    )
    assert result.statements["paid"].tolist() == [10000, 0, 10000, 0]


def test_multiple_plans_assigned_by_roster():
    other = make_plan(SIMPLE.replace("rate = 0.1", "rate = 0.2")).replace(id="other")
    roster = pd.DataFrame({"rep_id": ["a", "b"], "plan_id": ["test", "other"]})
    rows = credits(("a", "2027-01-10", "bookings", 1000), ("b", "2027-01-10", "bookings", 1000))
    result = spmopt.statements([make_plan(SIMPLE), other], rows, roster)
    assert result.summary().set_index("rep_id")["paid"].to_dict() == {"a": 100, "b": 200}


# ----------------------------------------------------------------------------- invariants
PLANS = [
    make_plan(
        SIMPLE.replace(
            "tiers = [{ from = 0.0, rate = 0.1 }]",
            "threshold = 0.3\ncap = 1.8\nmax_payout = 150000\n"
            "tiers = [{ from = 0.0, rate = 0.1 }, { from = 1.0, multiplier = 1.5 }]",
        ),
        '[plan.draw]\nkind = "recoverable"\namount = 4000\n'
        "[plan.clawback]\nwindow_days = 120\n"
        '[[plan.bonuses]]\nid = "club"\nmeasure = "bookings"\nat = 1.0\namount = 5000',
        payout="month",
    ),
    make_plan(
        SIMPLE.replace(
            "quota = 1000000",
            'quota = 1000000\nmeasurement_period = "quarter"\nmethod = "retroactive"',
        ).replace(
            "tiers = [{ from = 0.0, rate = 0.1 }]",
            "tiers = [{ from = 0.0, rate = 0.05 }, { from = 0.8, rate = 0.08 }, { from = 1.2, rate = 0.12 }]",
        ),
        '[plan.draw]\nkind = "non_recoverable"\namount = 9000',
    ),
]

credit_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.dates(
            min_value=pd.Timestamp("2027-01-01").date(), max_value=pd.Timestamp("2027-12-31").date()
        ),
        st.integers(min_value=-30_000_000, max_value=80_000_000).map(lambda cents: cents / 100),
        st.sampled_from(["d1", "d2", "d3", ""]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=credit_rows, which=st.sampled_from(range(len(PLANS))))
def test_payouts_reconcile_to_the_cent(rows, which):
    """Over the year: Σ paid = Σ earned + Σ topup − Σ recovery + Σ clawback; Σ earned equals the
    final earnings to date (the lines); balances equal their flows; nothing is paid below zero;
    every rep-period's lines sum to its paid."""
    plan = PLANS[which]
    frame = pd.DataFrame(
        [(rep, date.isoformat(), "bookings", amount, deal) for rep, date, amount, deal in rows],
        columns=["rep_id", "date", "measure", "amount", "deal_id"],
    )
    result = spmopt.statements(plan, frame)
    table = result.statements
    cents = {
        column: np.rint(table[column].to_numpy() * 100).astype(np.int64)
        for column in table.columns[2:11]
        if column != "attainment"
    }
    assert np.array_equal(
        cents["paid"],
        cents["earned"] + cents["draw_topup"] - cents["draw_recovery"] + cents["clawback"],
    )
    assert (cents["paid"] >= 0).all()
    for rep, rows_of_rep in table.groupby("rep_id"):
        last = rows_of_rep.iloc[-1]
        assert round(rows_of_rep["clawback"].sum(), 2) == last["clawback_balance"]
        if plan.draw.kind == "recoverable":
            flows = rows_of_rep["draw_topup"].sum() - rows_of_rep["draw_recovery"].sum()
            assert round(flows, 2) == last["draw_balance"]
        component_lines = result.lines[
            (result.lines["rep_id"] == rep) & result.lines["line"].str.startswith("component:")
        ]
        assert round(component_lines["earnings_to_date"].iloc[-1], 2) == round(
            component_lines["amount"].sum(), 2
        )
    by_line = result.lines.groupby(["rep_id", "period"])["amount"].sum().round(2)
    by_statement = table.set_index(["rep_id", "period"])["paid"].round(2)
    pd.testing.assert_series_equal(
        by_line.sort_index(), by_statement.sort_index(), check_names=False
    )


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (credits(("a", "2026-12-31", "bookings", 1)), "outside plan 'test''s year"),
        (credits(("a", "2027-01-31", "renewals", 1)), "measure 'renewals' is not paid by plan"),
        (credits(("a", "not a date", "bookings", 1)), "is not a date"),
        (credits(("a", "2027-01-31", "bookings", "12x")), "is not a number"),
        (credits(("", "2027-01-31", "bookings", 1)), "rep_id is empty"),
        (credits()[["rep_id", "date", "amount"]], "missing column measure"),
        (credits(), "no credit rows"),
    ],
)
def test_bad_credits_are_named(rows, message):
    with pytest.raises(SpmoptInputError, match=message):
        spmopt.statements(make_plan(SIMPLE), rows)


def test_credits_for_unknown_rep_and_early_credit():
    roster = pd.DataFrame({"rep_id": ["a"], "start_date": ["2027-06-01"]})
    with pytest.raises(SpmoptInputError, match="rep_id 'z' is not in the roster"):
        spmopt.statements(make_plan(SIMPLE), credits(("z", "2027-07-01", "bookings", 1)), roster)
    with pytest.raises(SpmoptInputError, match="before rep 'a' starts"):
        spmopt.statements(make_plan(SIMPLE), credits(("a", "2027-02-01", "bookings", 1)), roster)


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        (pd.DataFrame({"rep_id": ["a", "a"]}), "appears twice"),
        (pd.DataFrame({"rep_id": ["a"], "quota": [0.0]}), "quota is 0; expected a positive amount"),
        (
            pd.DataFrame({"rep_id": ["a"], "target_incentiv": [1.0]}),
            "unknown column 'target_incentiv'",
        ),
        (
            pd.DataFrame({"rep_id": ["a"], "quota_renewals": [1.0]}),
            "quota_renewals names no component",
        ),
        (pd.DataFrame({"rep_id": ["a"], "start_date": ["2028-02-01"]}), "after the plan year"),
        (
            pd.DataFrame({"rep_id": ["a"], "plan_id": ["nope"]}),
            "plan_id 'nope' is not among the plans",
        ),
    ],
)
def test_bad_roster_is_named(roster, message):
    with pytest.raises(SpmoptInputError, match=message):
        spmopt.statements(make_plan(SIMPLE), credits(("a", "2027-07-01", "bookings", 1)), roster)


def test_per_transaction_attainment_against_a_zero_quota_earns_nothing():
    """A rep whose period quota is 0 (roster quota 0) earns nothing on attainment-based
    per-transaction credits — no division by zero, no NaN turned into cents — as in the
    period-to-date evaluation. The other rep's 5M deal, evaluated alone at attainment 5.0, pays
    0.05 · 1M + 0.10 · 4M = 450,000."""
    from spmopt.plan.earnings import CreditRows, RepTerms, plan_earnings

    plan = make_plan(
        """
[[plan.components]]
id = "deals"
measure = "bookings"
quota = 1000000
basis = "attainment"
evaluation = "per_transaction"
tiers = [{ from = 0, rate = 0.05 }, { from = 1.0, rate = 0.10 }]
"""
    )
    terms = RepTerms.build(plan, ["a", "b"], quota={"deals": np.array([0.0, 1e6])})
    rows = CreditRows(
        rep_index=np.array([0, 0, 1]), month=np.array([1, 2, 1]), cents=np.array([0.0, 5e8, 5e8])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = plan_earnings(plan, terms, {"bookings": rows.monthly(2)}, {"bookings": rows})
    assert (total.total_to_date[0] == 0).all()
    assert total.total_to_date[1, -1] == 450_000 * 100


def test_audit_lines_are_ordered_by_roster_rep_then_period_then_kind_of_line():
    """lines.csv reads rep by rep (roster order), period by period; within a period the component
    lines (plan order) come first, then bonuses, draw top-up and recovery, clawback and ignored
    cancellations — on the shipped example (two plans, clawbacks, mid-year starters)."""
    scenarios = Path(__file__).parents[2] / "scenarios"
    plans = [
        spmopt.Plan.load(scenarios / "plans" / f"{n}.toml") for n in ("saas-ae", "multi-measure")
    ]
    roster = spmopt.read_roster(scenarios / "data" / "roster.csv")
    result = spmopt.statements(
        plans, spmopt.read_credits(scenarios / "data" / "credits.csv"), roster
    )
    lines = result.lines
    rep_position = lines["rep_id"].map({rep: i for i, rep in enumerate(roster["rep_id"])})
    labels = sorted(set(lines["period"]))
    period_position = lines["period"].map({label: i for i, label in enumerate(labels)})
    kinds = ["component", "bonus", "draw_topup", "draw_recovery", "clawback", "cancellation"]
    kind_position = lines["line"].map(
        lambda line: next(i for i, kind in enumerate(kinds) if line.startswith(kind))
    )
    keys = list(zip(rep_position, period_position, kind_position, strict=True))
    # the two plans' reps are interleaved in the roster, but each plan's lines come as a block
    for plan in plans:
        on_plan = (roster.set_index("rep_id").loc[lines["rep_id"], "plan_id"] == plan.id).to_numpy()
        plan_keys = [key for key, keep in zip(keys, on_plan, strict=True) if keep]
        assert plan_keys == sorted(plan_keys)
    assert (lines["line"] == "cancellation_outside_clawback_window").any()
