"""Generate the example roster and credits for the shipped plans (``scenarios/data/``).

Writes ``roster.csv`` (40 reps on the ``saas-ae`` and ``multi-measure`` plans) and ``credits.csv``
(their 2027 credits: bookings, and renewals and margin for the multi-measure reps), prints the
realised statistics and refreshes them in ``README.md``. Deterministic: every random number comes
from the named stream ``example_credits`` of ``RandomStreams(seed=2027)``.

Run from the repository root::

    .venv/bin/python scenarios/data/make_example_credits.py

How the data are built (figures from docs/calibration.md):

1. Each rep's target attainment is one of the 40 mid-quantiles of a right-skewed gamma
   distribution (shape 5, mean 1.0, median 0.93), assigned to reps at random, so that 40 reps
   reproduce its shares to within one rep: 44% at or above quota, 11% below 50% and 13% above
   150% (CSO Insights 51.8-57.1% at quota; practitioner design targets ~10% below threshold and
   ~10% above excellence; Alexander Group: right-skewed, most reps left of the mean).
2. Deals are lognormal in size (sigma 0.9, so a few deals make a rep's year) and dated with more
   deals in the last month of each quarter and in its last week, and most in December (Oyer
   1998; Larkin 2014). Dates on weekends and US holidays roll back to the previous working day.
   Renewals follow the same calendar (they are anniversaries of past bookings); each new-bookings
   deal of a multi-measure rep also carries a margin credit (25-35% of the deal).
3. A handful of bookings are cancelled: a negative row with the same ``deal_id`` (and a negative
   margin row for multi-measure reps), some within 180 days of booking and some later.
4. Deal sizes are then scaled per rep so that the credits the rep's plan counts (cancellations
   lower credit only within the plan's clawback window) reach the target attainment of the rep's
   (pro-rated) quota exactly; for multi-measure reps the target is the weighted attainment
   0.6 * bookings + 0.25 * renewals + 0.15 * margin, with renewals close to the book.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import spmopt
from spmopt.sim.streams import RandomStreams

HERE = Path(__file__).resolve().parent
PLANS = HERE.parent / "plans"
YEAR = 2027
YEAR_END = pd.Timestamp(f"{YEAR}-12-31")

# ---------------------------------------------------------------- population and calibration
N_SAAS_AE, N_MULTI_MEASURE = 24, 16
# mid-year starters (first of the month, so months employed are whole): quota left empty so the
# plan default is pro-rated by months employed
STARTERS = {"R021": "2027-04-01", "R023": "2027-07-01", "R038": "2027-03-01", "R040": "2027-09-01"}
# explicit roster overrides (saas-ae reps): a senior enterprise AE (quota 5x OTE) and a smaller
# territory
OVERRIDES = {
    "R001": {"base_salary": 115000, "target_incentive": 125000, "quota": 1200000},
    "R002": {"quota": 720000},
}
ATTAINMENT_SHAPE, ATTAINMENT_MEAN = 5.0, 1.0  # gamma: right-skewed, median 0.93
DEAL_SIGMA = 0.9  # lognormal sigma of deal sizes
MEAN_DEAL_USD = {"saas-ae": 45000.0, "multi-measure": 30000.0}
MEAN_RENEWAL_USD, RENEWAL_SIGMA = 50000.0, 0.7
# relative deal flow by month: last month of each quarter heavier, December heaviest (Oyer 1998)
MONTH_WEIGHTS = np.array([1.0, 1.0, 1.8, 1.0, 1.0, 1.8, 0.9, 0.9, 1.8, 1.1, 1.1, 2.4])
LAST_WEEK_SHARE = 0.5  # of deals in a quarter's last month, share pushed into its last 7 days
RAMP_MONTHS = 1  # a new hire's first deal closes no earlier than this many months after starting
N_CANCEL_EARLY, N_CANCEL_LATE = 8, 6  # cancellations within / after 180 days of booking
CLAWBACK_DAYS = 180
# US federal holidays observed in 2027 (no deal closes on them); 31 December stays a working day,
# as it is in sales (year-end close)
HOLIDAYS = np.array(
    [
        "2027-01-01",
        "2027-01-18",
        "2027-02-15",
        "2027-05-31",
        "2027-06-18",
        "2027-07-05",
        "2027-09-06",
        "2027-10-11",
        "2027-11-11",
        "2027-11-25",
        "2027-12-24",
    ],
    dtype="datetime64[D]",
)


def stratified_attainment(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` target attainments: the mid-quantiles of ``n`` equal-probability strata, in random order.

    Stratifying makes a 40-rep roster reproduce the calibrated shares (below 50%, at quota, above
    150%) to within one rep instead of leaving them to sampling noise.
    """
    strata = (rng.permutation(n) + 0.5) / n
    return stats.gamma(ATTAINMENT_SHAPE, scale=ATTAINMENT_MEAN / ATTAINMENT_SHAPE).ppf(strata)


def make_roster() -> pd.DataFrame:
    """The roster: ``rep_id, plan_id, start_date, base_salary, target_incentive, quota``."""
    rep_ids = [f"R{i:03d}" for i in range(1, N_SAAS_AE + N_MULTI_MEASURE + 1)]
    roster = pd.DataFrame(
        {
            "rep_id": rep_ids,
            "plan_id": ["saas-ae"] * N_SAAS_AE + ["multi-measure"] * N_MULTI_MEASURE,
            "start_date": [STARTERS.get(rep, "") for rep in rep_ids],
        }
    )
    for column in ("base_salary", "target_incentive", "quota"):
        roster[column] = [str(OVERRIDES.get(rep, {}).get(column, "")) for rep in rep_ids]
    return roster


def rep_frame(roster: pd.DataFrame, plans: dict[str, spmopt.Plan]) -> pd.DataFrame:
    """One row per rep: start month and the (pro-rated) quota of each measure of its plan."""
    reps = roster[["rep_id", "plan_id"]].copy()
    start = pd.to_datetime(roster["start_date"].replace("", f"{YEAR}-01-01"))
    reps["start_date"] = start
    reps["start_month"] = start.dt.month
    months_share = (13 - reps["start_month"]) / 12
    explicit = pd.to_numeric(roster["quota"], errors="coerce")
    for measure in ("bookings", "renewals", "margin"):
        default = reps["plan_id"].map(
            lambda plan_id, m=measure: (
                plans[plan_id].quota_of_measure(m).quota if m in plans[plan_id].measures else np.nan
            )
        )
        reps[f"quota_{measure}"] = explicit.where(explicit.notna(), default * months_share)
    return reps


def deal_dates(rng: np.random.Generator, first_month: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Closing dates (datetime64[D]) for deals whose rep can close from ``first_month`` (1-12)."""
    months = np.arange(1, 13)
    weights = np.where(months[None, :] >= first_month[:, None], MONTH_WEIGHTS[None, :], 0.0)
    cumulative = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    month = 1 + (cumulative < rng.uniform(size=(len(first_month), 1))).sum(axis=1)
    days_in_month = pd.to_datetime({"year": YEAR, "month": month, "day": 1}).dt.days_in_month
    days_in_month = days_in_month.to_numpy()
    uniform_day = 1 + np.floor(rng.uniform(size=len(month)) * days_in_month).astype(int)
    last_week_day = days_in_month - rng.integers(0, 7, size=len(month))
    quarter_end = month % 3 == 0
    day = np.where(
        quarter_end & (rng.uniform(size=len(month)) < LAST_WEEK_SHARE), last_week_day, uniform_day
    )
    dates = (
        pd.to_datetime({"year": YEAR, "month": month, "day": day})
        .to_numpy()
        .astype("datetime64[D]")
    )
    dates = np.busday_offset(dates, 0, roll="backward", holidays=HOLIDAYS)  # working days only
    first_day = np.busday_offset(start, 0, roll="forward", holidays=HOLIDAYS)
    return np.where(dates < first_day, first_day, dates)


def lognormal(rng: np.random.Generator, mean: float, sigma: float, size: int) -> np.ndarray:
    """Lognormal draws with the given arithmetic ``mean``."""
    return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, size=size)


def make_deals(rng: np.random.Generator, reps: pd.DataFrame, target: np.ndarray) -> pd.DataFrame:
    """Unscaled bookings deals (``raw_size``) with dates, for reps aiming at ``target`` attainment."""
    expected = target * reps["quota_bookings"].to_numpy() / reps["plan_id"].map(MEAN_DEAL_USD)
    counts = 1 + rng.poisson(expected.to_numpy())
    deals = reps.loc[reps.index.repeat(counts), ["rep_id", "plan_id", "start_date", "start_month"]]
    deals = deals.reset_index(drop=True)
    first_month = np.where(deals["start_month"] > 1, deals["start_month"] + RAMP_MONTHS, 1)
    deals["date"] = deal_dates(
        rng, np.minimum(first_month, 12), deals["start_date"].to_numpy().astype("datetime64[D]")
    )
    deals["raw_size"] = lognormal(rng, 1.0, DEAL_SIGMA, len(deals))
    deals = deals.sort_values(["date", "rep_id"], kind="stable").reset_index(drop=True)
    deals["deal_id"] = [f"D{i:05d}" for i in range(1, len(deals) + 1)]
    return deals


def choose_cancellations(rng: np.random.Generator, deals: pd.DataFrame) -> pd.Series:
    """Cancellation dates (NaT where the deal stands): some within 180 days, some after."""
    days_left = (YEAR_END - deals["date"]).dt.days.to_numpy()
    deals_per_rep = deals.groupby("rep_id")["deal_id"].transform("size").to_numpy()
    eligible = deals_per_rep >= 4  # never cancel a rep's only deals
    late = rng.choice(np.flatnonzero(eligible & (days_left >= 210)), N_CANCEL_LATE, replace=False)
    eligible[late] = False
    early = rng.choice(np.flatnonzero(eligible & (days_left >= 30)), N_CANCEL_EARLY, replace=False)
    delay = np.zeros(len(deals))
    # delays stay clear of the 180-day window edge so rolling back to a weekday cannot cross it
    delay[late] = rng.uniform(200, np.minimum(330, days_left[late]))
    delay[early] = rng.uniform(20, np.minimum(165, days_left[early]))
    cancelled = np.zeros(len(deals), dtype=bool)
    cancelled[np.concatenate([late, early])] = True
    when = deals["date"].to_numpy().astype("datetime64[D]") + delay.astype("timedelta64[D]")
    when = np.busday_offset(when, 0, roll="backward", holidays=HOLIDAYS)
    return pd.Series(np.where(cancelled, when, np.datetime64("NaT")), index=deals.index)


def make_credits(
    rng: np.random.Generator, reps: pd.DataFrame, plans: dict[str, spmopt.Plan]
) -> pd.DataFrame:
    """All credit rows, scaled so each rep's net (weighted) attainment equals its target."""
    target = stratified_attainment(rng, len(reps))
    multi = (reps["plan_id"] == "multi-measure").to_numpy()
    mm = plans["multi-measure"]
    weight = {c.measure: c.weight for c in mm.components}

    deals = make_deals(rng, reps, target)
    deals["cancel_date"] = choose_cancellations(rng, deals)
    rep_margin = pd.Series(rng.uniform(0.25, 0.35, len(reps)), index=reps["rep_id"])
    noise = rng.normal(0.0, 0.05, len(deals))
    deals["margin_pct"] = np.clip(deals["rep_id"].map(rep_margin) + noise, 0.05, 0.7)

    # renewals: attainment of the book close to 100%, mildly correlated with new business
    renewal_attainment = np.clip(1 + 0.35 * (target - 1) + rng.normal(0, 0.04, len(reps)), 0.7, 1.2)
    book = np.where(multi, reps["quota_renewals"].fillna(0.0).to_numpy(), 0.0)
    n_renewals = np.where(multi, 1 + rng.poisson(book / MEAN_RENEWAL_USD), 0)
    renewals = reps.loc[reps.index.repeat(n_renewals), ["rep_id", "start_date", "start_month"]]
    renewals = renewals.reset_index(drop=True)
    renewals["date"] = deal_dates(
        rng,
        renewals["start_month"].to_numpy(),
        renewals["start_date"].to_numpy().astype("datetime64[D]"),
    )
    renewals["raw_size"] = lognormal(rng, 1.0, RENEWAL_SIGMA, len(renewals))
    raw_total = renewals.groupby("rep_id")["raw_size"].transform("sum")
    renewed = pd.Series(renewal_attainment * book, index=reps["rep_id"])
    renewals["amount"] = renewals["raw_size"] / raw_total * renewals["rep_id"].map(renewed)
    renewals = renewals.sort_values(["date", "rep_id"], kind="stable").reset_index(drop=True)
    renewals["deal_id"] = [f"RN{i:05d}" for i in range(1, len(renewals) + 1)]

    # scale bookings so net credits hit the target: bookings attainment for saas-ae reps, the
    # weighted attainment (bookings, renewals, margin) for multi-measure reps
    # a cancellation lowers credit only within the clawback window of the rep's plan; later ones
    # are not clawed back, so the plans keep crediting the deal
    window = deals["plan_id"].map({pid: plan.clawback.window_days for pid, plan in plans.items()})
    age_days = (deals["cancel_date"] - deals["date"]).dt.days
    standing = deals[~(age_days <= window)]
    net_raw = standing.groupby("rep_id")["raw_size"].sum().reindex(reps["rep_id"]).to_numpy()
    net_raw_margin = (
        (standing["raw_size"] * standing["margin_pct"])
        .groupby(standing["rep_id"])
        .sum()
        .reindex(reps["rep_id"])
        .to_numpy()
    )
    quota_b = reps["quota_bookings"].to_numpy()
    quota_m = reps["quota_margin"].fillna(1.0).to_numpy()
    bookings_share = np.where(multi, weight["bookings"], 1.0)
    margin_share = np.where(multi, weight["margin"] * net_raw_margin / quota_m, 0.0)
    renewals_part = np.where(multi, weight["renewals"] * renewal_attainment, 0.0)
    scale = (target - renewals_part) / (bookings_share * net_raw / quota_b + margin_share)
    assert np.all(scale > 0), "a target attainment below the renewals contribution"
    deals["amount"] = deals["raw_size"] * deals["rep_id"].map(pd.Series(scale, reps["rep_id"]))

    def rows(frame: pd.DataFrame, measure: str, amount: pd.Series, date="date") -> pd.DataFrame:
        return pd.DataFrame(
            {
                "rep_id": frame["rep_id"],
                "date": pd.to_datetime(frame[date]).dt.strftime("%Y-%m-%d"),
                "measure": measure,
                "amount": amount.round(2),
                "deal_id": frame["deal_id"],
            }
        )

    on_multi = deals["plan_id"] == "multi-measure"
    margin = (deals["amount"] * deals["margin_pct"]).round(2)
    cancelled = deals["cancel_date"].notna()
    parts = [
        rows(deals, "bookings", deals["amount"].round(2)),
        rows(deals[cancelled], "bookings", -deals["amount"][cancelled].round(2), "cancel_date"),
        rows(renewals, "renewals", renewals["amount"]),
        rows(deals[on_multi], "margin", margin[on_multi]),
        rows(deals[on_multi & cancelled], "margin", -margin[on_multi & cancelled], "cancel_date"),
    ]
    credits = pd.concat(parts, ignore_index=True)
    measure_order = {"bookings": 0, "renewals": 1, "margin": 2}
    credits = credits.sort_values(
        ["date", "rep_id", "deal_id", "measure"],
        key=lambda column: column.map(measure_order) if column.name == "measure" else column,
        kind="stable",
    )
    return credits.reset_index(drop=True)


def counted_by_plan(
    credits: pd.DataFrame, reps: pd.DataFrame, plans: dict[str, spmopt.Plan]
) -> np.ndarray:
    """Mask of credit rows the rep's plan counts: cancellations outside its clawback window do not."""
    booked = credits[credits["amount"] > 0].set_index(["deal_id", "measure"])["date"]
    original = pd.MultiIndex.from_frame(credits[["deal_id", "measure"]])
    age_days = (
        pd.to_datetime(credits["date"]) - pd.to_datetime(booked.reindex(original)).to_numpy()
    ).dt.days
    plan_of_rep = reps.set_index("rep_id")["plan_id"]
    window = (
        credits["rep_id"]
        .map(plan_of_rep)
        .map({pid: plan.clawback.window_days for pid, plan in plans.items()})
    )
    return ~((credits["amount"] < 0) & (age_days > window)).to_numpy()


def attainment_of(
    credits: pd.DataFrame, reps: pd.DataFrame, plans: dict[str, spmopt.Plan]
) -> pd.Series:
    """Each rep's weighted attainment over the year: sum of weight * credited / (pro-rated) quota."""
    credited = credits.pivot_table(
        index="rep_id", columns="measure", values="amount", aggfunc="sum", fill_value=0.0
    ).reindex(reps["rep_id"], fill_value=0.0)
    attainment = pd.Series(0.0, index=reps["rep_id"])
    for plan_id, plan in plans.items():
        on_plan = (reps["plan_id"] == plan_id).to_numpy()
        for component in plan.components:
            quota = reps[f"quota_{component.measure}"].to_numpy()[on_plan]
            share = credited[component.measure].to_numpy()[on_plan] / quota
            attainment[on_plan] += component.weight * share
    return attainment


def summarise(credits: pd.DataFrame, reps: pd.DataFrame, plans: dict[str, spmopt.Plan]) -> str:
    """The realised statistics of the data set, as a Markdown table.

    Attainment is as the plans credit it (cancellations outside the plan's clawback window do
    not lower it, as in ``spmopt.statements``), and also net of every cancellation.
    """
    attainment = attainment_of(credits[counted_by_plan(credits, reps, plans)], reps, plans)
    net = attainment_of(credits, reps, plans)

    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    def shares(a: pd.Series) -> str:
        return f"{pct((a >= 1).mean())} / {pct((a < 0.5).mean())} / {pct((a > 1.5).mean())}"

    on_plan = reps["plan_id"].value_counts()
    rows_by_measure = credits["measure"].value_counts()
    is_bookings = credits["measure"] == "bookings"
    bookings = credits[is_bookings & (credits["amount"] > 0)]
    cancels = credits[is_bookings & (credits["amount"] < 0)]
    booked_on = bookings.set_index("deal_id")["date"]
    cancel_age = (
        pd.to_datetime(cancels["date"]) - pd.to_datetime(cancels["deal_id"].map(booked_on))
    ).dt.days
    date = pd.to_datetime(bookings["date"])
    value = bookings["amount"]
    days_to_quarter_end = (date + pd.offsets.QuarterEnd(0) - date).dt.days

    statistics = {
        "reps (saas-ae / multi-measure)": (
            f"{len(reps)} ({on_plan['saas-ae']} / {on_plan['multi-measure']})"
        ),
        "mid-year starters (pro-rated quota)": f"{(reps['start_month'] > 1).sum()}",
        "reps at or above quota / below 50% / above 150%": shares(attainment),
        "same, net of all cancellations": shares(net),
        "attainment median / mean": f"{attainment.median():.2f} / {attainment.mean():.2f}",
        "attainment skewness; reps below the mean": (
            f"{stats.skew(attainment):.2f}; {pct((attainment < attainment.mean()).mean())}"
        ),
        "attainment min / max": f"{attainment.min():.2f} / {attainment.max():.2f}",
        "credit rows (bookings / renewals / margin)": (
            f"{len(credits)} ({rows_by_measure['bookings']} / {rows_by_measure['renewals']} / "
            f"{rows_by_measure['margin']})"
        ),
        "bookings deals; deals per rep (median)": (
            f"{len(bookings)}; {bookings.groupby('rep_id').size().median():.0f}"
        ),
        "deal size median / mean / P90 / max (USD)": (
            f"{value.median():,.0f} / {value.mean():,.0f} / {value.quantile(0.9):,.0f} / "
            f"{value.max():,.0f}"
        ),
        "bookings value in the last month of a quarter (share of days: 33.4%)": pct(
            value[date.dt.month % 3 == 0].sum() / value.sum()
        ),
        "bookings deals in the last 7 days of a quarter (share of days: 7.7%)": pct(
            (days_to_quarter_end < 7).mean()
        ),
        "bookings value in Q4 (share of days: 25.2%)": pct(
            value[date.dt.quarter == 4].sum() / value.sum()
        ),
        "cancellations of bookings (within / after 180 days)": (
            f"{len(cancels)} ({(cancel_age <= CLAWBACK_DAYS).sum()} / "
            f"{(cancel_age > CLAWBACK_DAYS).sum()})"
        ),
        "cancelled bookings value (USD)": f"{-cancels['amount'].sum():,.2f}",
    }
    lines = ["| statistic | realised |", "|---|---|"]
    lines += [f"| {name} | {figure} |" for name, figure in statistics.items()]
    return "\n".join(lines)


def refresh_readme(table: str) -> None:
    """Replace the statistics between the markers in README.md (if present)."""
    readme = HERE / "README.md"
    if not readme.exists():
        return
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- stats:start -->\n).*?(<!-- stats:end -->)", re.DOTALL)
    readme.write_text(
        pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text), encoding="utf-8"
    )


def main() -> None:
    plans = {
        plan_id: spmopt.Plan.load(PLANS / f"{plan_id}.toml")
        for plan_id in ("saas-ae", "multi-measure")
    }
    rng = RandomStreams(seed=YEAR).generator("example_credits")
    roster = make_roster()
    reps = rep_frame(roster, plans)
    credits = make_credits(rng, reps, plans)
    roster.to_csv(HERE / "roster.csv", index=False)
    credits.to_csv(HERE / "credits.csv", index=False, float_format="%.2f")
    table = summarise(credits, reps, plans)
    refresh_readme(table)
    print(
        f"wrote {HERE / 'roster.csv'} ({len(roster)} reps) and {HERE / 'credits.csv'} ({len(credits)} rows)"
    )
    print(table)


if __name__ == "__main__":
    main()
