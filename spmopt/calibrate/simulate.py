"""Simulated histories for the method of moments: the scenario's model with the behaviour
parameters set to θ, one fast-engine run per plan year of the history, on fixed random numbers.

Fixed draws (common random numbers across θ): the reps' standardised base-sales scores ``z``
(stream ``calibration_base_sales``), their other traits (stream ``population``) and every engine
stream (``RandomStreams(seed).spawn("calibration-<year>")``) depend on the seed only, so the
simulated moments move with θ alone and the objective is as smooth as the model allows.

Independent teams: the S simulated histories are S teams of the history's size, each with its own
draw of reps (S·seats seats simulated together in one engine replication, team s = seats
s·seats … (s+1)·seats − 1). Replications of one team would share its reps: the spread of base
sales across a 200-rep team then moves the mean of all S histories alike (about 60% of the
variance of the mean attainment), the simulated moments' noise no longer shrinks as 1/S, and the
(1 + 1/S) correction of the standard errors and J-test would understate it.

Simplification: each plan year is simulated from January with every seat filled and the
history's median quota of that year; tenure is the scenario's (``docs/calibration-from-history.md``).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from spmopt.calibrate.history import history_from_rep_periods
from spmopt.calibrate.moments import history_moments
from spmopt.errors import SpmoptInputError
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.population import Population
from spmopt.scenario import Scenario
from spmopt.sim.fast import simulate_fast
from spmopt.sim.streams import RandomStreams

#: dynamic-policy rep types per year: reps that differ only in base sales share one type exactly
POLICY_TYPES = 8


@dataclass(frozen=True)
class Parameter:
    """One calibrated parameter: its name, bounds and the scale of a typical step (natural
    units), and the scenario setting it replaces."""

    name: str
    low: float
    high: float
    scale: float
    meaning: str


#: the parameters :class:`HistorySimulator` can fit (a modest set; see the docs for what the
#: moments identify)
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "base_sales_log_median",
            5.0,
            25.0,
            0.05,
            "log of the median base sales h [ln currency/yr]",
        ),
        Parameter("base_sales_sigma", 0.01, 2.0, 0.05, "σ of log base sales across reps"),
        Parameter("effort_cost_log", -5.0, 30.0, 0.2, "log of the effort cost c [ln currency/yr]"),
        Parameter(
            "risk_aversion_per_million", 0.0, 100.0, 2.0, "CARA risk aversion r × 10⁶ [1/currency]"
        ),
        Parameter(
            "push_share", 0.0, 1.0, 0.1, "timing: share of a period's bookings a rep may push"
        ),
        Parameter("annual_turnover", 0.005, 0.95, 0.04, "attrition: baseline annual turnover"),
        Parameter(
            "shortfall_hazard", 0.0, 20.0, 0.5, "attrition: extra hazard per unit of pay shortfall"
        ),
    )
}
DEFAULT_PARAMETERS = (
    "base_sales_log_median",
    "base_sales_sigma",
    "effort_cost_log",
    "push_share",
    "annual_turnover",
    "shortfall_hazard",
)


class HistorySimulator:
    """Simulated moments of a history like ``history`` under ``scenario`` with parameters θ.

    Parameters
    ----------
    scenario:
        One segment; its plans (by name in ``[plans]`` or by plan id) cover the history's
        ``plan_id`` values; its behaviour, technology, seasonality and other traits are kept.
    layout:
        The validated history (its years, plans, team size and quotas are used, not its sales).
    replications:
        S, simulated histories per θ (the simulated moment is their mean).
    seed:
        Root seed of the fixed draws.
    parameters:
        Names from :data:`PARAMETERS` to fit (the rest stay at the scenario's values).
    """

    def __init__(
        self,
        scenario: Scenario,
        layout: pd.DataFrame,
        replications: int = 10,
        seed: int = 0,
        parameters=DEFAULT_PARAMETERS,
        seats: int | None = None,
    ):
        if len(scenario.spec.segments) != 1:
            raise SpmoptInputError(
                "calibration fits one segment; the scenario has "
                f"{len(scenario.spec.segments)} ({', '.join(scenario.spec.segments)})",
                scenario.source,
            )
        unknown = [name for name in parameters if name not in PARAMETERS]
        if unknown:
            raise SpmoptInputError(
                f"unknown parameter '{unknown[0]}'; expected some of {', '.join(PARAMETERS)}"
            )
        self.scenario = scenario
        self.segment = next(iter(scenario.spec.segments))
        self.replications = replications
        self.seed = seed
        self.parameters = tuple(parameters)
        self.years = sorted(int(y) for y in layout["year"].unique())
        self.plan_names = self._plans_by_year(layout)
        first = layout["year"] * 12 + layout["month_of_year"]
        self.seats = seats or int((first == first.min()).sum())
        self.quotas = {
            y: float(layout.loc[layout["year"] == y, "quota"].median()) for y in self.years
        }
        self._base_behaviour = copy.deepcopy(dict(scenario.spec.behaviour))
        self._check_parameters()
        self._teams: dict[int, tuple[pd.DataFrame, np.ndarray]] = {}

    def _draw_reps(self, teams: int) -> tuple[pd.DataFrame, np.ndarray]:
        """Traits (a population frame) and base-sales scores z (teams·seats,) of ``teams``
        independent teams of ``seats`` reps, keyed by the seed (cached per number of teams)."""
        if teams not in self._teams:
            streams = RandomStreams(self.seed)
            reps = self.scenario.spec.segments[self.segment].reps
            spec = {"segments": {self.segment: {**reps, "count": teams * self.seats}}}
            traits = Population.generate(spec, streams.generator("population")).frame
            z = streams.generator("calibration_base_sales").standard_normal(teams * self.seats)
            self._teams[teams] = (traits, z)
        return self._teams[teams]

    # ------------------------------------------------------------------ set-up
    def _plans_by_year(self, layout: pd.DataFrame) -> dict[int, str]:
        by_id = {plan.id: name for name, plan in self.scenario.plans.items()}
        names = {}
        for year in self.years:
            ids = layout.loc[layout["year"] == year, "plan_id"].unique()
            if len(ids) != 1:
                raise SpmoptInputError(
                    f"year {year} has {len(ids)} plans ({', '.join(map(str, ids[:5]))}); "
                    "calibration supports one plan per year"
                )
            plan = str(ids[0])
            if plan in self.scenario.plans:
                names[year] = plan
            elif plan in by_id:
                names[year] = by_id[plan]
            else:
                raise SpmoptInputError(
                    f"plan_id '{plan}' of year {year} is not a plan of the scenario "
                    f"(names: {', '.join(self.scenario.plans)}; ids: {', '.join(by_id)})",
                    self.scenario.source,
                )
        return names

    def _check_parameters(self) -> None:
        behaviour = self.scenario.behaviour
        needs = {
            "push_share": ("timing", "pull_push"),
            "annual_turnover": ("attrition", "hazard"),
            "shortfall_hazard": ("attrition", "hazard"),
        }
        for name in self.parameters:
            if name in needs:
                part, model = needs[name]
                if getattr(getattr(behaviour, part), "name", "none") != model:
                    raise SpmoptInputError(
                        f"parameter '{name}' needs behaviour.{part} model '{model}' in the "
                        "scenario",
                        self.scenario.source,
                    )

    def scenario_values(self) -> dict[str, float]:
        """Every parameter of :data:`PARAMETERS` at the scenario's value (natural units)."""
        frame = self.scenario.population.frame
        log_h = np.log(frame["base_sales"].to_numpy(dtype=float))
        behaviour = self.scenario.behaviour
        values = {
            "base_sales_log_median": float(np.median(log_h)),
            "base_sales_sigma": float(max(np.std(log_h), 0.01)),
            "effort_cost_log": float(np.log(np.median(frame["effort_cost"]))),
            "risk_aversion_per_million": float(np.median(frame["risk_aversion"]) * 1e6),
        }
        timing = behaviour.timing
        values["push_share"] = float(getattr(timing, "push_share", 0.0))
        attrition = behaviour.attrition
        values["annual_turnover"] = float(getattr(attrition, "annual_turnover", 0.0))
        values["shortfall_hazard"] = float(getattr(attrition, "shortfall_hazard", 0.0))
        return values

    # ------------------------------------------------------------------ θ → model
    def settings(self, theta) -> dict[str, float]:
        """All parameter values: the scenario's, with the fitted ones replaced by ``theta``."""
        values = self.scenario_values()
        values.update(zip(self.parameters, np.asarray(theta, dtype=float), strict=True))
        return values

    def population(self, values: dict[str, float], teams: int = 1) -> Population:
        """The reps of ``teams`` independent teams of ``seats`` seats under ``values`` (base sales
        exp(μ + σ·z) on the fixed scores z; team s holds rows s·seats … (s+1)·seats − 1)."""
        traits, z = self._draw_reps(teams)
        frame = traits.copy()
        fitted = set(self.parameters)
        if fitted & {"base_sales_log_median", "base_sales_sigma"}:
            frame["base_sales"] = np.exp(
                values["base_sales_log_median"] + values["base_sales_sigma"] * z
            )
        if "effort_cost_log" in fitted:
            frame["effort_cost"] = np.exp(values["effort_cost_log"])
        if "risk_aversion_per_million" in fitted:
            frame["risk_aversion"] = values["risk_aversion_per_million"] * 1e-6
        return Population(frame)

    def behaviour_dict(self, values: dict[str, float]) -> dict:
        """The scenario's ``[behaviour]`` table with the fitted settings replaced."""
        table = copy.deepcopy(self._base_behaviour)
        if "push_share" in self.parameters:
            table["timing"] = {**table.get("timing", {}), "push_share": values["push_share"]}
        for name in ("annual_turnover", "shortfall_hazard"):
            if name in self.parameters:
                table["attrition"] = {**table.get("attrition", {}), name: values[name]}
        return table

    def rep_periods(self, theta, replications: int | None = None, seed: int | None = None):
        """``rep_periods`` of every plan year under ``theta`` (years simulated one by one), one
        history per team: the ``replications`` teams are simulated together as one engine
        replication of teams·seats seats, and ``replication`` is set to each seat's team."""
        teams = replications or self.replications
        values = self.settings(theta)
        population = self.population(values, teams)
        team_of = dict(
            zip(
                population.frame["rep_id"],
                np.repeat(np.arange(teams), self.seats),
                strict=True,
            )
        )
        behaviour = behaviour_from_dict(self.behaviour_dict(values))
        streams = RandomStreams(self.seed if seed is None else seed)
        tables = []
        for year in self.years:
            model = self.scenario.model(self.plan_names[year])
            quota = np.full(teams * self.seats, self.quotas[year])
            model = replace(
                model,
                population=population.with_columns(quota=quota),
                behaviour=behaviour,
                year_start=dt.date(year, 1, 1),
                policy_types=POLICY_TYPES,
            )
            result = simulate_fast(model, 1, streams.spawn(f"calibration-{year}"), workers=1)
            tables.append(result.rep_periods)
        frame = pd.concat(tables, ignore_index=True)
        frame["replication"] = frame["rep_id"].astype(str).map(team_of).to_numpy(dtype=np.int64)
        return frame

    def history(self, theta, replications: int | None = None, seed: int | None = None):
        """Simulated histories (one per replication, column ``replication``) in history form."""
        from spmopt.calibrate.history import validate_history

        rows = history_from_rep_periods(self.rep_periods(theta, replications, seed))
        frames = []
        for replication, frame in rows.groupby("replication", sort=True):
            text = frame.drop(columns=["replication", "month_index"]).astype(str)
            checked = validate_history(text, "simulated")
            frames.append(checked.assign(replication=replication))
        return pd.concat(frames, ignore_index=True)

    def moments(self, theta) -> np.ndarray:
        """Moments of each simulated history, (S, K)."""
        return history_moments(self._fast_history(theta), self.years)

    def _fast_history(self, theta) -> pd.DataFrame:
        """:meth:`history` without the round trip through text validation (the same columns)."""
        rows = history_from_rep_periods(self.rep_periods(theta))
        return pd.DataFrame(
            {
                "replication": rows["replication"].to_numpy(),
                "rep_id": rows["rep_id"].to_numpy(),
                "year": rows["month_index"].to_numpy() // 12,
                "month_of_year": rows["month_index"].to_numpy() % 12,
                "quota": rows["quota"].to_numpy(),
                "credited": rows.filter(like="credited_").sum(axis=1).to_numpy(),
                "left": rows["left"].to_numpy().astype(bool),
            }
        )
