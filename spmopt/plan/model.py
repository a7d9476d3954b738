"""The plan model: validated, immutable plan definitions (design §3.2).

A plan file is parsed once into these frozen objects; unknown keys, negative rates, overlapping
tiers, weights that do not sum to one and similar mistakes are rejected with the key's path.
Money is in the plan's currency, attainment is a ratio (1.0 = 100% of quota), periods are
``month``, ``quarter`` or ``year``.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Period = Literal["month", "quarter", "year"]
MONTHS_PER_PERIOD: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]

_WEIGHT_TOLERANCE = 1e-9


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tier(_Frozen):
    """One tier of a component's rate table, starting at ``from`` (attainment ratio or amount).

    Exactly one of ``rate`` (commission per unit credited), ``multiplier`` (× the base rate
    ``weight · target_incentive / quota``) or ``payout`` (fraction of the component's target
    incentive, interpolated tables only) is given. ``method`` overrides the component's method
    for this tier (``marginal`` or ``retroactive``).
    """

    from_: NonNegative = Field(alias="from")
    rate: NonNegative | None = None
    multiplier: NonNegative | None = None
    payout: NonNegative | None = None
    method: Literal["marginal", "retroactive"] | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Tier:
        given = [
            name for name in ("rate", "multiplier", "payout") if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "a tier needs exactly one of 'rate', 'multiplier' or 'payout'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class Component(_Frozen):
    """One measure's payout rule (design §3.2 ``[[plan.components]]``)."""

    id: Identifier
    measure: Identifier
    weight: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    quota: Positive
    basis: Literal["attainment", "amount"] = "attainment"
    method: Literal["marginal", "retroactive", "interpolated"] = "marginal"
    evaluation: Literal["period_to_date", "per_transaction"] = "period_to_date"
    measurement_period: Period = "year"
    boundary: Literal["higher", "lower"] = "higher"
    tiers: tuple[Tier, ...] = Field(min_length=1)
    threshold: NonNegative | None = None
    cap: Positive | None = None
    max_payout: NonNegative | None = None
    quota_schedule: tuple[Positive, ...] | None = None

    @field_validator("tiers")
    @classmethod
    def _increasing_tiers(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        for position in range(1, len(tiers)):
            if tiers[position].from_ <= tiers[position - 1].from_:
                raise ValueError(
                    f"tier {position} starts at {tiers[position].from_}, not after tier "
                    f"{position - 1} at {tiers[position - 1].from_}: tier starts must be strictly "
                    "increasing (tiers may not overlap)"
                )
        return tiers

    @field_validator("quota_schedule")
    @classmethod
    def _schedule(cls, schedule: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if schedule is None:
            return None
        if len(schedule) not in (4, 12):
            raise ValueError("quota_schedule needs 12 monthly or 4 quarterly fractions")
        if not math.isclose(sum(schedule), 1.0, abs_tol=1e-9):
            raise ValueError(
                f"quota_schedule fractions must sum to 1 (they sum to {sum(schedule)})"
            )
        return schedule

    @model_validator(mode="after")
    def _consistent(self) -> Component:
        for position, tier in enumerate(self.tiers):
            if self.method == "interpolated":
                if tier.payout is None or tier.method is not None:
                    raise ValueError(
                        f"tiers[{position}]: an interpolated component's tiers are points "
                        "{from, payout} (fraction of target incentive), without 'method'"
                    )
            elif tier.payout is not None:
                raise ValueError(
                    f"tiers[{position}]: 'payout' belongs to method = \"interpolated\"; "
                    "marginal and retroactive tiers take 'rate' or 'multiplier'"
                )
        if self.threshold is not None and self.cap is not None and self.cap <= self.threshold:
            raise ValueError(f"cap ({self.cap}) must be above threshold ({self.threshold})")
        return self

    @property
    def months_per_measurement_period(self) -> int:
        """Length of the measurement period in months (1, 3 or 12)."""
        return MONTHS_PER_PERIOD[self.measurement_period]

    def monthly_quota_fractions(self) -> tuple[float, ...]:
        """The share of the annual quota in each month of the plan year (sums to 1)."""
        weights = self.monthly_quota_weights()
        return tuple(weight / sum(weights) for weight in weights)

    def monthly_quota_weights(self) -> tuple[int, ...]:
        """Whole-number weights of the months in the annual quota, proportional to the schedule.

        Exact (the schedule's decimals as written), so that quotas of whole periods are computed
        without rounding error: the default even spread is twelve weights of 1.
        """
        if self.quota_schedule is None:
            return (1,) * 12
        fractions = [Fraction(str(value)) for value in self.quota_schedule]
        if len(fractions) == 4:
            fractions = [fraction / 3 for fraction in fractions for _ in range(3)]
        scale = math.lcm(*(fraction.denominator for fraction in fractions))
        return tuple(int(fraction * scale) for fraction in fractions)


class Bonus(_Frozen):
    """A lump sum earned when attainment of ``measure``'s quota in ``period`` reaches ``at``."""

    id: Identifier
    measure: Identifier
    at: NonNegative
    amount: NonNegative
    period: Period = "year"


class Draw(_Frozen):
    """A guaranteed minimum payout per payout period (design §3.2 ``[plan.draw]``).

    ``periods`` limits the draw to the first N payout periods of a rep's employment in the year
    (absent: every payout period).
    """

    kind: Literal["recoverable", "non_recoverable"]
    amount: NonNegative
    periods: Annotated[int, Field(ge=1)] | None = None


class Clawback(_Frozen):
    """Cancellations of deals booked within ``window_days`` before the cancellation are clawed back."""

    window_days: Annotated[int, Field(gt=0)]


class PlanBody(_Frozen):
    """The ``[plan]`` table of a plan file."""

    id: Identifier
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    year_start: dt.date
    payout_frequency: Period = "quarter"
    base_salary: NonNegative = 0.0
    target_incentive: NonNegative
    components: tuple[Component, ...] = Field(min_length=1)
    bonuses: tuple[Bonus, ...] = ()
    draw: Draw | None = None
    clawback: Clawback | None = None
    #: measures that are revenue (cost of sales is comp over these); default: the first
    #: component's measure. Margin dollars, say, are not revenue.
    revenue_measures: tuple[Identifier, ...] | None = Field(default=None, min_length=1)

    @field_validator("year_start")
    @classmethod
    def _first_of_month(cls, year_start: dt.date) -> dt.date:
        if year_start.day != 1:
            raise ValueError(f"the plan year must start on the first of a month, not {year_start}")
        return year_start

    @model_validator(mode="after")
    def _consistent(self) -> PlanBody:
        ids = [component.id for component in self.components]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"component ids must be unique; repeated: {duplicated}")
        total = sum(component.weight for component in self.components)
        if abs(total - 1.0) > _WEIGHT_TOLERANCE:
            raise ValueError(
                f"component weights must sum to 1; they sum to {total:g} "
                f"({', '.join(f'{c.id}={c.weight:g}' for c in self.components)})"
            )
        bonus_ids = [bonus.id for bonus in self.bonuses]
        if len(set(bonus_ids)) != len(bonus_ids):
            raise ValueError("bonus ids must be unique")
        measures = {component.measure for component in self.components}
        for position, bonus in enumerate(self.bonuses):
            if bonus.measure not in measures:
                raise ValueError(
                    f"bonuses[{position}] ('{bonus.id}'): measure '{bonus.measure}' has no "
                    f"component (and so no quota); components measure {sorted(measures)}"
                )
        unknown = [m for m in self.revenue_measures or () if m not in measures]
        if unknown:
            raise ValueError(
                f"revenue_measures: measure '{unknown[0]}' has no component; components measure "
                f"{sorted(measures)}"
            )
        return self


class PlanFile(_Frozen):
    """A whole plan file: ``schema_version`` and the ``[plan]`` table."""

    schema_version: Literal[1]
    plan: PlanBody
