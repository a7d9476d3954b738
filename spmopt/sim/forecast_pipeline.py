"""Open pipeline as an input to the year-end forecast (docs/monitoring.md, "Pipeline").

A pipeline file has one row per open deal: ``rep_id, deal_id, amount`` (face value, currency),
``expected_close`` (date) and optionally ``probability`` (0–1, default 1), ``stage`` (free text,
carried along) and ``measure`` (default: the first measure of the rep's plan).

Model. Each remaining month j of a rep's year is credited with

* the pipeline deals expected to close in month j, each closing independently with its
  probability (one Bernoulli draw per deal and replication, stream ``forecast_pipeline:<measure>``);
* the business not yet in the pipeline: the statistical forecast of month j
  (:mod:`spmopt.sim.forecast`) scaled by ``1 − c_j``, where ``c_j`` is the share of month j's
  expected credits the pipeline already holds, estimated force-wide (all reps of the plan):
  ``c_j = Σ_reps probability-weighted pipeline due in j ÷ Σ_reps expected statistical credits of
  j``, clipped to [0, 1]. The rate and the common shock scale by ``1 − c_j`` (the rate of new
  business is that share of the rate); the rep's own month-to-month noise by ``√(1 − c_j)``
  (a compound-Poisson month's variance is proportional to its expected number of deals).

So the force's expected credits of month j are unchanged while ``c_j < 1`` (the pipeline is not
counted twice), and each rep's forecast moves with their own pipeline. Deals expected after the
plan year's end are ignored (a note says how many); deals expected on or before the as-of date,
negative amounts, probabilities outside [0, 1] and unknown reps are errors naming the file,
line and column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.calendar import MONTHS_PER_YEAR
from spmopt.plan.inputs import LINE_COLUMN, PIPELINE_COLUMNS, read_pipeline, validate_pipeline
from spmopt.sim.streams import RandomStreams

__all__ = [
    "PIPELINE_COLUMNS",
    "PlanPipeline",
    "held_share",
    "plan_pipelines",
    "read_pipeline",
    "validate_pipeline",
    "simulate_with_pipeline",
    "history_pipelines",
]


# ------------------------------------------------------------------------------------- input
def _line(table: pd.DataFrame, position: int) -> str:
    """Where a row came from: its file line, or its index."""
    if LINE_COLUMN in table.columns:
        return f"line {int(table[LINE_COLUMN].iloc[position])}"
    return f"row {table.index[position]!r}"


@dataclass(frozen=True)
class PlanPipeline:
    """The in-year pipeline deals of one plan's reps: per measure, the deals' rep index (D,),
    plan month 0–11 (D,), face value (D,) [currency] and probability (D,)."""

    deals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    reps: int

    def expected_due(self, measure: str) -> np.ndarray:
        """Probability-weighted pipeline due per rep and month (R, 12) [currency]."""
        due = np.zeros((self.reps, MONTHS_PER_YEAR))
        if measure in self.deals:
            rep, month, amount, probability = self.deals[measure]
            np.add.at(due, (rep, month), amount * probability)
        return due

    def closes(self, measure: str, streams: RandomStreams, replications: int) -> np.ndarray:
        """Face value closed per replication, rep and month (replications, R, 12) [currency]:
        each deal closes in its month with its probability (one uniform per deal from stream
        ``forecast_pipeline:<measure>``, keyed by replication)."""
        cells = self.reps * MONTHS_PER_YEAR
        if measure not in self.deals:
            return np.zeros((replications, self.reps, MONTHS_PER_YEAR))
        rep, month, amount, probability = self.deals[measure]
        uniforms = np.stack(
            [
                streams.generator(f"forecast_pipeline:{measure}", i).random(rep.size)
                for i in range(replications)
            ]
        )
        closed = np.where(uniforms < probability[None, :], amount[None, :], 0.0)
        index = np.arange(replications)[:, None] * cells + (rep * MONTHS_PER_YEAR + month)[None]
        total = np.bincount(index.ravel(), weights=closed.ravel(), minlength=replications * cells)
        return total.reshape(replications, self.reps, MONTHS_PER_YEAR)

    def complete(
        self,
        measure: str,
        streams: RandomStreams,
        quota: np.ndarray,
        remaining: np.ndarray,
        expected_rate: np.ndarray,
        rate: np.ndarray,
        common: np.ndarray,
        noise: np.ndarray,
    ) -> np.ndarray:
        """The remaining months' credits (replications, R, 12) [currency]: the pipeline's closes
        plus the statistical forecast scaled by ``1 − c_j`` (rate and common shock) and
        ``√(1 − c_j)`` (the rep's own noise). ``quota`` (R, 12) monthly quota, ``remaining``
        (12,) share of each month to come, ``expected_rate`` (R,) the statistical forecast's
        mean rate, ``rate`` (n, R, 12) the drawn rates, ``common`` and ``noise`` the common and
        own shocks (attainment per unit of monthly quota, already divided by the month's
        remaining share's square root)."""
        expected = quota * remaining[None, :] * expected_rate[:, None]
        share = held_share(self.expected_due(measure).sum(axis=0), expected.sum(axis=0))
        statistical = (
            quota[None]
            * remaining[None, None, :]
            * ((rate + common) * (1.0 - share) + noise * np.sqrt(1.0 - share))
        )
        return statistical + self.closes(measure, streams, rate.shape[0])


def held_share(pipeline_due: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``c_j``: the share of each month's expected credits the pipeline already holds (12,),
    force-wide pipeline due ÷ force-wide expected statistical credits, clipped to [0, 1] (1 where
    the statistical forecast expects nothing but the pipeline holds deals, 0 where both are 0).

    >>> held_share(np.array([50.0, 0.0, 300.0, 5.0]), np.array([100.0, 0.0, 200.0, 0.0]))
    array([0.5, 0. , 1. , 1. ])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(expected > 0, pipeline_due / expected, np.where(pipeline_due > 0, 1, 0))
    return np.clip(share, 0.0, 1.0)


def plan_pipelines(
    pipeline: pd.DataFrame, plan_states: Sequence, as_of: dt.date, source: str = "pipeline"
) -> tuple[dict[str, PlanPipeline], tuple[str, ...]]:
    """The in-year deals of each plan (by plan id; plans without any are left out) and notes
    (deals ignored after the year end). Errors name the file's line and column: a rep in no
    plan, a close date on or before the as-of date, a measure the rep's plan does not pay on."""
    table = pipeline if pipeline.attrs.get("validated") else validate_pipeline(pipeline, source)
    owner: dict[str, tuple[int, int]] = {}
    for number, state in enumerate(plan_states):
        for index, rep_id in enumerate(state.reps.ids):
            owner[str(rep_id)] = (number, index)
    rep_ids = table["rep_id"].astype(str)
    unknown = ~rep_ids.isin(list(owner)).to_numpy()
    if unknown.any():
        position = int(np.flatnonzero(unknown)[0])
        raise SpmoptInputError(
            f"{_line(table, position)}: rep_id {rep_ids.iloc[position]!r} is not a rep of the "
            "plans forecast (not in the credits or roster)",
            source,
        )
    close = table["expected_close"].dt.date.to_numpy()
    early = close <= as_of
    if early.any():
        position = int(np.flatnonzero(early)[0])
        raise SpmoptInputError(
            f"{_line(table, position)}: expected_close {close[position]} is on or before the "
            f"as-of date {as_of}; an open deal closes after it (deals closed by then belong in "
            "the credits)",
            source,
        )
    plan_of = np.array([owner[r][0] for r in rep_ids], dtype=int)
    rep_index = np.array([owner[r][1] for r in rep_ids], dtype=int)
    notes, result = [], {}
    for number, state in enumerate(plan_states):
        mine = plan_of == number
        start = pd.Timestamp(state.plan.year_start)
        dates = table["expected_close"]
        month = (dates.dt.year - start.year) * MONTHS_PER_YEAR + dates.dt.month - start.month
        month = month.to_numpy()
        late = mine & (month >= MONTHS_PER_YEAR)
        if late.any():
            notes.append(
                f"{late.sum()} pipeline deal(s) of plan '{state.plan.id}' "
                f"({table.loc[late, 'amount'].sum():,.0f}) expected after the plan year's end: "
                "ignored"
            )
        kept = mine & ~late
        measure = table["measure"].astype(str).to_numpy().copy()
        measure[kept & (measure == "")] = state.plan.measures[0]
        wrong = kept & ~np.isin(measure, list(state.plan.measures))
        if wrong.any():
            position = int(np.flatnonzero(wrong)[0])
            raise SpmoptInputError(
                f"{_line(table, position)}: measure {measure[position]!r} is not a measure of "
                f"plan '{state.plan.id}' ({', '.join(state.plan.measures)})",
                source,
            )
        deals = {}
        for name in state.plan.measures:
            rows = kept & (measure == name)
            if rows.any():
                deals[name] = (
                    rep_index[rows],
                    month[rows].astype(int),
                    table["amount"].to_numpy(float)[rows],
                    table["probability"].to_numpy(float)[rows],
                )
        if deals:
            result[state.plan.id] = PlanPipeline(deals=deals, reps=len(state.reps.ids))
    return result, tuple(notes)


def expected_pipeline(deals: PlanPipeline | None, reps: int) -> np.ndarray:
    """Each rep's probability-weighted in-year pipeline over all measures (R,) [currency]."""
    if deals is None:
        return np.zeros(reps)
    return sum(deals.expected_due(measure).sum(axis=1) for measure in deals.deals)


# ------------------------------------------------------------------------ simulated histories
def simulate_with_pipeline(
    scenario, replications: int, *, as_of_month: int = 5, seed: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate ``scenario`` with the fast engine (its own plans, ``seed`` default the
    scenario's) and snapshot each seat's open pipeline at the end of plan month ``as_of_month``
    (0–11) of every year.

    Returns ``(rep_periods, pipeline)``: the same ``rep_periods`` as :func:`spmopt.simulate`
    (the snapshot only reads the engine's state), and one row per replication, year (1, 2, …),
    seat (``rep_id``) and month ahead with deals due (``months_ahead`` 1, 2, … after the as-of
    month) of the face value due then (``amount``) [currency]: deals created by the as-of month
    that close later, each certain to close unless its rep leaves or times it across a
    quarter end."""
    from spmopt.run.simulation import as_scenario, run_settings
    from spmopt.sim.fast import simulate_fast

    scenario = as_scenario(scenario)
    replications, seed, _ = run_settings(scenario, replications, seed, "fast")
    model = scenario.model(None)
    snapshots: dict[int, np.ndarray] = {}

    def month_end(engine, state, t: int) -> None:
        if t % MONTHS_PER_YEAR != as_of_month:
            return
        lags = engine.lag_length
        slots = (t + 1 + np.arange(lags - 1)) % lags
        snapshots[t // MONTHS_PER_YEAR + 1] = state.pipe_value[slots].reshape(
            lags - 1, replications, model.seats
        )

    rep_periods = simulate_fast(
        model,
        replications,
        RandomStreams(seed),
        chunk_replications=replications,
        workers=1,
        month_end=month_end,
    ).rep_periods
    rows = []
    rep_ids = np.asarray(model.population.rep_ids).astype(str)
    for year, value in snapshots.items():
        ahead, replication, seat = np.nonzero(value)
        rows.append(
            pd.DataFrame(
                {
                    "replication": replication,
                    "year": year,
                    "rep_id": rep_ids[seat],
                    "months_ahead": ahead + 1,
                    "amount": value[ahead, replication, seat],
                }
            )
        )
    columns = ["replication", "year", "rep_id", "months_ahead", "amount"]
    pipeline = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
    return rep_periods, pipeline[columns]


def history_pipelines(
    pipeline: pd.DataFrame, plan, histories: dict, year: int, as_of_month: int = 5
) -> dict[tuple[int, int], pd.DataFrame]:
    """Pipeline files (the pipeline format, probability 1, closing the 15th of their month) of
    each history of ``histories`` (:func:`spmopt.sim.forecast.history_credits` of ``year``) from
    :func:`simulate_with_pipeline`'s snapshot: the seats kept in each history's roster only.
    Keyed by (history, year)."""
    start = pd.Timestamp(plan.year_start)
    table = pipeline[pipeline["year"] == year]
    result = {}
    for history, (_credits, roster) in histories.items():
        rows = table[
            (table["replication"] == history) & table["rep_id"].isin(roster["rep_id"].astype(str))
        ]
        month = as_of_month + rows["months_ahead"].to_numpy()
        close = [(start + pd.DateOffset(months=int(m), days=14)).date().isoformat() for m in month]
        result[(history, year)] = pd.DataFrame(
            {
                "rep_id": rows["rep_id"].to_numpy(),
                "deal_id": [f"P{h}" for h in range(len(rows))],
                "amount": rows["amount"].round(2).to_numpy(),
                "expected_close": close,
                "probability": 1.0,
            }
        )
    return result
