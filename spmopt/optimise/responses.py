"""The response table: what the optimiser knows about each candidate plan, and its validation.

A response table is a tidy DataFrame with one row per (unit, candidate). A *unit* is the thing
that receives exactly one candidate plan: a segment name, or a rep id when plans are chosen rep
by rep. Money is in the plan's currency per year, summed over the reps the row stands for,
unless stated otherwise:

========================  ======================================================================
``unit``                  segment name or rep id (any hashable; shown as text)
``candidate``             candidate plan id (text)
``revenue``               expected revenue booked by the unit [currency/yr]
``margin``                expected gross margin on that revenue [currency/yr]
``incentive_cost``        expected incentive pay of the unit [currency/yr]
``base_cost``             expected base salaries of the unit [currency/yr]
``discount_cost``         expected revenue lost to timing games (pulled deals) [currency/yr]
``certainty_equivalent``  certainty equivalent of one rep of the unit, base included [currency/yr]
``outside_option``        what one rep of the unit could earn elsewhere [currency/yr]
``p_quota``               probability that a rep of the unit reaches quota [0–1]
``reps``                  head count the row stands for (≥ 0)
``quota``                 annual quota per rep [currency/yr]
``attrition``             expected share of the unit's reps who leave during the year [0–1]
``share_below_outside_option``
                          (optional) share of the unit's reps whose own certainty equivalent is
                          below their own outside option [0–1]; needed by the
                          ``rep_participation`` constraint
``*_se`` (optional)       standard error of any of the above (≥ 0)
========================  ======================================================================

Expected profit of a row = ``margin − incentive_cost − base_cost − discount_cost``.

The optional *samples* table holds per-replication outcomes for risk constraints, one row per
(unit, candidate, scenario): ``unit, candidate, scenario, comp_cost``, where ``comp_cost`` is the
unit's total compensation cost (incentive + base) in simulated scenario ``scenario``. Scenarios are
shared across candidates (common random numbers), so every (unit, candidate) of the response table
must have a sample for every scenario.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({
...     "unit": ["smb", "smb"], "candidate": ["a", "b"], "revenue": [1e6, 1.2e6],
...     "margin": [6e5, 7.2e5], "incentive_cost": [1e5, 1.5e5], "base_cost": [2e5, 2e5],
...     "discount_cost": [0.0, 1e4], "certainty_equivalent": [1.4e5, 1.5e5],
...     "outside_option": [1.3e5, 1.3e5], "p_quota": [0.5, 0.6], "reps": [2, 2],
...     "quota": [5e5, 6e5], "attrition": [0.1, 0.08]})
>>> table = ResponseTable.from_frames(frame)
>>> table.units, table.profit.tolist()
(('smb',), [300000.0, 360000.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError

KEY_COLUMNS: tuple[str, ...] = ("unit", "candidate")
VALUE_COLUMNS: tuple[str, ...] = (
    "revenue",
    "margin",
    "incentive_cost",
    "base_cost",
    "discount_cost",
    "certainty_equivalent",
    "outside_option",
    "p_quota",
    "reps",
    "quota",
    "attrition",
)
RESPONSE_COLUMNS: tuple[str, ...] = KEY_COLUMNS + VALUE_COLUMNS
# optional value columns, validated when present
OPTIONAL_COLUMNS: tuple[str, ...] = ("share_below_outside_option",)
SAMPLE_COLUMNS: tuple[str, ...] = ("unit", "candidate", "scenario", "comp_cost")

# columns with bounds beyond "finite": name -> (low, high)
_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "reps": (0.0, None),
    "quota": (0.0, None),
    "p_quota": (0.0, 1.0),
    "attrition": (0.0, 1.0),
    "share_below_outside_option": (0.0, 1.0),
}


def _show(value: object) -> str:
    """``repr`` of a value, numpy scalars shown as the Python value they hold."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _row_label(frame: pd.DataFrame, position: int) -> str:
    """``row 3 (unit 'smb', candidate 'b')``: a row of ``frame`` by position, for messages."""
    row = frame.iloc[position]
    keys = ", ".join(
        f"{column} {_show(row[column])}" for column in ("unit", "candidate") if column in frame
    )
    return f"row {position}" + (f" ({keys})" if keys else "")


def _check_columns(frame: object, required: Sequence[str], source: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise SpmoptInputError(f"expected a pandas DataFrame, got {type(frame).__name__}", source)
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise SpmoptInputError(
            f"missing column(s) {', '.join(map(repr, missing))}; expected columns "
            f"{', '.join(required)}",
            source,
        )
    if len(frame) == 0:
        raise SpmoptInputError("the table has no rows; expected at least one", source)
    return frame


def _check_keys(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    for column in columns:
        missing = frame[column].isna().to_numpy()
        if missing.any():
            position = int(np.flatnonzero(missing)[0])
            raise SpmoptInputError(
                f"row {position}: column {column!r} is missing; expected a value", source
            )
    duplicated = frame.duplicated(list(columns), keep=False).to_numpy()
    if duplicated.any():
        positions = np.flatnonzero(duplicated)
        first = frame.iloc[positions[0]]
        same = positions[(frame.iloc[positions][list(columns)] == first[list(columns)]).all(axis=1)]
        pair = ", ".join(f"{column} {_show(first[column])}" for column in columns)
        raise SpmoptInputError(
            f"rows {', '.join(map(str, same[:5]))}: duplicate ({pair}); expected one row per "
            f"({', '.join(columns)})",
            source,
        )


def _numeric(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Column ``column`` as finite floats within its bounds (first offending row named)."""
    try:
        values = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        converted = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        position = int(np.flatnonzero(np.isnan(converted) & frame[column].notna().to_numpy())[0])
        raise SpmoptInputError(
            f"{_row_label(frame, position)}: column {column!r} is "
            f"{_show(frame[column].iloc[position])}; expected a number",
            source,
        ) from None
    low, high = _BOUNDS.get(column, (0.0, None) if column.endswith("_se") else (None, None))
    bad = ~np.isfinite(values)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        value = values[position]
        expected = "a finite number"
        if low is not None and high is not None:
            expected = f"a number between {low:g} and {high:g}"
        elif low is not None:
            expected = f"a number >= {low:g}"
        shown = "NaN" if np.isnan(value) else _show(value)
        raise SpmoptInputError(
            f"{_row_label(frame, position)}: column {column!r} is {shown}; expected {expected}",
            source,
        )
    return values


def validate_responses(responses: pd.DataFrame, source: str = "responses") -> pd.DataFrame:
    """A validated copy of a response table, rows grouped by unit (in order of first appearance).

    Checks the required columns (:data:`RESPONSE_COLUMNS`) are present, keys are present and
    unique per (unit, candidate), values are finite, ``reps`` and ``quota`` ≥ 0, ``p_quota``,
    ``attrition`` and (if present) ``share_below_outside_option`` in [0, 1], standard errors
    (``*_se``) ≥ 0. Candidate ids become text.

    Raises
    ------
    SpmoptInputError
        Naming the column and the row (by position and key) that breaks the contract.
    """
    frame = _check_columns(responses, RESPONSE_COLUMNS, source)
    _check_keys(frame, KEY_COLUMNS, source)
    clean = frame.copy()
    optional = [c for c in OPTIONAL_COLUMNS if c in frame.columns]
    standard_errors = [c for c in frame.columns if str(c).endswith("_se")]
    for column in (*VALUE_COLUMNS, *optional, *standard_errors):
        clean[column] = _numeric(frame, column, source)
    clean["candidate"] = clean["candidate"].astype(str)
    if clean.duplicated(list(KEY_COLUMNS)).any():  # e.g. candidates 1 and "1"
        _check_keys(clean, KEY_COLUMNS, source)
    codes, _ = pd.factorize(clean["unit"], sort=False)
    order = np.argsort(codes, kind="stable")
    return clean.iloc[order].reset_index(drop=True)


def validate_samples(
    samples: pd.DataFrame, responses: pd.DataFrame, source: str = "samples"
) -> tuple[np.ndarray, tuple[object, ...]]:
    """Per-replication comp costs as a (response row × scenario) matrix, with the scenario ids.

    ``responses`` must already be validated (:func:`validate_responses`); the matrix rows follow
    its row order. Every (unit, candidate) of the responses needs a sample in every scenario and
    the samples may name no other (unit, candidate).

    Raises
    ------
    SpmoptInputError
        Naming the missing column, the bad row, or a (unit, candidate, scenario) without a sample.
    """
    frame = _check_columns(samples, SAMPLE_COLUMNS, source)
    _check_keys(frame, ("unit", "candidate", "scenario"), source)
    comp_cost = _numeric(frame, "comp_cost", source)
    candidate = frame["candidate"].astype(str).to_numpy()
    keys = pd.MultiIndex.from_arrays([frame["unit"].to_numpy(), candidate])
    wanted = pd.MultiIndex.from_arrays(
        [responses["unit"].to_numpy(), responses["candidate"].to_numpy()]
    )
    row = wanted.get_indexer(keys)
    if (row < 0).any():
        position = int(np.flatnonzero(row < 0)[0])
        raise SpmoptInputError(
            f"{_row_label(frame, position)}: this (unit, candidate) is not in the response "
            "table; expected samples only for candidates of the response table",
            source,
        )
    scenario_codes, scenarios = pd.factorize(frame["scenario"], sort=True)
    matrix = np.full((len(responses), len(scenarios)), np.nan)
    matrix[row, scenario_codes] = comp_cost
    holes = np.isnan(matrix)
    if holes.any():
        r, s = (int(i[0]) for i in np.nonzero(holes))
        raise SpmoptInputError(
            f"no sample for unit {_show(responses['unit'].iloc[r])}, candidate "
            f"{_show(responses['candidate'].iloc[r])}, scenario {_show(scenarios[s])}; expected every "
            "(unit, candidate) in every scenario (scenarios are shared across candidates)",
            source,
        )
    return matrix, tuple(scenarios.tolist())


@dataclass(frozen=True, eq=False)
class ResponseTable:
    """A validated response table (and optional samples) as arrays the LP is built from.

    Build it with :meth:`from_frames`; rows are grouped by unit, and unit ``u`` owns the rows
    ``starts[u]:starts[u + 1]``.

    Attributes
    ----------
    frame:
        The validated response table (see the module docstring for the columns).
    units:
        Unit ids in order of first appearance.
    unit_codes:
        For each row, the position of its unit in ``units``.
    starts:
        Row offsets of each unit, length ``len(units) + 1``.
    samples:
        Comp cost per (row, scenario) [currency/yr], or None without samples.
    scenarios:
        Scenario ids, the columns of ``samples``.
    """

    frame: pd.DataFrame
    units: tuple[object, ...]
    unit_codes: np.ndarray
    starts: np.ndarray
    samples: np.ndarray | None = None
    scenarios: tuple[object, ...] = ()

    @classmethod
    def from_frames(
        cls, responses: pd.DataFrame, samples: pd.DataFrame | None = None
    ) -> ResponseTable:
        """Validate ``responses`` (and ``samples`` if given) into a table.

        Raises
        ------
        SpmoptInputError
            If either table breaks its contract (see :func:`validate_responses`,
            :func:`validate_samples`).
        """
        frame = validate_responses(responses)
        codes, uniques = pd.factorize(frame["unit"], sort=False)
        starts = np.searchsorted(codes, np.arange(len(uniques) + 1))
        matrix, scenarios = (None, ()) if samples is None else validate_samples(samples, frame)
        return cls(frame, tuple(uniques.tolist()), codes, starts, matrix, scenarios)

    @classmethod
    def coerce(
        cls, responses: pd.DataFrame | ResponseTable, samples: pd.DataFrame | None = None
    ) -> ResponseTable:
        """``responses`` as a table: validated from frames, or as given (samples added if new)."""
        if isinstance(responses, ResponseTable):
            if samples is None:
                return responses
            matrix, scenarios = validate_samples(samples, responses.frame)
            return cls(
                responses.frame,
                responses.units,
                responses.unit_codes,
                responses.starts,
                matrix,
                scenarios,
            )
        return cls.from_frames(responses, samples)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def n_units(self) -> int:
        """Number of units (each gets one candidate)."""
        return len(self.units)

    def column(self, name: str) -> np.ndarray:
        """A value column as a float array in row order."""
        return self.frame[name].to_numpy(dtype=float)

    @cached_property
    def profit(self) -> np.ndarray:
        """Expected profit per row: margin − incentive − base − discount [currency/yr]."""
        f = self.frame
        return (f["margin"] - f["incentive_cost"] - f["base_cost"] - f["discount_cost"]).to_numpy(
            dtype=float
        )

    @cached_property
    def comp_cost(self) -> np.ndarray:
        """Expected compensation cost per row: incentive + base [currency/yr]."""
        return (self.frame["incentive_cost"] + self.frame["base_cost"]).to_numpy(dtype=float)

    @cached_property
    def candidates(self) -> np.ndarray:
        """Candidate id per row (text)."""
        return self.frame["candidate"].to_numpy(dtype=object)

    def unit_rows(self, unit_position: int) -> slice:
        """The rows of the unit at ``unit_position``."""
        return slice(int(self.starts[unit_position]), int(self.starts[unit_position + 1]))

    @cached_property
    def _positions(self) -> dict[object, int]:
        positions = {str(unit): u for u, unit in enumerate(self.units)}
        positions.update({unit: u for u, unit in enumerate(self.units)})
        return positions

    def unit_position(self, unit: object) -> int:
        """Position of ``unit`` in :attr:`units` (units compared as given, then as text)."""
        try:
            return self._positions[unit]
        except (KeyError, TypeError):
            if str(unit) in self._positions:
                return self._positions[str(unit)]
            raise SpmoptInputError(
                f"unit {unit!r} is not in the response table; expected one of "
                f"{', '.join(map(repr, self.units[:10]))}{' …' if self.n_units > 10 else ''}"
            ) from None
