"""`Situation`: what every behaviour model is given — plan, reps, technology, seasonality, ramp.

The plan may be a :class:`spmopt.Plan` or, for experiments, a :class:`spmopt.PayoutCurve` of total
annual incentive against attainment (then the population must carry a ``quota`` column or one
is passed explicitly, and the base salary is 0 unless the population has ``base_salary``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from spmopt.errors import SpmoptInputError
from spmopt.plan.curve import PayoutCurve
from spmopt.reps.payfunction import (
    StackedPay,
    measurement_structure,
    period_shares,
    plan_pay,
    plan_quota,
)
from spmopt.reps.population import Population, Rep, RepArrays
from spmopt.reps.seasonality import MONTHS, Ramp, Seasonality, productivity


def as_population(rep_or_population) -> Population:
    """A :class:`Population` from a Rep, a Population or a list of Reps."""
    if isinstance(rep_or_population, Population):
        return rep_or_population
    if isinstance(rep_or_population, Rep):
        return rep_or_population.to_population()
    if isinstance(rep_or_population, list | tuple) and all(
        isinstance(rep, Rep) for rep in rep_or_population
    ):
        return Population.from_reps(rep_or_population)
    raise SpmoptInputError(
        f"expected a Rep or a Population of reps, got {type(rep_or_population).__name__}"
    )


def check_technology(sales) -> None:
    if not all(hasattr(sales, name) for name in ("mean", "variance", "sample", "prepare")):
        raise SpmoptInputError(
            f"sales: expected a sales technology such as NormalSales(sigma=...) or DealSales(...), "
            f"got {type(sales).__name__}"
        )


@dataclass(frozen=True, eq=False)
class Situation:
    """Plan, population, sales technology, seasonality and ramp of one behaviour problem."""

    plan: object
    population: Population
    sales: object
    seasonality: Seasonality = field(default_factory=Seasonality.flat)
    ramp: Ramp = field(default_factory=Ramp)
    quota_override: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "population", as_population(self.population))
        check_technology(self.sales)
        if not isinstance(self.plan, PayoutCurve) and not hasattr(self.plan, "attainment_curve"):
            raise SpmoptInputError(
                f"plan: expected a spmopt.Plan or an attainment PayoutCurve, got "
                f"{type(self.plan).__name__}"
            )
        if isinstance(self.plan, PayoutCurve) and self.quota_override is None:
            if not self.population.has("quota"):
                raise SpmoptInputError(
                    "quota: a bare payout curve needs the reps' quotas (a 'quota' column)"
                )

    @property
    def reps(self) -> RepArrays:
        return self.population.arrays

    def __len__(self) -> int:
        return len(self.population)

    @cached_property
    def quota(self) -> np.ndarray:
        """Each rep's annual quota [currency/yr]."""
        if self.quota_override is not None:
            default = float(self.quota_override)
        elif isinstance(self.plan, PayoutCurve):
            default = np.nan
        else:
            default = plan_quota(self.plan)
        quota = self._column("quota", default)
        if np.isnan(quota).any():
            raise SpmoptInputError("quota: a bare payout curve needs every rep's quota")
        return quota

    def _column(self, name: str, default: float) -> np.ndarray:
        """An optional population column with empty cells (or no column) set to ``default``."""
        n = len(self.population)
        if not self.population.has(name):
            return np.full(n, float(default))
        values = self.population.column(name).astype(float)
        return np.where(np.isnan(values), default, values)

    @cached_property
    def target_incentive(self) -> np.ndarray:
        return self._column("target_incentive", float(getattr(self.plan, "target_incentive", 0.0)))

    @cached_property
    def base_salary(self) -> np.ndarray:
        return self._column("base_salary", float(getattr(self.plan, "base_salary", 0.0)))

    @cached_property
    def annual_pay(self) -> StackedPay:
        """Total annual incentive against annual sales, per rep."""
        if isinstance(self.plan, PayoutCurve):
            return StackedPay.from_curve(self.plan, self.quota)
        return plan_pay(self.plan, self.quota, self.target_incentive, horizon="year")

    @cached_property
    def _structure(self) -> tuple[int, bool]:
        if isinstance(self.plan, PayoutCurve):
            return MONTHS, False
        return measurement_structure(self.plan)

    @property
    def measurement_months(self) -> int:
        """Length of the plan's (shortest) measurement period in months (12 for a bare curve)."""
        return self._structure[0]

    @property
    def has_annual_terms(self) -> bool:
        """Whether annually measured terms sit on top of shorter measurement periods."""
        return self._structure[1]

    @cached_property
    def period_shares(self) -> np.ndarray:
        """Each measurement period's share of the annual quota (quota schedule or even)."""
        if isinstance(self.plan, PayoutCurve):
            return np.ones(1)
        return period_shares(self.plan, self.measurement_months)

    def period_pay_of(self, period: int) -> StackedPay:
        """Incentive of measurement period ``period`` (0-based) against the sales credited in it,
        per rep: the terms measured over that period, each component with its own
        ``quota_schedule``'s share of its annual quota in that period (a bonus with its
        measure's component's)."""
        if self.measurement_months == MONTHS:
            return self.annual_pay
        return plan_pay(
            self.plan,
            self.quota,
            self.target_incentive,
            horizon="period",
            measured_months=self.measurement_months,
            period=period,
        )

    @cached_property
    def period_pay(self) -> StackedPay:
        """:meth:`period_pay_of` the first measurement period."""
        return self.period_pay_of(0)

    @cached_property
    def annual_terms_pay(self) -> StackedPay | None:
        """Annually measured terms against annual sales when the plan also has shorter periods
        (e.g. a club bonus on a quarterly plan), else ``None``."""
        if not self.has_annual_terms:
            return None
        return plan_pay(
            self.plan, self.quota, self.target_incentive, horizon="year", measured_months=MONTHS
        )

    @cached_property
    def productivity(self) -> np.ndarray:
        """Seasonality × ramp for each rep and month (N, 12)."""
        reps = self.reps
        return productivity(reps.tenure_months, reps.ramp_months, self.seasonality, self.ramp)

    @cached_property
    def exposure(self) -> np.ndarray:
        """Each rep's share of a full year's output over the plan year (N,): 1 when ramped."""
        return self.productivity.sum(axis=1)
