"""Participation and attrition: reps paid below their outside option quit with a hazard.

Monthly quit hazard of a rep with certainty equivalent CE and outside option ū:

    hazard = 1 − (1 − h₀)·exp(−κ·a·max(0, ū − CE)/ū)

where ``h₀ = 1 − (1 − T)^(1/12)`` is the baseline monthly hazard that gives annual turnover T
(default 30%: sales turnover runs 25–35% a year, CSO Insights and others, see docs/calibration.md),
``κ`` (``shortfall_hazard``) the extra monthly hazard rate per unit of relative shortfall and a the
rep's ``attrition_sensitivity``. A leaver's seat stays vacant for ``vacancy_months`` and is then
filled by a new hire with tenure 0, who ramps (see :class:`spmopt.reps.seasonality.Ramp`).
κ = 0.5 means a rep paid 20% below market faces about 10% extra hazard a month; it is an
assumption to vary, not a calibrated figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from spmopt.reps._checks import number


@dataclass(frozen=True, eq=False)
class Workforce:
    """The state of N seats: ``active`` (a rep is in the seat), ``vacancy_left`` (months until a
    vacant seat is filled), ``tenure_months`` of the current rep, ``hires`` so far per seat."""

    active: np.ndarray
    vacancy_left: np.ndarray
    tenure_months: np.ndarray
    hires: np.ndarray

    @classmethod
    def start(cls, tenure_months) -> Workforce:
        tenure = np.asarray(tenure_months, dtype=float).copy()
        n = tenure.shape[0]
        return cls(np.ones(n, bool), np.zeros(n, np.int64), tenure, np.zeros(n, np.int64))


@dataclass(frozen=True)
class HazardAttrition:
    """Attrition model ``"hazard"`` (see module docstring for the formula)."""

    annual_turnover: float = 0.30
    shortfall_hazard: float = 0.5
    vacancy_months: int = 2
    name: ClassVar[str] = "hazard"

    def __post_init__(self):
        number("behaviour.attrition.annual_turnover", self.annual_turnover, low=0, high=0.99)
        number("behaviour.attrition.shortfall_hazard", self.shortfall_hazard, low=0)
        number(
            "behaviour.attrition.vacancy_months", self.vacancy_months, low=0, high=60, integer=True
        )

    @property
    def baseline_monthly(self) -> float:
        """h₀ = 1 − (1 − T)^(1/12)."""
        return 1.0 - (1.0 - self.annual_turnover) ** (1.0 / 12.0)

    def monthly_hazard(self, certainty_equivalent, outside_option, sensitivity=1.0) -> np.ndarray:
        """Probability of quitting this month (broadcasts its arguments)."""
        ce = np.asarray(certainty_equivalent, dtype=float)
        outside = np.asarray(outside_option, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            shortfall = np.where(outside > 0, np.maximum(outside - ce, 0.0) / outside, 0.0)
        extra = self.shortfall_hazard * np.asarray(sensitivity, dtype=float) * shortfall
        return 1.0 - (1.0 - self.baseline_monthly) * np.exp(-extra)

    def step(self, workforce: Workforce, hazard, rng: np.random.Generator):
        """One month: active reps quit with ``hazard``; vacancies count down and are filled.

        Returns ``(workforce, quits, hires)`` with boolean masks over seats.
        """
        hazard = np.broadcast_to(np.asarray(hazard, dtype=float), workforce.active.shape)
        draws = rng.uniform(size=workforce.active.shape)
        quits = workforce.active & (draws < hazard)
        was_vacant = ~workforce.active
        vacancy = np.where(was_vacant, np.maximum(workforce.vacancy_left - 1, 0), 0)
        vacancy = np.where(quits, self.vacancy_months, vacancy)
        active = workforce.active & ~quits
        hires = ~active & (vacancy == 0)
        tenure = np.where(workforce.active & ~quits, workforce.tenure_months + 1, 0.0)
        state = replace(
            workforce,
            active=active | hires,
            vacancy_left=vacancy,
            tenure_months=tenure,
            hires=workforce.hires + hires,
        )
        return state, quits, hires

    def steady_state_vacancy(self) -> float:
        """Long-run share of seats vacant at a month end with only baseline quits: v/(v + 1/h₀)."""
        v = self.vacancy_months
        return v / (v + 1.0 / self.baseline_monthly) if self.baseline_monthly > 0 else 0.0


class NoAttrition:
    """Attrition model ``"none"``: nobody leaves."""

    name: ClassVar[str] = "none"
    baseline_monthly = 0.0

    def monthly_hazard(self, certainty_equivalent, outside_option, sensitivity=1.0):
        return np.zeros(
            np.broadcast_shapes(np.shape(certainty_equivalent), np.shape(outside_option))
        )

    def step(self, workforce: Workforce, hazard, rng):
        none = np.zeros(workforce.active.shape, bool)
        state = replace(workforce, tenure_months=workforce.tenure_months + 1)
        return state, none, none
