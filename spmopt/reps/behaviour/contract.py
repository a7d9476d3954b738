"""The one contract of effort models, and the policy objects the simulation engines call.

Every effort model (static best response, dynamic policy, baselines) is a frozen dataclass with a
``name`` and validated parameters, and ``solve(situation) -> EffortPolicy``. A policy maps arrays
of (rep index, month, attainment) to effort, vectorised:

* ``rep_index`` — integer positions of reps in the population (N,),
* ``month`` — 0-based month of the plan year (scalar or (N,)),
* ``attainment`` — attainment of the current measurement period's quota to date *as the rep last
  saw it*: at the start of the current review block (see ``review_month``).

Effort is an annualised intensity held over the month; expected sales in month m are
``productivity_m·(h + k·e)`` and the month's effort cost is ``c·e^γ/γ / 12``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from spmopt.reps.situation import Situation


class EffortPolicy(ABC):
    """Effort as a function of (rep, month, attainment seen at the last review)."""

    #: months (0-based) at which reps re-decide, e.g. (0, 3, 6, 9) for a quarterly cadence
    review_months: tuple[int, ...] = tuple(range(12))

    def review_month(self, month) -> np.ndarray:
        """The month of the last review at or before ``month``."""
        reviews = np.asarray(self.review_months)
        month = np.asarray(month)
        return reviews[np.searchsorted(reviews, month, side="right") - 1]

    @abstractmethod
    def effort(self, rep_index, month, attainment) -> np.ndarray:
        """Effort of each rep (shape of the broadcast arguments), ≥ 0."""

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of reps the policy was solved for."""


class EffortModel(ABC):
    """A named, switchable model of how reps choose effort."""

    name: ClassVar[str]
    #: False for baselines that ignore the plan
    responds_to_plan: ClassVar[bool] = True

    @abstractmethod
    def solve(self, situation: Situation) -> EffortPolicy:
        """The policy of every rep in ``situation.population``."""


class TablePolicy(EffortPolicy):
    """A policy that ignores month and attainment: one effort per rep."""

    review_months = (0,)

    def __init__(self, effort: np.ndarray):
        self._effort = np.asarray(effort, dtype=float)

    @property
    def size(self) -> int:
        return self._effort.shape[0]

    def effort(self, rep_index, month, attainment) -> np.ndarray:
        rep_index, _, attainment = np.broadcast_arrays(rep_index, month, attainment)
        return self._effort[rep_index]
