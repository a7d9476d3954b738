"""The response-table contract: what is accepted, and one clear error per way of breaking it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_lp_helpers import item, responses

from spmopt.errors import SpmoptInputError
from spmopt.optimise.constraints import (
    Constraints,
    CVaRLimit,
    PayDispersion,
    QuotaBounds,
    QuotaShare,
)
from spmopt.optimise.lp import Solver, solve
from spmopt.optimise.responses import RESPONSE_COLUMNS, ResponseTable, validate_responses


def table() -> pd.DataFrame:
    return responses(
        [
            item("east", "a", profit=5, cost=2, revenue=10),
            item("west", "a", profit=4, cost=2, revenue=9),
            item("east", "b", profit=6, cost=3, revenue=12),
            item("west", "b", profit=3, cost=1, revenue=8),
        ]
    )


def test_valid_table_is_grouped_by_unit_in_order_of_appearance():
    frame = table()
    frame["revenue_se"] = 0.1
    valid = ResponseTable.from_frames(frame)
    assert valid.units == ("east", "west")
    assert valid.frame["candidate"].tolist() == ["a", "b", "a", "b"]
    assert valid.starts.tolist() == [0, 2, 4]
    assert valid.profit.tolist() == [5.0, 6.0, 4.0, 3.0]
    assert valid.comp_cost.tolist() == [2.0, 3.0, 2.0, 1.0]


def test_candidate_ids_become_text_and_units_keep_their_type():
    frame = table()
    frame["unit"] = [101, 202, 101, 202]
    frame["candidate"] = [1, 1, 2, 2]
    valid = ResponseTable.from_frames(frame)
    assert valid.units == (101, 202)
    assert valid.frame["candidate"].tolist() == ["1", "2", "1", "2"]
    result = solve(frame, Constraints(budget=4.0))
    assert result.choice["unit"].tolist() == [101, 202]


@pytest.mark.parametrize("column", RESPONSE_COLUMNS)
def test_missing_column_is_named(column):
    with pytest.raises(SpmoptInputError, match=f"missing column.*'{column}'"):
        validate_responses(table().drop(columns=column))


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("revenue", np.nan, "column 'revenue' is NaN; expected a finite number"),
        ("margin", np.inf, "column 'margin' is inf; expected a finite number"),
        ("reps", -1.0, "column 'reps' is -1.0; expected a number >= 0"),
        ("p_quota", 1.5, "column 'p_quota' is 1.5; expected a number between 0 and 1"),
        ("attrition", -0.1, "'attrition' is -0.1; expected a number between 0 and 1"),
        ("quota", -5.0, "column 'quota' is -5.0; expected a number >= 0"),
        ("revenue_se", -1.0, "column 'revenue_se' is -1.0; expected a number >= 0"),
        ("base_cost", "lots", "column 'base_cost' is 'lots'; expected a number"),
    ],
)
def test_bad_value_names_column_and_row(column, value, expected):
    frame = table()
    if column not in frame:
        frame[column] = 0.0
    frame[column] = frame[column].astype(object)
    frame.loc[2, column] = value
    with pytest.raises(SpmoptInputError) as caught:
        validate_responses(frame)
    message = str(caught.value)
    assert message.startswith("responses: row 2 (unit 'east', candidate 'b')")
    assert expected in message


def test_duplicate_unit_candidate_is_named():
    frame = pd.concat([table(), table().iloc[[3]]], ignore_index=True)
    with pytest.raises(
        SpmoptInputError, match=r"rows 3, 4: duplicate \(unit 'west', candidate 'b'\)"
    ):
        validate_responses(frame)


def test_candidates_equal_as_text_are_duplicates():
    frame = table()
    frame["candidate"] = [1, 1, "1", 2]
    with pytest.raises(SpmoptInputError, match="duplicate"):
        validate_responses(frame)


def test_missing_key_and_empty_table_and_wrong_type():
    frame = table()
    frame.loc[1, "unit"] = None
    with pytest.raises(SpmoptInputError, match="row 1: column 'unit' is missing"):
        validate_responses(frame)
    with pytest.raises(SpmoptInputError, match="no rows"):
        validate_responses(table().iloc[:0])
    with pytest.raises(SpmoptInputError, match="expected a pandas DataFrame"):
        validate_responses({"unit": ["a"]})


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: Constraints(budget="big"), "constraints.budget: expected a number"),
        (lambda: Constraints(cos_ceiling=-0.1), "constraints.cos_ceiling: expected a finite"),
        (lambda: Constraints(cvar=CVaRLimit(1.0, 5.0)), "constraints.cvar.alpha"),
        (lambda: Constraints(quota_share=(0.8, 0.2)), "low <= high"),
        (lambda: Constraints(quota_share=QuotaShare(low=1.2)), "quota_share.low"),
        (lambda: Constraints(pay_dispersion=0.5), "pay_dispersion.max_ratio"),
        (lambda: Constraints(participation="yes"), "participation: expected true or false"),
        (lambda: Constraints(quota_bounds=[(1, 2)]), "quota_bounds: expected a mapping"),
        (lambda: Constraints(quota_bounds={"east": (3, 1)}), "low <= high"),
    ],
)
def test_bad_constraints_are_named(make, expected):
    with pytest.raises(SpmoptInputError, match=expected):
        make()


def test_constraints_accept_pairs_and_numbers():
    constraints = Constraints(
        quota_share=(0.5, None), quota_coverage=(100.0, 1.1), pay_dispersion=3, quota_bounds={}
    )
    assert constraints.quota_share == QuotaShare(0.5, None)
    assert constraints.quota_coverage.required == pytest.approx(110.0)
    assert constraints.pay_dispersion == PayDispersion(3.0)
    assert constraints.families() == ("attain_floor", "quota_coverage", "pay_dispersion")
    assert constraints.without("attain_floor").quota_share is None
    bounded = Constraints(quota_bounds={"east": (1, 2)})
    assert hash(bounded) == hash(Constraints(quota_bounds={"east": QuotaBounds(1, 2)}))
    assert bounded.quota_bounds == {"east": QuotaBounds(1.0, 2.0)}


def test_pay_dispersion_needs_positive_pay():
    frame = table()
    frame.loc[0, ["incentive_cost", "margin"]] = [0.0, 5.0]
    with pytest.raises(SpmoptInputError, match="unit 'east', candidate 'a' has expected pay"):
        solve(frame, Constraints(pay_dispersion=2.0))


def test_bad_options():
    with pytest.raises(SpmoptInputError, match="solver"):
        solve(table(), solver="gurobi")
    with pytest.raises(SpmoptInputError, match="lp_method"):
        Solver("highs", lp_method="barrier")
    with pytest.raises(SpmoptInputError, match="gap_rel"):
        solve(table(), gap_rel=-1.0)
