"""Ratchet anticipation: reps weigh the effect of this year's sales on future quotas.

Quota revision rule: ``Q_{t+1} = Q_t + λ·(S_t − Q_t)``, with ``λ = up`` when S_t > Q_t and
``λ = down`` otherwise (asymmetric ratchets: quotas rise more after beating them than they fall
after missing them — Leone, Misra & Zimmerman 2004).

A unit of extra sales this year raises next year's quota by λ; without further sales changes that
increment decays through later revisions by (1 − λ) a year, so over a horizon of H plan years
with discount factor δ the rep bears future quota increases worth

    D = Σ_{j=1}^{H−1} δ^j (1 − λ)^{j−1}

quota-years per unit of sales. If a unit of quota costs the rep m in certainty equivalent per year
(``quota_value``; by default m = −∂CE*/∂Q, the derivative of the rep's static best-response
certainty equivalent with respect to its quota, by central differences — envelope theorem), the
rep maximises this year's pay minus ``m·λ·D·(S − Q)``: a kinked linear penalty added to the
payout. For a linear contract pay = α + β·S the effective rate is ``β − m·λ·D``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmopt.reps._checks import number
from spmopt.reps.payfunction import StackedPay


@dataclass(frozen=True)
class RatchetAnticipation:
    """Parameters of the quota revision rule and of how far ahead reps look.

    Parameters
    ----------
    up, down:
        Revision weights λ after beating / missing quota, in [0, 1] (``down`` defaults to ``up``).
    discount:
        Annual discount factor δ in [0, 1].
    horizon_years:
        Plan years the rep expects to stay, this one included (≥ 1; 1 = no anticipation).
    quota_value:
        Cost to the rep of one currency unit of quota per year (m); ``None`` derives it from the
        rep's best response under the plan.
    """

    up: float
    down: float | None = None
    discount: float = 0.9
    horizon_years: float = 3
    quota_value: float | None = None

    def __post_init__(self):
        number("behaviour.ratchet.up", self.up, low=0, high=1)
        if self.down is not None:
            number("behaviour.ratchet.down", self.down, low=0, high=1)
        number("behaviour.ratchet.discount", self.discount, low=0, high=1)
        number("behaviour.ratchet.horizon_years", self.horizon_years, low=1, high=100, integer=True)
        if self.quota_value is not None:
            number("behaviour.ratchet.quota_value", self.quota_value)

    @property
    def lambda_down(self) -> float:
        return self.up if self.down is None else self.down

    def horizon_factor(self, weight: float) -> float:
        """D = Σ_{j=1}^{H−1} δ^j (1 − λ)^{j−1} for revision weight λ = ``weight``."""
        years = np.arange(1, int(self.horizon_years))
        return float(np.sum(self.discount**years * (1 - weight) ** (years - 1)))

    def penalty_slopes(self, quota_value) -> tuple[np.ndarray, np.ndarray]:
        """Slopes of the penalty −m·λ·D below and above quota [pay per unit of sales]."""
        below = -quota_value * self.lambda_down * self.horizon_factor(self.lambda_down)
        above = -quota_value * self.up * self.horizon_factor(self.up)
        return below, above

    def quota_values(self, situation) -> np.ndarray:
        """m for each rep (N,): given, or −∂CE*/∂Q of the static best response."""
        if self.quota_value is not None:
            return np.full(len(situation), float(self.quota_value))
        from spmopt.reps.behaviour.static import solve_static
        from spmopt.reps.situation import Situation

        step = 1e-3
        values = []
        for factor in (1 - step, 1 + step):  # two solves: central difference
            population = situation.population.with_columns(quota=situation.quota * factor)
            shifted = Situation(
                situation.plan, population, situation.sales, situation.seasonality, situation.ramp
            )
            values.append(solve_static(shifted)["certainty_equivalent"])
        return (values[0] - values[1]) / (2 * step * situation.quota)

    def penalty(self, situation) -> StackedPay:
        """The anticipated cost of the quota revision, −m·λ·D·(S − Q), against annual sales."""
        below, above = self.penalty_slopes(self.quota_values(situation))
        return StackedPay.kinked(situation.quota, below, above)

    def adjusted_pay(self, situation) -> StackedPay:
        """The plan's annual pay minus the anticipated cost of the quota revision (per rep)."""
        return (situation.annual_pay + self.penalty(situation)).compact()
