"""Scenario files: a sales force, its markets, behaviour and plans, validated before any simulation.

The format is documented in ``docs/scenario-format.md``. A scenario file is parsed once into a
frozen :class:`Scenario`; :meth:`Scenario.model` compiles it (drawing the population from the
``population`` stream of the scenario's seed) into the :class:`~spmopt.sim.model.SimulationModel`
both engines run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from spmopt.errors import SpmoptInputError, toml_error_message
from spmopt.plan.plan import Plan, validation_message
from spmopt.reps.behaviour.registry import Behaviour, behaviour_from_dict
from spmopt.reps.population import Population
from spmopt.reps.seasonality import Ramp, Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim.model import QuotaRevision, Segment, SimulationModel
from spmopt.sim.streams import RandomStreams

SCHEMA_VERSION = 1
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Ratio = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanRef(_Frozen):
    """A named plan: a plan file (``path``, relative to the scenario file) or an inline plan."""

    path: str | None = None
    plan: dict | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PlanRef:
        if (self.path is None) == (self.plan is None):
            raise ValueError("give exactly one of 'path' (a plan file) or 'plan' (an inline plan)")
        return self


class DealsTechnology(_Frozen):
    """Deal-by-deal sales (see :class:`spmopt.reps.technology.DealSales`)."""

    kind: Literal["deals"]
    win_probability: Annotated[float, Field(gt=0, le=1)] = 0.25
    deal_size_mean: Annotated[float, Field(gt=0)] = 50_000.0
    deal_size_sigma: Annotated[float, Field(ge=0, le=5)] = 0.8
    cycle_months_mean: Annotated[float, Field(gt=0)] = 3.0
    cycle_months_shape: Annotated[float, Field(gt=0)] = 2.0

    def build(self) -> DealSales:
        return DealSales(**self.model_dump(exclude={"kind"}))


class NormalTechnology(_Frozen):
    """S = h + k·e + ε, ε ~ N(0, σ²) (see :class:`spmopt.reps.technology.NormalSales`)."""

    kind: Literal["normal"]
    sigma: Money

    def build(self) -> NormalSales:
        return NormalSales(sigma=self.sigma)


class SegmentSpec(_Frozen):
    """One segment: its reps, market and plan."""

    plan: Name
    measure: Name = "bookings"
    gross_margin: Ratio = 0.75
    seasonality: tuple[Annotated[float, Field(ge=0)], ...] | None = None
    quarter_end_lift: Annotated[float, Field(gt=0)] | None = None
    technology: DealsTechnology | NormalTechnology = Field(discriminator="kind")
    share: Annotated[float, Field(gt=0, le=1)] | None = None
    reps: dict = Field(default_factory=dict)

    @field_validator("seasonality")
    @classmethod
    def _twelve(cls, weights):
        if weights is not None and (len(weights) != 12 or sum(weights) <= 0):
            raise ValueError(
                "seasonality needs 12 non-negative monthly weights with a positive sum"
            )
        return weights

    @model_validator(mode="after")
    def _one_seasonality(self) -> SegmentSpec:
        if self.seasonality is not None and self.quarter_end_lift is not None:
            raise ValueError("give 'seasonality' (12 weights) or 'quarter_end_lift', not both")
        return self

    def seasonality_profile(self) -> Seasonality:
        """Monthly shares of the segment's new business (leads). ``quarter_end_lift`` acts on
        closings (see :meth:`sales_technology`); normal sales close in the month they are made,
        so for them it lifts the quarter-end months' share of sales."""
        if self.seasonality is not None:
            return Seasonality(np.asarray(self.seasonality, dtype=float))
        if self.quarter_end_lift is not None and self.technology.kind == "normal":
            return Seasonality.quarter_end(self.quarter_end_lift)
        return Seasonality.flat()

    def sales_technology(self) -> DealSales | NormalSales:
        """The segment's technology; deals close bunched at quarter ends by
        ``quarter_end_lift`` (``DealSales.quarter_end_lift``)."""
        technology = self.technology.build()
        if self.quarter_end_lift is not None and isinstance(technology, DealSales):
            return replace(technology, quarter_end_lift=self.quarter_end_lift)
        return technology


class QuotaRevisionSpec(_Frozen):
    """Next quota = quota + up·(sales − quota) above quota, + down·(sales − quota) below."""

    up: Ratio
    down: Ratio | None = None


class Finance(_Frozen):
    """Financial targets and limits of the sales organisation (annual, currency)."""

    comp_budget: Money | None = None
    revenue_target: Money | None = None
    cost_of_sales_ceiling: Annotated[float, Field(gt=0, le=1)] | None = None
    quota_share_band: tuple[Ratio, Ratio] | None = None


class ScenarioBody(_Frozen):
    """The ``[scenario]`` table."""

    id: Name
    description: str = ""
    year_start: dt.date | None = None
    years: Annotated[int, Field(ge=1, le=30)] = 1
    seed: Annotated[int, Field(ge=0)] = 0
    replications: Annotated[int, Field(ge=1, le=1_000_000)] = 100
    engine: Literal["fast", "events"] = "fast"
    reps: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    roster: str | None = None

    @field_validator("year_start")
    @classmethod
    def _first_of_month(cls, year_start):
        if year_start is not None and year_start.day != 1:
            raise ValueError(f"the plan year must start on the first of a month, not {year_start}")
        return year_start


class ScenarioFile(_Frozen):
    """A whole scenario file."""

    schema_version: Literal[1]
    scenario: ScenarioBody
    plans: dict[Name, PlanRef] = Field(min_length=1)
    segments: dict[Name, SegmentSpec] = Field(min_length=1)
    behaviour: dict = Field(default_factory=dict)
    ramp: dict = Field(default_factory=dict)
    quota_revision: QuotaRevisionSpec | None = None
    finance: Finance = Field(default_factory=Finance)
    optimise: dict = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> ScenarioFile:
        shares = {name: segment.share for name, segment in self.segments.items()}
        given = [share is not None for share in shares.values()]
        if any(given):
            if not all(given):
                missing = [name for name, share in shares.items() if share is None]
                raise ValueError(
                    f"segments.{missing[0]}.share: every segment needs a share, or none"
                )
            total = sum(shares.values())
            if abs(total - 1.0) > 1e-9:
                raise ValueError(
                    f"segment shares must sum to 1; they sum to {total:g} "
                    f"({', '.join(f'{n}={v:g}' for n, v in shares.items())})"
                )
            if self.scenario.reps is None:
                raise ValueError("scenario.reps: segment shares need the total number of reps")
            for name, segment in self.segments.items():
                if "count" in segment.reps:
                    raise ValueError(
                        f"segments.{name}.reps.count: give a share or a count, not both"
                    )
        elif self.scenario.reps is not None and self.scenario.roster is None:
            raise ValueError("scenario.reps: a total number of reps needs a share on each segment")
        if self.scenario.roster is not None:
            for name, segment in self.segments.items():
                if segment.reps or segment.share is not None:
                    raise ValueError(
                        f"segments.{name}: with scenario.roster the reps come from the roster; "
                        "remove 'reps' and 'share'"
                    )
        for name, segment in self.segments.items():
            if segment.plan not in self.plans:
                raise ValueError(
                    f"segments.{name}.plan: no plan named '{segment.plan}' in [plans] "
                    f"(named: {', '.join(self.plans)})"
                )
        return self


class Scenario:
    """A validated scenario: plans, segments, behaviour, horizon, seed and financial targets.

    Load one with :meth:`load` (TOML file) or :meth:`from_toml`; everything is checked before
    any simulation starts. :meth:`model` compiles it for the engines.
    """

    def __init__(self, spec: ScenarioFile, plans: dict[str, Plan], content_hash: str, source: str):
        self.spec = spec
        self.plans = plans
        self.content_hash = content_hash
        self.source = source
        self.behaviour: Behaviour = _behaviour(spec, source)
        self.ramp = _ramp(spec, source)
        self._check_measures()

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read and validate a scenario file (plans referenced by path are read relative to it)."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SpmoptInputError(
                "file not found; expected a TOML scenario file", str(path)
            ) from None
        except IsADirectoryError:
            raise SpmoptInputError(
                "is a folder; expected a TOML scenario file", str(path)
            ) from None
        return cls.from_toml(
            data.decode("utf-8", errors="replace"), source=str(path), base=path.parent
        )

    @classmethod
    def from_toml(cls, text: str, source: str = "scenario", base: Path | None = None) -> Scenario:
        """A scenario from TOML text; ``base`` is the folder plan paths are relative to."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise SpmoptInputError(toml_error_message(error, text), source) from None
        if not document:
            raise SpmoptInputError(
                "the scenario file is empty; expected [scenario], [plans], [segments]", source
            )
        try:
            spec = ScenarioFile.model_validate(document)
        except ValidationError as error:
            raise SpmoptInputError(validation_message(error, document), source) from None
        digest = hashlib.sha256(text.encode())
        plans = {}
        for name, ref in spec.plans.items():
            if ref.path is not None:
                plan_path = (base or Path(".")) / ref.path
                plans[name] = Plan.load(plan_path)
                digest.update(plan_path.read_bytes())
            else:
                plans[name] = Plan.from_dict(ref.plan, source=f"{source}: plans.{name}.plan")
        return cls(spec, plans, digest.hexdigest()[:16], source)

    # ------------------------------------------------------------------ access
    @property
    def id(self) -> str:
        return self.spec.scenario.id

    @property
    def seed(self) -> int:
        return self.spec.scenario.seed

    @property
    def replications(self) -> int:
        return self.spec.scenario.replications

    @property
    def year_start(self) -> dt.date:
        if self.spec.scenario.year_start is not None:
            return self.spec.scenario.year_start
        return next(iter(self.plans.values())).year_start

    def plan_of(self, name: str) -> Plan:
        """The plan named ``name`` in ``[plans]``."""
        if name not in self.plans:
            raise SpmoptInputError(
                f"no plan named '{name}' in the scenario's [plans] (named: {', '.join(self.plans)})",
                self.source,
            )
        return self.plans[name]

    @cached_property
    def population(self) -> Population:
        """The scenario's reps: the roster, or drawn once from the ``population`` stream of the
        seed (counts per segment, or the total split by the segments' shares)."""
        if self.spec.scenario.roster is not None:
            return self._roster_population()
        rng = RandomStreams(self.seed).generator("population")
        counts = _counts(self.spec)
        spec = {
            "segments": {
                name: {**segment.reps, **({} if counts is None else {"count": counts[name]})}
                for name, segment in self.spec.segments.items()
            }
        }
        try:
            return Population.generate(spec, rng)
        except SpmoptInputError as error:
            detail = error.detail
            for name in self.spec.segments:
                detail = detail.replace(f"segments.{name}", f"segments.{name}.reps")
            raise SpmoptInputError(detail, self.source) from None

    def _roster_population(self) -> Population:
        path = Path(self.source).parent / self.spec.scenario.roster
        try:
            population = Population.from_roster(path)
        except SpmoptInputError as error:
            raise error.in_source(str(path)) from None
        if not population.has("segment"):
            raise SpmoptInputError("the roster needs a segment column", str(path))
        unknown = sorted(set(population.column("segment").astype(str)) - set(self.spec.segments))
        if unknown:
            raise SpmoptInputError(
                f"segment '{unknown[0]}' is not a segment of the scenario "
                f"({', '.join(self.spec.segments)})",
                str(path),
            )
        return population

    def model(self, plan: str | Plan | Mapping[str, Plan] | None = None) -> SimulationModel:
        """The simulation model; ``plan`` (a name in ``[plans]`` or a Plan) replaces every
        segment's own plan; a ``{segment: Plan}`` mapping replaces the named segments' plans."""
        if isinstance(plan, str):
            plan = self.plan_of(plan)
        by_segment = plan if isinstance(plan, Mapping) else {}
        unknown = sorted(set(by_segment) - set(self.spec.segments))
        if unknown:
            raise SpmoptInputError(
                f"no segment '{unknown[0]}' in the scenario (segments: "
                f"{', '.join(self.spec.segments)})",
                self.source,
            )
        segments = {}
        for name, spec in self.spec.segments.items():
            if isinstance(plan, Mapping):
                segment_plan = by_segment.get(name, self.plans[spec.plan])
            else:
                segment_plan = plan if plan is not None else self.plans[spec.plan]
            _check_plan_measure(segment_plan, name, spec.measure, self.source)
            segments[name] = Segment(
                name=name,
                plan=segment_plan,
                technology=spec.sales_technology(),
                seasonality=spec.seasonality_profile(),
                gross_margin=spec.gross_margin,
            )
        revision = self.spec.quota_revision
        return SimulationModel(
            scenario_id=self.id,
            population=self.population,
            segments=segments,
            behaviour=self.behaviour,
            ramp=self.ramp,
            years=self.spec.scenario.years,
            year_start=self.year_start,
            quota_revision=None if revision is None else QuotaRevision(revision.up, revision.down),
            content_hash=self.content_hash,
        )

    def _check_measures(self) -> None:
        for name, spec in self.spec.segments.items():
            _check_plan_measure(self.plans[spec.plan], name, spec.measure, self.source)
        self.population  # noqa: B018 - draw now so that bad trait specs fail before any run


def _check_plan_measure(plan: Plan, segment: str, measure: str, source: str) -> None:
    unknown = [m for m in plan.measures if m != measure]
    if unknown:
        raise SpmoptInputError(
            f"segments.{segment}: plan '{plan.id}' pays on {', '.join(unknown)}, which the "
            f"segment's sales do not produce (it produces '{measure}')",
            source,
        )


def _behaviour(spec: ScenarioFile, source: str) -> Behaviour:
    try:
        return behaviour_from_dict(spec.behaviour or None)
    except SpmoptInputError as error:
        raise error.in_source(source) from None


def _ramp(spec: ScenarioFile, source: str) -> Ramp:
    unknown = set(spec.ramp) - {"start_fraction"}
    if unknown:
        raise SpmoptInputError(
            f"unknown key 'ramp.{sorted(unknown)[0]}'; expected start_fraction", source
        )
    try:
        return Ramp(**spec.ramp)
    except SpmoptInputError as error:
        raise error.in_source(source) from None


def _counts(spec: ScenarioFile) -> dict[str, int] | None:
    """Reps per segment from the total and the shares (largest remainder), or None."""
    total = spec.scenario.reps
    if total is None:
        return None
    shares = {name: segment.share for name, segment in spec.segments.items()}
    exact = {name: share * total for name, share in shares.items()}
    counts = {name: int(value) for name, value in exact.items()}
    remainder = total - sum(counts.values())
    for name in sorted(exact, key=lambda n: exact[n] - counts[n], reverse=True)[:remainder]:
        counts[name] += 1
    return counts
