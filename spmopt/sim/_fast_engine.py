"""The monthly step of the fast engine over a chunk of replications (see :mod:`spmopt.sim.fast`).

State arrays are (R, N) over the chunk's replications and the seats; the pipeline is a ring
buffer (L, R·N) of face value and deal count due in month t at slot t mod L (L = the longest
closing-lag table; a deal's lag is drawn from the row of its creation month). Every step calls
the shared model (``exposure``, ``closing_lag_table``, the year's decisions), the behaviour
models and the payout arithmetic; only the scheduling of random events is the engine's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmopt.errors import SpmoptInputError
from spmopt.plan.earnings import Quotas, RepTerms
from spmopt.reps.population import Population
from spmopt.reps.situation import Situation
from spmopt.reps.technology import DealSales
from spmopt.sim._fast_draws import (
    ChunkStreams,
    DealDraws,
    LagSampler,
    SlotLayout,
    lag_cdf,
    poisson_by_inversion,
)
from spmopt.sim._fast_pay import segment_incentive
from spmopt.sim.model import SimulationModel, YearDecisions, closing_lag_table, exposure
from spmopt.sim.streams import RandomStreams

MONTHS = 12
#: rows per call of the timing model (its candidate grid is memory-hungry)
TIMING_ROWS = 2048
#: (replication × deal seat) cells per block of initial-pipeline draws
PIPELINE_CELLS = 65_536
#: spells per block of replications for the pay step (see _fast_pay)
PAY_ROWS = 32_768


@dataclass(frozen=True, eq=False)
class SegmentArrays:
    """A segment's static arrays: seats, columns to select them, technology and plan facts."""

    name: str
    index: int
    segment: object
    seats: np.ndarray
    columns: object  # slice(None) when the segment holds every seat, else the seat indices
    deals: bool
    period_months: int
    measure: str
    hire_period_quota: np.ndarray  # (start month, month): a hire's quota of the period


def segment_arrays(model: SimulationModel) -> list[SegmentArrays]:
    segments = []
    for index, (name, seats) in enumerate(model.segment_seats().items()):
        if seats.size == 0:
            continue
        segment = model.segments[name]
        plan = segment.plan
        for component in plan.components:
            if component.evaluation != "period_to_date":
                raise SpmoptInputError(
                    f"segment '{name}': plan '{plan.id}' component '{component.id}' is evaluated "
                    "per transaction; the fast engine pays on monthly credits, use the event engine"
                )
        if len(plan.measures) != 1:
            raise SpmoptInputError(
                f"segment '{name}': plan '{plan.id}' pays on {len(plan.measures)} measures "
                f"{list(plan.measures)}; a segment sells one measure"
            )
        measure = plan.measures[0]
        members = Population(model.population.frame.iloc[seats].reset_index(drop=True))
        period_months = Situation(plan, members, segment.technology).measurement_months
        component = plan.quota_of_measure(measure)
        terms = RepTerms.build(plan, np.arange(MONTHS), start_month=np.arange(MONTHS))
        hire_quota = Quotas.of(component, terms).of_period(component.measurement_period)
        whole = seats.size == model.seats
        segments.append(
            SegmentArrays(
                name=name,
                index=index,
                segment=segment,
                seats=seats,
                columns=slice(None) if whole else seats,
                deals=isinstance(segment.technology, DealSales),
                period_months=period_months,
                measure=measure,
                hire_period_quota=hire_quota,
            )
        )
    return segments


def _month_samplers(cdf: np.ndarray) -> tuple[LagSampler, ...]:
    """One sampler per creation month from a (12, L) CDF table; months with equal rows share
    one (without a quarter-end lift all twelve do)."""
    samplers: list[LagSampler] = []
    for row in cdf:
        same = [s for s in samplers if np.array_equal(s.cdf, row)]
        samplers.append(same[0] if same else LagSampler(row))
    return tuple(samplers)


@dataclass(eq=False)
class ChunkState:
    """The state of a chunk of replications carried from month to month (arrays (R, N))."""

    streams: ChunkStreams
    occupied: np.ndarray
    hire_next: np.ndarray  # a new rep starts in the seat at the next month's start
    vacancy: np.ndarray  # months the seat stays vacant after this one
    tenure: np.ndarray  # tenure of the seat's rep at the start of the next month
    quota: np.ndarray  # annual quota of the seat's (current or next) rep this year
    pipe_value: np.ndarray | None  # (L, R·N) face value due in month t at slot t % L
    pipe_count: np.ndarray | None  # (L, R·N) number of deals due
    parked: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # sparse pipeline

    def release(self) -> tuple[np.ndarray, np.ndarray]:
        """Hand over the dense pipeline buffers (for another chunk to recycle)."""
        buffers = (self.pipe_value, self.pipe_count)
        self.pipe_value = self.pipe_count = None
        return buffers


class Engine:
    """Static arrays of a model and the monthly step over a chunk of replications."""

    def __init__(self, model: SimulationModel):
        self.model = model
        #: optional ``month_end(engine, state, t)`` called at the end of each month t, once its
        #: closings have left the pipeline (reads only; e.g. the forecast backtest's snapshot)
        self.month_end = None
        self.n = model.seats
        self.reps = model.population.arrays
        self.segments = segment_arrays(model)
        n = self.n
        self.segment_code = np.zeros(n, np.int64)
        self.gross_margin = np.zeros(n)
        self.plan_quota = np.zeros(n)
        self.period_months = np.ones(n, np.int64)
        self.size_mean = np.ones(n)
        self.size_mu = np.zeros(n)
        self.size_sigma = np.zeros(n)
        self.sales_sd = np.zeros(n)
        is_deal = np.zeros(n, bool)
        lag_tables: list[np.ndarray] = []
        self.lag_group = np.zeros(n, np.int64)
        for position, segment in enumerate(self.segments):
            seats, tech = segment.seats, segment.segment.technology
            self.segment_code[seats] = position
            self.gross_margin[seats] = segment.segment.gross_margin
            self.plan_quota[seats] = segment.segment.plan_quota
            self.period_months[seats] = segment.period_months
            if segment.deals:
                is_deal[seats] = True
                self.size_mean[seats] = tech.deal_size_mean
                self.size_mu[seats] = tech.size_log_mu
                self.size_sigma[seats] = tech.deal_size_sigma
                lags = closing_lag_table(tech)  # (12, L): a row per creation month
                known = [i for i, table in enumerate(lag_tables) if np.array_equal(table, lags)]
                if not known:
                    lag_tables.append(lags)
                self.lag_group[seats] = known[0] if known else len(lag_tables) - 1
            else:
                self.sales_sd[seats] = tech.sd_annual(self.reps.take(seats))
        self.lag_length = max([2, *(table.shape[1] for table in lag_tables)])
        self.lag_cdfs = [  # (12, L) per lag table: row c, the lag CDF of deals created in c
            np.stack(
                [
                    np.pad(lag_cdf(row), (0, self.lag_length - row.size), constant_values=1.0)
                    for row in table
                ]
            )
            for table in lag_tables
        ]
        self.lag_samplers = [_month_samplers(cdf) for cdf in self.lag_cdfs]
        # initial pipeline: months back j = 1 … L − 1 weighted by seasonality(−j)·P(lag ≥ j),
        # the lag of a deal created in calendar month −j
        self.back_total = np.zeros(n)
        self.back_samplers: dict[int, LagSampler] = {}
        back = np.arange(1, self.lag_length)
        for position, segment in enumerate(self.segments):
            if segment.deals:
                cdf = self.lag_cdfs[self.lag_group[segment.seats[0]]]
                created = (-back) % MONTHS
                weight = segment.segment.seasonality.weights[created] * (1 - cdf[created, back - 1])
                if weight.sum() > 0:
                    self.back_total[segment.seats] = weight.sum()
                    self.back_samplers[position] = LagSampler(lag_cdf(weight))
        self.deal_seats = np.flatnonzero(is_deal)
        # draw budgets (alignment of common random numbers only, see _fast_draws): about the
        # expected deals of an average month (and of the initial pipeline) at effort 1
        full = (self.reps.base_sales + self.reps.effectiveness) / self.size_mean
        deal = self.deal_seats
        self.deal_slots = SlotLayout(np.maximum(1, np.ceil(full[deal] / MONTHS)))
        self.pipeline_slots = SlotLayout(np.maximum(1, np.ceil(full[deal] * self.back_total[deal])))
        self.normal_seats = np.flatnonzero(~is_deal)
        self.all_deals = self.deal_seats.size == n
        # one lognormal for every deal seat: scalar parameters
        self.single_size = self.deal_seats.size > 0 and (
            np.ptp(self.size_mu[self.deal_seats]) == 0
            and np.ptp(self.size_sigma[self.deal_seats]) == 0
        )
        self.period_share = self.period_months / MONTHS
        months = np.arange(MONTHS)[:, None]
        self.period_start = months % self.period_months == 0  # (12, N)
        self.period_end = (months + 1) % self.period_months == 0  # (12, N)
        self.hire_period_quota = np.stack([s.hire_period_quota for s in self.segments])
        timing = model.behaviour.timing
        self.timing = timing if getattr(timing, "name", "none") != "none" else None
        self.vacancy_months = int(getattr(model.behaviour.attrition, "vacancy_months", 0))
        self.initial_quotas = model.initial_quotas()

    # ------------------------------------------------------------------ per-seat helpers
    def effort(self, decisions: YearDecisions, month: int, attainment: np.ndarray) -> np.ndarray:
        """Effort of every cell's rep (R, N) from its segment's policy (vacancy not applied)."""
        out = np.empty(attainment.shape)
        for segment in self.segments:
            seats, policy = decisions.policies[segment.name]
            seen = attainment[:, segment.columns]
            out[:, segment.columns] = policy.effort(np.arange(seats.size), month, seen)
        return out

    def exposure(self, month: int, tenure: np.ndarray) -> np.ndarray:
        """Seasonality × ramp of every cell (R, N) in ``month`` (0–11) at ``tenure``."""
        out = np.empty(tenure.shape)
        for segment in self.segments:
            cols = segment.columns
            out[:, cols] = exposure(
                self.model,
                segment.segment,
                month,
                tenure[:, cols],
                self.reps.ramp_months[cols],
            )
        return out

    def add_deals(self, state: ChunkState, cell, normals, uniforms, first_slot, floor=None) -> None:
        """Add deals to the pipeline: one entry per deal of its cell (r·N + seat), a standard
        normal for its lognormal size and a uniform for its closing lag (from the lag table's row
        of the deal's creation month); the deal is due in the month ``first_slot + lag``.

        ``floor`` (per deal): the deal was created ``floor`` months before ``first_slot``; its
        lag is drawn conditionally on being at least this (initial pipeline) and the deal is
        then due in month ``first_slot + lag − floor``.
        """
        if cell.size == 0:
            return
        seat = cell % self.n if not self.single_size or len(self.lag_cdfs) > 1 else None
        if self.single_size:
            s = self.deal_seats[0]
            normals *= self.size_sigma[s]
            normals += self.size_mu[s]
        else:
            normals *= self.size_sigma[seat]
            normals += self.size_mu[seat]
        sizes = np.exp(normals, out=normals)
        created = first_slot % MONTHS if floor is None else (first_slot - floor) % MONTHS
        if len(self.lag_samplers) == 1:
            lag = self._month_lags(self.lag_samplers[0], created, uniforms, floor)
        else:
            lag = np.empty(uniforms.shape, np.int64)
            group = self.lag_group[seat]
            for g, samplers in enumerate(self.lag_samplers):  # a loop over lag tables (segments)
                mine = group == g
                lag[mine] = self._month_lags(
                    samplers,
                    created if np.ndim(created) == 0 else created[mine],
                    uniforms[mine],
                    None if floor is None else floor[mine],
                )
        if floor is not None:
            lag -= floor
        size, slots = state.pipe_value.shape[1], self.lag_length
        row_start = ((first_slot + np.arange(slots)) % slots) * size  # of the month due, by lag
        index = row_start.take(lag)
        index += cell
        np.add.at(state.pipe_value.reshape(-1), index, sizes)
        np.add.at(state.pipe_count.reshape(-1), index, np.ones(index.size, np.int32))

    @classmethod
    def _month_lags(cls, samplers: tuple[LagSampler, ...], created, uniforms, floor) -> np.ndarray:
        """Lags of deals created in plan month(s) ``created`` (one number, or one per deal):
        each from its creation month's sampler (one draw when the months share a sampler)."""
        if np.ndim(created) == 0 or len(set(samplers)) == 1:
            return cls._lags(samplers[0 if np.ndim(created) else created], uniforms, floor)
        lag = np.empty(uniforms.shape, np.int64)
        for month in np.unique(created):  # at most twelve creation months
            mine = created == month
            lag[mine] = cls._lags(
                samplers[month], uniforms[mine], None if floor is None else floor[mine]
            )
        return lag

    @staticmethod
    def _lags(sampler: LagSampler, uniforms: np.ndarray, floor) -> np.ndarray:
        if floor is None:
            return sampler(uniforms)
        below = sampler.cdf[floor - 1]  # P(lag < floor), floor ≥ 1
        lag = sampler(below + uniforms * (1.0 - below))
        return np.clip(lag, floor, sampler.cdf.size - 1)

    # ------------------------------------------------------------------ chunk start
    def pipeline_buffers(self, replications: int, spare=None) -> tuple[np.ndarray, np.ndarray]:
        """Zeroed (L, R·N) pipeline arrays, recycling ``spare`` buffers when large enough (fresh
        memory is slow to touch on virtual machines)."""
        size = self.lag_length * replications * self.n
        shape = (self.lag_length, replications * self.n)
        if spare is not None and spare[0].size >= size:
            value = spare[0].reshape(-1)[:size].reshape(shape)
            count = spare[1].reshape(-1)[:size].reshape(shape)
            value.fill(0.0)
            count.fill(0)
            return value, count
        return np.zeros(shape), np.zeros(shape, np.int32)

    def start(
        self, streams: RandomStreams, first: int, replications: int, quotas, spare=None
    ) -> ChunkState:
        """The state of a chunk at the horizon's start (pipeline filled by the first year)."""
        r, n = replications, self.n
        tenure = np.broadcast_to(self.reps.tenure_months, (r, n)).copy()
        pipe_value, pipe_count = self.pipeline_buffers(r, spare)
        return ChunkState(
            streams=ChunkStreams(streams, first, replications),
            occupied=np.ones((r, n), bool),
            hire_next=np.zeros((r, n), bool),
            vacancy=np.zeros((r, n), np.int16),
            tenure=tenure,
            quota=np.broadcast_to(np.asarray(quotas, float), (r, n)).copy(),
            pipe_value=pipe_value,
            pipe_count=pipe_count,
        )

    def park(self, state: ChunkState) -> tuple[np.ndarray, np.ndarray]:
        """Keep only the pipeline's non-empty cells between plan years (the other chunks run in
        between); returns the dense buffers for recycling."""
        value, count = state.pipe_value.reshape(-1), state.pipe_count.reshape(-1)
        index = np.flatnonzero((value != 0.0) | (count != 0))
        state.parked = (index, value[index], count[index])
        return state.release()

    def unpark(self, state: ChunkState, spare=None) -> None:
        """Restore a parked pipeline into dense buffers."""
        index, value, count = state.parked
        state.pipe_value, state.pipe_count = self.pipeline_buffers(state.streams.count, spare)
        state.pipe_value.reshape(-1)[index] = value
        state.pipe_count.reshape(-1)[index] = count
        state.parked = None

    def initial_pipeline(self, decisions: YearDecisions, state: ChunkState) -> None:
        """Deals created in the ``L − 1`` months before the start that close in month 0 or later,
        at the month-0 effort (attainment 0) and the exposure of their calendar month.

        A deal created ``j`` months before the start survives to month 0 with probability
        P(lag ≥ j); its creation rate is seasonality(−j) × ramp(tenure − j) × (h + k·e₀)/m. The
        surviving deals are drawn exactly by thinning: candidates at the unramped rate
        Σ_j seasonality(−j)·P(lag ≥ j)·(h + k·e₀)/m per cell (one Poisson count), each with its
        month j drawn ∝ seasonality(−j)·P(lag ≥ j) and kept with probability ramp(tenure − j) ≤ 1;
        the kept deals' lags are drawn given lag ≥ j.
        """
        if self.deal_seats.size == 0:
            return
        r, n = state.occupied.shape
        deal = slice(None) if self.all_deals else self.deal_seats
        effort = self.effort(decisions, 0, np.zeros((r, n)))[:, deal]
        rate = (self.reps.base_sales[deal] + self.reps.effectiveness[deal] * effort) / (
            self.size_mean[deal]
        )
        uniforms = state.streams.uniform("pipeline", (self.deal_seats.size,))
        counts = poisson_by_inversion(uniforms, rate * self.back_total[deal]).reshape(r, -1)
        block = max(1, PIPELINE_CELLS // self.deal_seats.size)
        for first in range(0, r, block):  # blocks of replications keep the draws small
            rows = slice(first, min(first + block, r))
            self._pipeline_block(state, counts[rows], first)

    def _pipeline_block(self, state: ChunkState, counts: np.ndarray, first: int) -> None:
        """The initial deals of replications ``first …`` of the chunk from their candidate
        counts (replications, deal seats)."""
        streams = state.streams.subset(first, first + counts.shape[0])
        kinds = ("uniform", "normal", "uniform")
        for deals in streams.deal_draws("pipeline", counts, self.pipeline_slots, kinds):
            self._pipeline_deals(state, deals, first)

    def _pipeline_deals(self, state: ChunkState, deals: DealDraws, first: int) -> None:
        """Thin one group of candidate initial deals and add the kept ones to the pipeline."""
        seat = self.deal_seats[deals.seat]
        cell = (deals.replication + first) * self.n + seat
        draws = deals.variates
        back = np.empty(cell.size, np.int64)
        accept = np.empty(cell.size)
        for code, sampler in self.back_samplers.items():  # a loop over deal segments
            mine = slice(None) if len(self.back_samplers) == 1 else self.segment_code[seat] == code
            back[mine], accept[mine] = sampler.with_rest(draws[0][mine])
        back += 1
        tenure = state.tenure.reshape(-1)[cell]
        ramp = self.model.ramp.factor(np.maximum(tenure - back, 0.0), self.reps.ramp_months[seat])
        keep = accept < ramp
        self.add_deals(state, cell[keep], draws[1][keep], draws[2][keep], 0, floor=back[keep])

    # ------------------------------------------------------------------ a plan year
    def run_year(self, year: int, decisions: YearDecisions, state: ChunkState, out: dict) -> None:
        """Simulate plan year ``year`` of a chunk, writing its months into ``out`` (views of
        (R, months, N) columns)."""
        r, n = state.occupied.shape
        months = slice(MONTHS * year, MONTHS * (year + 1))
        o = {name: column[:, months] for name, column in out.items()}
        if year == 0:
            self.initial_pipeline(decisions, state)
        year_quota = state.quota.copy()
        spell_start = np.full((r, n), -1, np.int8)  # hire month, −1 in the seat since the start
        credited_to_date = np.zeros((r, n))  # in the current measurement period, this spell
        seen = np.zeros((r, n))
        review = np.zeros((MONTHS, n), bool)
        for segment in self.segments:
            review[list(decisions.review_months(segment.name)), segment.seats[:, None]] = True
        hazard = decisions.hazard
        quit_draws = state.streams.uniform("attrition", (MONTHS, n)) if hazard.any() else None
        shocks = (
            state.streams.normal("sales", (MONTHS, self.normal_seats.size))
            if self.normal_seats.size
            else None
        )
        h, k = self.reps.base_sales, self.reps.effectiveness
        lags = self.lag_length
        for m in range(MONTHS):  # the loop over simulated months
            t = MONTHS * year + m
            slot = t % lags
            occupied, hired = state.occupied, state.hire_next
            if hired.any():
                state.quota = np.where(hired, self.plan_quota, state.quota)
                spell_start[hired] = m
                credited_to_date[hired] = 0.0
                seen[hired] = 0.0
            o["occupied"][:, m] = occupied
            o["hired"][:, m] = hired
            o["tenure_months"][:, m] = state.tenure
            o["quota"][:, m] = state.quota
            # 1. review
            if m and self.period_start[m].any():
                credited_to_date *= ~self.period_start[m]
            if review[m].any():
                period_quota = state.quota * self.period_share
                late = np.nonzero(spell_start >= 0)
                if late[0].size:
                    period_quota[late] = self.hire_period_quota[
                        self.segment_code[late[1]], spell_start[late], m
                    ]
                with np.errstate(divide="ignore", invalid="ignore"):
                    attainment = np.where(period_quota > 0, credited_to_date / period_quota, 0.0)
                seen = np.where(review[m] & occupied, attainment, seen)
            # 2. effort (0 in a vacant seat)
            effort = self.effort(decisions, m, seen)
            effort *= occupied
            # 3. new business: none in a vacant seat
            x = self.exposure(m, state.tenure)
            x *= occupied
            mean = x * (h + k * effort)
            if self.deal_seats.size:
                deal = slice(None) if self.all_deals else self.deal_seats
                uniforms = state.streams.uniform("deals", (self.deal_seats.size,))
                counts = poisson_by_inversion(uniforms, mean[:, deal] / self.size_mean[deal])
                for deals in state.streams.deal_draws(
                    "deals", counts.reshape(r, -1), self.deal_slots, ("normal", "uniform")
                ):
                    cell = deals.replication * n + self.deal_seats[deals.seat]
                    self.add_deals(state, cell, *deals.variates, t)
            if shocks is not None:
                normal = self.normal_seats
                sales = (
                    mean[:, normal] + np.sqrt(x[:, normal]) * self.sales_sd[normal] * (shocks[:, m])
                )
                value = state.pipe_value[slot].reshape(r, n)
                value[:, normal] += sales
            # 4. closings
            closings = o["closings"][:, m]
            closings[...] = state.pipe_value[slot].reshape(r, n)
            o["deals_closed"][:, m] = state.pipe_count[slot].reshape(r, n)
            # 5. timing at measurement-period ends
            revenue = o["revenue"][:, m]
            if self.timing is not None and self.period_end[m].any():
                pulled_credit = np.zeros((r, n))
                self.timing_moves(
                    decisions,
                    state,
                    m,
                    t,
                    effort,
                    closings,
                    credited_to_date,
                    out=o,
                    credit=pulled_credit,
                )
                # 6. credit and revenue
                np.subtract(closings, o["pushed"][:, m], out=revenue)
                revenue += pulled_credit
            else:
                revenue[...] = closings
            self.observe(m, revenue)
            credited = o["credited"][:, m]
            np.multiply(revenue, occupied, out=credited)
            credited_to_date += credited
            o["effort"][:, m] = effort
            np.multiply(seen, occupied, out=o["attainment_seen"][:, m])
            # 8. attrition at the month's end
            self.attrition(state, hazard, None if quit_draws is None else quit_draws[:, m], o, m)
            state.pipe_value[slot] = 0.0
            state.pipe_count[slot] = 0
            if self.month_end is not None:
                self.month_end(self, state, t)
        # 7. pay, and the columns that follow from the others
        self.incentive(decisions, o, year_quota)
        o["base_pay"][...] = o["occupied"] * (decisions.base_salary / MONTHS)
        np.multiply(o["revenue"], self.gross_margin, out=o["margin"])

    def observe(self, m: int, revenue: np.ndarray) -> None:
        """Hook before step 6 credits month ``m``: a subclass may overwrite the month's revenue
        (R, N) [currency] in place with observed values (``spmopt revise --credits``)."""

    def timing_moves(self, decisions, state, m, t, effort, closings, credited_to_date, out, credit):
        """Step 5: pulls and pushes of the reps whose measurement period ends in month ``m``."""
        r, n = closings.shape
        timing = self.timing
        due_next = state.pipe_value[(t + 1) % self.lag_length].reshape(r, n)
        for segment in self.segments:
            if not self.period_end[m, segment.seats[0]]:
                continue
            cols = segment.columns
            occupied = state.occupied[:, cols]
            rows, position = np.nonzero(occupied)
            if rows.size == 0:
                continue
            seat = segment.seats[position]
            tech = segment.segment.technology
            tenure = state.tenure[rows, seat]
            ramp = self.reps.ramp_months[seat]
            month_exposure = [
                exposure(self.model, segment.segment, (m + ahead) % MONTHS, tenure + ahead, ramp)
                for ahead in range(1, segment.period_months + 1)  # months of the next period
            ]
            next_exposure = np.zeros(rows.size)
            for month_share in month_exposure:
                next_exposure += month_share
            reps = self.reps.take(seat)
            e = effort[rows, seat]
            next_mean = tech.mean(reps, e, next_exposure)
            next_sd = np.sqrt(tech.variance(reps, e, next_exposure))
            now = closings[rows, seat]
            credited = credited_to_date[rows, seat] + now
            if segment.deals:  # deals due next month, in the pipeline
                pullable = due_next[rows, seat]
            else:  # normal sales: next month's expected sales at the current effort
                pullable = tech.mean(reps, e, month_exposure[0])
            pull_capacity = timing.pull_share * pullable
            push_capacity = timing.push_share * now
            pay = decisions.situations[segment.name].period_pay
            risk = self.reps.risk_aversion[seat]
            pulled = np.empty(rows.size)
            pulled_credit = np.empty(rows.size)
            discount = np.empty(rows.size)
            pushed = np.empty(rows.size)
            for start in range(0, rows.size, TIMING_ROWS):  # bounded memory
                part = slice(start, start + TIMING_ROWS)
                moves = timing.decide(
                    pay.take(position[part]),
                    credited[part],
                    pull_capacity[part],
                    push_capacity[part],
                    next_mean[part],
                    next_sd[part],
                    risk[part],
                )
                pulled[part] = moves.pulled
                pulled_credit[part] = moves.pulled_credit
                discount[part] = moves.discount_lost
                pushed[part] = moves.pushed
            out["pulled"][rows, m, seat] = pulled
            out["pushed"][rows, m, seat] = pushed
            out["discount_lost"][rows, m, seat] = discount
            credit[rows, seat] = pulled_credit
            # normal sales: next month's sales (added to this slot in month m + 1) lose the
            # pulled face value, unfloored (they are normal, and the rep valued S − x)
            due_next[rows, seat] += pushed - pulled

    def attrition(self, state: ChunkState, hazard, draws, out, m) -> None:
        """Step 8: quits, vacancies and hires for the next month."""
        occupied = state.occupied
        if draws is None:
            state.tenure += occupied
            state.hire_next = np.zeros_like(occupied)
            return
        quit = draws < hazard
        quit &= occupied
        out["quit"][:, m] = quit
        if self.vacancy_months == 0:  # the leaver's seat is refilled at once
            state.tenure += occupied
            if quit.any():
                state.tenure[quit] = 0.0
                state.quota = np.where(quit, self.plan_quota, state.quota)
            state.hire_next = quit
            return
        stay = occupied & ~quit
        vacancy = np.where(
            quit, self.vacancy_months, np.where(occupied, 0, np.maximum(state.vacancy - 1, 0))
        ).astype(np.int16)
        hire = ~stay & (vacancy == 0)
        state.tenure = np.where(stay, state.tenure + 1.0, 0.0)
        state.quota = np.where(quit, self.plan_quota, state.quota)
        state.vacancy = vacancy
        state.hire_next = hire
        state.occupied = stay | hire

    # ------------------------------------------------------------------ pay
    # ------------------------------------------------------------------ pay
    def incentive(self, decisions: YearDecisions, o: dict, year_quota: np.ndarray) -> None:
        """Step 7: each month's incentive = change in the earnings to date of the rep spell in the
        seat (:func:`~spmopt.sim._fast_pay.segment_incentive`), by blocks of replications."""
        replications = year_quota.shape[0]
        for segment in self.segments:
            block = max(1, PAY_ROWS // segment.seats.size)
            for first in range(0, replications, block):  # blocks of replications
                part = slice(first, first + block)
                view = {
                    name: o[name][part] for name in ("occupied", "hired", "credited", "incentive")
                }
                segment_incentive(segment, decisions, view, year_quota[part])
