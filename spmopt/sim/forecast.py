"""Year-end forecast from an as-of state: the rest of the year simulated from each rep's position.

Model (docs/monitoring.md, "Year-end forecast"). For each rep and measure, credits per month are
measured against the month's quota (the quota schedule): ``y = credited / monthly quota``. From the
months observed:

* the rep's **pace** ``p`` = credits to date ÷ quota to date;
* the pooled **month-to-month spread** ``cv`` of ``y`` around each rep's pace (all reps of the
  plan, degrees of freedom corrected);
* an **empirical-Bayes rate**: the rep's underlying rate θ ~ N(m, v) with the pace shrunk toward
  the plan's mean pace by the between-rep variance τ² against the pace's sampling variance
  s² = cv² Σq²/(Σq)²: ``m = p̄ + τ²/(τ² + s²)·(p − p̄)``, ``v = τ²s²/(τ² + s²)``.

* a **common month shock** c ~ N(0, σ_c²) shared by the plan's reps, σ_c² from the
  between-month variance of the force's mean pace (:func:`_common_shock`); every pace carries
  the average L of the shocks to date.

Each replication draws θ once per rep, L and one c_j per remaining month, then each remaining
month's credits ``q_j·(θ − L + c_j + σ·z_j)`` (z standard normal, σ² = cv² − σ_c²; the as-of
month's unobserved part scaled by its remaining share). Year-end payouts are the plan's exact earnings (:mod:`spmopt.plan.earnings`)
of the actual credits plus the simulated rest of the year, so thresholds, accelerators, caps and
bonuses act on each simulated year; the **run-rate** comparison completes every rep's year at
exactly its pace to date.

Optional comparisons and responses: a **replay** of each rep's own rest of last year
(:func:`replay_last_year`), and a **behavioural** forecast in which the remaining months' rate
responds to the plan position through each rep's own dynamic effort policy
(:class:`BehaviourModel`, :class:`RepBehaviour`: give-up below a threshold, coasting at a cap;
quarter-end timing is not modelled).

Random numbers come from :class:`~spmopt.sim.streams.RandomStreams` (stream ``forecast_rate`` for
θ, ``forecast_common`` for the common shocks and ``forecast_sales`` for the months, keyed by
replication), so forecasts are reproducible and
do not depend on how the replications are batched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.calendar import MONTHS_PER_YEAR
from spmopt.plan.earnings import Quotas, RepTerms
from spmopt.plan.plan import Plan
from spmopt.plan.position import (
    AsOf,
    completed_earnings,
    completion,
    monthly_quota,
)
from spmopt.plan.statements import PlanState, statements
from spmopt.reps.behaviour.dynamic import DynamicPolicy
from spmopt.sim.streams import RandomStreams

FORECAST_REP_COLUMNS = (
    "plan_id",
    "rep_id",
    "attainment_ytd",
    "pace",
    "earned_ytd",
    "expected_payout",
    "payout_p10",
    "payout_p50",
    "payout_p90",
    "expected_attainment",
    "attainment_p10",
    "attainment_p50",
    "attainment_p90",
    "p_quota",
    "run_rate_payout",
    "run_rate_attainment",
    "target_incentive",
    "replay_payout",
    "replay_attainment",
    "replay_basis",
    "behaviour_factor",
    "pipeline_expected",
    "timing_pulled",
    "timing_pushed",
)
FORECAST_TOTAL_COLUMNS = (
    "plan_id",
    "reps",
    "earned_ytd",
    "expected_payout",
    "payout_p10",
    "payout_p50",
    "payout_p90",
    "run_rate_payout",
    "budget",
    "p_over_budget",
    "expected_share_at_quota",
    "replay_payout",
    "replay_from_last_year",
    "pipeline_expected",
)


@dataclass(frozen=True)
class Forecast:
    """A year-end forecast.

    Attributes
    ----------
    reps:
        One row per rep (:data:`FORECAST_REP_COLUMNS`): payout and attainment at year end —
        mean and P10/P50/P90 over the replications — P(reaching quota), and the run-rate figures.
    totals:
        One row per plan and one ``all`` row (:data:`FORECAST_TOTAL_COLUMNS`): the sales force's
        year-end incentive cost, its P10/P50/P90, the run-rate cost, the budget and the
        probability of overrunning it.
    samples:
        Year-end payout per replication and rep (replications × reps, in the order of ``reps``).
    as_of:
        The as-of date.
    notes:
        Remarks on the inputs (pipeline deals ignored after the year end).
    """

    reps: pd.DataFrame
    totals: pd.DataFrame
    samples: np.ndarray
    as_of: dt.date
    notes: tuple[str, ...] = ()

    def write(self, out_dir) -> list:
        """Write ``forecast_reps.csv`` and ``forecast_totals.csv`` under ``out_dir``."""
        from pathlib import Path

        from spmopt.plan.csv_writer import write_csv

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in (("forecast_reps.csv", self.reps), ("forecast_totals.csv", self.totals)):
            write_csv(frame, out_dir / name)
            written.append(out_dir / name)
        return written


def forecast(
    plan: Plan | Sequence[Plan],
    credits: pd.DataFrame,
    roster: pd.DataFrame | None = None,
    *,
    as_of: dt.date | str,
    replications: int = 1000,
    seed: int = 0,
    budget: float | None = None,
    credits_source: str = "credits",
    roster_source: str = "roster",
    last_year: pd.DataFrame | None = None,
    last_year_roster: pd.DataFrame | None = None,
    behaviour=None,
    behaviour_segment: str | None = None,
    pipeline: pd.DataFrame | None = None,
    pipeline_source: str = "pipeline",
    seasonality=None,
) -> Forecast:
    """Forecast each rep's year-end payout and attainment from the credits to ``as_of``.

    Parameters
    ----------
    plan, credits, roster:
        As for :func:`spmopt.statements`; credits after ``as_of`` are left out.
    as_of:
        The as-of date (inside the plan year, before its last month ends).
    replications:
        Simulated rests of the year.
    seed:
        Root seed of the forecast's random streams.
    budget:
        The year's incentive budget for all reps [currency]; default: their target incentives.
    last_year, last_year_roster:
        Optional credits of the previous plan year (the credits format) and its roster: the
        **replay** comparison completes each rep's year with their own credits of the same
        months last year, scaled by this year's over last year's roster ``quota`` where both
        are given (:func:`replay_last_year`); reps without credits last year are completed at
        their run rate (``replay_basis``).
    behaviour, behaviour_segment:
        Optional scenario (path or :class:`~spmopt.scenario.Scenario`) and one of its segments
        (default: the first) with the dynamic effort model: each rep's remaining months' rate
        responds to their position through their own policy on this plan, base sales fitted
        to their rate and the segment's median traits (:func:`behaviour_model`,
        :func:`rep_behaviour`); unless the scenario's timing model is ``none``, reps also
        pull and push deals at measurement-period ends (:class:`ForecastTiming`). Plans with
        several measures stay statistical (``behaviour_factor`` empty).
    pipeline:
        Optional open deals (:func:`spmopt.sim.forecast_pipeline.validate_pipeline`: ``rep_id,
        deal_id, amount, expected_close[, probability, stage, measure]``): each closes in its
        month with its probability, and the statistical forecast of each month is scaled down
        by the share of it the pipeline holds force-wide (:mod:`spmopt.sim.forecast_pipeline`);
        ``pipeline_expected`` per rep is the probability-weighted pipeline of the year.
    seasonality:
        Optional expected sales per unit of quota of each month of the plan year (12 relative
        weights), or ``"behaviour"`` for the ``behaviour`` scenario segment's seasonality
        profile: each rep's rate is measured against, and the rest of the year simulated on,
        their monthly quota × the profile (rescaled per rep to keep the annual quota), so a
        profile that doubles the second half forecasts twice the first half's pace there
        (:func:`seasonal_quota`). Default: none (every month's sales follow its quota).

    Examples
    --------
    >>> result = forecast(plan, credits, as_of="2027-06-30", replications=2000)  # doctest: +SKIP
    >>> result.totals  # doctest: +SKIP
    """
    if replications < 1:
        raise SpmoptInputError(f"replications must be at least 1, not {replications}")
    profile = seasonality_weights(seasonality, behaviour, behaviour_segment)
    result = statements(
        plan,
        credits,
        roster,
        credits_source=credits_source,
        roster_source=roster_source,
        as_of=as_of,
    )
    streams = RandomStreams(seed)
    deals, notes = {}, ()
    if pipeline is not None:
        from spmopt.sim.forecast_pipeline import plan_pipelines

        deals, notes = plan_pipelines(pipeline, result.plan_states, result.as_of, pipeline_source)
    frames, samples = [], []
    for state in result.plan_states:
        point = AsOf.of(result.as_of, state.plan.year_start)
        if point.month == MONTHS_PER_YEAR - 1 and point.month_closed:
            raise SpmoptInputError(
                f"as-of date {result.as_of} is the end of plan '{state.plan.id}''s year: nothing "
                "is left to forecast"
            )
        replay = None
        if last_year is not None:
            replay = replay_last_year(
                state, point, last_year, roster, last_year_roster, credits_source
            )
        response = None
        if behaviour is not None and len(state.plan.measures) == 1:
            response = behaviour_model(behaviour, state.plan, behaviour_segment)
        frame, sample = _plan_forecast(
            state, point, replications, streams, replay, response, deals.get(state.plan.id), profile
        )
        if pipeline is not None:
            from spmopt.sim.forecast_pipeline import expected_pipeline

            frame["pipeline_expected"] = expected_pipeline(deals.get(state.plan.id), len(frame))
        frames.append(frame)
        samples.append(sample)
    if behaviour is not None and all(len(p.plan.measures) > 1 for p in result.plan_states):
        raise SpmoptInputError(
            "the behavioural forecast needs a plan with one measure; every plan given has several"
        )
    reps = pd.concat(frames, ignore_index=True)
    sample = np.concatenate(samples, axis=1)
    return Forecast(
        reps=reps,
        totals=_totals(reps, sample, budget),
        samples=sample,
        as_of=result.as_of,
        notes=notes,
    )


# ------------------------------------------------------------------------------- estimation
@dataclass(frozen=True)
class RateModel:
    """Per measure: each rep's monthly quota (R, 12) [currency], posterior mean and variance of
    the rate θ (R,) [attainment per unit of quota], the pace (R,), the pooled idiosyncratic
    month-to-month spread ``cv``, the variance ``common`` of a month's common (company-wide)
    shock and the variance ``level`` of the common shocks' average in the months to date (the
    part of every rep's pace that is the market of those months) [attainment² per month]."""

    quota: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    pace: np.ndarray
    cv: float
    common: float = 0.0
    level: float = 0.0


def estimate_rates(monthly_cents: np.ndarray, quota: np.ndarray, elapsed: np.ndarray) -> RateModel:
    """Empirical-Bayes rates from credited cents (R, 12) against monthly quotas (R, 12), with
    ``elapsed`` (12,) the share of each month observed (see the module docstring)."""
    observed_quota = quota * elapsed[None, :]
    to_date = observed_quota.sum(axis=1)
    credited = monthly_cents.sum(axis=1) / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = np.where(to_date > 0, credited / to_date, 0.0)
        ratio = np.where(observed_quota > 0, monthly_cents / 100.0 / observed_quota, np.nan)
    # spread: months fully observed, reps with at least two of them
    full = (elapsed >= 1.0)[None, :] & (quota > 0)
    months = full.sum(axis=1)
    residual = np.where(full, ratio - pace[:, None], 0.0)
    usable = months >= 2
    dof = (months[usable] - 1).sum()
    cv = float(np.sqrt((residual[usable] ** 2).sum() / dof)) if dof > 0 else 0.5
    # the pace's sampling variance, and the between-rep variance of the underlying rates
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = observed_quota / to_date[:, None]
        sampling = np.where(to_date > 0, cv**2 * (weights**2).sum(axis=1), np.inf)
    known = np.isfinite(sampling)
    if known.sum() >= 2:
        centre = float(pace[known].mean())
        between = max(float(pace[known].var(ddof=1) - sampling[known].mean()), 0.0)
    else:
        centre, between = float(pace[known].mean()) if known.any() else 1.0, 0.0
    common, level = _common_shock(monthly_cents, quota, elapsed, cv)
    if common > 0:  # the pooled residuals hold the common shocks too: cv² ≈ σ² + σ_c²
        cv = float(np.sqrt(max(cv**2 - common, 0.0)))
    finite_sampling = np.where(known, sampling, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(known, between / (between + finite_sampling), 0.0)
    weight = np.nan_to_num(weight, nan=0.0)  # no spread at all: the pace is the rate
    mean = centre + weight * (pace - centre)
    variance = np.where(known, weight * finite_sampling, between)
    return RateModel(
        quota=quota, mean=mean, variance=variance, pace=pace, cv=cv, common=common, level=level
    )


def _common_shock(
    monthly_cents: np.ndarray, quota: np.ndarray, elapsed: np.ndarray, cv: float
) -> tuple[float, float]:
    """Variance of the common month shock σ_c² and of its average over the months to date.

    The force's mean pace of each fully observed month, ȳ_t = Σ_i credited_it / Σ_i q_it, varies
    between months by the common shock and by the reps' own spread averaged over the force:
    var_t(ȳ_t) ≈ σ_c² + σ²·h_t with h_t = Σ_i q_it²/(Σ_i q_it)² and σ² = cv² − σ_c² (the
    pooled residuals around each rep's pace hold both). Hence
    σ_c² = max(var_t(ȳ_t) − cv²·h̄, 0)/(1 − h̄) (sample variance over months, ddof 1; 0 with
    fewer than three observed months). The level variance is σ_c²·Σ_t w_t², w_t the months'
    shares of the quota to date: every rep's pace carries that average of the common shocks.
    Returns (σ_c², level variance) [(attainment per unit of monthly quota)²]."""
    full = elapsed >= 1.0
    month_quota = quota[:, full].sum(axis=0)
    usable = month_quota > 0
    if usable.sum() < 3:
        return 0.0, 0.0
    credited = monthly_cents[:, full].sum(axis=0)[usable] / 100.0
    force_pace = credited / month_quota[usable]
    herfindahl = float(((quota[:, full][:, usable] / month_quota[usable]) ** 2).sum(axis=0).mean())
    between = float(force_pace.var(ddof=1))
    common = max(between - cv**2 * herfindahl, 0.0) / max(1.0 - herfindahl, 1e-12)
    observed = quota * elapsed[None, :]
    weights = observed.sum(axis=0) / observed.sum()
    return common, common * float((weights**2).sum())


# --------------------------------------------------------------------------------- simulation
def _tile(reps: RepTerms, times: int) -> RepTerms:
    return RepTerms(
        ids=np.tile(reps.ids, times),
        start_month=np.tile(reps.start_month, times),
        target_incentive=np.tile(reps.target_incentive, times),
        explicit_quota={key: np.tile(value, times) for key, value in reps.explicit_quota.items()},
    )


def _plan_forecast(
    state: PlanState,
    as_of: AsOf,
    replications: int,
    streams: RandomStreams,
    replay: tuple[dict, np.ndarray] | None = None,
    response: BehaviourModel | None = None,
    pipeline=None,
    profile: np.ndarray | None = None,
):
    """Forecast rows and payout samples (replications, R) of one plan's reps; ``replay`` the
    last year's remaining months and which reps have them (:func:`replay_last_year`);
    ``response`` the behavioural model (:func:`behaviour_model`); ``pipeline`` the plan's open
    deals (:class:`~spmopt.sim.forecast_pipeline.PlanPipeline`); ``profile`` the seasonality
    weights (12,) (:func:`seasonal_quota`)."""
    plan, reps, count = state.plan, state.reps, len(state.reps.ids)
    elapsed = as_of.elapsed()
    remaining = 1.0 - elapsed
    models, quotas = {}, {}
    for measure, monthly in state.monthly_by_measure.items():
        quotas[measure] = monthly_quota(Quotas.of(plan.quota_of_measure(measure), reps))
        models[measure] = estimate_rates(monthly, seasonal_quota(quotas[measure], profile), elapsed)
    # simulated rests of the year, every replication stacked (row = replication·R + rep)
    completed, actual = {}, {}
    factor = np.full(count, np.nan)
    pulled, pushed = np.full(count, np.nan), np.full(count, np.nan)
    if response is not None and len(models) != 1:
        raise SpmoptInputError(
            f"the behavioural forecast needs a plan with one measure; plan '{plan.id}' has "
            f"{len(models)}"
        )
    for measure, model in models.items():
        theta_z = np.stack(
            [
                streams.generator(f"forecast_rate:{measure}", i).standard_normal(count)
                for i in range(replications)
            ]
        )
        month_z = np.stack(
            [
                streams.generator(f"forecast_sales:{measure}", i).standard_normal(
                    (count, MONTHS_PER_YEAR)
                )
                for i in range(replications)
            ]
        )
        common_z = np.stack(
            [
                streams.generator(f"forecast_common:{measure}", i).standard_normal(
                    MONTHS_PER_YEAR + 1
                )
                for i in range(replications)
            ]
        )
        # the market of the months to date (in every pace) and of each month to come
        level = np.sqrt(model.level) * common_z[:, :1]
        theta = model.mean + np.sqrt(model.variance) * theta_z - level
        scale = np.sqrt(np.where(remaining > 0, remaining, 1.0))
        common = np.sqrt(model.common) * common_z[:, None, 1:]
        shocks = (model.cv * month_z + common) / scale
        rate = np.broadcast_to(theta[:, :, None], shocks.shape)
        timing = None
        if response is not None:
            rep_policy = response.for_reps(reps, model)
            timing = rep_policy.timing
            multiplier = rep_policy.multipliers(
                state.monthly_by_measure[measure],
                model.quota,
                as_of,
                theta,
                shocks,
                quotas[measure],
            )
            rate = rate * multiplier
            factor = _mean_factor(multiplier, remaining)
        if pipeline is None:
            simulated = model.quota[None] * remaining[None, None, :] * (rate + shocks)
        else:
            simulated = pipeline.complete(
                measure, streams, model.quota, remaining, model.mean, rate,
                common / scale, model.cv * month_z / scale,
            )  # fmt: skip
        if timing is not None:
            month_sd = np.sqrt(model.cv**2 + model.common)
            moves = timing.apply(
                simulated,
                state.monthly_by_measure[measure] / 100.0,
                as_of.month + int(as_of.month_closed),
                rate,
                model.quota,
                month_sd,
            )
            simulated = moves.simulated
            pulled = moves.pulled.sum(axis=2).mean(axis=0)
            pushed = moves.pushed.sum(axis=2).mean(axis=0)
        cents = np.rint(simulated * 100.0)
        base = np.broadcast_to(state.monthly_by_measure[measure], cents.shape)
        completed[measure] = (base + cents).reshape(-1, MONTHS_PER_YEAR)
        actual[measure] = np.ascontiguousarray(base).reshape(-1, MONTHS_PER_YEAR)
    stacked = _tile(reps, replications)
    rows = {
        measure: _tile_rows(state.rows_by_measure[measure], count, replications)
        for measure in models
    }
    payout = completed_earnings(plan, stacked, actual, rows, completed).reshape(replications, count)
    payout = payout / 100.0
    attainment = _attainment(plan, reps, completed, replications)
    # run rate: every rep completes its year at exactly its pace to date
    last, first = as_of.month, as_of.month + int(as_of.month_closed)
    pace = {m: _pace(state.monthly_by_measure[m], quotas[m], elapsed) for m in models}
    run_rate = completion(
        plan, reps, state.monthly_by_measure, (np.full(count, last), np.full(count, first)), pace
    )
    run_rate_payout = completed_earnings(
        plan, reps, state.monthly_by_measure, state.rows_by_measure, run_rate
    )
    run_rate_attainment = _attainment(plan, reps, run_rate, 1)[0]
    replay_payout = np.full(count, np.nan)
    replay_attainment = np.full(count, np.nan)
    replay_basis = np.full(count, "", dtype=object)
    if replay is not None:
        future, known = replay
        replayed = {
            measure: np.where(
                known[:, None],
                state.monthly_by_measure[measure] + future[measure],
                run_rate[measure],
            )
            for measure in models
        }
        replay_payout = (
            completed_earnings(
                plan, reps, state.monthly_by_measure, state.rows_by_measure, replayed
            )
            / 100.0
        )
        replay_attainment = _attainment(plan, reps, replayed, 1)[0]
        replay_basis = np.where(known, "last_year", "run_rate").astype(object)
    ytd = _attainment(plan, reps, state.monthly_by_measure, 1)[0]
    frame = pd.DataFrame(
        {
            "plan_id": plan.id,
            "rep_id": reps.ids,
            "attainment_ytd": ytd,
            "pace": sum(c.weight * pace[c.measure] for c in plan.components),
            "earned_ytd": state.earnings.total_to_date[:, as_of.month] / 100.0,
            "expected_payout": payout.mean(axis=0),
            "payout_p10": np.quantile(payout, 0.1, axis=0),
            "payout_p50": np.quantile(payout, 0.5, axis=0),
            "payout_p90": np.quantile(payout, 0.9, axis=0),
            "expected_attainment": attainment.mean(axis=0),
            "attainment_p10": np.quantile(attainment, 0.1, axis=0),
            "attainment_p50": np.quantile(attainment, 0.5, axis=0),
            "attainment_p90": np.quantile(attainment, 0.9, axis=0),
            "p_quota": (attainment >= 1.0).mean(axis=0),
            "run_rate_payout": run_rate_payout / 100.0,
            "run_rate_attainment": run_rate_attainment,
            "target_incentive": reps.target_incentive,
            "replay_payout": replay_payout,
            "replay_attainment": replay_attainment,
            "replay_basis": replay_basis,
            "behaviour_factor": factor,
            "pipeline_expected": np.nan,
            "timing_pulled": pulled,
            "timing_pushed": pushed,
        },
        columns=list(FORECAST_REP_COLUMNS),
    )
    return frame, payout


def _pace(monthly_cents: np.ndarray, quota: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
    """Credits to date ÷ quota to date per rep (R,) (0 without quota to date)."""
    to_date = (quota * elapsed[None, :]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(to_date > 0, monthly_cents.sum(axis=1) / 100.0 / to_date, 0.0)


def seasonal_quota(quota: np.ndarray, profile: np.ndarray | None) -> np.ndarray:
    """Monthly quotas (R, 12) × a seasonality ``profile`` (12,) of expected sales per unit of
    quota, rescaled per rep so that the annual quota is unchanged; ``quota`` itself without a
    profile. The forecast measures each rep's rate against it and simulates the months to come
    on it, so a month of weight 2 is expected to sell twice the rate of a month of weight 1 per
    unit of quota."""
    if profile is None:
        return quota
    shaped = quota * profile[None, :]
    total = shaped.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(total > 0, quota.sum(axis=1, keepdims=True) / total, 1.0)
    return shaped * scale


def seasonality_weights(seasonality, behaviour=None, segment: str | None = None):
    """The forecast's seasonality profile (12,) or None: 12 non-negative weights with a positive
    sum as given, or ``"behaviour"``: the seasonality profile of the ``behaviour`` scenario's
    ``segment`` (default: its first)."""
    from spmopt.reps.seasonality import Seasonality

    if seasonality is None:
        return None
    if isinstance(seasonality, str):
        if seasonality != "behaviour":
            raise SpmoptInputError(
                f"seasonality must be 12 monthly weights or 'behaviour', not '{seasonality}'"
            )
        if behaviour is None:
            raise SpmoptInputError("seasonality 'behaviour' needs a behaviour scenario")
        from spmopt.run.simulation import as_scenario

        scenario = as_scenario(behaviour)
        names = list(scenario.spec.segments)
        name = segment or names[0]
        if name not in names:
            raise SpmoptInputError(
                f"no segment '{name}' in the behaviour scenario (segments: {', '.join(names)})"
            )
        return scenario.spec.segments[name].seasonality_profile().weights * MONTHS_PER_YEAR
    try:
        return Seasonality(np.asarray(seasonality, dtype=float)).weights * MONTHS_PER_YEAR
    except (TypeError, ValueError) as error:
        raise SpmoptInputError(f"seasonality: {error}") from None


@dataclass(frozen=True)
class BehaviourModel:
    """A scenario segment's dynamic behaviour on the forecast's plan, before it meets the reps:
    the effort model, the segment's median traits (every trait but base sales), its technology,
    seasonality and ramp, and the most rep types to solve (:func:`behaviour_model`)."""

    plan: Plan
    effort: object
    traits: dict
    technology: object
    seasonality: object
    ramp: object
    max_types: int
    timing: object = None

    def for_reps(self, reps: RepTerms, rates: RateModel) -> RepBehaviour:
        """Each rep's own dynamic policy (see :func:`rep_behaviour`)."""
        return rep_behaviour(self, reps, rates)


@dataclass(frozen=True)
class RepBehaviour:
    """Every rep's dynamic effort policy on the forecast's plan: ``policy`` answers for row
    ``rows[i]`` of rep i; each rep's expected sales per year at zero effort (``base_sales``) and
    per unit of effort (``effectiveness``) (R,) [currency/year]; the policy's measurement period
    and review block [months]."""

    policy: object
    rows: np.ndarray
    base_sales: np.ndarray
    effectiveness: np.ndarray
    period_months: int
    block_months: int
    timing: ForecastTiming | None = None

    def sales(self, effort: np.ndarray) -> np.ndarray:
        """Expected sales rate at ``effort`` (..., R), h + k·e per rep [currency/year]."""
        return self.base_sales + self.effectiveness * effort

    def effort(self, month: int, period: np.ndarray, year: np.ndarray) -> np.ndarray:
        """Each rep's effort (..., R) at the review of ``month`` with period attainment
        ``period`` and year-to-date attainment ``year`` (..., R) seen."""
        rows = np.broadcast_to(self.rows, np.shape(period))
        if isinstance(self.policy, DynamicPolicy):
            return self.policy.effort(rows, month, period, year)
        return self.policy.effort(rows, np.full(rows.shape, month), period)

    def multipliers(
        self,
        observed: np.ndarray,
        quota: np.ndarray,
        as_of: AsOf,
        theta: np.ndarray,
        shocks: np.ndarray,
        plan_quota: np.ndarray | None = None,
    ) -> np.ndarray:
        """Each remaining month's rate multiplier (replications, R, 12); 1 before the as-of month.

        The rep's rate θ was measured while they worked their policy's effort at their positions
        to date, ē = mean over observed months of e(m, a_m). A remaining month j at position a_j
        (attainment of the measurement period at its review, on the path simulated so far) runs
        at θ × S(e(j, a_j)) / S(ē), S(e) = h + k·e the rep's own. ``observed`` credited cents
        (R, 12), ``quota`` monthly quotas (R, 12), ``theta`` (replications, R) and the month
        ``shocks`` (replications, R, 12) of the statistical forecast; positions are measured
        against ``plan_quota`` (R, 12) when ``quota`` is seasonal (default: ``quota``)."""
        remaining = 1.0 - as_of.elapsed()
        period_months, block = self.period_months, self.block_months
        plan_quota = quota if plan_quota is None else plan_quota
        period_quota = np.add.reduceat(
            plan_quota, np.arange(0, MONTHS_PER_YEAR, period_months), axis=1
        )
        annual = plan_quota.sum(axis=1)

        def position(credited_before: np.ndarray, month: int):
            """Period and year-to-date attainment at the start of ``month`` from credits per
            month before it (..., R, month) [currency]."""
            start = (month // period_months) * period_months
            in_period = credited_before[..., start:month].sum(axis=-1)
            share = period_quota[:, month // period_months]
            with np.errstate(divide="ignore", invalid="ignore"):
                period = np.where(share > 0, in_period / share, 0.0)
                year = np.where(annual > 0, credited_before.sum(axis=-1) / annual, 0.0)
            return period, year

        actual = observed / 100.0
        first = as_of.month + int(as_of.month_closed)
        seen = []
        for month in range(first):
            review = (month // block) * block
            seen.append(self.effort(review, *position(actual[:, :review], review)))
        if not seen:
            seen.append(self.effort(0, np.zeros(len(annual)), np.zeros(len(annual))))
        reference = self.sales(np.mean(seen, axis=0))
        result = np.ones(shocks.shape)
        path = np.broadcast_to(actual, shocks.shape).copy()
        for month in range(as_of.month, MONTHS_PER_YEAR):
            review = (month // block) * block  # before the as-of month: observed
            effort = self.effort(review, *position(path[..., :review], review))
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(reference > 0, self.sales(effort) / reference, 1.0)
            result[..., month] = ratio
            path[..., month] += (
                quota[:, month] * remaining[month] * (theta * ratio + shocks[..., month])
            )
        return result


@dataclass(frozen=True)
class TimingMoves:
    """The forecast's paths after the period-end moves: ``simulated`` credits (P, R, 12) and
    the face value ``pulled``, the bookings ``pushed`` and the discounts ``discount_lost`` of
    each path, rep and closing month (P, R, 12) [currency]."""

    simulated: np.ndarray
    pulled: np.ndarray
    pushed: np.ndarray
    discount_lost: np.ndarray


@dataclass(frozen=True, eq=False)
class ForecastTiming:
    """Deal timing in the behavioural forecast: the scenario's timing model (``decide``, as the
    engines call it), the reps' :class:`~spmopt.reps.situation.Situation` (period pay curves,
    measurement period) and their risk aversion (R,) [1/currency]."""

    model: object
    situation: object
    risk_aversion: np.ndarray

    def apply(self, simulated, actual, first, rate, quota, month_sd) -> TimingMoves:
        """Walk the remaining months from ``first`` and move deals at each measurement-period
        end (docs/monitoring.md). ``simulated`` credits still to come (P, R, 12) and ``actual``
        credits (R, 12) [currency]; ``rate`` each path's rate (P, R, 12) [attainment] and
        ``quota`` monthly quotas (R, 12) [currency] give the next period's expected credits at
        month j's rate, ``month_sd`` a month's spread [attainment] its σ. Pulls at month j < 11
        come out of month j + 1's simulated credits (capacity: ``pull_share`` of them); at the
        year end (j = 11) out of next January (capacity: ``pull_share`` of its expected credits
        at December's rate), which lies outside the year, as in the engines."""
        model, period = self.model, self.situation.measurement_months
        simulated = np.array(simulated, dtype=float)
        paths, count = simulated.shape[:2]
        tile = np.tile(np.arange(count), paths)
        risk = self.risk_aversion[tile]
        pulled = np.zeros(simulated.shape)
        pushed = np.zeros(simulated.shape)
        for j in range(first, MONTHS_PER_YEAR):
            if (j + 1) % period:
                continue
            credits = actual[None] + simulated
            start = j + 1 - period
            credited = credits[..., start : j + 1].sum(axis=-1)
            following = (j + 1 + np.arange(period)) % MONTHS_PER_YEAR
            upcoming = quota[:, following]
            next_mean = rate[..., j] * upcoming.sum(axis=1)
            next_sd = month_sd * np.sqrt((upcoming**2).sum(axis=1))
            if j + 1 < MONTHS_PER_YEAR:
                pullable = credits[..., j + 1]
            else:
                pullable = rate[..., j] * quota[:, 0]
            moves = _decide_in_blocks(
                model,
                self.situation.period_pay_of(j // period).take(tile),
                credited.ravel(),
                model.pull_share * np.maximum(pullable, 0.0).ravel(),
                model.push_share * np.maximum(credits[..., j], 0.0).ravel(),
                next_mean.ravel(),
                np.broadcast_to(next_sd, (paths, count)).ravel(),
                risk,
            )
            x = moves[0].reshape(paths, count)
            y = moves[1].reshape(paths, count)
            simulated[..., j] += (1.0 - model.discount) * x - y
            if j + 1 < MONTHS_PER_YEAR:
                simulated[..., j + 1] += y - x
            pulled[..., j] = x
            pushed[..., j] = y
        return TimingMoves(simulated, pulled, pushed, model.discount * pulled)


def _decide_in_blocks(model, pay, credited, pull, push, next_mean, next_sd, risk, block=2048):
    """``model.decide`` over N rows ``block`` at a time (its candidate grid is memory-hungry);
    returns (pulled, pushed) (N,) [currency]."""
    n = credited.shape[0]
    pulled, pushed = np.zeros(n), np.zeros(n)
    for start in range(0, n, block):
        part = slice(start, start + block)
        moves = model.decide(
            pay.take(np.arange(n)[part]),
            credited[part],
            pull[part],
            push[part],
            next_mean[part],
            next_sd[part],
            risk[part],
        )
        pulled[part], pushed[part] = moves.pulled, moves.pushed
    return pulled, pushed


def _mean_factor(multiplier: np.ndarray, remaining: np.ndarray) -> np.ndarray:
    """Mean rate multiplier over replications and remaining months, weighted by the share of
    each month to come (R,)."""
    weights = remaining / remaining.sum() if remaining.sum() > 0 else remaining
    return (multiplier * weights[None, None, :]).sum(axis=2).mean(axis=0)


def behaviour_model(scenario, plan: Plan, segment: str | None = None) -> BehaviourModel:
    """The dynamic behaviour of ``segment`` (default: the scenario's first) of ``scenario`` on
    ``plan``: every trait but base sales at its median over the segment's drawn population
    (:func:`spmopt.finance.behavioural.typical_traits`), the segment's technology and
    seasonality and the scenario's ramp; :meth:`BehaviourModel.for_reps` fits it to each rep.
    The scenario's effort model must be ``dynamic`` (its cadence is used)."""
    from spmopt.finance.behavioural import typical_traits
    from spmopt.reps.behaviour.dynamic import DynamicBestResponse
    from spmopt.run.simulation import as_scenario

    scenario = as_scenario(scenario)
    model = scenario.model(plan)
    seats = model.segment_seats()
    name = segment or next(iter(seats))
    if name not in seats:
        raise SpmoptInputError(
            f"no segment '{name}' in the behaviour scenario (segments: {', '.join(seats)})"
        )
    effort = model.behaviour.effort
    if not isinstance(effort, DynamicBestResponse):
        raise SpmoptInputError(
            "the behavioural forecast needs the scenario's [behaviour] effort model 'dynamic'; "
            f"got '{getattr(effort, 'name', type(effort).__name__)}'"
        )
    target = model.segments[name]
    return BehaviourModel(
        plan=plan,
        effort=effort,
        traits=typical_traits(scenario, name),
        technology=target.technology,
        seasonality=target.seasonality,
        ramp=model.ramp,
        max_types=model.policy_types,
        timing=model.behaviour.timing,
    )


def rep_behaviour(behaviour: BehaviourModel, reps: RepTerms, rates: RateModel) -> RepBehaviour:
    """Each rep's own dynamic policy: the segment's median traits, fully ramped, with the rep's
    quota and target incentive, and base sales h fitted so that the rep's expected annual sales
    under the plan at the static best response equal their estimated rate × annual quota
    (:func:`spmopt.finance.behavioural.fit_base_sales`, as the backtest's behavioural view fits
    reps), both on the segment's technology (deal sales as their normal equivalent at the rep's
    rate). Policies are solved as the simulators solve them (:func:`spmopt.sim.model.rep_types`:
    one type per distinct rep up to the scenario's ``policy_types``, interpolated types
    beyond)."""
    from spmopt.finance.behavioural import fit_base_sales
    from spmopt.reps.population import Population
    from spmopt.reps.situation import Situation
    from spmopt.sim.model import _TypedPolicy, behaviour_technology, rep_types

    plan, traits = behaviour.plan, behaviour.traits
    annual = rates.quota.sum(axis=1)
    frame = pd.DataFrame({"rep_id": [str(i) for i in reps.ids], "segment": "forecast"})
    for trait, value in traits.items():
        if trait != "base_sales":
            frame[trait] = value
    frame["tenure_months"] = 1e3
    frame["quota"] = annual
    frame["target_incentive"] = reps.target_incentive
    history = np.maximum(rates.mean, 0.0) * annual
    # the technology the policy is solved with (deal sales: their normal equivalent at the
    # rep's rate), also used for the fit: the same model throughout, and a static solve on
    # deal sales would cost ~10x the policies
    technology, normal = behaviour_technology(
        behaviour.technology, Population(frame.assign(base_sales=history))
    )
    frame = normal.frame.drop(columns="base_sales")
    base, _ = fit_base_sales(plan, frame, technology, behaviour.seasonality, history)
    population = Population(frame.assign(base_sales=base))

    def situation(members):
        return Situation(
            plan, members, technology, seasonality=behaviour.seasonality, ramp=behaviour.ramp
        )

    whole = situation(population)
    coupled = whole.measurement_months < MONTHS_PER_YEAR and whole.has_annual_terms
    shift = behaviour.effort.ratchet is None and not coupled
    types = rep_types(population, behaviour.max_types, shift_base_sales=shift)
    solved_on = situation(types.population)
    solved = behaviour.effort.solve(solved_on)
    trivial = (
        types.codes.shape[1] == 1
        and not np.any(types.base_offset)
        and np.all(types.effort_scale == 1.0)
    )
    if trivial:  # one type per distinct rep: read it directly (year-to-date included)
        policy, rows = solved, types.codes[:, 0]
    else:
        policy = _TypedPolicy(solved, types, solved_on.productivity)
        rows = np.arange(len(base))
    arrays = population.arrays
    timing = None
    if getattr(behaviour.timing, "name", "none") != "none":
        timing = ForecastTiming(
            behaviour.timing,
            whole,
            np.asarray(population.arrays.risk_aversion, dtype=float),
        )
    return RepBehaviour(
        policy=policy,
        rows=np.asarray(rows, dtype=np.intp),
        base_sales=arrays.base_sales.astype(float),
        effectiveness=arrays.effectiveness.astype(float),
        period_months=solved.period_months,
        block_months=solved.block_months,
        timing=timing,
    )


def replay_last_year(
    state: PlanState,
    as_of: AsOf,
    last_year: pd.DataFrame,
    roster: pd.DataFrame | None,
    last_year_roster: pd.DataFrame | None,
    source: str = "last year's credits",
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Last year's credits of the months still to come, per measure (R, 12) [cents], and which
    reps have any credit in last year's plan year (R,) bool.

    Each rep's credits of the same month one year earlier; the as-of month's share still to
    come (1 − elapsed share of it) of that month's credits; earlier months 0. Scaled by this
    year's roster ``quota`` ÷ last year's where a rep has both (the quota changed), unscaled
    otherwise (the plan's quota both years, or no record)."""
    from spmopt.plan.inputs import validate_credits

    plan, reps = state.plan, state.reps
    credits = last_year if last_year.attrs.get("validated") else validate_credits(last_year, source)
    start = pd.Timestamp(plan.year_start)
    dates = pd.to_datetime(credits["date"])
    month = (dates.dt.year - (start.year - 1)) * MONTHS_PER_YEAR + dates.dt.month - start.month
    inside = (month >= 0) & (month < MONTHS_PER_YEAR)
    position = pd.Series(np.arange(len(reps.ids)), index=reps.ids)
    rep_index = credits["rep_id"].astype(str).map(position)
    inside &= rep_index.notna() & credits["measure"].isin(plan.measures)
    known = np.zeros(len(reps.ids), dtype=bool)
    known[rep_index[inside].astype(int).to_numpy()] = True
    scale = _quota_ratio(reps.ids, roster, last_year_roster)
    to_come = (1.0 - as_of.elapsed())[None, :] * scale[:, None]
    future = {}
    for measure in plan.measures:
        rows = inside & (credits["measure"] == measure)
        cents = np.zeros((len(reps.ids), MONTHS_PER_YEAR))
        np.add.at(
            cents,
            (rep_index[rows].astype(int).to_numpy(), month[rows].astype(int).to_numpy()),
            credits.loc[rows, "amount"].to_numpy() * 100.0,
        )
        future[measure] = np.rint(cents * to_come)
    return future, known


def _quota_ratio(ids, roster, last_year_roster) -> np.ndarray:
    """This year's roster quota ÷ last year's per rep (R,); 1 where either is not given."""
    ratio = np.ones(len(ids))
    if roster is None or last_year_roster is None:
        return ratio
    if "quota" not in roster.columns or "quota" not in last_year_roster.columns:
        return ratio
    now = roster.assign(rep_id=roster["rep_id"].astype(str)).set_index("rep_id")["quota"]
    then = last_year_roster.assign(rep_id=last_year_roster["rep_id"].astype(str))
    then = then.set_index("rep_id")["quota"]
    now = pd.to_numeric(now.reindex(ids), errors="coerce").to_numpy(float)
    then = pd.to_numeric(then.reindex(ids), errors="coerce").to_numpy(float)
    changed = np.isfinite(now) & np.isfinite(then) & (then > 0)
    ratio[changed] = now[changed] / then[changed]
    return ratio


def _tile_rows(rows, count: int, times: int):
    from spmopt.plan.earnings import CreditRows

    return CreditRows(
        rep_index=np.concatenate([rows.rep_index + k * count for k in range(times)]),
        month=np.tile(rows.month, times),
        cents=np.tile(rows.cents, times),
    )


def _attainment(plan: Plan, reps: RepTerms, monthly: dict, times: int) -> np.ndarray:
    """Σ weight × credited / annual quota over components, (times, R), from cents per measure
    (times·R, 12), replication-major."""
    count = len(reps.ids)
    total = np.zeros((times, count))
    for component in plan.components:
        values = monthly[component.measure]
        credited = values.sum(axis=-1).reshape(times, count) / 100.0
        annual = Quotas.of(component, reps).annual
        with np.errstate(divide="ignore", invalid="ignore"):
            total += component.weight * np.where(annual > 0, credited / annual, 0.0)
    return total


def _totals(reps: pd.DataFrame, sample: np.ndarray, budget: float | None) -> pd.DataFrame:
    """Totals per plan and for all reps."""
    rows = []
    groups = [
        (plan_id, (reps["plan_id"] == plan_id).to_numpy()) for plan_id in reps["plan_id"].unique()
    ]
    if len(groups) > 1:
        groups.append(("all", np.ones(len(reps), dtype=bool)))
    for plan_id, members in groups:
        total = sample[:, members].sum(axis=1)
        limit = float(reps.loc[members, "target_incentive"].sum())
        if budget is not None and (plan_id == "all" or len(groups) == 1):
            limit = float(budget)
        rows.append(
            {
                "plan_id": plan_id,
                "reps": int(members.sum()),
                "earned_ytd": float(reps.loc[members, "earned_ytd"].sum()),
                "expected_payout": float(total.mean()),
                "payout_p10": float(np.quantile(total, 0.1)),
                "payout_p50": float(np.quantile(total, 0.5)),
                "payout_p90": float(np.quantile(total, 0.9)),
                "run_rate_payout": float(reps.loc[members, "run_rate_payout"].sum()),
                "budget": limit,
                "p_over_budget": float((total > limit).mean()),
                "expected_share_at_quota": float(reps.loc[members, "p_quota"].mean()),
                "replay_payout": float(reps.loc[members, "replay_payout"].sum(min_count=1)),
                "replay_from_last_year": int(
                    (reps.loc[members, "replay_basis"] == "last_year").sum()
                ),
                "pipeline_expected": float(reps.loc[members, "pipeline_expected"].sum(min_count=1)),
            }
        )
    return pd.DataFrame(rows, columns=list(FORECAST_TOTAL_COLUMNS))


# ---------------------------------------------------------------------------------- backtest
BACKTEST_COLUMNS = (
    "history",
    "year",
    "reps",
    "actual_total",
    "forecast_total",
    "total_p10",
    "total_p90",
    "run_rate_total",
    "payout_mae",
    "run_rate_payout_mae",
    "payout_coverage_80",
    "attainment_coverage_80",
    "replay_total",
    "replay_payout_mae",
    "replay_reps",
)


def history_credits(
    rep_periods: pd.DataFrame, plan: Plan, year: int | None = None, *, shift_years: int = 0
) -> dict[int, tuple]:
    """Credits and roster of each simulated history (replication) in a ``rep_periods`` table:
    one credit per rep and month (dated the 15th) on the plan's first measure, for the seats
    occupied all year by one rep (no quit, no hire); the roster gives each seat's annual quota.

    ``year``: the plan year of the horizon (1, 2, …; default: all rows, a one-year horizon);
    ``shift_years``: dates moved by this many years from the plan's year (−1 for last year's
    credits of a forecast year)."""
    table = rep_periods[rep_periods["plan_id"].astype(str) == plan.id]
    if year is not None:
        table = table[table["year"].astype(int) == year]
    keys = ["replication", "rep_id"]
    whole = table.groupby(keys, observed=True).agg(
        occupied=("occupied", "all"), quit=("quit", "any"), hired=("hired", "any")
    )
    whole = whole[whole["occupied"] & ~whole["quit"] & ~whole["hired"]].index
    table = table.set_index(keys).loc[whole].reset_index()
    start = pd.Timestamp(plan.year_start) + pd.DateOffset(years=shift_years)
    dates = start + pd.to_timedelta(14, unit="D")
    months = table["month"].astype(int).to_numpy() - 1
    histories = {}
    for replication, rows in table.groupby("replication", observed=True):
        index = rows.index
        credits = pd.DataFrame(
            {
                "rep_id": rows["rep_id"].astype(str).to_numpy(),
                "date": [
                    (dates + pd.DateOffset(months=int(m))).date().isoformat() for m in months[index]
                ],
                "measure": plan.measures[0],
                "amount": rows["credited"].round(2).to_numpy(),
                "deal_id": "",
            }
        )
        roster = rows.groupby("rep_id", observed=True)["quota"].first().reset_index()
        roster["rep_id"] = roster["rep_id"].astype(str)
        histories[int(replication)] = (credits, roster)
    return histories


def backtest(
    plan: Plan,
    rep_periods: pd.DataFrame,
    *,
    as_of: dt.date | str,
    replications: int = 500,
    seed: int = 0,
    pipelines: dict | None = None,
) -> pd.DataFrame:
    """Forecast each simulated history at ``as_of``, then reveal its rest of the year.

    ``rep_periods`` comes from :func:`spmopt.simulate` (a scenario whose segments are paid by
    ``plan``); see :func:`history_credits` for the reps kept. Every plan year of every
    replication is a history; from the second year on, the previous year's credits of the seats
    held all that year by one rep are the **replay** of last year (the other reps fall back to
    their run rate). One row per history and year (:data:`BACKTEST_COLUMNS`): the actual
    year's incentive total against the forecast (mean, P10, P90), the run rate and the replay;
    per rep the mean absolute error of the forecast, the run rate and the replay, and the share
    of reps whose actual payout and attainment fall inside the forecast's P10–P90.
    ``pipelines``: optional open pipeline at ``as_of`` per (history, year)
    (:func:`spmopt.sim.forecast_pipeline.history_pipelines`), given to every forecast.
    """
    years = sorted(rep_periods["year"].astype(int).unique()) if "year" in rep_periods else [None]
    rows = []
    previous: dict[int, tuple] = {}
    for year in years:
        histories = history_credits(rep_periods, plan, year)
        for history, (credits, roster) in histories.items():
            last = previous.get(history)
            key = (history, 1 if year is None else year)
            pipeline = None if pipelines is None else pipelines.get(key)
            rows.append(
                _backtest_row(
                    plan, credits, roster, last, as_of, replications, seed + history, pipeline
                )
                | {"history": history, "year": key[1]}
            )
        if year is not None:
            previous = history_credits(rep_periods, plan, year, shift_years=-1)
    return pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))


def _backtest_row(plan, credits, roster, last, as_of, replications, seed, pipeline=None) -> dict:
    """Forecast one history at ``as_of`` (with last year's credits and roster ``last`` when
    given) and score it against the whole year (:data:`BACKTEST_COLUMNS`)."""
    actual = statements(plan, credits, roster).summary().set_index("rep_id")
    result = forecast(
        plan,
        credits,
        roster,
        as_of=as_of,
        replications=replications,
        seed=seed,
        last_year=None if last is None else last[0],
        last_year_roster=None if last is None else last[1],
        pipeline=pipeline,
    )
    reps = result.reps.set_index("rep_id")
    paid = actual.loc[reps.index, "earned"]
    credited = actual.loc[reps.index, "credited"]
    attained = credited / roster.set_index("rep_id").loc[reps.index, "quota"]
    total = result.samples.sum(axis=1)
    return {
        "reps": len(reps),
        "actual_total": float(paid.sum()),
        "forecast_total": float(total.mean()),
        "total_p10": float(np.quantile(total, 0.1)),
        "total_p90": float(np.quantile(total, 0.9)),
        "run_rate_total": float(reps["run_rate_payout"].sum()),
        "payout_mae": float((reps["expected_payout"] - paid).abs().mean()),
        "run_rate_payout_mae": float((reps["run_rate_payout"] - paid).abs().mean()),
        "payout_coverage_80": float(
            ((reps["payout_p10"] <= paid) & (paid <= reps["payout_p90"])).mean()
        ),
        "attainment_coverage_80": float(
            ((reps["attainment_p10"] <= attained) & (attained <= reps["attainment_p90"])).mean()
        ),
        "replay_total": float(reps["replay_payout"].sum(min_count=1)),
        "replay_payout_mae": float((reps["replay_payout"] - paid).abs().mean()),
        "replay_reps": int((reps["replay_basis"] == "last_year").sum()),
    }
