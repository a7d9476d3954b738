"""The behavioural view of a backtest: the replayed reps, fitted into a scenario, responding to
each plan (docs/finance.md, "Behavioural view").

How the population is fitted
----------------------------
* One scenario segment lends everything but base sales: its sales technology, seasonality, gross
  margin, the scenario's behaviour (effort, timing, attrition) and ramp, and every rep trait
  (effectiveness, effort cost, risk aversion, outside option, tenure, ramp months, attrition
  sensitivity) at its *median* over the segment's drawn population.
* Quotas, target incentives and base salaries are the roster's where it gives them (else the
  plan's). A rep who started during the year is simulated as a full-year rep on annualised
  history (credited × 12 / months employed).
* Base sales ``h`` are fitted so that each rep's expected annual sales under the *old* plan, at
  the static best-response effort, equal the rep's history: ``h ← h + (history − E[sales | h])``,
  iterated from ``h = history − k·e`` (e: the segment's typical effort) until the gap is below
  0.1% (at most 8 steps; ``h ≥ 0``).

How the difference is explained
-------------------------------
Both plans are simulated (common random numbers) under four behaviour settings, each adding one
response to the previous:

1. ``fixed`` — reps sell their fitted expected old-plan sales whatever the plan (effort held at
   its old-plan level, no timing, no attrition): the replay's assumption, with random sales;
2. ``effort`` — the scenario's effort model (quota chasing, giving up far below quota, coasting
   at caps) with no timing and no attrition;
3. ``attrition`` — plus the scenario's attrition (reps paid below their outside option leave);
4. ``full`` — plus deal timing (pulling deals into a period or pushing them out): the scenario's
   whole behaviour.

The change from old to new plan under each setting, minus that under the previous setting, is
the part of the behavioural change due to the added response.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError

SETTINGS = ("fixed", "effort", "attrition", "full")
#: what each setting adds, for the explanation table
DRIVERS = {
    "fixed": "pay rule alone, sales random but behaviour fixed",
    "effort": "effort response (quota chasing, giving up, coasting)",
    "attrition": "attrition (pay below the outside option)",
    "full": "deal timing (pull-ins, push-outs, discounts)",
}
#: effort below this share of the old plan's mean effort counts as "given up" in a month
GIVE_UP_SHARE = 0.1
_FIT_TOLERANCE = 1e-3
_FIT_STEPS = 8


@dataclass(frozen=True, eq=False)
class BehaviouralView:
    """The replayed reps simulated under both plans.

    Attributes
    ----------
    fitted:
        One row per rep: ``rep_id, history_sales, base_sales, effectiveness, quota,
        expected_sales_old`` (annual, currency).
    metrics:
        One row per setting, plan and replication: revenue, comp_cost, incentive_cost, …
    explained:
        The old → new change of revenue and comp cost: replay, each behaviour's part, and the
        behavioural total (see the module docstring).
    indicators:
        Per setting and plan: mean effort, share of rep-months given up, deals pulled and pushed,
        discount lost, leavers.
    """

    scenario_id: str
    segment: str
    replications: int
    seed: int
    labels: tuple[str, str]
    fitted: pd.DataFrame
    metrics: pd.DataFrame
    explained: pd.DataFrame
    indicators: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def side_by_side(self, replay_summary: pd.DataFrame) -> pd.DataFrame:
        """``metric, plan, replay, behavioural, behavioural_se, difference`` for revenue, comp
        and incentive cost and cost of sales (behavioural: full behaviour, mean over
        replications; replay: the backtest's totals)."""
        replay = replay_summary.set_index("metric")
        full = self.metrics[self.metrics["setting"] == "full"]
        rows = []
        for metric in ("revenue", "comp_cost", "incentive_cost", "cost_of_sales"):
            for position, label in enumerate(self.labels):
                values = full.loc[full["plan"] == label, metric]
                replayed = float(replay.loc[metric, "old" if position == 0 else "new"])
                mean = float(values.mean())
                rows.append(
                    {
                        "metric": metric,
                        "plan": label,
                        "replay": replayed,
                        "behavioural": mean,
                        "behavioural_se": float(values.std(ddof=1) / np.sqrt(len(values)))
                        if len(values) > 1
                        else np.nan,
                        "difference": mean - replayed,
                    }
                )
        return pd.DataFrame(rows)


def _segment_of(scenario, segment: str | None) -> str:
    names = list(scenario.spec.segments)
    if segment is None:
        return names[0]
    if segment not in names:
        raise SpmoptInputError(
            f"no segment '{segment}' in scenario '{scenario.id}' (segments: {', '.join(names)})",
            scenario.source,
        )
    return segment


def _check_plans(plans, measure: str, source: str) -> None:
    for plan in plans:
        if tuple(plan.measures) != (measure,):
            raise SpmoptInputError(
                f"plan '{plan.id}' pays on {', '.join(plan.measures)}; the behavioural view "
                f"simulates one measure, the segment's '{measure}' (run without a scenario, or "
                "pick a segment producing the plans' measure)",
                source,
            )


def typical_traits(scenario, segment: str) -> dict[str, float]:
    """The median of every numeric trait over the scenario segment's drawn population."""
    from spmopt.reps.population import TRAITS

    frame = scenario.population.frame
    rows = frame[frame["segment"].astype(str) == segment]
    return {name: float(rows[name].median()) for name in TRAITS if name in rows}


def fit_population(result, scenario, segment: str):
    """The replayed reps as a :class:`~spmopt.Population` of ``segment`` (see module docstring);
    returns ``(population, fitted table)``."""
    from spmopt.reps.population import Population

    spec = scenario.spec.segments[segment]
    technology = spec.sales_technology()
    seasonality = spec.seasonality_profile()
    traits = typical_traits(scenario, segment)
    reps = result.reps
    history = reps["credited"].to_numpy() * 12.0 / np.maximum(reps["months_employed"].to_numpy(), 1)
    frame = pd.DataFrame({"rep_id": reps["rep_id"].astype(str), "segment": segment})
    for name, value in traits.items():
        frame[name] = value
    explicit = _explicit_terms(result)
    for column, values in explicit.items():
        frame[column] = values
    base, expected = fit_base_sales(
        result.old_plan, frame, history, technology, seasonality, traits["effectiveness"]
    )
    frame["base_sales"] = base
    fitted = pd.DataFrame(
        {
            "rep_id": frame["rep_id"],
            "history_sales": history,
            "base_sales": base,
            "effectiveness": frame["effectiveness"],
            "quota": frame["quota"] if "quota" in frame else np.nan,
            "expected_sales_old": expected,
        }
    )
    return Population(frame), fitted


def fit_base_sales(
    plan, frame: pd.DataFrame, history: np.ndarray, technology, seasonality, effectiveness: float
) -> tuple[np.ndarray, np.ndarray]:
    """Base sales ``h`` (R,) [currency/year] of the reps in ``frame`` (every trait but base
    sales) such that their expected annual sales under ``plan`` at the static best-response
    effort equal ``history`` (R,) [currency/year]: ``h ← h + (history − E[sales | h])`` from
    ``h = history − k·e`` (e: the static effort of a rep of median history), until the gap is
    below 0.1% (at most 8 steps; ``h ≥ 0``). Returns ``(h, expected annual sales at h)``."""
    from spmopt.reps.behaviour.static import best_response
    from spmopt.reps.population import Population

    typical = best_response(
        plan,
        Population(frame.head(1).assign(base_sales=float(np.median(history)))),
        technology,
        seasonality=seasonality,
    )
    start = history - effectiveness * float(typical["effort"].iloc[0])
    base = np.maximum(start, 0.0)
    expected = history
    for _ in range(_FIT_STEPS):
        response = best_response(
            plan, Population(frame.assign(base_sales=base)), technology, seasonality=seasonality
        )
        expected = response["expected_sales"].to_numpy()
        gap = history - expected
        if np.all(np.abs(gap) <= _FIT_TOLERANCE * np.maximum(history, 1.0)):
            break
        base = np.maximum(base + gap, 0.0)
    return base, expected


def _explicit_terms(result) -> dict[str, np.ndarray]:
    """Roster quota, target incentive and base salary of the replayed reps (NaN = the plan's);
    quota and target incentive of mid-year starters given explicitly are annualised."""
    roster = result.roster
    if roster is None:
        return {}
    months = np.maximum(result.reps["months_employed"].to_numpy(), 1)
    out = {}
    for column in ("quota", "target_incentive", "base_salary"):
        if column in roster.columns:
            values = roster[column].to_numpy(dtype=float)
            out[column] = values * 12.0 / months if column != "base_salary" else values
    return out


def _model(scenario, segment: str, population, plan, setting: str, fixed_base=None):
    """The simulation model of one plan under one behaviour setting (one segment, one year)."""
    from spmopt.reps.behaviour.attrition import NoAttrition
    from spmopt.reps.behaviour.baselines import FixedEffort
    from spmopt.reps.behaviour.timing import NoTiming

    template = scenario.model(None)
    behaviour = scenario.behaviour
    if setting == "fixed":
        behaviour = replace(
            behaviour,
            effort=FixedEffort(effort=0.0),
            timing=NoTiming(),
            attrition=NoAttrition(),
            ratchet=None,
        )
        population = population.with_columns(base_sales=fixed_base)
    elif setting == "effort":
        behaviour = replace(behaviour, timing=NoTiming(), attrition=NoAttrition())
    elif setting == "attrition":
        behaviour = replace(behaviour, timing=NoTiming())
    segments = {segment: replace(template.segments[segment], plan=plan)}
    return replace(
        template,
        population=population,
        segments=segments,
        behaviour=behaviour,
        years=1,
        quota_revision=None,
    )


def behavioural_view(
    result,
    scenario,
    *,
    segment: str | None = None,
    replications: int = 100,
    seed: int | None = None,
) -> BehaviouralView:
    """Simulate the replayed reps of ``result`` (a :class:`~spmopt.finance.backtest.Backtest`)
    under both plans with the behaviour of ``scenario`` (see the module docstring)."""
    from spmopt.run.simulation import as_scenario
    from spmopt.sim.fast import simulate_fast
    from spmopt.sim.streams import RandomStreams

    scenario = as_scenario(scenario)
    segment = _segment_of(scenario, segment)
    measure = scenario.spec.segments[segment].measure
    _check_plans((result.old_plan, result.new_plan), measure, scenario.source)
    if replications < 1:
        raise SpmoptInputError(f"replications must be at least 1, not {replications}")
    seed = scenario.seed if seed is None else int(seed)
    population, fitted = fit_population(result, scenario, segment)
    labels = result.labels
    frames, indicator_rows = [], []
    mean_effort_old = None
    for setting in SETTINGS:
        for label, plan in zip(labels, (result.old_plan, result.new_plan), strict=True):
            model = _model(
                scenario,
                segment,
                population,
                plan,
                setting,
                fixed_base=fitted["expected_sales_old"].to_numpy(),
            )
            run = simulate_fast(model, replications, RandomStreams(seed))
            per = run.replication_metrics()
            periods = run.rep_periods
            frames.append(
                pd.DataFrame(
                    {
                        "setting": setting,
                        "plan": label,
                        "replication": per["replication"].to_numpy(),
                        "revenue": per["revenue"].to_numpy(),
                        "incentive_cost": per["incentive_cost"].to_numpy(),
                        "base_cost": per["base_cost"].to_numpy(),
                        "comp_cost": (per["incentive_cost"] + per["base_cost"]).to_numpy(),
                        "cost_of_sales": per["cost_of_sales"].to_numpy(),
                        "share_at_quota": per["share_at_quota"].to_numpy(),
                        "attrition": per["attrition"].to_numpy(),
                    }
                )
            )
            occupied = periods[periods["occupied"]]
            effort = occupied["effort"].to_numpy()
            if mean_effort_old is None and setting == "effort":
                mean_effort_old = float(effort.mean())
            reference = mean_effort_old if mean_effort_old else float(effort.mean())
            indicator_rows.append(
                {
                    "setting": setting,
                    "plan": label,
                    "mean_effort": float(effort.mean()),
                    "share_months_given_up": float((effort < GIVE_UP_SHARE * reference).mean())
                    if setting != "fixed"
                    else 0.0,
                    "pulled": float(periods["pulled"].sum() / replications),
                    "pushed": float(periods["pushed"].sum() / replications),
                    "discount_lost": float(periods["discount_lost"].sum() / replications),
                    "leavers": float(periods["quit"].sum() / replications),
                }
            )
    metrics = pd.DataFrame(pd.concat(frames, ignore_index=True))
    explained = explain(metrics, result.summary, labels)
    notes = (
        f"behavioural view: {len(fitted)} reps fitted into segment '{segment}' of scenario "
        f"'{scenario.id}', {replications} replications per plan and setting, seed {seed}",
    )
    return BehaviouralView(
        scenario_id=scenario.id,
        segment=segment,
        replications=replications,
        seed=seed,
        labels=labels,
        fitted=fitted,
        metrics=metrics,
        explained=explained,
        indicators=pd.DataFrame(indicator_rows),
        notes=notes,
    )


def explain(metrics: pd.DataFrame, replay_summary: pd.DataFrame, labels) -> pd.DataFrame:
    """The old → new change of revenue and comp cost: the replay's, then each setting's
    increment over the previous one (paired by replication, with standard errors), then the
    behavioural total. Columns ``step, driver, revenue_change, revenue_change_se,
    comp_cost_change, comp_cost_change_se``."""
    old, new = labels
    replay = replay_summary.set_index("metric")
    rows = [
        {
            "step": "replay",
            "driver": "same credits, behaviour fixed (statements engine)",
            "revenue_change": float(replay.loc["revenue", "change"]),
            "revenue_change_se": 0.0,
            "comp_cost_change": float(replay.loc["comp_cost", "change"]),
            "comp_cost_change_se": 0.0,
        }
    ]
    previous = None
    for setting in SETTINGS:
        rows_of = metrics[metrics["setting"] == setting]
        wide = rows_of.pivot(index="replication", columns="plan", values=["revenue", "comp_cost"])
        change = {m: wide[(m, new)] - wide[(m, old)] for m in ("revenue", "comp_cost")}
        step = {m: change[m] - (previous[m] if previous is not None else 0.0) for m in change}
        count = len(wide)
        rows.append(
            {
                "step": setting,
                "driver": DRIVERS[setting],
                **{f"{m}_change": float(step[m].mean()) for m in ("revenue", "comp_cost")},
                **{
                    f"{m}_change_se": float(step[m].std(ddof=1) / np.sqrt(count))
                    if count > 1
                    else np.nan
                    for m in ("revenue", "comp_cost")
                },
            }
        )
        previous = change
    rows.append(
        {
            "step": "behavioural_total",
            "driver": "sum of the simulated steps (full behaviour)",
            "revenue_change": float(previous["revenue"].mean()),
            "revenue_change_se": float(previous["revenue"].std(ddof=1) / np.sqrt(count))
            if count > 1
            else np.nan,
            "comp_cost_change": float(previous["comp_cost"].mean()),
            "comp_cost_change_se": float(previous["comp_cost"].std(ddof=1) / np.sqrt(count))
            if count > 1
            else np.nan,
        }
    )
    return pd.DataFrame(rows)
