"""Rep profiles and populations: a columnar table of reps with a Mesa-style verb API.

A :class:`Population` wraps one pandas DataFrame with one row per rep and snake_case columns
(units in brackets; money in the plan's currency, all rates annual):

=========================  ==================================================================
``rep_id``                 unique identifier (text)
``segment``                segment name (text)
``base_sales``             h: expected sales at zero effort [currency/yr]
``effectiveness``          k: extra expected sales per unit of effort [currency/yr per effort]
``effort_cost``            c: effort costs c·e^γ/γ [currency/yr]
``effort_exponent``        γ > 1 (2 = quadratic cost)
``risk_aversion``          r: CARA coefficient, u(w) = −exp(−r·w) [1/currency]; 0 = neutral
``outside_option``         certainty equivalent the rep could earn elsewhere [currency/yr]
``tenure_months``          months employed at the start of the plan year
``ramp_months``            months a new hire needs to reach full productivity (0 = none)
``attrition_sensitivity``  multiplier on the quit hazard from pay below the outside option
``territory_potential``    territory size relative to an average one [ratio]
``quota`` (optional)       the rep's annual quota, overriding the plan's [currency/yr]
                           (optional columns may have empty cells: the default applies)
``target_incentive`` (opt) the rep's annual target incentive [currency/yr]
``base_salary`` (optional) the rep's annual base salary [currency/yr]
``sales_sd`` (optional)    the rep's σ of annual sales, overriding the technology's [currency/yr]
=========================  ==================================================================

Populations are immutable: verbs return new populations.

Examples
--------
>>> pop = Population.from_reps([Rep(base_sales=5e5, effectiveness=2e5, effort_cost=5e4)] * 2)
>>> len(pop), float(pop.agg("base_sales", sum))
(2, 1000000.0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.reps._checks import fail, keys, number
from spmopt.reps.distributions import parse_distribution

# name: (default or None when required, lower bound, strict lower bound, upper bound)
TRAITS: dict[str, tuple[float | None, float, bool, float | None]] = {
    "base_sales": (None, 0.0, False, None),
    "effectiveness": (None, 0.0, False, None),
    "effort_cost": (None, 0.0, True, None),
    "effort_exponent": (2.0, 1.0, True, 10.0),
    "risk_aversion": (0.0, 0.0, False, None),
    "outside_option": (0.0, 0.0, False, None),
    "tenure_months": (36.0, 0.0, False, None),
    "ramp_months": (0.0, 0.0, False, 60.0),
    "attrition_sensitivity": (1.0, 0.0, False, None),
    "territory_potential": (1.0, 0.0, True, None),
}
OPTIONAL: dict[str, tuple[float, bool]] = {
    "quota": (0.0, True),
    "target_incentive": (0.0, False),
    "base_salary": (0.0, False),
    "sales_sd": (0.0, False),
}
TEXT_COLUMNS = ("plan_id", "start_date")
COLUMNS: tuple[str, ...] = ("rep_id", "segment", *TRAITS)
REQUIRED_TRAITS = tuple(name for name, spec in TRAITS.items() if spec[0] is None)
# r × (sales scale) above this is not a plausible absolute (CARA) risk aversion
MAX_RELATIVE_RISK_AVERSION = 100.0
_QUOTA_COLUMN = re.compile(r"^quota_[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class Rep:
    """One rep profile (annual units; see the module docstring for each field).

    Examples
    --------
    >>> Rep(base_sales=600_000, effectiveness=300_000, effort_cost=100_000).effort_exponent
    2.0
    """

    base_sales: float
    effectiveness: float
    effort_cost: float
    effort_exponent: float = 2.0
    risk_aversion: float = 0.0
    outside_option: float = 0.0
    tenure_months: float = 36.0
    ramp_months: float = 0.0
    attrition_sensitivity: float = 1.0
    territory_potential: float = 1.0
    rep_id: str = "rep-1"
    segment: str = "all"
    quota: float | None = None
    target_incentive: float | None = None
    base_salary: float | None = None
    sales_sd: float | None = None

    def __post_init__(self):
        row = validate_frame(pd.DataFrame([self._row()]), source="Rep").iloc[0]
        for name in TRAITS:
            object.__setattr__(self, name, float(row[name]))

    def _row(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def to_population(self) -> Population:
        """A population of this one rep."""
        return Population(pd.DataFrame([self._row()]))


@dataclass(frozen=True, eq=False)
class RepArrays:
    """The traits of N reps as float arrays (N,), for vectorised hot paths.

    Optional columns absent from the population are ``None``.
    """

    base_sales: np.ndarray
    effectiveness: np.ndarray
    effort_cost: np.ndarray
    effort_exponent: np.ndarray
    risk_aversion: np.ndarray
    outside_option: np.ndarray
    tenure_months: np.ndarray
    ramp_months: np.ndarray
    attrition_sensitivity: np.ndarray
    territory_potential: np.ndarray
    quota: np.ndarray | None = None
    target_incentive: np.ndarray | None = None
    base_salary: np.ndarray | None = None
    sales_sd: np.ndarray | None = None

    def __len__(self) -> int:
        return self.base_sales.shape[0]

    def take(self, index) -> RepArrays:
        """The reps at ``index`` (integer array or boolean mask)."""
        return RepArrays(
            **{
                f.name: None if getattr(self, f.name) is None else getattr(self, f.name)[index]
                for f in fields(self)
            }
        )


def _row_name(frame: pd.DataFrame, position: int) -> str:
    rep_id = frame["rep_id"].iloc[position] if "rep_id" in frame else None
    return f"row {position + 1}" + (f" (rep_id '{rep_id}')" if rep_id is not None else "")


def validate_frame(frame: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Check and normalise a table of reps: known columns, required traits, numeric bounds.

    Missing optional traits are filled with their defaults; errors name the row and column.
    """
    frame = frame.copy()
    allowed = set(COLUMNS) | set(OPTIONAL) | set(TEXT_COLUMNS)
    for column in frame.columns:
        if column not in allowed and not _QUOTA_COLUMN.match(str(column)):
            raise SpmoptInputError(
                f"unknown column '{column}'; expected some of {list(COLUMNS) + list(OPTIONAL)}",
                source,
            )
    for column in REQUIRED_TRAITS:
        if column not in frame:
            raise SpmoptInputError(
                f"missing column '{column}' (required: {list(REQUIRED_TRAITS)})", source
            )
    if "rep_id" not in frame:
        frame.insert(0, "rep_id", [f"rep-{i + 1}" for i in range(len(frame))])
    frame["rep_id"] = frame["rep_id"].astype(str)
    duplicated = frame["rep_id"][frame["rep_id"].duplicated()]
    if len(duplicated):
        raise SpmoptInputError(f"rep_id '{duplicated.iloc[0]}' appears more than once", source)
    if "segment" not in frame:
        frame["segment"] = "all"
    frame["segment"] = frame["segment"].astype(str)
    bounds = {name: (low, strict, high) for name, (_, low, strict, high) in TRAITS.items()}
    bounds |= {name: (low, strict, None) for name, (low, strict) in OPTIONAL.items()}
    bounds |= {name: (0.0, True, None) for name in frame.columns if _QUOTA_COLUMN.match(name)}
    for name, (default, *_rest) in TRAITS.items():
        if name not in frame:
            frame[name] = default
    for name, (low, strict, high) in bounds.items():
        if name not in frame:
            continue
        raw = frame[name]
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        missing = values.isna().to_numpy()
        if name in OPTIONAL:  # an empty cell means "use the default" (plan or technology)
            missing = missing & ~raw.isna().to_numpy()
        if missing.any():
            position = int(np.flatnonzero(missing)[0])
            shown = raw.iloc[position]
            what = "a value" if pd.isna(shown) else f"a number, not {shown!r}"
            raise SpmoptInputError(
                f"{_row_name(frame, position)}, column '{name}': expected {what}", source
            )
        array = values.to_numpy()
        bad = ~np.isfinite(array) | (array <= low if strict else array < low)
        if name in OPTIONAL:
            bad &= ~np.isnan(array)
        if high is not None:
            bad |= array > high
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            expected = f"{'>' if strict else '>='} {low:g}" + (
                f" and <= {high:g}" if high is not None else ""
            )
            hint = {
                "effort_cost": " (a cost must be positive)",
                "effort_exponent": " (γ > 1 keeps the cost convex)",
                "ramp_months": " (months to full productivity)",
                "sales_sd": " (a standard deviation cannot be negative)",
            }.get(name, "")
            raise SpmoptInputError(
                f"{_row_name(frame, position)}, column '{name}': expected a finite number "
                f"{expected}{hint}, got {float(array[position])!r}",
                source,
            )
        frame[name] = array
    scale = np.maximum.reduce(
        [frame["base_sales"].to_numpy(), frame["effectiveness"].to_numpy(), np.ones(len(frame))]
    )
    relative = frame["risk_aversion"].to_numpy() * scale
    if (relative > MAX_RELATIVE_RISK_AVERSION).any():
        position = int(np.flatnonzero(relative > MAX_RELATIVE_RISK_AVERSION)[0])
        raise SpmoptInputError(
            f"{_row_name(frame, position)}, column 'risk_aversion': expected an absolute (CARA) "
            f"coefficient per currency unit, e.g. 1e-5; got {float(frame['risk_aversion'].iloc[position])!r}"
            f", which is {relative[position]:.3g} times the rep's sales scale (at most "
            f"{MAX_RELATIVE_RISK_AVERSION:g} makes sense)",
            source,
        )
    ordered = [c for c in COLUMNS if c in frame] + [c for c in frame if c not in COLUMNS]
    return frame[ordered].reset_index(drop=True)


def _segment_frame(name: str, spec, rng: np.random.Generator) -> pd.DataFrame:
    path = f"segments.{name}"
    allowed = {"count", *TRAITS, *OPTIONAL}
    keys(path, spec, allowed, required=("count", *REQUIRED_TRAITS))
    count = int(number(f"{path}.count", spec["count"], low=0, integer=True))
    columns: dict[str, object] = {
        "rep_id": [f"{name}-{i + 1:04d}" for i in range(count)],
        "segment": name,
    }
    for trait in (
        *TRAITS,
        *OPTIONAL,
    ):  # fixed order: drawing is reproducible whatever the spec order
        if trait in spec:
            distribution = parse_distribution(f"{path}.{trait}", spec[trait])
            columns[trait] = distribution.sample(count, rng)
    frame = pd.DataFrame(columns)
    try:
        return validate_frame(frame)
    except SpmoptInputError as error:
        raise SpmoptInputError(
            f"{path}: the distributions produced invalid reps: {error.detail}; "
            "restrict the distribution (e.g. lower = 0 for a normal)"
        ) from None


@dataclass(frozen=True, eq=False)
class Population:
    """A table of reps (one row each), validated on construction and never mutated.

    Build one with :meth:`from_reps`, :meth:`generate` (distributions per segment),
    :meth:`from_roster` (CSV) or directly from a DataFrame with the columns of the module
    docstring. Verbs (:meth:`select`, :meth:`groupby`, :meth:`agg`, :meth:`sort`,
    :meth:`shuffle`, :meth:`with_columns`, :meth:`concat`) return new populations or aggregates.
    """

    data: pd.DataFrame

    def __post_init__(self):
        object.__setattr__(self, "data", validate_frame(self.data))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_reps(cls, reps) -> Population:
        """A population from :class:`Rep` objects (rep_ids made unique if repeated)."""
        rows = [rep._row() for rep in reps]
        frame = pd.DataFrame(rows)
        if frame["rep_id"].duplicated().any():
            frame["rep_id"] = [f"rep-{i + 1}" for i in range(len(frame))]
        return cls(frame)

    @classmethod
    def generate(cls, spec: Mapping, rng: np.random.Generator) -> Population:
        """Draw a population from ``{"segments": {name: {count, trait: distribution, …}}}``.

        Each trait is a number or a distribution table (see :mod:`spmopt.reps.distributions`);
        ``base_sales``, ``effectiveness`` and ``effort_cost`` are required, the others default as
        in :class:`Rep`. Segments are drawn in the order given, traits in a fixed order.
        """
        keys("", spec, {"segments"}, required=("segments",))
        segments = spec["segments"]
        if not isinstance(segments, Mapping) or not segments:
            fail("segments", "a table of segments, each with count and traits", segments)
        frames = [_segment_frame(name, segment, rng) for name, segment in segments.items()]
        return cls(pd.concat(frames, ignore_index=True))

    @classmethod
    def load_spec(cls, path: str | Path, rng: np.random.Generator) -> Population:
        """Generate a population from a TOML spec file (see :meth:`generate`)."""
        import tomllib

        path = Path(path)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SpmoptInputError(
                "file not found; expected a population spec", str(path)
            ) from None
        except tomllib.TOMLDecodeError as error:
            raise SpmoptInputError(f"not valid TOML: {error}", str(path)) from None
        try:
            return cls.generate(document, rng)
        except SpmoptInputError as error:
            raise error.in_source(str(path)) from None

    @classmethod
    def from_roster(cls, path_or_frame) -> Population:
        """A population from a roster CSV (or DataFrame) with one row per rep."""
        if isinstance(path_or_frame, pd.DataFrame):
            return cls(path_or_frame)
        path = Path(path_or_frame)
        try:
            frame = pd.read_csv(path, dtype={"rep_id": str, "segment": str})
        except FileNotFoundError:
            raise SpmoptInputError("file not found; expected a roster CSV", str(path)) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise SpmoptInputError(f"cannot read a roster CSV ({error})", str(path)) from None
        try:
            return cls(frame)
        except SpmoptInputError as error:
            raise error.in_source(str(path)) from None

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        segments = self.data["segment"].value_counts(sort=False).to_dict()
        return f"Population({len(self)} reps, segments={segments})"

    @property
    def frame(self) -> pd.DataFrame:
        """A copy of the underlying table."""
        return self.data.copy()

    @property
    def rep_ids(self) -> np.ndarray:
        return self.data["rep_id"].to_numpy()

    def column(self, name: str) -> np.ndarray:
        """One column as a numpy array."""
        if name not in self.data:
            raise KeyError(f"population has no column '{name}'")
        return self.data[name].to_numpy()

    def has(self, name: str) -> bool:
        return name in self.data

    @cached_property
    def arrays(self) -> RepArrays:
        """The traits as float arrays (cached; the population is immutable)."""
        values = {name: self.data[name].to_numpy(dtype=float) for name in TRAITS}
        for name in OPTIONAL:
            values[name] = self.data[name].to_numpy(dtype=float) if name in self.data else None
        return RepArrays(**values)

    def rep(self, position: int) -> Rep:
        """The rep in row ``position`` as a :class:`Rep`."""
        row = self.data.iloc[position]
        known = {f.name for f in fields(Rep)}
        return Rep(**{k: v for k, v in row.items() if k in known and not pd.isna(v)})

    # ------------------------------------------------------------------ verbs
    def select(self, mask=None, /, **equals) -> Population:
        """The reps matching ``mask`` and every ``column=value`` (a list means any of).

        ``mask`` is a boolean array or a function of the table returning one.

        >>> pop = Population.from_reps([Rep(base_sales=1, effectiveness=1, effort_cost=1)])
        >>> len(pop.select(segment="all")), len(pop.select(lambda t: t.base_sales > 2))
        (1, 0)
        """
        keep = np.ones(len(self), dtype=bool)
        if mask is not None:
            chosen = mask(self.data) if callable(mask) else mask
            keep &= np.asarray(chosen, dtype=bool)
        for column, value in equals.items():
            values = self.column(column)
            keep &= np.isin(values, value) if isinstance(value, list | tuple) else values == value
        return Population(self.data[keep])

    def groupby(self, by: str) -> PopulationGroups:
        """Groups of reps by the values of column ``by`` (e.g. ``"segment"``)."""
        if by not in self.data:
            raise KeyError(f"population has no column '{by}'")
        return PopulationGroups(self, by)

    def agg(self, column: str, func: Callable) -> object:
        """``func`` applied to one column (e.g. ``pop.agg("base_sales", np.mean)``)."""
        return func(self.column(column))

    def sort(self, by: str, ascending: bool = True) -> Population:
        """The reps ordered by column ``by`` (stable)."""
        if by not in self.data:
            raise KeyError(f"population has no column '{by}'")
        return Population(self.data.sort_values(by, ascending=ascending, kind="stable"))

    def shuffle(self, rng: np.random.Generator) -> Population:
        """The reps in a random order drawn from ``rng``."""
        return Population(self.data.iloc[rng.permutation(len(self))])

    def with_columns(self, **columns) -> Population:
        """A copy with columns added or replaced: arrays, scalars or functions of the table."""
        frame = self.frame
        for name, value in columns.items():
            frame[name] = value(frame) if callable(value) else value
        return Population(frame)

    def concat(self, *others: Population) -> Population:
        """This population followed by ``others`` (rep_ids must stay unique)."""
        return Population(pd.concat([self.data, *(o.data for o in others)], ignore_index=True))


@dataclass(frozen=True)
class PopulationGroups:
    """Reps grouped by one column: iterate over ``(value, Population)`` or aggregate."""

    population: Population
    by: str

    def __iter__(self) -> Iterator[tuple[object, Population]]:
        for key, frame in self.population.data.groupby(self.by, sort=True):
            yield key, Population(frame)

    def __len__(self) -> int:
        return self.population.data[self.by].nunique()

    def agg(self, column: str, func: Callable) -> pd.Series:
        """``func`` of ``column`` within each group, as a Series indexed by group."""
        return pd.Series(
            {key: func(group.column(column)) for key, group in self}, name=column
        ).rename_axis(self.by)

    def count(self) -> pd.Series:
        """Number of reps in each group."""
        return self.agg("rep_id", len).rename("count")

    def map(self, func: Callable[[Population], object]) -> dict:
        """``func`` applied to each group's population."""
        return {key: func(group) for key, group in self}
