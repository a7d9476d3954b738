"""Constraint families of the plan-choice programme: configuration and maths (no solver here).

Notation: units u (segments or reps), candidates j of unit u, decision weights x[u,j] ∈ [0, 1]
with Σ_j x[u,j] = 1; from the response table, per row (u, j): revenue R, comp cost
C = incentive + base, head count N, probability of quota P, quota Q, certainty equivalent CE,
outside option Ū; per scenario s of S simulated scenarios, comp cost C_s. Every family is
optional; its rows carry the stable names below (``[u]`` is the unit id, ``[s]`` the scenario id).

================  ==========================================================================
family            rows and maths
================  ==========================================================================
budget            ``budget``: Σ x·C ≤ B
cos_ceiling       ``cos_ceiling``: Σ x·C ≤ c·Σ x·R   (written Σ x·(C − c·R) ≤ 0)
revenue_target    ``revenue_target``: Σ x·R ≥ T
cvar              ``cvar``: η + Σ_s z_s / ((1 − α)·S) ≤ L;
                  ``cvar_excess[s]``: z_s ≥ Σ x·C_s − η, z_s ≥ 0   (Rockafellar–Uryasev)
attain_floor      ``attain_floor``: Σ x·N·P ≥ low·Σ x·N   (share of reps at quota ≥ low)
attain_ceiling    ``attain_ceiling``: Σ x·N·P ≤ high·Σ x·N
participation     ``participation[u]``: Σ_{j: CE[u,j] < Ū[u,j]} x[u,j] ≤ 0 (CE below Ū by more
                  than :data:`PARTICIPATION_RTOL` × |Ū|)
rep_participation ``rep_participation``: Σ x·N·B ≤ m·Σ x·N, B the share of the row's reps whose
                  own CE is below their own outside option (column
                  ``share_below_outside_option``): at most a share m of reps below it
quota_coverage    ``quota_coverage``: Σ x·N·Q ≥ target × over_assignment
quota_bounds      ``quota_floor[u]``: Σ_j x[u,j]·Q[u,j] ≥ lo_u;
                  ``quota_ceiling[u]``: Σ_j x[u,j]·Q[u,j] ≤ hi_u
pay_dispersion    ``pay_upper[u]``: π_u ≤ π_max; ``pay_lower[u]``: π_u ≥ π_min;
                  ``pay_dispersion``: π_max ≤ k·π_min, with π_u = Σ_j x[u,j]·C[u,j]/N[u,j]
                  the expected pay per rep of unit u (so max_u π_u ≤ k·min_u π_u; a plan
                  with no reps is left out of the comparison)
================  ==========================================================================

With the attainment share per unit (``QuotaShare(per_unit=True)``) the rows are
``attain_floor[u]``/``attain_ceiling[u]`` with the sums restricted to unit u; likewise
``rep_participation[u]`` with ``RepParticipation(per_unit=True)``.

Examples
--------
>>> Constraints(budget=1e6, cvar=CVaRLimit(alpha=0.9, limit=1.2e6)).families()
('budget', 'cvar')
>>> Constraints(quota_share=(0.5, 0.8)).quota_share
QuotaShare(low=0.5, high=0.8, per_unit=False)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from spmopt.errors import SpmoptInputError
from spmopt.optimise.responses import ResponseTable

FAMILIES: tuple[str, ...] = (
    "budget",
    "cos_ceiling",
    "revenue_target",
    "cvar",
    "attain_floor",
    "attain_ceiling",
    "participation",
    "rep_participation",
    "quota_coverage",
    "quota_bounds",
    "pay_dispersion",
)

# A certainty equivalent counts as below the outside option only when it is below by more than
# this share of |Ū|: a base set so that CE equals Ū (the participation lever) lands a few ulps
# either side of it, and must not be dropped for that (1e-9 of $160k is $0.00016).
PARTICIPATION_RTOL = 1e-9
# response-table column: share of a row's reps whose own CE is below their own outside option
SHARE_BELOW_OUTSIDE = "share_below_outside_option"


def _number(
    key: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise SpmoptInputError(f"constraints.{key}: expected a number, got {value!r}")
    number = float(value)
    ok = math.isfinite(number)
    if ok and low is not None:
        ok = number > low if low_open else number >= low
    if ok and high is not None:
        ok = number < high if high_open else number <= high
    if not ok:
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            bounds.append(f"{'<' if high_open else '<='} {high:g}")
        expected = "a finite number" + (f" {' and '.join(bounds)}" if bounds else "")
        raise SpmoptInputError(f"constraints.{key}: expected {expected}, got {value!r}")
    return number


@dataclass(frozen=True)
class CVaRLimit:
    """Limit on the conditional value at risk of total comp cost over simulated scenarios.

    Parameters
    ----------
    alpha:
        Confidence level in (0, 1): CVaR is the mean comp cost of the worst (1 − α) share of
        scenarios (α = 0.9: the worst 10 %).
    limit:
        Upper bound on that CVaR [currency/yr].
    """

    alpha: float
    limit: float

    def __post_init__(self):
        object.__setattr__(
            self,
            "alpha",
            _number("cvar.alpha", self.alpha, low=0, high=1, low_open=True, high_open=True),
        )
        object.__setattr__(self, "limit", _number("cvar.limit", self.limit))


@dataclass(frozen=True)
class QuotaShare:
    """Band on the share of reps expected to reach quota (families attain_floor/attain_ceiling).

    Parameters
    ----------
    low, high:
        Bounds on Σ x·N·P / Σ x·N in [0, 1]; None leaves that side open.
    per_unit:
        Apply the band to each unit separately (rows ``attain_floor[u]``) instead of company-wide.
    """

    low: float | None = None
    high: float | None = None
    per_unit: bool = False

    def __post_init__(self):
        for side in ("low", "high"):
            value = getattr(self, side)
            if value is not None:
                object.__setattr__(
                    self, side, _number(f"quota_share.{side}", value, low=0.0, high=1.0)
                )
        if self.low is not None and self.high is not None and self.low > self.high:
            raise SpmoptInputError(
                f"constraints.quota_share: expected low <= high, got ({self.low}, {self.high})"
            )


@dataclass(frozen=True)
class QuotaCoverage:
    """Sum of assigned quotas covers the company target with over-assignment.

    Parameters
    ----------
    company_target:
        The company's sales target [currency/yr].
    over_assignment:
        Factor ≥ 1 by which assigned quotas must exceed the target (e.g. 1.1 = 10 % more).
    """

    company_target: float
    over_assignment: float = 1.0

    def __post_init__(self):
        object.__setattr__(
            self,
            "company_target",
            _number("quota_coverage.company_target", self.company_target, low=0.0),
        )
        object.__setattr__(
            self,
            "over_assignment",
            _number("quota_coverage.over_assignment", self.over_assignment, low=0.0, low_open=True),
        )

    @property
    def required(self) -> float:
        """Quota the reps must carry in total: target × over-assignment [currency/yr]."""
        return self.company_target * self.over_assignment


@dataclass(frozen=True)
class QuotaBounds:
    """Bounds on the annual quota per rep of one unit [currency/yr]; None leaves a side open."""

    low: float | None = None
    high: float | None = None

    def __post_init__(self):
        for side in ("low", "high"):
            value = getattr(self, side)
            if value is not None:
                object.__setattr__(self, side, _number(f"quota_bounds.{side}", value))
        if self.low is not None and self.high is not None and self.low > self.high:
            raise SpmoptInputError(
                f"constraints.quota_bounds: expected low <= high, got ({self.low}, {self.high})"
            )


@dataclass(frozen=True)
class PayDispersion:
    """The highest expected pay per rep of any unit is at most ``max_ratio`` × the lowest.

    Pay per rep of unit u is π_u = Σ_j x[u,j]·(incentive + base)[u,j] / reps[u,j]; rows with no
    reps are left out. ``max_ratio`` ≥ 1 (1 = everyone paid the same in expectation).
    """

    max_ratio: float

    def __post_init__(self):
        object.__setattr__(
            self, "max_ratio", _number("pay_dispersion.max_ratio", self.max_ratio, low=1.0)
        )


@dataclass(frozen=True)
class RepParticipation:
    """At most ``max_share`` of reps may be expected to earn a certainty equivalent below their
    own outside option (family ``rep_participation``; needs the response column
    ``share_below_outside_option``).

    The ``participation`` family compares a unit's mean CE with its mean outside option, which
    can hold while many individual reps are below their own; this bounds the head-count share
    of such reps, Σ x·N·B / Σ x·N ≤ max_share (per unit with ``per_unit=True``).
    """

    max_share: float
    per_unit: bool = False

    def __post_init__(self):
        object.__setattr__(
            self,
            "max_share",
            _number("rep_participation.max_share", self.max_share, low=0.0, high=1.0),
        )
        if not isinstance(self.per_unit, bool | np.bool_):
            raise SpmoptInputError(
                f"constraints.rep_participation.per_unit: expected true or false, got "
                f"{self.per_unit!r}"
            )
        object.__setattr__(self, "per_unit", bool(self.per_unit))


class _FrozenMapping(Mapping):
    """A read-only, hashable mapping (so that :class:`Constraints` stays hashable)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping):
        self._items = dict(items)

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return repr(self._items)


def _as(kind: type, key: str, value: object):
    """``value`` as a ``kind`` (from the object itself, a tuple, a mapping or a number)."""
    if value is None or isinstance(value, kind):
        return value
    if isinstance(value, Mapping):
        return kind(**value)
    if isinstance(value, tuple | list):
        return kind(*value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return kind(value)
    raise SpmoptInputError(f"constraints.{key}: expected a {kind.__name__}, got {value!r}")


@dataclass(frozen=True)
class Constraints:
    """Which constraint families the programme has, and their parameters (all optional).

    Parameters
    ----------
    budget:
        B, the total comp budget: expected incentive + base pay ≤ B [currency/yr].
    cos_ceiling:
        c, the cost-of-sales ceiling: comp cost ≤ c × revenue [ratio, e.g. 0.12].
    revenue_target:
        T, expected revenue ≥ T [currency/yr].
    cvar:
        CVaR of total comp cost over the simulated scenarios ≤ limit (needs samples).
    quota_share:
        Band on the share of reps at quota: ``QuotaShare(low, high)`` or a ``(low, high)`` pair.
    participation:
        Forbid candidates whose certainty equivalent is below the rep's outside option (by more
        than :data:`PARTICIPATION_RTOL` of it).
    rep_participation:
        ``RepParticipation(max_share, per_unit)`` or the share itself: bound the share of reps
        whose own CE is below their own outside option.
    quota_coverage:
        ``QuotaCoverage(company_target, over_assignment)`` or such a pair.
    quota_bounds:
        Per-unit bounds on quota per rep: ``{unit: QuotaBounds(lo, hi)}`` or ``{unit: (lo, hi)}``.
    pay_dispersion:
        ``PayDispersion(max_ratio)`` or the ratio itself.

    Examples
    --------
    >>> Constraints(budget=2e6, quota_share=(0.5, None)).families()
    ('budget', 'attain_floor')
    >>> Constraints(budget=2e6, cos_ceiling=0.1).without("budget").families()
    ('cos_ceiling',)
    """

    budget: float | None = None
    cos_ceiling: float | None = None
    revenue_target: float | None = None
    cvar: CVaRLimit | None = None
    quota_share: QuotaShare | None = None
    participation: bool = False
    rep_participation: RepParticipation | None = None
    quota_coverage: QuotaCoverage | None = None
    quota_bounds: Mapping[object, QuotaBounds] = field(default_factory=lambda: _FrozenMapping({}))
    pay_dispersion: PayDispersion | None = None

    def __post_init__(self):
        if self.budget is not None:
            object.__setattr__(self, "budget", _number("budget", self.budget))
        if self.cos_ceiling is not None:
            object.__setattr__(
                self, "cos_ceiling", _number("cos_ceiling", self.cos_ceiling, low=0.0)
            )
        if self.revenue_target is not None:
            object.__setattr__(
                self, "revenue_target", _number("revenue_target", self.revenue_target)
            )
        object.__setattr__(self, "cvar", _as(CVaRLimit, "cvar", self.cvar))
        object.__setattr__(self, "quota_share", _as(QuotaShare, "quota_share", self.quota_share))
        if not isinstance(self.participation, bool | np.bool_):
            raise SpmoptInputError(
                f"constraints.participation: expected true or false, got {self.participation!r}"
            )
        object.__setattr__(self, "participation", bool(self.participation))
        object.__setattr__(
            self,
            "rep_participation",
            _as(RepParticipation, "rep_participation", self.rep_participation),
        )
        object.__setattr__(
            self, "quota_coverage", _as(QuotaCoverage, "quota_coverage", self.quota_coverage)
        )
        if not isinstance(self.quota_bounds, Mapping):
            raise SpmoptInputError(
                f"constraints.quota_bounds: expected a mapping of unit to (low, high), got "
                f"{self.quota_bounds!r}"
            )
        bounds = {
            unit: _as(QuotaBounds, f"quota_bounds[{unit}]", value)
            for unit, value in self.quota_bounds.items()
        }
        object.__setattr__(self, "quota_bounds", _FrozenMapping(bounds))
        object.__setattr__(
            self, "pay_dispersion", _as(PayDispersion, "pay_dispersion", self.pay_dispersion)
        )

    def families(self) -> tuple[str, ...]:
        """The constraint families present, in the order of :data:`FAMILIES`."""
        present = {
            "budget": self.budget is not None,
            "cos_ceiling": self.cos_ceiling is not None,
            "revenue_target": self.revenue_target is not None,
            "cvar": self.cvar is not None,
            "attain_floor": self.quota_share is not None and self.quota_share.low is not None,
            "attain_ceiling": self.quota_share is not None and self.quota_share.high is not None,
            "participation": self.participation,
            "rep_participation": self.rep_participation is not None,
            "quota_coverage": self.quota_coverage is not None,
            "quota_bounds": any(
                b.low is not None or b.high is not None for b in self.quota_bounds.values()
            ),
            "pay_dispersion": self.pay_dispersion is not None,
        }
        return tuple(name for name in FAMILIES if present[name])

    def without(self, *families: str) -> Constraints:
        """The same constraints with the named families dropped."""
        changes: dict[str, object] = {}
        share = self.quota_share
        for family in families:
            if family not in FAMILIES:
                raise SpmoptInputError(
                    f"unknown constraint family {family!r}; expected one of {', '.join(FAMILIES)}"
                )
            if family == "attain_floor" and share is not None:
                share = dataclasses.replace(share, low=None)
            elif family == "attain_ceiling" and share is not None:
                share = dataclasses.replace(share, high=None)
            elif family == "participation":
                changes["participation"] = False
            elif family == "quota_bounds":
                changes["quota_bounds"] = {}
            elif family not in ("attain_floor", "attain_ceiling"):
                changes[family] = None
        if share is not None and share.low is None and share.high is None:
            share = None
        changes["quota_share"] = share
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------------------------------------
# Rows: each constraint family as numbers (solver-independent), built by pure functions.


@dataclass(frozen=True, eq=False)
class Row:
    """One linear row: Σ coef·x[index] + Σ aux coefficients·aux variables (sense) rhs.

    ``index`` are response-table rows (decision variables); ``aux`` names auxiliary variables
    (``eta``, ``z[s]`` by scenario position, ``pay_max``, ``pay_min``).
    """

    name: str
    family: str
    sense: str  # "<=", ">=" or "=="
    rhs: float
    index: np.ndarray
    coef: np.ndarray
    aux: tuple[tuple[str, float], ...] = ()
    unit: int | None = None


@dataclass(frozen=True)
class Auxiliary:
    """An auxiliary continuous variable (None bound = unbounded on that side)."""

    name: str
    low: float | None
    high: float | None


def _all(table: ResponseTable) -> np.ndarray:
    return np.arange(len(table), dtype=np.intp)


def _unit_label(table: ResponseTable, position: int) -> str:
    return str(table.units[position])


def _per_unit_rows(
    table: ResponseTable, values: np.ndarray, mask: np.ndarray | None = None
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(unit position, row indices, coefficients) for each unit, optionally masked rows only."""
    out = []
    for u in range(table.n_units):
        rows = np.arange(table.starts[u], table.starts[u + 1], dtype=np.intp)
        if mask is not None:
            rows = rows[mask[rows]]
        out.append((u, rows, values[rows]))
    return out


def below_outside_option(certainty_equivalent, outside_option) -> np.ndarray:
    """Whether a certainty equivalent is below an outside option by more than
    :data:`PARTICIPATION_RTOL` of the option's size (elementwise, any shapes that broadcast).

    Examples
    --------
    >>> below_outside_option([100.0, np.nextafter(100.0, 0), 99.0], 100.0).tolist()
    [False, False, True]
    """
    ce = np.asarray(certainty_equivalent, dtype=float)
    option = np.asarray(outside_option, dtype=float)
    return ce < option - PARTICIPATION_RTOL * np.abs(option)


def participation_violations(table: ResponseTable) -> np.ndarray:
    """Rows whose certainty equivalent is below the outside option (boolean per row)."""
    return below_outside_option(
        table.column("certainty_equivalent"), table.column("outside_option")
    )


def pay_per_rep(table: ResponseTable) -> np.ndarray:
    """Expected comp cost per rep of each row (0 where the row has no reps) [currency/yr]."""
    reps = table.column("reps")
    return np.divide(table.comp_cost, reps, out=np.zeros(len(table)), where=reps > 0)


def build_rows(table: ResponseTable, constraints: Constraints) -> tuple[list[Row], list[Auxiliary]]:
    """All rows and auxiliary variables of the constraint families in ``constraints``.

    The one-candidate rows ``choose[u]`` (Σ_j x[u,j] = 1) are not included: they are structural
    and added by the model builder.

    Raises
    ------
    SpmoptInputError
        If a family needs data the table lacks (CVaR without samples, quota bounds naming a
        unit that is not in the table, pay dispersion with a non-positive pay per rep).
    """
    rows: list[Row] = []
    aux: list[Auxiliary] = []
    every = _all(table)
    comp = table.comp_cost
    revenue = table.column("revenue")
    reps = table.column("reps")
    if constraints.budget is not None:
        rows.append(Row("budget", "budget", "<=", constraints.budget, every, comp))
    if constraints.cos_ceiling is not None:
        coef = comp - constraints.cos_ceiling * revenue
        rows.append(Row("cos_ceiling", "cos_ceiling", "<=", 0.0, every, coef))
    if constraints.revenue_target is not None:
        rows.append(
            Row(
                "revenue_target", "revenue_target", ">=", constraints.revenue_target, every, revenue
            )
        )
    if constraints.cvar is not None:
        if table.samples is None:
            raise SpmoptInputError(
                "constraints.cvar: needs per-scenario samples (unit, candidate, scenario, "
                "comp_cost); none were given"
            )
        alpha, scenarios = constraints.cvar.alpha, table.samples.shape[1]
        weight = 1.0 / ((1.0 - alpha) * scenarios)
        aux.append(Auxiliary("eta", None, None))
        aux.extend(Auxiliary(f"z[{s}]", 0.0, None) for s in range(scenarios))
        rows.append(
            Row(
                "cvar",
                "cvar",
                "<=",
                constraints.cvar.limit,
                every[:0],
                comp[:0],
                (("eta", 1.0), *((f"z[{s}]", weight) for s in range(scenarios))),
            )
        )
        for s, scenario in enumerate(table.scenarios):
            rows.append(
                Row(
                    f"cvar_excess[{scenario}]",
                    "cvar",
                    "<=",
                    0.0,
                    every,
                    table.samples[:, s],
                    (("eta", -1.0), (f"z[{s}]", -1.0)),
                )
            )
    share = constraints.quota_share
    if share is not None:
        at_quota = reps * table.column("p_quota")
        for family, bound, sense in (
            ("attain_floor", share.low, ">="),
            ("attain_ceiling", share.high, "<="),
        ):
            if bound is None:
                continue
            coef = at_quota - bound * reps
            if share.per_unit:
                for u, index, values in _per_unit_rows(table, coef):
                    rows.append(
                        Row(
                            f"{family}[{_unit_label(table, u)}]",
                            family,
                            sense,
                            0.0,
                            index,
                            values,
                            unit=u,
                        )
                    )
            else:
                rows.append(Row(family, family, sense, 0.0, every, coef))
    if constraints.participation:
        bad = participation_violations(table)
        for u, index, values in _per_unit_rows(table, np.ones(len(table)), bad):
            if index.size:
                rows.append(
                    Row(
                        f"participation[{_unit_label(table, u)}]",
                        "participation",
                        "==",
                        0.0,
                        index,
                        values,
                        unit=u,
                    )
                )
    if constraints.rep_participation is not None:
        if SHARE_BELOW_OUTSIDE not in table.frame.columns:
            raise SpmoptInputError(
                f"constraints.rep_participation: needs the response column "
                f"{SHARE_BELOW_OUTSIDE!r} (share of each row's reps whose certainty equivalent "
                "is below their own outside option); the response table has none"
            )
        bound = constraints.rep_participation.max_share
        coef = reps * (table.column(SHARE_BELOW_OUTSIDE) - bound)
        if constraints.rep_participation.per_unit:
            for u, index, values in _per_unit_rows(table, coef):
                rows.append(
                    Row(
                        f"rep_participation[{_unit_label(table, u)}]",
                        "rep_participation",
                        "<=",
                        0.0,
                        index,
                        values,
                        unit=u,
                    )
                )
        else:
            rows.append(Row("rep_participation", "rep_participation", "<=", 0.0, every, coef))
    if constraints.quota_coverage is not None:
        rows.append(
            Row(
                "quota_coverage",
                "quota_coverage",
                ">=",
                constraints.quota_coverage.required,
                every,
                reps * table.column("quota"),
            )
        )
    if constraints.quota_bounds:
        quota = table.column("quota")
        for unit, bounds in constraints.quota_bounds.items():
            u = table.unit_position(unit)
            index = np.arange(table.starts[u], table.starts[u + 1], dtype=np.intp)
            label = _unit_label(table, u)
            if bounds.low is not None:
                rows.append(
                    Row(
                        f"quota_floor[{label}]",
                        "quota_bounds",
                        ">=",
                        bounds.low,
                        index,
                        quota[index],
                        unit=u,
                    )
                )
            if bounds.high is not None:
                rows.append(
                    Row(
                        f"quota_ceiling[{label}]",
                        "quota_bounds",
                        "<=",
                        bounds.high,
                        index,
                        quota[index],
                        unit=u,
                    )
                )
    if constraints.pay_dispersion is not None:
        pay = pay_per_rep(table)
        staffed = reps > 0
        if (pay[staffed] <= 0).any():
            row = int(np.flatnonzero(staffed & (pay <= 0))[0])
            raise SpmoptInputError(
                f"constraints.pay_dispersion: unit {table.units[table.unit_codes[row]]!r}, "
                f"candidate {table.candidates[row]!r} has expected pay per rep {pay[row]:g}; "
                "expected positive pay wherever there are reps"
            )
        aux.extend([Auxiliary("pay_max", None, None), Auxiliary("pay_min", None, None)])
        # a unit whose chosen plan has no reps is not compared: its unstaffed rows count 0 in
        # pay_upper and the largest pay of all (a bound no pay_min can exceed) in pay_lower
        ceiling = float(pay[staffed].max()) if staffed.any() else 0.0
        lower_values = np.where(staffed, pay, ceiling)
        for u in range(table.n_units):
            index = np.arange(table.starts[u], table.starts[u + 1], dtype=np.intp)
            if not staffed[index].any():
                continue
            label = _unit_label(table, u)
            upper = (("pay_max", -1.0),)
            lower = (("pay_min", -1.0),)
            rows.append(
                Row(
                    f"pay_upper[{label}]",
                    "pay_dispersion",
                    "<=",
                    0.0,
                    index,
                    pay[index],
                    upper,
                    unit=u,
                )
            )
            rows.append(
                Row(
                    f"pay_lower[{label}]",
                    "pay_dispersion",
                    ">=",
                    0.0,
                    index,
                    lower_values[index],
                    lower,
                    unit=u,
                )
            )
        rows.append(
            Row(
                "pay_dispersion",
                "pay_dispersion",
                "<=",
                0.0,
                every[:0],
                comp[:0],
                (("pay_max", 1.0), ("pay_min", -constraints.pay_dispersion.max_ratio)),
            )
        )
    return rows, aux


# ---------------------------------------------------------------------------------------------
# Evaluating a solution.


def cvar_of_losses(losses: np.ndarray, alpha: float) -> tuple[float, float]:
    """Rockafellar–Uryasev CVaR of equally likely ``losses`` and the minimising η (VaR).

    CVaR_α = min_η η + Σ_s (L_s − η)⁺ / ((1 − α)·S). The function of η is convex and piecewise
    linear with kinks at the losses, so the minimum is attained at one of them; all are tried.

    Examples
    --------
    >>> cvar_of_losses(np.array([1.0, 2.0, 3.0, 4.0]), 0.5)
    (3.5, 2.0)
    """
    sorted_losses = np.sort(np.asarray(losses, dtype=float))
    count = sorted_losses.size
    tail = np.cumsum(sorted_losses[::-1])[::-1]  # Σ_{k ≥ i} L_(k)
    above = np.append(tail[1:], 0.0) - sorted_losses * np.arange(count - 1, -1, -1)
    values = sorted_losses + above / ((1.0 - alpha) * count)
    best = int(np.argmin(values))
    return float(values[best]), float(sorted_losses[best])


def optimal_auxiliary(
    table: ResponseTable, constraints: Constraints, x: np.ndarray
) -> dict[str, float]:
    """Best values of the auxiliary variables for weights ``x``: η = VaR, z_s = (loss − η)⁺,
    π_max/π_min = highest/lowest pay per rep."""
    values: dict[str, float] = {}
    if constraints.cvar is not None and table.samples is not None:
        losses = x @ table.samples
        _, eta = cvar_of_losses(losses, constraints.cvar.alpha)
        values["eta"] = eta
        for s, loss in enumerate(losses):
            values[f"z[{s}]"] = max(float(loss) - eta, 0.0)
    if constraints.pay_dispersion is not None:
        pays = unit_pay_per_rep(table, x)
        pays = pays[~np.isnan(pays)]
        if pays.size:
            values["pay_max"], values["pay_min"] = float(pays.max()), float(pays.min())
    return values


def unit_pay_per_rep(table: ResponseTable, x: np.ndarray) -> np.ndarray:
    """π_u = Σ_j x[u,j]·C[u,j]/N[u,j] per unit (NaN for units without reps)."""
    pay = pay_per_rep(table) * x
    staffed = (table.column("reps") > 0).astype(float) * x
    totals = np.bincount(table.unit_codes, pay, minlength=table.n_units)
    weight = np.bincount(table.unit_codes, staffed, minlength=table.n_units)
    return np.where(weight > 0, totals, np.nan)


def row_activity(row: Row, x: np.ndarray, aux: Mapping[str, float]) -> float:
    """Left-hand side of ``row`` at weights ``x`` and auxiliary values ``aux``."""
    value = float(row.coef @ x[row.index]) if row.index.size else 0.0
    return value + sum(coef * aux.get(name, 0.0) for name, coef in row.aux)


def row_violation(row: Row, activity: float) -> float:
    """How far ``activity`` is on the wrong side of the row's rhs (0 when satisfied)."""
    if row.sense == "<=":
        return max(activity - row.rhs, 0.0)
    if row.sense == ">=":
        return max(row.rhs - activity, 0.0)
    return abs(activity - row.rhs)


def parameter_sensitivity(
    row: Row,
    table: ResponseTable,
    constraints: Constraints,
    x: np.ndarray,
    aux: Mapping[str, float],
) -> float:
    """d(row's rhs, moved to the right-hand side) / d(the family's parameter) at ``x``.

    Multiplying a row's dual by this gives the shadow price per unit of the parameter a user
    sets: per currency of budget, revenue target, CVaR limit, quota bound or company target; per
    unit of the cost-of-sales ratio, attainment share, share of reps below their outside option
    or pay-dispersion ratio. Rows with no
    parameter (``participation``, ``pay_upper``/``pay_lower``, ``cvar_excess``) return 1.
    """
    if row.name == "cos_ceiling":
        return float(table.column("revenue") @ x)
    if row.family in ("attain_floor", "attain_ceiling", "rep_participation"):
        reps = table.column("reps")
        return float(reps[row.index] @ x[row.index])
    if row.name == "quota_coverage":
        return constraints.quota_coverage.over_assignment
    if row.name == "pay_dispersion":
        return aux.get("pay_min", 0.0)
    return 1.0


def totals(table: ResponseTable, x: np.ndarray, alpha: float | None = None) -> dict[str, float]:
    """Expected company totals at weights ``x`` (and the CVaR of comp cost when samples exist).

    Keys: profit, revenue, margin, incentive_cost, base_cost, comp_cost, discount_cost, reps,
    reps_at_quota, share_at_quota, quota_total, cost_of_sales (comp cost / revenue); with the
    column ``share_below_outside_option``: reps_below_outside_option and
    share_below_outside_option (head-count share of reps whose own CE is below their own
    outside option); with samples: comp_cost_cvar (at ``alpha``), comp_cost_p90.
    """
    out = {"profit": float(table.profit @ x)}
    for column in ("revenue", "margin", "incentive_cost", "base_cost", "discount_cost", "reps"):
        out[column] = float(table.column(column) @ x)
    out["comp_cost"] = out["incentive_cost"] + out["base_cost"]
    reps = table.column("reps")
    out["reps_at_quota"] = float((reps * table.column("p_quota")) @ x)
    out["share_at_quota"] = out["reps_at_quota"] / out["reps"] if out["reps"] > 0 else math.nan
    out["quota_total"] = float((reps * table.column("quota")) @ x)
    out["cost_of_sales"] = out["comp_cost"] / out["revenue"] if out["revenue"] else math.nan
    if SHARE_BELOW_OUTSIDE in table.frame.columns:
        below = float((reps * table.column(SHARE_BELOW_OUTSIDE)) @ x)
        out["reps_below_outside_option"] = below
        out[SHARE_BELOW_OUTSIDE] = below / out["reps"] if out["reps"] > 0 else math.nan
    if table.samples is not None:
        losses = x @ table.samples
        if alpha is not None:
            out["comp_cost_cvar"] = cvar_of_losses(losses, alpha)[0]
        out["comp_cost_p90"] = float(np.quantile(losses, 0.9))
    return out
