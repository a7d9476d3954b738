"""The replay backtest: last year's credits through an old and a new plan, behaviour held fixed.

Every commercial ICM tool models a plan change this way: the same credits, paid under both plans
by the exact statements engine (:func:`spmopt.statements`). :func:`backtest` does that, per rep
(old and new pay, the change, attainment, winners and losers) and in total (cost, cost of sales),
and — given a scenario to borrow behaviour from — puts the simulated response of the same reps
beside it (:mod:`spmopt.finance.behavioural`).

Credited totals
---------------
A plan with a ``[plan.clawback]`` window ignores cancellations of deals booked more than
``window_days`` before the cancellation (the rep keeps the credit and the pay); a plan without one
counts every cancellation. The same credits therefore give different ``credited`` totals in the
two plans' statements. The backtest reports, per rep, one plan-independent ``credited`` (every
credit of the measures the plans pay, net of *every* cancellation — what was actually sold) and,
per plan, ``counted_<plan>`` (what that plan's statements count) and
``uncounted_cancellations_<plan>`` (the cancellations the plan ignores), so that
``credited = counted − uncounted cancellations`` reconciles for each plan. Revenue and cost of
sales use the plan-independent figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.calendar import MONTHS_PER_YEAR, month_index
from spmopt.plan.inputs import is_validated, validate_credits, validate_roster
from spmopt.plan.plan import Plan
from spmopt.plan.statements import Statements, statements

#: |change| below this [currency] counts as unchanged pay (half a cent)
UNCHANGED_BELOW = 0.005
#: columns of :attr:`Backtest.reps` (``old``/``new`` stand for the two plans)
REP_COLUMNS = (
    "rep_id",
    "months_employed",
    "credited",
    "revenue",
    "counted_old",
    "counted_new",
    "attainment_old",
    "attainment_new",
    "base_old",
    "base_new",
    "incentive_old",
    "incentive_new",
    "paid_old",
    "paid_new",
    "pay_old",
    "pay_new",
    "change",
    "change_pct",
    "outcome",
)


@dataclass(frozen=True, eq=False)
class Backtest:
    """Replay (and optionally behavioural) comparison of an old and a new plan.

    Attributes
    ----------
    old_plan, new_plan:
        The two plans.
    reps:
        One row per rep (columns :data:`REP_COLUMNS`; money in the plans' currency). ``credited``
        and ``revenue`` are plan-independent (net of every cancellation); ``counted_*`` is what
        each plan's statements count; ``incentive_*`` the year's incentive earnings (draws and
        clawback deferrals move cash between years but not earnings; the cash is ``paid_*``);
        ``base_*`` the base salary prorated by months employed; ``pay_* = base_* + incentive_*``;
        ``change = pay_new − pay_old``; ``outcome`` is ``wins``, ``loses`` or ``unchanged``.
    summary:
        Tidy totals ``metric, old, new, change``.
    winners_losers:
        One row per outcome: ``outcome, reps, share, total_change, mean_change, largest_change``.
    statements_old, statements_new:
        The statements behind the replay (:class:`spmopt.Statements`).
    roster:
        The roster of the replayed reps (validated, without ``plan_id``).
    behaviour:
        The behavioural view (:class:`spmopt.finance.behavioural.BehaviouralView`) or None.
    notes:
        Plain-language notes on what was selected, dropped or assumed.
    """

    old_plan: Plan
    new_plan: Plan
    reps: pd.DataFrame
    summary: pd.DataFrame
    winners_losers: pd.DataFrame
    statements_old: Statements
    statements_new: Statements
    roster: pd.DataFrame | None = None
    behaviour: object | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def labels(self) -> tuple[str, str]:
        """The plans' ids as column labels (``old``/``new`` when the ids are equal)."""
        old, new = self.old_plan.id, self.new_plan.id
        return (old, new) if old != new else ("old", "new")

    def side_by_side(self) -> pd.DataFrame | None:
        """Replay and behavioural cost and revenue per plan (None without a behavioural view)."""
        if self.behaviour is None:
            return None
        return self.behaviour.side_by_side(self.summary)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the backtest by file stem."""
        tables = {
            "backtest_reps": self.reps,
            "backtest_summary": self.summary,
            "backtest_winners_losers": self.winners_losers,
        }
        if self.behaviour is not None:
            tables["backtest_vs_behaviour"] = self.side_by_side()
            tables["behaviour_explained"] = self.behaviour.explained
            tables["behaviour_indicators"] = self.behaviour.indicators
            tables["behaviour_fitted_reps"] = self.behaviour.fitted
        return tables

    def report_sections(self):
        """Tables (pandas) and figures (matplotlib) for a report.

        Returns
        -------
        (dict[str, DataFrame], dict[str, Figure])
            The tables of :meth:`tables`, and the figures: per-rep pay change (sorted bars) and,
            with a behavioural view, replay vs behavioural cost and revenue.
        """
        from spmopt.finance.plots import backtest_figures

        return self.tables(), backtest_figures(self)

    def write(self, out_dir: str | Path, *, figures: bool = True) -> list[Path]:
        """Write the tables as CSV (and the figures as PNG) under ``out_dir``."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in self.tables().items():
            path = out_dir / f"{name}.csv"
            frame.to_csv(path, index=False, float_format="%.10g")
            written.append(path)
        for label, result in zip(
            self.labels, (self.statements_old, self.statements_new), strict=True
        ):
            path = out_dir / f"statements_{label}.csv"
            result.statements.to_csv(path, index=False, float_format="%.10g")
            written.append(path)
        if figures:  # matplotlib Figures made without pyplot: no backend, nothing to close
            _, made = self.report_sections()
            for name, figure in made.items():
                path = out_dir / f"{name}.png"
                figure.savefig(path, dpi=110, bbox_inches="tight")
                written.append(path)
        return written


# ------------------------------------------------------------------------------------ selection
def select_reps(
    old: Plan, new: Plan, credits: pd.DataFrame, roster: pd.DataFrame | None, source: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The reps replayed and their credits: with a roster ``plan_id`` column, the reps on the old
    plan (else those on the new one); otherwise every rep in the roster or the credits.

    Returns ``(credits of those reps, roster of those reps without plan_id, notes)``.
    """
    notes = []
    if roster is not None and "plan_id" in roster.columns:
        for plan in (old, new):
            on_plan = roster["plan_id"].to_numpy() == plan.id
            if on_plan.any():
                others = int((~on_plan).sum())
                if others:
                    notes.append(
                        f"{int(on_plan.sum())} reps whose roster plan_id is '{plan.id}' are "
                        f"replayed; {others} reps on other plans are left out"
                    )
                roster = roster[on_plan]
                break
        else:
            found = ", ".join(sorted(set(roster["plan_id"])))
            raise SpmoptInputError(
                f"no rep's plan_id is '{old.id}' or '{new.id}' (plan_ids: {found}); give a "
                "roster whose plan_id names one of the plans, or drop the plan_id column",
                source,
            )
        roster = roster.drop(columns=["plan_id"])
        credits = credits[credits["rep_id"].isin(roster["rep_id"])]
        if credits.empty:
            raise SpmoptInputError(
                "the reps selected by the roster's plan_id have no credits", source
            )
    if roster is None:
        ids = np.sort(credits["rep_id"].unique().astype(str))
        roster = validate_roster(pd.DataFrame({"rep_id": ids}), "roster")
    return credits, roster, notes


def check_measures(old: Plan, new: Plan, credits: pd.DataFrame, source: str) -> None:
    """Every measure a plan pays must have credits, and every credit a measure a plan pays."""
    present = set(credits["measure"])
    paid = set(old.measures) | set(new.measures)
    for plan in (old, new):
        missing = sorted(set(plan.measures) - present)
        if missing:
            raise SpmoptInputError(
                f"plan '{plan.id}' pays on {', '.join(missing)}, but the credits (of the reps "
                f"replayed) have no such rows (measures: {', '.join(sorted(present)) or 'none'}); "
                "the plans do not fit these credits",
                source,
            )
    stray = sorted(present - paid)
    if stray:
        raise SpmoptInputError(
            f"measure '{stray[0]}' is paid by neither plan '{old.id}' nor '{new.id}' (they pay "
            f"on {', '.join(sorted(paid))}); give a roster with a plan_id column to select the "
            "reps on the old plan, or credits of the measures the plans pay",
            source,
        )


def default_revenue_measures(old: Plan, new: Plan) -> tuple[str, ...]:
    """The measures counted as revenue by default: every measure either plan pays except those
    whose name contains ``margin`` (a margin is part of revenue, not revenue of its own)."""
    measures = dict.fromkeys([*old.measures, *new.measures])
    chosen = tuple(m for m in measures if "margin" not in m.lower())
    return chosen or tuple(measures)


# ------------------------------------------------------------------------------------ replay
def _months_employed(plan: Plan, roster: pd.DataFrame) -> np.ndarray:
    """Months of the plan year each roster rep is employed (roster ``start_date``), (R,)."""
    if "start_date" not in roster.columns:
        return np.full(len(roster), MONTHS_PER_YEAR)
    starts = roster["start_date"]
    months = month_index(starts.fillna(pd.Timestamp(plan.year_start)), plan.year_start)
    return MONTHS_PER_YEAR - np.clip(np.asarray(months), 0, MONTHS_PER_YEAR)


def _base_salary(plan: Plan, roster: pd.DataFrame, months: np.ndarray) -> np.ndarray:
    """Base salary earned in the year [currency] (R,): the roster's annual ``base_salary`` or
    the plan's, prorated by months employed."""
    annual = np.full(len(roster), float(plan.base_salary))
    if "base_salary" in roster.columns:
        given = roster["base_salary"].to_numpy(dtype=float)
        annual = np.where(np.isnan(given), annual, given)
    return annual * months / MONTHS_PER_YEAR


def annual_attainment(
    plan: Plan, credits: pd.DataFrame, roster: pd.DataFrame, source: str = "roster"
) -> np.ndarray:
    """Each roster rep's attainment of the year (R,): the components' weighted credit counted by
    the plan (cancellations outside a clawback window do not count) over the rep's annual quota
    (roster or plan, prorated by months employed as in the statements).

    Unlike the statements' ``attainment`` (of the last measurement period, for plans measured per
    quarter or month), this compares the whole year across plans.
    """
    from spmopt.plan.earnings import Quotas
    from spmopt.plan.terms import counted_credits, roster_terms

    terms = roster_terms(plan, roster, source)
    counts = counted_credits(plan, credits)
    amount = np.where(counts, credits["amount"].to_numpy(), 0.0)
    ids = roster["rep_id"].to_numpy()
    attainment = np.zeros(len(roster))
    for component in plan.components:
        of_measure = (credits["measure"] == component.measure).to_numpy()
        credited = (
            pd.Series(amount[of_measure])
            .groupby(credits["rep_id"].to_numpy()[of_measure])
            .sum()
            .reindex(ids, fill_value=0.0)
            .to_numpy()
        )
        quota = Quotas.of(component, terms).annual
        with np.errstate(divide="ignore", invalid="ignore"):
            attainment += component.weight * np.where(quota > 0, credited / quota, 0.0)
    return attainment


def _plan_figures(plan: Plan, credits, roster, credits_source, roster_source):
    """Statements of one plan on the credits of its measures, and per-rep year figures."""
    own = credits[credits["measure"].isin(plan.measures)]
    result = statements(
        plan, own, roster, credits_source=credits_source, roster_source=roster_source
    )
    summary = result.summary().set_index("rep_id").reindex(roster["rep_id"])
    months = _months_employed(plan, roster)
    frame = pd.DataFrame(
        {
            "counted": summary["credited"].to_numpy(),
            "attainment": annual_attainment(plan, own, roster, roster_source),
            "base": _base_salary(plan, roster, months),
            "incentive": summary["earned"].to_numpy(),
            "paid": summary["paid"].to_numpy(),
        },
        index=roster["rep_id"].to_numpy(),
    )
    return result, frame, months


def replay(
    old_plan: Plan,
    new_plan: Plan,
    credits: pd.DataFrame,
    roster: pd.DataFrame | None = None,
    *,
    revenue_measures: Sequence[str] | None = None,
    credits_source: str = "credits",
    roster_source: str = "roster",
) -> Backtest:
    """Replay ``credits`` through both plans with behaviour held fixed (see :func:`backtest`)."""
    if old_plan.year_start != new_plan.year_start:
        raise SpmoptInputError(
            f"plan '{old_plan.id}' starts its year on {old_plan.year_start} and plan "
            f"'{new_plan.id}' on {new_plan.year_start}; a backtest replays one year's credits "
            "through both, so give plans of the same year"
        )
    if not is_validated(credits, "credits"):
        credits = validate_credits(credits, credits_source)
    if roster is not None and not is_validated(roster, "roster"):
        roster = validate_roster(roster, roster_source)
    credits, roster, notes = select_reps(old_plan, new_plan, credits, roster, roster_source)
    check_measures(old_plan, new_plan, credits, credits_source)
    if revenue_measures is None:
        revenue_measures = default_revenue_measures(old_plan, new_plan)
    unknown = sorted(set(revenue_measures) - set(credits["measure"]))
    if unknown:
        raise SpmoptInputError(
            f"revenue measure '{unknown[0]}' has no credits (measures: "
            f"{', '.join(sorted(set(credits['measure'])))})",
            credits_source,
        )
    old_result, old, months = _plan_figures(
        old_plan, credits, roster, credits_source, roster_source
    )
    new_result, new, _ = _plan_figures(new_plan, credits, roster, credits_source, roster_source)
    ids = roster["rep_id"].to_numpy()
    amount = credits["amount"].to_numpy()
    by_rep = pd.Series(amount).groupby(credits["rep_id"].to_numpy()).sum()
    is_revenue = credits["measure"].isin(revenue_measures).to_numpy()
    revenue_by_rep = pd.Series(np.where(is_revenue, amount, 0.0)).groupby(
        credits["rep_id"].to_numpy()
    )
    reps = pd.DataFrame({"rep_id": ids, "months_employed": months})
    reps["credited"] = by_rep.reindex(ids, fill_value=0.0).round(2).to_numpy()
    reps["revenue"] = revenue_by_rep.sum().reindex(ids, fill_value=0.0).round(2).to_numpy()
    for label, frame in (("old", old), ("new", new)):
        for column in frame.columns:
            reps[f"{column}_{label}"] = frame[column].to_numpy()
        reps[f"pay_{label}"] = (frame["base"] + frame["incentive"]).round(2).to_numpy()
    reps["change"] = (reps["pay_new"] - reps["pay_old"]).round(2)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps["change_pct"] = np.where(reps["pay_old"] > 0, reps["change"] / reps["pay_old"], np.nan)
    reps["outcome"] = np.select(
        [reps["change"] >= UNCHANGED_BELOW, reps["change"] <= -UNCHANGED_BELOW],
        ["wins", "loses"],
        "unchanged",
    )
    reps = reps[list(REP_COLUMNS)]
    for label, plan in (("old", old_plan), ("new", new_plan)):
        ignored = (reps[f"counted_{label}"] - reps["credited"]).sum()
        if plan.clawback is not None and abs(ignored) >= UNCHANGED_BELOW:
            notes.append(
                f"plan '{plan.id}' ignores cancellations older than its "
                f"{plan.clawback.window_days}-day clawback window: it counts {ignored:,.2f} more "
                "credit than was sold (credited is net of every cancellation)"
            )
    notes.append(f"revenue = credits on {', '.join(revenue_measures)}")
    return Backtest(
        old_plan=old_plan,
        new_plan=new_plan,
        reps=reps,
        summary=_summary(reps),
        winners_losers=_winners_losers(reps),
        statements_old=old_result,
        statements_new=new_result,
        roster=roster.reset_index(drop=True),
        notes=tuple(notes),
    )


def _summary(reps: pd.DataFrame) -> pd.DataFrame:
    """Tidy totals ``metric, old, new, change``."""
    full_year = reps["months_employed"] == MONTHS_PER_YEAR
    rows = []

    def add(metric, old, new):
        rows.append({"metric": metric, "old": old, "new": new, "change": new - old})

    add("reps", len(reps), len(reps))
    add("credited", reps["credited"].sum(), reps["credited"].sum())
    add("revenue", reps["revenue"].sum(), reps["revenue"].sum())
    add("counted_credit", reps["counted_old"].sum(), reps["counted_new"].sum())
    add("base_cost", reps["base_old"].sum(), reps["base_new"].sum())
    add("incentive_cost", reps["incentive_old"].sum(), reps["incentive_new"].sum())
    add("incentive_paid", reps["paid_old"].sum(), reps["paid_new"].sum())
    add("comp_cost", reps["pay_old"].sum(), reps["pay_new"].sum())
    revenue = reps["revenue"].sum()
    add(
        "cost_of_sales",
        reps["pay_old"].sum() / revenue if revenue else np.nan,
        reps["pay_new"].sum() / revenue if revenue else np.nan,
    )
    add(
        "incentive_cost_of_sales",
        reps["incentive_old"].sum() / revenue if revenue else np.nan,
        reps["incentive_new"].sum() / revenue if revenue else np.nan,
    )
    add(
        "share_at_quota",
        (reps.loc[full_year, "attainment_old"] >= 1.0).mean(),
        (reps.loc[full_year, "attainment_new"] >= 1.0).mean(),
    )
    add("median_pay", reps["pay_old"].median(), reps["pay_new"].median())
    return pd.DataFrame(rows)


def _winners_losers(reps: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome (wins, loses, unchanged): count, share, total/mean/largest change."""
    rows = []
    for outcome in ("wins", "loses", "unchanged"):
        change = reps.loc[reps["outcome"] == outcome, "change"]
        largest = change.abs().max() if len(change) else 0.0
        rows.append(
            {
                "outcome": outcome,
                "reps": len(change),
                "share": len(change) / len(reps) if len(reps) else np.nan,
                "total_change": round(float(change.sum()), 2),
                "mean_change": float(change.mean()) if len(change) else 0.0,
                "largest_change": float(np.sign(change.sum()) * largest) if len(change) else 0.0,
            }
        )
    return pd.DataFrame(rows)


def backtest(
    old_plan: Plan | str | Path,
    new_plan: Plan | str | Path,
    credits: pd.DataFrame | str | Path,
    roster: pd.DataFrame | str | Path | None = None,
    *,
    scenario=None,
    segment: str | None = None,
    replications: int = 100,
    seed: int | None = None,
    revenue_measures: Sequence[str] | None = None,
    credits_source: str | None = None,
    roster_source: str | None = None,
) -> Backtest:
    """Replay historical credits through an old and a new plan, and (given a scenario) simulate
    the same reps responding to each.

    Parameters
    ----------
    old_plan, new_plan:
        Plans or plan files. With a roster ``plan_id`` column, the reps on the old plan are
        replayed (else those on the new plan).
    credits, roster:
        Tables or CSV files (design §3.3). Roster quotas, target incentives and base salaries
        apply under both plans.
    scenario:
        A scenario (or file) lending the behavioural view its technology, behaviour and rep traits
        other than base sales (:func:`spmopt.finance.behavioural.behavioural_view`); None for the
        replay alone. ``segment`` picks the scenario segment (default: its first).
    replications, seed:
        Simulated years per plan in the behavioural view, and its seed (default: the scenario's).
    revenue_measures:
        Measures whose credits are revenue (default: every paid measure not named ``*margin*``).
    credits_source, roster_source:
        Where the tables came from, for error messages (default: the file path, or
        ``"credits"`` / ``"roster"`` for a table).

    Returns
    -------
    Backtest
        ``reps``, ``summary``, ``winners_losers``, ``behaviour``; ``report_sections()``.

    Examples
    --------
    >>> result = backtest("scenarios/plans/saas-ae.toml", "scenarios/plans/capped-decelerator.toml",
    ...                   "scenarios/data/credits.csv", "scenarios/data/roster.csv")  # doctest: +SKIP
    >>> result.winners_losers  # doctest: +SKIP
    """
    from spmopt.plan.inputs import read_credits, read_roster

    old_plan = old_plan if isinstance(old_plan, Plan) else Plan.load(old_plan)
    new_plan = new_plan if isinstance(new_plan, Plan) else Plan.load(new_plan)
    if credits_source is None:
        credits_source = "credits" if isinstance(credits, pd.DataFrame) else str(credits)
    if roster_source is None:
        roster_source = (
            "roster" if roster is None or isinstance(roster, pd.DataFrame) else str(roster)
        )
    if not isinstance(credits, pd.DataFrame):
        credits = read_credits(credits)
    if roster is not None and not isinstance(roster, pd.DataFrame):
        roster = read_roster(roster)
    result = replay(
        old_plan,
        new_plan,
        credits,
        roster,
        revenue_measures=revenue_measures,
        credits_source=credits_source,
        roster_source=roster_source,
    )
    if scenario is None:
        return result
    from dataclasses import replace

    from spmopt.finance.behavioural import behavioural_view

    view = behavioural_view(result, scenario, segment=segment, replications=replications, seed=seed)
    return replace(result, behaviour=view, notes=result.notes + view.notes)
