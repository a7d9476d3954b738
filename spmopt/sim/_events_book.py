"""Book-keeping of one replication of the event engine: what happens at month opens, month
closes, month-end attrition and year closes, vectorised over the seats (docs/simulation-model.md).

The SimPy side (:mod:`spmopt.sim.events`) schedules deals as events and calls these steps at the
right simulated times; the steps call the shared model (:mod:`spmopt.sim.model`), the behaviour
models (:mod:`spmopt.reps.behaviour`) and the payout arithmetic (:mod:`spmopt.plan.earnings`).
Times are months from the start of the horizon; month ``M = 12·year + m`` spans ``[M, M + 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmopt.errors import SpmoptInputError
from spmopt.plan.earnings import CreditRows, Quotas, RepTerms, plan_earnings, to_cents
from spmopt.plan.model import MONTHS_PER_PERIOD, Component
from spmopt.reps.behaviour.attrition import Workforce
from spmopt.reps.population import RepArrays
from spmopt.reps.seasonality import MONTHS
from spmopt.reps.situation import Situation
from spmopt.reps.technology import DealSales
from spmopt.sim._events_draws import (
    CLOSE,
    CREATED,
    LAG,
    PULLED,
    PUSHED,
    DealPool,
    DealStore,
    pool_slots,
)
from spmopt.sim.model import Segment, SimulationModel, YearDecisions, closing_lag_table, exposure
from spmopt.sim.streams import RandomStreams

EDGE = 1e-9  # random times stay this far inside their month [months]
PULL_OFFSET = 1e-6  # a pulled piece is recorded as closing this long before its month's end
EFFORT_FOR_POOLS = 3.0  # effort at which deal pools are sized (a larger effort only overflows)
PERIOD_NAMES = {months: name for name, months in MONTHS_PER_PERIOD.items()}
MONTH_COLUMNS = {  # rep_periods columns filled month by month, and their dtypes
    "occupied": bool,
    "tenure_months": float,
    "effort": float,
    "attainment_seen": float,
    "deals_closed": np.int64,
    "closings": float,
    "pulled": float,
    "pushed": float,
    "discount_lost": float,
    "credited": float,
    "revenue": float,
    "margin": float,
    "quota": float,
    "incentive": float,
    "base_pay": float,
    "quit": bool,
    "hired": bool,
}


@dataclass(frozen=True, eq=False)
class SegmentLayout:
    """A segment's seats and the fixed parts of its market and plan."""

    code: int
    name: str
    segment: Segment
    seats: np.ndarray
    reps: RepArrays
    component: Component
    measures: tuple[str, ...]
    period_months: int
    lags: np.ndarray  # (12, L), row c: lags of deals created in plan month c
    lag_cdf: np.ndarray  # (12, L, L), [c, d]: CDF of the lag given lag ≥ d (see _lag_cdf)
    per_transaction: bool
    hire_period_quota: np.ndarray  # (12, 12): row s, a hire from month s (see _hire_period_quota)

    @property
    def deals(self) -> bool:
        return isinstance(self.segment.technology, DealSales)

    @property
    def period_name(self) -> str:
        return PERIOD_NAMES[self.period_months]


def _hire_period_quota(plan, component: Component) -> np.ndarray:
    """The quotas of a rep hired into ``plan`` (the plan's terms, prorated like the statements
    engine) from each plan month: row s (hired at the start of month s), column m the quota of
    the measurement period containing month m (0 before the hire's first period) [currency].

    A hire's terms do not depend on the seat, so the (12, 12) table serves every hire.
    """
    start = np.arange(MONTHS)
    unknown = np.full(MONTHS, np.nan)  # NaN: the plan's target incentive and quotas
    terms = RepTerms.build(
        plan,
        np.full(MONTHS, "hire"),
        start_month=start,
        target_incentive=unknown,
        quota={c.id: unknown for c in plan.components},
    )
    return Quotas.of(component, terms).of_period(component.measurement_period)


def _lag_cdf(lags: np.ndarray) -> np.ndarray:
    """(…, L, L): for each row of lags (…, L), row d holds the cumulative distribution of the
    closing lag given lag ≥ d over d, d + 1, …, L − 1, then +inf (above every uniform); inverse
    CDF sampling searches it."""
    size = lags.shape[-1]
    table = np.full(lags.shape[:-1] + (size, size), np.inf)
    for d in range(size):
        rest = lags[..., d:]
        table[..., d, : size - d] = np.cumsum(rest, axis=-1) / rest.sum(axis=-1, keepdims=True)
    return table


def _measurement_months(plan, members, technology) -> int:
    """The plan's measurement period in months (the components' when bonuses differ)."""
    try:
        return Situation(plan, members, technology).measurement_months
    except SpmoptInputError:  # bonuses over other periods: effort models without timing cope
        return plan.quota_of_measure(plan.measures[0]).months_per_measurement_period


@dataclass(frozen=True, eq=False)
class Layout:
    """What every replication of one model shares: seats, segments, per-seat constants."""

    model: SimulationModel
    rep_ids: np.ndarray
    segments: tuple[SegmentLayout, ...]
    seat_segment: np.ndarray  # segment code per seat
    base_sales: np.ndarray
    effectiveness: np.ndarray
    ramp_months: np.ndarray
    risk_aversion: np.ndarray
    gross_margin: np.ndarray
    size_mean: np.ndarray  # deal size mean per seat (inf for normal sales: rate 0)
    size_log_mu: np.ndarray
    size_sigma: np.ndarray
    sales_sd: np.ndarray  # σ of annual normal sales per seat (0 for deal sales)
    deal_seat: np.ndarray  # bool: the seat's segment sells deals
    plan_quota: np.ndarray
    initial_quotas: np.ndarray  # model.initial_quotas(), the first year's quota per seat
    year_slots: int
    pipeline_slots: int
    max_lag: int

    @classmethod
    def of(cls, model: SimulationModel) -> Layout:
        n = model.seats
        population = model.population
        reps = population.arrays
        seat_segment = np.full(n, -1, dtype=np.int64)
        gross_margin, size_mean = np.zeros(n), np.full(n, np.inf)
        size_log_mu, size_sigma, sales_sd = np.zeros(n), np.zeros(n), np.zeros(n)
        plan_quota = np.zeros(n)
        segments = []
        year_rate, pipeline_rate, max_lag = 0.0, 0.0, 1
        for code, (name, seats) in enumerate(model.segment_seats().items()):
            if seats.size == 0:
                continue
            segment = model.segments[name]
            members = population.select(np.isin(np.arange(n), seats))
            plan = segment.plan
            lags = closing_lag_table(segment.technology)  # (12, L): a row per creation month
            max_lag = max(max_lag, lags.shape[1])
            measures = tuple(
                dict.fromkeys(
                    [c.measure for c in plan.components] + [b.measure for b in plan.bonuses]
                )
            )
            component = plan.quota_of_measure(plan.measures[0])
            segments.append(
                SegmentLayout(
                    code=code,
                    name=name,
                    segment=segment,
                    seats=seats,
                    reps=members.arrays,
                    component=component,
                    measures=measures,
                    period_months=_measurement_months(plan, members, segment.technology),
                    lags=lags,
                    lag_cdf=_lag_cdf(lags),
                    per_transaction=any(c.evaluation == "per_transaction" for c in plan.components),
                    hire_period_quota=_hire_period_quota(plan, component),
                )
            )
            seat_segment[seats] = code
            gross_margin[seats] = segment.gross_margin
            plan_quota[seats] = segment.plan_quota
            technology = segment.technology
            if isinstance(technology, DealSales):
                size_mean[seats] = technology.deal_size_mean
                size_log_mu[seats] = technology.size_log_mu
                size_sigma[seats] = technology.deal_size_sigma
                annual = (reps.base_sales[seats] + EFFORT_FOR_POOLS * reps.effectiveness[seats]) / (
                    technology.deal_size_mean
                )
                tails = np.cumsum(lags[:, ::-1], axis=1)[:, ::-1].max(axis=0)
                year_rate = max(year_rate, float(annual.max()))
                pipeline_rate = max(
                    pipeline_rate,
                    float(annual.max() * segment.seasonality.weights.max() * tails[1:].sum()),
                )
            else:
                sales_sd[seats] = technology.sd_annual(members.arrays)
        return cls(
            model=model,
            rep_ids=population.column("rep_id").astype(str),
            segments=tuple(segments),
            seat_segment=seat_segment,
            base_sales=reps.base_sales,
            effectiveness=reps.effectiveness,
            ramp_months=reps.ramp_months,
            risk_aversion=reps.risk_aversion,
            gross_margin=gross_margin,
            size_mean=size_mean,
            size_log_mu=size_log_mu,
            size_sigma=size_sigma,
            sales_sd=sales_sd,
            deal_seat=np.isfinite(size_mean),
            plan_quota=plan_quota,
            initial_quotas=model.initial_quotas(),
            year_slots=pool_slots(year_rate),
            pipeline_slots=pool_slots(pipeline_rate),
            max_lag=max_lag,
        )

    @property
    def seats(self) -> int:
        return self.rep_ids.shape[0]

    @property
    def horizon(self) -> int:
        return MONTHS * self.model.years


@dataclass
class NewDeals:
    """Deals to schedule: store indices, closing month, creation and closing times."""

    index: np.ndarray
    close_month: np.ndarray
    created: np.ndarray
    closed: np.ndarray


class Book:
    """The state and records of one replication (arrays over seats), advanced step by step."""

    def __init__(
        self, layout: Layout, streams: RandomStreams, replication: int, timing_discount: float
    ):
        model = layout.model
        self.layout = layout
        self.model = model
        self.streams = streams
        self.replication = replication
        self.discount = timing_discount
        self.generators = {
            name: streams.generator(name, replication=replication)
            for name in ("deals", "pipeline", "sales", "attrition")
        }
        n, horizon = layout.seats, layout.horizon
        self.workforce = Workforce.start(model.population.column("tenure_months").astype(float))
        self.store = DealStore(capacity=24 * n)  # grows by doubling
        self.next_deal_id = 0
        slots = horizon + layout.max_lag + 2
        self.closed: list[list[int] | None] = [[] for _ in range(slots)]
        self.recorded: list[np.ndarray] = []
        # month by month (horizon, N): a month's values are contiguous (see ``rows``)
        self.months = {name: np.zeros((horizon, n), dtype=t) for name, t in MONTH_COLUMNS.items()}
        self.quota = layout.initial_quotas.copy()  # of the seat's current (or next) rep this year
        self.year_quota = self.quota  # of the reps in their seats at the year's start
        self.next_quota = self.quota
        self.spell_credit = np.zeros((n, MONTHS))
        self.period_quota = np.zeros((n, MONTHS))
        self.attainment = np.zeros(n)
        self.effort = np.zeros(n)
        self.hired = np.zeros(n, dtype=bool)
        self.year = 0
        # normal sales pulled into a period's last month: face value owed by each seat's next
        # month's sales, and the deal id that month's sales take (−1: nothing pulled)
        self.owed = np.zeros(n)
        self.owed_id = np.full(n, -1, dtype=np.int64)
        self.decisions: YearDecisions | None = None
        self.pool: DealPool | None = None

    # ------------------------------------------------------------------ helpers
    def _overflow(self, block: str):
        rep_ids = self.layout.rep_ids

        def generator(seat: int) -> np.random.Generator:
            return self.streams.generator(
                "deals", replication=self.replication, rep=f"{rep_ids[seat]}/{block}"
            )

        return generator

    def _new_ids(self, count: int) -> np.ndarray:
        ids = np.arange(self.next_deal_id, self.next_deal_id + count)
        self.next_deal_id += count
        return ids

    def _exposure(self, month, tenure: np.ndarray) -> np.ndarray:
        """Seasonality × ramp of every seat in plan month ``month`` at ``tenure`` (N,); or in
        months ``month`` (B,) at ``tenure`` (N, B) [share of annual output]."""
        x = np.zeros(tenure.shape)
        ramp = self.layout.ramp_months.reshape((-1,) + (1,) * (tenure.ndim - 1))
        for seg in self.layout.segments:
            x[seg.seats] = exposure(
                self.model, seg.segment, month % MONTHS, tenure[seg.seats], ramp[seg.seats]
            )
        return x

    def _lags(self, seat: np.ndarray, u: np.ndarray, created, after=0) -> np.ndarray:
        """Closing lags d ≥ ``after`` by inverse CDF of ``u`` (conditional on d ≥ after) [months]
        of deals created in plan month ``created`` (0–11, the lag table's row); ``created`` and
        ``after`` are one number each (new deals) or one per deal (the initial pipeline).

        The lag is ``after`` plus the number of CDF values at or below ``u`` (a search of the
        sorted CDF), at most its last."""
        lag = np.zeros(seat.shape, dtype=np.int64)
        codes = self.layout.seat_segment[seat]
        for seg in self.layout.segments:
            size = seg.lags.shape[1]
            mine = (codes == seg.code) & (np.asarray(after) < size)
            if not seg.deals or not mine.any():
                continue
            if np.ndim(after):  # one search per deal: count the CDF values ≤ u
                start = after[mine]
                drawn = (seg.lag_cdf[created[mine], start] <= u[mine, None]).sum(axis=1)
            else:
                start = after
                drawn = np.searchsorted(seg.lag_cdf[created, after], u[mine], side="right")
            lag[mine] = start + np.minimum(drawn, size - 1 - start)
        return lag

    def _sizes(self, seat: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.exp(self.layout.size_log_mu[seat] + self.layout.size_sigma[seat] * z)

    def _terms(self, seg: SegmentLayout, seats, start, hire) -> RepTerms:
        """Plan terms of rep spells in ``seats`` from plan month ``start``: a rep in the seat at
        the year's start has the seat's quota for the year (every component scaled alike) and
        its target incentive; a new ``hire`` has the plan's, prorated like the statements
        engine."""
        plan = seg.segment.plan
        ratio = np.where(hire, np.nan, self.year_quota[seats] / self.layout.plan_quota[seats])
        return RepTerms.build(
            plan,
            self.layout.rep_ids[seats],
            start_month=start,
            target_incentive=np.where(hire, np.nan, self.decisions.target_incentive[seats]),
            quota={c.id: c.quota * ratio for c in plan.components},
        )

    def _start_spells(self, seats: np.ndarray, start: int, hire: np.ndarray) -> None:
        """New rep spells in ``seats`` from plan month ``start`` (hires where ``hire``): the
        quotas of their measurement periods, no credit yet.

        Attainment is credit over the period's quota: quota × months per period / 12 for a rep
        in the seat from the year's start, the plan's prorated quota for a hire.
        """
        for seg in self.layout.segments:
            mine = self.layout.seat_segment[seats] == seg.code
            if not mine.any():
                continue
            seat, new = seats[mine], hire[mine]
            flat = self.year_quota[seat] * seg.period_months / MONTHS
            self.period_quota[seat] = np.where(
                new[:, None], seg.hire_period_quota[start], flat[:, None]
            )
        self.spell_credit[seats] = 0.0
        self.attainment[seats] = 0.0

    def _due(self, absolute: int) -> np.ndarray:
        """The deals (pieces) created so far that are due to close in month ``absolute``."""
        store = self.store
        return np.flatnonzero(store.close_month[: store.size] == absolute)

    def _period_credit(self, seats: np.ndarray, month: int, period_months: int) -> np.ndarray:
        """Credit of the seats' current spells in the measurement period before ``month``."""
        first = (month // period_months) * period_months
        return self.spell_credit[seats, first:month].sum(axis=1)

    # ------------------------------------------------------------------ steps
    def begin_year(self, year: int, decisions: YearDecisions) -> None:
        """Plan year ``year`` starts: the year's quotas, spells and deal pool."""
        self.year = year
        self.decisions = decisions
        if year > 0:  # a rep hired at the year's start has the plan's quota
            self.quota = np.where(self.hired, self.layout.plan_quota, self.next_quota)
        self.year_quota = self.quota.copy()
        self.period_quota[:] = 0.0
        seats = np.flatnonzero(self.workforce.active)
        self._start_spells(seats, 0, hire=self.hired[seats])
        if self.layout.deal_seat.any():
            self.pool = DealPool(
                self.generators["deals"],
                self.layout.seats,
                MONTHS,
                self.layout.year_slots,
                self._overflow(f"year{year}"),
            )

    def pipeline(self) -> NewDeals:
        """The initial pipeline: deals created in the ``len(lags) − 1`` months before the start
        that close in month 0 or later, at the seats' month-0 effort and the exposure of the
        same calendar month (the rep's tenure then, at least 0), drawn as the thinned Poisson
        counts of those deals."""
        layout = self.layout
        n = layout.seats
        effort = self.decisions.effort(np.arange(n), 0, np.zeros(n))
        tenure = self.workforce.tenure_months
        level = layout.base_sales + layout.effectiveness * effort
        back = np.arange(1, layout.max_lag)  # months before the start: one column each
        pool = DealPool(
            self.generators["pipeline"],
            n,
            back.size,
            layout.pipeline_slots,
            self._overflow("pipeline"),
        )
        x = self._exposure(-back, np.maximum(tenure[:, None] - back, 0.0))
        deal_seat = layout.deal_seat[:, None]
        rate = np.where(deal_seat, x * level[:, None], 0.0)
        with np.errstate(invalid="ignore"):
            rate = np.where(deal_seat, rate / layout.size_mean[:, None], 0.0)
        created = (-back) % MONTHS  # plan month of creation of each column
        for seg in layout.segments:  # the share of those deals still open at the start
            rate[seg.seats] *= [
                seg.lags[c, b:].sum() if seg.deals and b < seg.lags.shape[1] else 0.0
                for c, b in zip(created, back, strict=True)
            ]
        column, seat, u, z = pool.take_months(0, rate)
        if seat.size == 0:
            return self._add_deals([])
        back = back[column]
        created = -back + u[:, CREATED] * (1 - EDGE)
        close_month = -back + self._lags(seat, u[:, LAG], (-back) % MONTHS, after=back)
        closed = close_month + u[:, CLOSE] * (1 - EDGE)
        return self._add_deals([(seat, created, close_month, closed, self._sizes(seat, z))])

    def _add_deals(self, parts) -> NewDeals:
        if not parts:
            empty = np.zeros(0)
            return NewDeals(empty.astype(np.int64), empty.astype(np.int64), empty, empty)
        seat, created, close_month, closed, size = (
            np.concatenate(p) for p in zip(*parts, strict=True)
        )
        index = self.store.add(
            self._new_ids(seat.size), seat, created, closed, size, close_month=close_month
        )
        return NewDeals(index, close_month, created, closed)

    def open_month(self, month: int) -> NewDeals:
        """Steps 1–3 of month ``month``: review, effort, new business. Returns the new deals
        (to be created as events); normal sales are booked straight into the month."""
        layout, decisions, months = self.layout, self.decisions, self.months
        absolute = MONTHS * self.year + month
        occupied = self.workforce.active.copy()
        tenure = self.workforce.tenure_months.copy()
        for seg in layout.segments:  # 1. review
            if month in decisions.review_months(seg.name):
                seats = seg.seats
                quota = self.period_quota[seats, month]
                credit = self._period_credit(seats, month, seg.period_months)
                with np.errstate(divide="ignore", invalid="ignore"):
                    seen = np.where(occupied[seats] & (quota > 0), credit / quota, 0.0)
                self.attainment[seats] = seen
        effort = decisions.effort(np.arange(layout.seats), month, self.attainment)  # 2. effort
        effort = np.where(occupied, effort, 0.0)
        self.effort = effort
        x = self._exposure(month, tenure)  # 3. new business
        expected = x * (layout.base_sales + layout.effectiveness * effort)
        for name, values in (
            ("occupied", occupied),
            ("tenure_months", np.where(occupied, tenure, 0.0)),
            ("effort", effort),
            ("attainment_seen", np.where(occupied, self.attainment, 0.0)),
            ("quota", self.quota),
            ("hired", self.hired),
            ("base_pay", np.where(occupied, decisions.base_salary / MONTHS, 0.0)),
        ):
            months[name][absolute] = values
        parts = []
        if self.pool is not None:
            selling = layout.deal_seat & occupied
            with np.errstate(invalid="ignore"):
                rate = np.where(selling, expected / layout.size_mean, 0.0)
            seat, u, z = self.pool.take(month, rate)
            if seat.size:
                created = absolute + u[:, CREATED] * (1 - EDGE)
                lag = self._lags(seat, u[:, LAG], month)
                close_month = absolute + lag
                same = created + u[:, CLOSE] * (absolute + 1 - EDGE - created)
                later = close_month + u[:, CLOSE] * (1 - EDGE)
                closed = np.where(lag == 0, same, later)
                parts.append((seat, created, close_month, closed, self._sizes(seat, z)))
        if not layout.deal_seat.all():
            noise = self.generators["sales"].standard_normal(layout.seats)
            self._normal_sales(absolute, occupied, expected, x, noise)
        return self._add_deals(parts)

    def _normal_sales(self, absolute, occupied, expected, x, noise) -> None:
        """Book the month's normal sales, one row per seat selling (closing mid-month), less
        what the last month pulled from them (also in a vacant seat, which then books −owed)."""
        layout = self.layout
        owed = self.owed != 0.0
        seat = np.flatnonzero(~layout.deal_seat & (occupied | owed))
        sales = expected[seat] + np.sqrt(x[seat]) * layout.sales_sd[seat] * noise[seat]
        ids = self._new_ids(seat.size)
        if owed.any():
            sales = np.where(occupied[seat], sales, 0.0) - self.owed[seat]
            ids = np.where(owed[seat], self.owed_id[seat], ids)
            self.owed[:] = 0.0
            self.owed_id[:] = -1
        index = self.store.add(ids, seat, absolute + 0.5, absolute + 0.5, sales)
        self.closed[absolute].extend(index.tolist())

    def close_month(self, month: int) -> NewDeals:
        """Steps 4–6 of month ``month``: closings, timing at a measurement period's end, credit
        and revenue. Returns the pushed pieces (to be closed as events next month)."""
        layout, store, months = self.layout, self.store, self.months
        n = layout.seats
        absolute = MONTHS * self.year + month
        occupied = months["occupied"][absolute]
        index = np.asarray(self.closed[absolute], dtype=np.int64)  # 4. closings
        seat = store.seat[index]
        closings = np.bincount(seat, weights=store.amount[index], minlength=n)
        pulled, pushed = self._timing(month, absolute, occupied, closings)  # 5. timing
        pieces = []
        if pulled.any():
            pieces.append(self._pull(absolute, pulled))
        moved = NewDeals(*(np.zeros(0, dtype=t) for t in (np.int64, np.int64, float, float)))
        if pushed.any():
            moved = self._push(absolute, index, seat, closings, pushed)
        keep = index[store.amount[index] != 0.0]  # 6. credit and revenue
        store.credited[keep] = np.where(occupied[store.seat[keep]], store.amount[keep], 0.0)
        recorded = np.concatenate([keep, *pieces])
        self.recorded.append(recorded)
        credited = np.where(occupied, closings - pushed + (1 - self.discount) * pulled, 0.0)
        revenue = np.where(occupied, credited, closings)
        for name, values in (
            ("deals_closed", np.bincount(store.seat[recorded], minlength=n)),
            ("closings", closings),
            ("pulled", pulled),
            ("pushed", pushed),
            ("discount_lost", self.discount * pulled),
            ("credited", credited),
            ("revenue", revenue),
            ("margin", revenue * layout.gross_margin),
        ):
            months[name][absolute] = values
        self.spell_credit[:, month] = credited
        self.closed[absolute] = None
        return moved

    def _timing(self, month, absolute, occupied, closings):
        """Timing decisions of occupied seats whose measurement period ends this month."""
        n = self.layout.seats
        pulled, pushed = np.zeros(n), np.zeros(n)
        timing = self.model.behaviour.timing
        if timing.name == "none":
            return pulled, pushed
        ending = [seg for seg in self.layout.segments if (month + 1) % seg.period_months == 0]
        if not ending:
            return pulled, pushed
        self._due_next = due = self._due(absolute + 1)
        due_face = np.bincount(self.store.seat[due], weights=self.store.amount[due], minlength=n)
        tenure = self.months["tenure_months"][absolute]
        for seg in ending:  # pullable: deals due next month, or normal sales expected then
            position = np.flatnonzero(occupied[seg.seats])
            seats = seg.seats[position]
            if seats.size == 0:
                continue
            reps = seg.reps.take(position)
            effort = self.effort[seats]
            ahead = np.zeros(seats.size)
            for j in range(seg.period_months):  # next period's exposure at the rep's tenure
                month_share = exposure(
                    self.model,
                    seg.segment,
                    (month + 1 + j) % MONTHS,
                    tenure[seats] + 1 + j,
                    self.layout.ramp_months[seats],
                )
                ahead += month_share
                if j == 0:
                    next_month = month_share
            technology = seg.segment.technology
            credit = self._period_credit(seats, month, seg.period_months) + closings[seats]
            if seg.deals:
                pullable = due_face[seats]
            else:
                pullable = technology.mean(reps, effort, next_month)
            decision = timing.decide(
                self.decisions.situations[seg.name].period_pay.take(position),
                credit,
                timing.pull_share * pullable,
                timing.push_share * closings[seats],
                technology.mean(reps, effort, ahead),
                np.sqrt(technology.variance(reps, effort, ahead)),
                self.layout.risk_aversion[seats],
            )
            pulled[seats] = decision.pulled
            pushed[seats] = decision.pushed
        self._due_face = due_face
        return pulled, pushed

    def _pull(self, absolute: int, pulled: np.ndarray) -> np.ndarray:
        """Take ``pulled`` pro rata from every deal due next month (deal sales), or from next
        month's sales (normal sales: a piece of face value ``pulled``, which next month's sales
        then owe); close the parts now at the discounted price. Returns the pulled pieces'
        indices."""
        store = self.store
        due = self._due_next
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self._due_face > 0, pulled / self._due_face, 0.0)
        take = share[store.seat[due]] * store.amount[due]
        due = due[take > 0]
        take = take[take > 0]
        store.amount[due] -= take
        ahead = np.flatnonzero(~self.layout.deal_seat & (pulled > 0))
        ids = self._new_ids(ahead.size)
        self.owed[ahead] = pulled[ahead]
        self.owed_id[ahead] = ids
        closed = absolute + 1 - PULL_OFFSET
        take = np.concatenate([take, pulled[ahead]])
        pieces = store.add(
            np.concatenate([store.deal_id[due], ids]),
            np.concatenate([store.seat[due], ahead]),
            np.concatenate([store.created[due], np.full(ahead.size, closed)]),
            closed,
            take,
            PULLED,
            close_month=absolute,
        )
        store.credited[pieces] = (1 - self.discount) * take
        store.discount[pieces] = self.discount * take
        return pieces

    def _push(self, absolute, index, seat, closings, pushed) -> NewDeals:
        """Move ``pushed`` pro rata from this month's closings to next month."""
        store = self.store
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(closings != 0, pushed / closings, 0.0)
        move = share[seat] * store.amount[index]
        index = index[move != 0]
        move = move[move != 0]
        store.amount[index] -= move
        closed = store.closed[index] + 1.0
        pieces = store.add(
            store.deal_id[index],
            store.seat[index],
            store.created[index],
            closed,
            move,
            PUSHED,
            close_month=absolute + 1,
        )
        return NewDeals(pieces, np.full(pieces.size, absolute + 1), store.created[pieces], closed)

    def end_month(self, month: int) -> None:
        """Step 8: attrition at the month's end; vacancies count down and are refilled."""
        absolute = MONTHS * self.year + month
        attrition = self.model.behaviour.attrition
        self.workforce, quits, hires = attrition.step(
            self.workforce, self.decisions.hazard, self.generators["attrition"]
        )
        self.months["quit"][absolute] = quits
        # a leaver's seat carries the plan's quota for its next rep; so does a hire's
        self.quota = np.where(quits | hires, self.layout.plan_quota, self.quota)
        self.hired = hires
        if month + 1 < MONTHS and hires.any():
            seats = np.flatnonzero(hires)
            self._start_spells(seats, month + 1, hire=np.ones(seats.size, dtype=bool))

    def close_year(self) -> None:
        """Step 7 for the whole year (pay of every rep spell) and next year's quotas."""
        layout = self.layout
        year = slice(MONTHS * self.year, MONTHS * (self.year + 1))
        occupied, credited, hired = (
            np.ascontiguousarray(self.months[name][year].T)  # (N, 12)
            for name in ("occupied", "credited", "hired")
        )
        starts = occupied & (hired | (np.arange(MONTHS) == 0))
        label = (np.cumsum(starts.ravel()) - 1).reshape(starts.shape)
        spell_seat, spell_start = np.nonzero(starts)
        spell_hire = hired[spell_seat, spell_start]
        monthly = np.zeros((spell_seat.size, MONTHS))
        cell_seat, cell_month = np.nonzero(occupied)
        monthly[label[occupied], cell_month] = credited[occupied]
        earned = np.zeros((spell_seat.size, MONTHS))
        for seg in layout.segments:
            mine = np.flatnonzero(layout.seat_segment[spell_seat] == seg.code)
            if mine.size == 0:
                continue
            earned[mine] = self._spell_earnings(
                seg, spell_seat[mine], spell_start[mine], spell_hire[mine], monthly[mine]
            )
        change = np.diff(earned, axis=1, prepend=0.0)
        incentive = np.zeros(occupied.shape)
        incentive[occupied] = change[label[occupied], cell_month]
        self.months["incentive"][year] = (incentive / 100.0).T
        revision = self.model.quota_revision
        if revision is None:
            self.next_quota = self.layout.initial_quotas.copy()
        else:  # from the seat's credited sales; the plan's quota where the rep left
            self.next_quota = revision.revise(self.quota, credited.sum(axis=1))

    def _spell_earnings(self, seg, seats, start, hire, monthly) -> np.ndarray:
        """Earnings to date [cents] (R, 12) of rep spells from their monthly credited amounts."""
        plan = seg.segment.plan
        terms = self._terms(seg, seats, start, hire)
        cents = to_cents(monthly)
        rows = None
        if seg.per_transaction:  # one credit per spell-month (the monthly credited amount)
            spell, month = np.nonzero(cents)
            credit = CreditRows(spell, month, cents[spell, month])
            rows = dict.fromkeys(seg.measures, credit)
        result = plan_earnings(plan, terms, dict.fromkeys(seg.measures, cents), rows)
        return result.total_to_date.astype(float)

    @property
    def rows(self) -> dict[str, np.ndarray]:
        """The ``rep_periods`` columns filled so far, each (N, horizon)."""
        return {name: np.ascontiguousarray(values.T) for name, values in self.months.items()}

    @property
    def tenure_months(self) -> np.ndarray:
        """Tenure of the seats' reps now (0 for a vacant seat)."""
        return np.where(self.workforce.active, self.workforce.tenure_months, 0.0)

    def deal_columns(self) -> dict[str, np.ndarray]:
        """Columns of every recorded deal piece, in closing order."""
        store = self.store
        index = np.concatenate(self.recorded) if self.recorded else np.zeros(0, np.int64)
        return {
            "rep_index": store.seat[index],
            "deal_id": store.deal_id[index],
            "created": store.created[index],
            "closed": store.closed[index],
            "amount": store.amount[index],
            "credited_amount": store.credited[index],
            "discount": store.discount[index],
            "timing": store.timing[index],
        }
