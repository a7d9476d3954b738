"""Baselines that ignore (fixed effort) or crudely follow (rule of thumb) the plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from spmopt.reps._checks import number
from spmopt.reps.behaviour.contract import EffortModel, EffortPolicy, TablePolicy
from spmopt.reps.seasonality import MONTHS
from spmopt.reps.situation import Situation


@dataclass(frozen=True)
class FixedEffort(EffortModel):
    """Effort model ``"fixed_effort"``: every rep works ``effort`` whatever the plan pays.

    With ``effort = 0`` reps sell their base sales — the "replay last year" assumption of ICM
    tools when base sales are last year's sales.
    """

    effort: float = 1.0
    name: ClassVar[str] = "fixed_effort"
    responds_to_plan: ClassVar[bool] = False

    def __post_init__(self):
        number("behaviour.effort.effort", self.effort, low=0)

    def solve(self, situation: Situation) -> TablePolicy:
        return TablePolicy(np.full(len(situation), float(self.effort)))


class _RuleOfThumbPolicy(EffortPolicy):
    def __init__(self, situation: Situation, max_effort: float):
        reps = situation.reps
        self.h = reps.base_sales
        self.k = reps.effectiveness
        self.period = situation.measurement_months
        self.period_quota = situation.quota * self.period / MONTHS
        productivity = situation.productivity
        # remaining exposure of the measurement period from each month on (N, 12)
        blocks = productivity.reshape(len(reps), MONTHS // self.period, self.period)
        remaining = np.flip(np.cumsum(np.flip(blocks, axis=2), axis=2), axis=2)
        self.remaining = remaining.reshape(len(reps), MONTHS)
        self.max_effort = max_effort

    @property
    def size(self) -> int:
        return self.h.shape[0]

    def effort(self, rep_index, month, attainment) -> np.ndarray:
        rep_index, month, attainment = np.broadcast_arrays(
            np.asarray(rep_index, dtype=np.intp),
            np.asarray(month, dtype=np.intp),
            np.asarray(attainment, dtype=float),
        )
        remaining = self.remaining[rep_index, month]
        gap = np.maximum(1.0 - attainment, 0.0) * self.period_quota[rep_index]
        with np.errstate(divide="ignore", invalid="ignore"):
            needed = np.where(remaining > 0, gap / remaining, 0.0)
            k = self.k[rep_index]
            effort = np.where(k > 0, (needed - self.h[rep_index]) / k, 0.0)
        return np.clip(np.where(gap > 0, effort, 0.0), 0.0, self.max_effort)


@dataclass(frozen=True)
class RuleOfThumb(EffortModel):
    """Effort model ``"rule_of_thumb"``: work just hard enough to make quota in expectation.

    Each month the rep sets the effort at which expected sales over the rest of the measurement
    period close the gap to quota, ``e = ((1 − A)·Q / x_remaining − h)/k``, clipped to
    ``[0, max_effort]``, and stops once quota is made. It responds to the quota only, not to
    rates, accelerators, caps or bonuses.
    """

    max_effort: float = 2.0
    name: ClassVar[str] = "rule_of_thumb"
    responds_to_plan: ClassVar[bool] = False

    def __post_init__(self):
        number("behaviour.effort.max_effort", self.max_effort, low=0)

    def solve(self, situation: Situation) -> EffortPolicy:
        return _RuleOfThumbPolicy(situation, float(self.max_effort))
