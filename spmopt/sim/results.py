"""Tidy result tables of a simulation and their summary (design §5).

Both engines produce ``rep_periods`` with the columns below (declared once, here); the event
engine also produces ``deals``. Tables are keyed ``scenario_id, plan_id, replication, rep_id,
period``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

KEYS = ("scenario_id", "plan_id", "replication", "rep_id", "period")
#: dtypes of the data columns of ``rep_periods``, in column order (the keys, ``year``, ``month``
#: and ``segment`` come first: categoricals or integers)
REP_PERIOD_DTYPES: dict[str, type] = {
    "occupied": np.bool_,
    "tenure_months": np.float64,
    "effort": np.float64,
    "attainment_seen": np.float64,
    "deals_closed": np.int32,
    "closings": np.float64,
    "pulled": np.float64,
    "pushed": np.float64,
    "discount_lost": np.float64,
    "credited": np.float64,
    "revenue": np.float64,
    "margin": np.float64,
    "quota": np.float64,
    "incentive": np.float64,
    "base_pay": np.float64,
    "quit": np.bool_,
    "hired": np.bool_,
}
REP_PERIOD_COLUMNS = (*KEYS, "year", "month", "segment", *REP_PERIOD_DTYPES)
DEAL_COLUMNS = (
    "scenario_id",
    "plan_id",
    "replication",
    "rep_id",
    "deal_id",
    "created",
    "closed",
    "amount",
    "credited_amount",
    "discount",
    "timing",
)
SUMMARY_METRICS = (
    "revenue",
    "margin",
    "incentive_cost",
    "base_cost",
    "discount_lost",
    "profit",
    "cost_of_sales",
    "share_at_quota",
    "attrition",
)


def rep_years(rep_periods: pd.DataFrame) -> pd.DataFrame:
    """One row per replication, seat and plan year: sales, pay, quota and attainment.

    ``revenue`` and ``margin`` are the year's own: the revenue of the seat's deals due to close
    in the year, net of the discounts its reps gave to pull deals in (see
    :func:`year_end_moves`); ``revenue_booked`` is what the year's months booked, and
    ``carried`` [currency] the difference (face value that timing moved across the year's
    ends). ``credited`` stays what the reps were credited. ``at_quota`` is true when the
    year's credited sales reach the seat's annual quota (seats occupied all year only; others
    are NaN). ``seated_at_start``: a rep held the seat in the year's first month;
    ``starter_left``: that rep left during the year (a seat holds one rep at a time, so its first
    quit of the year is the starting rep's).
    """
    keys = ["scenario_id", "plan_id", "replication", "rep_id", "year", "segment"]
    grouped = rep_periods.groupby(keys, sort=False, observed=True)
    first_month = rep_periods["occupied"].to_numpy() & (rep_periods["month"].to_numpy() == 1)
    seated = pd.Series(first_month, index=rep_periods.index).groupby(
        [rep_periods[key] for key in keys], sort=False, observed=True
    )
    years = grouped.agg(
        credited=("credited", "sum"),
        revenue=("revenue", "sum"),
        margin=("margin", "sum"),
        incentive=("incentive", "sum"),
        base_pay=("base_pay", "sum"),
        discount_lost=("discount_lost", "sum"),
        quota=("quota", "first"),
        months_occupied=("occupied", "sum"),
        quits=("quit", "sum"),
        hires=("hired", "sum"),
    ).reset_index()
    years["seated_at_start"] = seated.any().to_numpy()
    years["starter_left"] = years["seated_at_start"] & (years["quits"] > 0)
    full_year = (years["months_occupied"] == 12) & (years["hires"] == 0) & (years["quits"] == 0)
    years["attainment"] = np.where(full_year, years["credited"] / years["quota"], np.nan)
    years["at_quota"] = np.where(full_year, years["attainment"] >= 1.0, np.nan)
    carried, carried_margin = _carried_into_years(years, year_end_moves(rep_periods))
    years.insert(years.columns.get_loc("revenue"), "revenue_booked", years["revenue"])
    years["revenue"] += carried
    years["margin"] += carried_margin
    years.insert(years.columns.get_loc("margin"), "carried", carried)
    return years


def year_end_moves(rep_periods: pd.DataFrame) -> pd.DataFrame:
    """Face value [currency] that timing moved across each plan year's end, per replication,
    seat and year, and its gross margin.

    Timing moves deals between a month and the next, so only the moves of the year's last month
    cross its end: its pushes are the year's deals booked next year, its pulls
    next year's deals booked this year (at their discounted price). ``moved_out`` = pushed −
    pulled in month 12; ``margin_moved_out`` the same at the seat's gross margin (the segment's
    ratio of margin to revenue in the table, the same on every row).
    """
    keys = ["scenario_id", "plan_id", "replication", "rep_id", "year"]
    december = rep_periods["month"].to_numpy() == 12
    last = rep_periods.loc[december, [*keys, "segment", "pushed", "pulled", "revenue", "margin"]]
    moved = last["pushed"].to_numpy() - last["pulled"].to_numpy()
    rate = _margin_rates(last, rep_periods)
    segment = pd.Series(np.asarray(last["segment"], dtype=object))
    rate_of_row = segment.map(rate.set_axis(rate.index.astype(object))).to_numpy(dtype=float)
    out = last[keys].reset_index(drop=True)
    out["moved_out"] = moved
    out["margin_moved_out"] = moved * rate_of_row
    return out


def _margin_rates(last: pd.DataFrame, rep_periods: pd.DataFrame) -> pd.Series:
    """Gross margin ratio per segment: Σ|margin| / Σ|revenue| over the year-end rows ``last``,
    or over the whole table for a segment that booked nothing at year ends (margin = ratio ×
    revenue on every row, so the ratio is exact to rounding; 0 for a segment with no revenue,
    which then moved nothing either)."""

    def ratios(frame: pd.DataFrame) -> pd.Series:
        sums = (
            frame[["margin", "revenue"]]
            .abs()
            .groupby(frame["segment"], observed=True, sort=False)
            .sum()
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            return (sums["margin"] / sums["revenue"]).replace([np.inf, -np.inf], np.nan)

    rate = ratios(last)
    if rate.isna().any():
        rate = rate.fillna(ratios(rep_periods[["segment", "margin", "revenue"]]))
    return rate.fillna(0.0)


def _carried_into_years(years: pd.DataFrame, moves: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Face value and margin carried into each row of ``years`` (rep_years' rows): what the
    year's last month moved out (its pushes, less its pulls), less what the previous year's
    moved into it."""
    seat = ["scenario_id", "plan_id", "replication", "rep_id"]
    index = pd.MultiIndex.from_frame(moves[[*seat, "year"]])
    out = moves[["moved_out", "margin_moved_out"]].set_axis(index)
    keys = pd.MultiIndex.from_frame(years[[*seat, "year"]])
    before = pd.MultiIndex.from_frame(years[seat].assign(year=years["year"] - 1))
    this = out.reindex(keys).fillna(0.0).to_numpy()
    previous = out.reindex(before).fillna(0.0).to_numpy()
    carried = this - previous
    return carried[:, 0], carried[:, 1]


def monthly_totals(rep_periods: pd.DataFrame) -> pd.DataFrame:
    """Credited, pulled, pushed and discounts lost per month of the plan year, summed over seats
    and replications (divide by the replications for means); add chunks' totals together."""
    columns = ["credited", "closings", "pulled", "pushed", "discount_lost"]
    return rep_periods.groupby("month", observed=True)[columns].sum()


def replication_metrics(rep_periods: pd.DataFrame) -> pd.DataFrame:
    """Company-level figures per replication (all years together): the summary's samples.

    ``attrition`` is the share of the reps in their seats at the start of a plan year who leave
    during that year (leavers among the starters of every year over the starters) [0–1]; with a
    constant monthly quit hazard h its expectation is 1 − (1 − h)^12, the ``annual_turnover`` of
    the hazard attrition model.
    """
    years = rep_years(rep_periods)
    keys = ["scenario_id", "plan_id", "replication"]
    per = years.groupby(keys, sort=False).agg(
        revenue=("revenue", "sum"),
        margin=("margin", "sum"),
        incentive_cost=("incentive", "sum"),
        base_cost=("base_pay", "sum"),
        discount_lost=("discount_lost", "sum"),
        share_at_quota=("at_quota", "mean"),
        starters=("seated_at_start", "sum"),
        leavers=("starter_left", "sum"),
    )
    per["profit"] = per["margin"] - per["incentive_cost"] - per["base_cost"]
    per["cost_of_sales"] = (per["incentive_cost"] + per["base_cost"]) / per["revenue"]
    # share of the reps seated at a year's start who leave within that year, in [0, 1] (not
    # leavers / average head count, which counts a seat's replacements too and can pass 100%)
    per["attrition"] = per["leavers"] / per["starters"]
    return per.reset_index()[[*keys, *SUMMARY_METRICS]]


def summarise(samples: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean, standard error and a t confidence interval of each metric over replications."""
    rows = []
    for (scenario_id, plan_id), group in samples.groupby(["scenario_id", "plan_id"], sort=False):
        n = len(group)
        for metric in SUMMARY_METRICS:
            values = group[metric].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            mean = float(values.mean()) if values.size else np.nan
            se = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else np.nan
            half = (
                float(stats.t.ppf(0.5 + confidence / 2, values.size - 1) * se)
                if values.size > 1
                else np.nan
            )
            rows.append(
                {
                    "scenario_id": scenario_id,
                    "plan_id": plan_id,
                    "metric": metric,
                    "mean": mean,
                    "se": se,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "p10": float(np.quantile(values, 0.1)) if values.size else np.nan,
                    "p50": float(np.quantile(values, 0.5)) if values.size else np.nan,
                    "p90": float(np.quantile(values, 0.9)) if values.size else np.nan,
                    "replications": n,
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Tables of one simulation run and what produced them.

    Attributes
    ----------
    rep_periods:
        One row per replication, seat and month (columns :data:`REP_PERIOD_COLUMNS`).
    deals:
        One row per deal (event engine), else an empty table with :data:`DEAL_COLUMNS`.
    metadata:
        ``scenario_id``, ``content_hash`` of the scenario file, ``seed``, ``engine``,
        ``replications``, ``spmopt_version``, ``plan_id``.
    """

    rep_periods: pd.DataFrame
    deals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(DEAL_COLUMNS)))
    metadata: dict = field(default_factory=dict)

    def rep_years(self) -> pd.DataFrame:
        """One row per replication, seat and year (see :func:`rep_years`)."""
        return rep_years(self.rep_periods)

    def replication_metrics(self) -> pd.DataFrame:
        """Company figures per replication (see :func:`replication_metrics`)."""
        return replication_metrics(self.rep_periods)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Revenue, margin, incentive and base cost, discounts lost to timing, profit, cost of
        sales, share of reps at quota and attrition (share of the reps seated at a year's start
        who leave in it): mean, standard error, confidence interval and P10/P50/P90 over
        replications."""
        return summarise(self.replication_metrics(), confidence)

    def write(self, out_dir: str | Path, file_format: str = "parquet") -> list[Path]:
        """Write the tables (``rep_periods``, ``deals``, ``summary``) and ``metadata.json``."""
        import json

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        tables = {"rep_periods": self.rep_periods, "summary": self.summary()}
        if len(self.deals):
            tables["deals"] = self.deals
        for name, table in tables.items():
            if file_format == "csv" or name == "summary":
                path = out_dir / f"{name}.csv"
                table.to_csv(path, index=False, float_format="%.10g")
            else:
                path = out_dir / f"{name}.parquet"
                table.to_parquet(path, index=False)
            written.append(path)
        meta = out_dir / "metadata.json"
        meta.write_text(json.dumps(self.metadata, indent=2, default=str) + "\n")
        written.append(meta)
        return written
