"""`Plan`: a validated incentive plan, loaded from and written to TOML (design §3.2)."""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w
from pydantic import ValidationError

from spmopt.errors import SpmoptInputError, toml_error_message
from spmopt.plan.compile import component_family, component_scales
from spmopt.plan.curve import CurveFamily, PayoutCurve
from spmopt.plan.model import MONTHS_PER_PERIOD, Bonus, Component, PlanBody, PlanFile

SCHEMA_VERSION = 1


def format_location(location: tuple, document: dict | None = None) -> str:
    """``('plan', 'components', 0, 'tiers', 1, 'rate')`` → ``plan.components[0].tiers[1].rate``.

    When ``document`` (the parsed TOML) is given, a list element with an ``id`` is named by it.
    """
    text = ""
    node = document
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                text += f"(id '{node['id']}')"
        else:
            text += ("." if text else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


MAX_PROBLEMS_SHOWN = 10


def validation_message(error: ValidationError, document: dict | None = None) -> str:
    """Readable lines from a pydantic error: each key's path and what was expected.

    The first problem is on the first line; the others (up to :data:`MAX_PROBLEMS_SHOWN` in all)
    follow one per line, then a count of any not shown.
    """
    items = error.errors()
    # a list whose element failed is also reported as too short: keep only the element's problem
    items = [
        item
        for item in items
        if not (
            item["type"] == "too_short"
            and any(
                other["loc"][: len(item["loc"])] == item["loc"] != other["loc"] for other in items
            )
        )
    ] or items
    problems = [_problem(item, document) for item in items]
    message = problems[0]
    if len(problems) > 1:
        shown = problems[1:MAX_PROBLEMS_SHOWN]
        message += f"\n{len(problems)} problems in all; also:\n" + "\n".join(
            f"  - {problem}" for problem in shown
        )
        hidden = len(problems) - 1 - len(shown)
        if hidden:
            message += f"\n  [and {hidden} more problem{'s' if hidden > 1 else ''}]"
    return message


def _problem(item: dict, document: dict | None) -> str:
    """One pydantic error item as ``where: what was expected``."""
    # drop pydantic's union/type tags such as 'function-after[...]' from the path
    location = tuple(part for part in item["loc"] if not (isinstance(part, str) and "[" in part))
    where = format_location(location, document)
    if item["type"] == "extra_forbidden":
        return f"unknown key '{where}'"
    if item["type"] == "missing":
        return f"missing key '{where}'"
    reason = item["msg"].removeprefix("Value error, ")
    value = item.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{where}: {reason}{shown}" if where else reason


class Plan:
    """An incentive plan: components with rate tables, bonuses, draw and clawback rules.

    Create one with :meth:`load` (a TOML file), :meth:`from_toml` (TOML text) or
    :meth:`from_dict`; every form is validated against the plan-file contract. Plans are
    immutable. Money is in ``plan.currency``; ``base_salary`` and ``target_incentive`` are annual.

    Examples
    --------
    >>> plan = Plan.load("scenarios/plans/saas-ae.toml")  # doctest: +SKIP
    >>> plan.curve("bookings")(900_000.0)  # earnings at 100% of quota  # doctest: +SKIP
    """

    def __init__(self, body: PlanBody):
        self._body = body

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, document: dict, source: str | None = None) -> Plan:
        """A plan from the parsed contents of a plan file (``{"schema_version": 1, "plan": …}``)."""
        if not isinstance(document, dict) or not document:
            raise SpmoptInputError(
                "the plan file is empty; expected schema_version and [plan]", source
            )
        try:
            parsed = PlanFile.model_validate(document)
        except ValidationError as error:
            raise SpmoptInputError(validation_message(error, document), source) from None
        return cls(parsed.plan)

    @classmethod
    def from_toml(cls, text: str, source: str | None = None) -> Plan:
        """A plan from TOML text."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise SpmoptInputError(toml_error_message(error, text), source) from None
        return cls.from_dict(document, source)

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        """A plan from a TOML plan file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpmoptInputError("file not found; expected a TOML plan file", str(path)) from None
        except (IsADirectoryError, UnicodeDecodeError) as error:
            raise SpmoptInputError(f"cannot read a plan file ({error})", str(path)) from None
        return cls.from_toml(text, str(path))

    def to_dict(self) -> dict:
        """The plan as a plan-file document (keys as in the file, defaults written out)."""
        body = self._body.model_dump(by_alias=True, exclude_none=True, mode="python")
        return {"schema_version": SCHEMA_VERSION, "plan": body}

    def to_toml(self) -> str:
        """The plan as TOML text; ``Plan.from_toml(plan.to_toml()) == plan``."""
        return tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path) -> Path:
        """Write the plan as a TOML plan file."""
        path = Path(path)
        path.write_text(self.to_toml(), encoding="utf-8")
        return path

    def replace(self, **changes) -> Plan:
        """A copy with top-level ``[plan]`` keys changed, validated again."""
        document = self.to_dict()
        document["plan"].update(changes)
        return Plan.from_dict(document)

    # ------------------------------------------------------------------ access
    @property
    def body(self) -> PlanBody:
        """The validated ``[plan]`` table."""
        return self._body

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._body, name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plan) and self._body == other._body

    def __hash__(self) -> int:
        return hash(self._body.model_dump_json())

    def __repr__(self) -> str:
        components = ", ".join(component.id for component in self.components)
        return f"Plan(id={self.id!r}, components=[{components}], bonuses={len(self.bonuses)})"

    def component(self, component_id: str) -> Component:
        """The component named ``component_id``."""
        for component in self.components:
            if component.id == component_id:
                return component
        known = [component.id for component in self.components]
        raise KeyError(f"plan '{self.id}' has no component '{component_id}'; it has {known}")

    @property
    def measures(self) -> tuple[str, ...]:
        """The credit measures the plan pays on, in component order."""
        seen: dict[str, None] = {}
        for component in self.components:
            seen.setdefault(component.measure)
        return tuple(seen)

    @property
    def revenue(self) -> tuple[str, ...]:
        """The measures that are revenue, on which cost of sales is computed: the plan's
        ``revenue_measures``, else the first component's measure (a plan paying on bookings,
        renewals and margin dollars does not earn its revenue three times)."""
        return self.revenue_measures or (self.components[0].measure,)

    @property
    def on_target_earnings(self) -> float:
        """Annual base salary plus target incentive (OTE)."""
        return self.base_salary + self.target_incentive

    @property
    def payout_months(self) -> int:
        """Months per payout period."""
        return MONTHS_PER_PERIOD[self.payout_frequency]

    @cached_property
    def families(self) -> dict[str, CurveFamily]:
        """The compiled curve family of each component, by component id."""
        return {component.id: component_family(component) for component in self.components}

    def quota_of_measure(self, measure: str) -> Component:
        """The first component paying on ``measure`` (its quota is the measure's quota)."""
        for component in self.components:
            if component.measure == measure:
                return component
        raise KeyError(f"plan '{self.id}' has no component on measure '{measure}'")

    # ------------------------------------------------------------------ curves
    def curve(
        self,
        component_id: str | None = None,
        *,
        quota: float | None = None,
        target_incentive: float | None = None,
    ) -> PayoutCurve:
        """The canonical curve of one component: credited amount → earnings, in currency.

        For one measurement period of the component (the year, unless it resets monthly or
        quarterly), with the plan's quota and target incentive unless given (annual figures).
        The component's ``max_payout`` is applied. ``component_id`` may be omitted for a plan
        with a single component.
        """
        if component_id is None:
            if len(self.components) != 1:
                raise ValueError("name the component: the plan has several")
            component_id = self.components[0].id
        component = self.component(component_id)
        curve = self._curve(component, quota, target_incentive)
        if component.max_payout is not None:
            curve = curve.minimum(component.max_payout)
        return curve

    def _curve(self, component: Component, quota=None, target_incentive=None) -> PayoutCurve:
        """One measurement period's earnings against credited amount in that period."""
        annual_quota = component.quota if quota is None else quota
        curve = self._basis_curve(component, annual_quota, target_incentive)
        if component.basis == "attainment":
            curve = curve.scale(
                x_factor=annual_quota * component.months_per_measurement_period / 12
            )
        return curve

    def _basis_curve(self, component: Component, annual_quota: float, target_incentive=None):
        """One measurement period's earnings against the component's basis (attainment or amount)."""
        ti = self.target_incentive if target_incentive is None else target_incentive
        share = component.months_per_measurement_period / 12
        scales = component_scales(component, annual_quota, ti, share)
        family = self.families[component.id]
        return family.bind(**dict(zip(family.scale_names, scales, strict=True)))

    def bonus_curve(self, bonus: Bonus, *, quota: float | None = None) -> PayoutCurve:
        """A bonus as a step curve over credited amount in the bonus period."""
        owner = self.quota_of_measure(bonus.measure)
        annual_quota = owner.quota if quota is None else quota
        level = bonus.at * annual_quota * MONTHS_PER_PERIOD[bonus.period] / 12
        return _step(level, bonus.amount)

    def attainment_curve(
        self, *, quota: float | None = None, target_incentive: float | None = None
    ) -> PayoutCurve:
        """Total annual incentive (components and bonuses) against weighted attainment (ratio).

        Assumes every measure is at the same attainment and that credits are spread evenly over
        the year, so that a component measured per quarter (or month) earns its curve at that
        attainment in each of its periods. Exact for plans measured over the year. ``quota``
        (single-measure plans) and ``target_incentive`` give a rep's own annual figures.
        """
        total = PayoutCurve([0.0], right=[0.0], slopes=[0.0])
        for curve in self.annual_curves(quota=quota, target_incentive=target_incentive).values():
            total = total + curve
        return total

    def annual_curves(
        self, *, quota: float | None = None, target_incentive: float | None = None
    ) -> dict[str, PayoutCurve]:
        """Each component's and bonus's annual payout against attainment, keyed
        ``component_<id>`` / ``bonus_<id>`` (assumptions as in :meth:`attainment_curve`)."""
        if quota is not None and len(self.measures) > 1:
            raise ValueError("a single quota applies to single-measure plans only")
        curves = {}
        for component in self.components:
            annual_quota = component.quota if quota is None else quota
            periods = 12 // component.months_per_measurement_period
            by_basis = self._basis_curve(component, annual_quota, target_incentive)
            if component.basis == "amount":  # amount axis → attainment axis of the period
                period_quota = annual_quota * component.months_per_measurement_period / 12
                by_basis = PayoutCurve(
                    by_basis.breakpoints / period_quota,
                    right=by_basis.right,
                    slopes=by_basis.slopes * period_quota,
                    at=by_basis.at,
                )
            annual = by_basis.scale(y_factor=periods)
            if component.max_payout is not None:
                annual = annual.minimum(component.max_payout)
            curves[f"component_{component.id}"] = annual
        for bonus in self.bonuses:
            periods = 12 // MONTHS_PER_PERIOD[bonus.period]
            curves[f"bonus_{bonus.id}"] = _step(bonus.at, bonus.amount * periods)
        return curves

    def annual_payout(self, attainment) -> np.ndarray:
        """Total annual incentive at weighted ``attainment`` (see :meth:`attainment_curve`)."""
        return self.attainment_curve()(attainment)


def _step(level: float, amount: float) -> PayoutCurve:
    """A lump sum ``amount`` paid from ``level`` on (a step curve)."""
    if level <= 0:
        return PayoutCurve([0.0], right=[amount], slopes=[0.0])
    return PayoutCurve([0.0, level], right=[0.0, amount], slopes=[0.0, 0.0])


def payout_table(plan: Plan, max_attainment: float = 2.0, step: float = 0.01) -> pd.DataFrame:
    """The plan's annual payout from 0 to ``max_attainment`` (ratio) in steps of ``step``.

    One row per attainment level (every measure at that attainment, credits spread evenly over
    the year) with each component's earnings, bonuses, total incentive (currency), the
    credited amount (sum of the measures' quotas × attainment), the effective commission rate
    (incentive / credited), the revenue (quotas of the plan's revenue measures,
    :attr:`Plan.revenue`, × attainment) and the cost of sales ((base salary + incentive) /
    revenue). For a single-measure plan revenue = credited.
    """
    count = int(round(max_attainment / step)) + 1
    attainment = np.round(np.linspace(0.0, max_attainment, count), 10)
    table = pd.DataFrame({"attainment": attainment})
    credited = np.zeros(count)
    for measure in plan.measures:
        credited += attainment * plan.quota_of_measure(measure).quota
    curves = plan.annual_curves()
    for name, curve in curves.items():
        table[name] = curve(attainment)
    table["incentive"] = table[list(curves)].sum(axis=1)
    table["credited"] = credited
    revenue = attainment * sum(plan.quota_of_measure(m).quota for m in plan.revenue)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["effective_rate"] = np.where(credited > 0, table["incentive"] / credited, np.nan)
        table["revenue"] = revenue
        table["cost_of_sales"] = np.where(
            revenue > 0, (plan.base_salary + table["incentive"]) / revenue, np.nan
        )
    table["total_pay"] = plan.base_salary + table["incentive"]
    return table
