"""The SimPy event engine: the simulation model of ``docs/simulation-model.md``, deal by deal.

The auditable ground truth next to the vectorised fast engine (design §5). Each replication is
one :class:`simpy.Environment` with

* a **calendar** process (:func:`calendar`) that opens each month (review, effort, new
  business), waits for the month to pass, closes it (closings, timing at measurement-period ends,
  credit and revenue), applies attrition and hiring at the month's end, and closes each year
  (pay of every rep spell, quota revision) before taking the next year's decisions;
* every won **deal** as two events: its creation at a time drawn within its month (a Poisson
  process per seat at the month's rate) and its closing after its lag (``closing_lags`` of the
  segment's technology, a time within the closing month); pieces pulled into a period end close
  there, pieces pushed out close as events in the next month.

Deals are timeouts with callbacks rather than processes (half the events, see
``performance-notes.md``); a deal's creation event is re-armed as its closing event, which
waits outside SimPy's queue until its closing month opens (:class:`EventRun`). Deals
closing in a month are collected by their closing events; the month's close then works on them
as arrays. The initial pipeline (deals created before the horizon) enters with closing events
only. Plan years after the first are simulated with every replication in step, because their
policies are solved on the mean over replications of the revised quotas. The steps themselves are vectorised over the seats of the replication
and live in :mod:`spmopt.sim._events_book`; they call the shared model (``decide_year``,
``exposure``, ``closing_lags``), the behaviour models and the payout arithmetic
(``plan_earnings``). Random numbers come from the named streams ``deals``, ``pipeline``,
``sales`` and ``attrition`` of each replication (see :mod:`spmopt.sim._events_draws`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np
import pandas as pd
import simpy
from simpy.events import NORMAL, Timeout

from spmopt.errors import SpmoptInputError
from spmopt.reps.seasonality import MONTHS
from spmopt.sim._events_book import MONTH_COLUMNS, Book, Layout, NewDeals
from spmopt.sim._events_draws import TIMING_LABELS
from spmopt.sim.model import SimulationModel, YearDecisions, decide_year
from spmopt.sim.results import DEAL_COLUMNS, REP_PERIOD_COLUMNS, SimulationResult
from spmopt.sim.streams import RandomStreams


def schedule_deals(env: simpy.Environment, deals: NewDeals, on_create, on_create_later) -> int:
    """Schedule the creation of each new deal at its time; returns the number scheduled.

    Deals closing in the month open now get the callback ``on_create`` and the value ``(store
    index, closing month, time from creation to closing)``; deals closing in a later month get
    ``on_create_later`` and ``(store index, closing month, delay of the closing event from the
    start of that month)``. Times [months] are those Environment.schedule computes: the
    creation at ``now + (created − now)``, the closing the deal's lag after it.
    """
    now = env.now
    delay = deals.created - now
    lag = deals.closed - deals.created
    later = deals.close_month > now
    # for a later month M: (creation + lag) − M, exact, so that M + it is the closing time
    third = np.where(later, (now + delay) + lag - deals.close_month, lag)
    callbacks = np.array([on_create, on_create_later], dtype=object)[later.astype(np.intp)]
    values = zip(deals.index.tolist(), deals.close_month.tolist(), third.tolist(), strict=True)
    for value, wait, callback in zip(values, delay.tolist(), callbacks.tolist(), strict=True):
        Timeout(env, wait, value).callbacks.append(callback)
    return deals.index.size


def calendar(env: simpy.Environment, run: EventRun, decisions: YearDecisions):
    """The months and years of one replication (a SimPy process)."""
    book = run.book
    years = book.model.years
    for year in range(years):
        book.begin_year(year, decisions)
        if year == 0:
            run.hold_closings(book.pipeline())
        for month in range(MONTHS):
            run.open_closings(MONTHS * year + month)
            schedule_deals(env, book.open_month(month), run.on_create, run.on_create_later)
            yield env.timeout(1)
            run.hold_closings(book.close_month(month))
            book.end_month(month)
        book.close_year()
        if year + 1 < years:
            run.next_year = env.event()
            run.year_closed.succeed()
            decisions = yield run.next_year
    run.year_closed.succeed()


class EventRun:
    """One replication: its environment, book and deal callbacks, advanced a year at a time.

    A deal's closing event enters SimPy's event queue when its closing month opens: until then
    it waits in that month's list of held closings (:meth:`open_closings`), so the queue holds
    one month of closings rather than every open deal's. Month M opens at time M, and M + (t −
    M) is t exactly for t in [M, M + 1), so held events keep their times; they enter the queue
    in the order in which they were held and before the month's creations, the order SimPy
    would have given them had they been queued at once. Events therefore run in the same order.
    """

    def __init__(self, layout: Layout, streams: RandomStreams, replication: int):
        timing = layout.model.behaviour.timing
        self.env = simpy.Environment()
        self.book = Book(layout, streams, replication, float(getattr(timing, "discount", 0.0)))
        self.replication = replication
        self.process: simpy.Process | None = None
        self.year_closed: simpy.Event | None = None
        self.next_year: simpy.Event | None = None
        env, closed = self.env, self.book.closed
        schedule = env.schedule
        # per month: closing events held until it opens (values end with the delay from it)
        self.held: list[list[simpy.Event] | None] = [[] for _ in closed]
        held = self.held

        def on_close(event):
            value = event._value
            closed[value[1]].append(value[0])

        # every closing event has these callbacks: SimPy only reads the list, so one serves all
        self.closing_callbacks = closing = [on_close]

        # a deal is created: its creation event is re-armed as its closing event (saves a
        # Timeout per deal), scheduled after the deal's lag or held until its month opens
        def on_create(event):
            event.callbacks = closing
            schedule(event, NORMAL, event._value[2])

        def on_create_later(event):
            event.callbacks = closing
            held[event._value[1]].append(event)

        self.on_close = on_close
        self.on_create = on_create
        self.on_create_later = on_create_later

    def hold_closings(self, deals: NewDeals) -> int:
        """Closing events of deals already created (pipeline, pushed pieces), held until their
        closing months open (all later than the month open now); returns their number. An
        event's value is ``(store index, closing month, delay from the month's start)``."""
        held, closing = self.held, self.closing_callbacks
        now = self.env.now
        # delay from the start of the closing month M: (now + (closed − now)) − M, exact
        delay = (now + (deals.closed - now)) - deals.close_month
        values = zip(deals.index.tolist(), deals.close_month.tolist(), delay.tolist(), strict=True)
        for value in values:
            event = simpy.Event(self.env)
            event._ok, event._value = True, value  # triggered, as a Timeout would be
            event.callbacks = closing
            held[value[1]].append(event)
        return deals.index.size

    def open_closings(self, month: int) -> None:
        """Month ``month`` (absolute) opens (now = ``month``): its held closings are scheduled."""
        schedule = self.env.schedule
        for event in self.held[month]:
            schedule(event, NORMAL, event._value[2])
        self.held[month] = None

    def advance(self, decisions: YearDecisions) -> None:
        """Simulate the next plan year under ``decisions``."""
        env = self.env
        self.year_closed = env.event()
        if self.process is None:
            self.process = env.process(calendar(env, self, decisions))
        else:
            self.next_year.succeed(decisions)
        collecting = gc.isenabled()
        gc.disable()  # the heap holds many live events; cyclic GC scans would dominate
        try:
            env.run(until=self.year_closed)
        finally:
            if collecting:
                gc.enable()


def simulate_events(
    model: SimulationModel,
    replications: int,
    streams: RandomStreams,
    *,
    first_replication: int = 0,
    progress: Callable[[int], None] | None = None,
    decision_progress: Callable[[int, int], None] | None = None,
    decide: Callable[..., YearDecisions] = decide_year,
) -> SimulationResult:
    """Simulate ``model`` deal by deal with SimPy.

    Parameters
    ----------
    model:
        The compiled scenario (seats, segments, behaviour, horizon).
    replications:
        Number of replications; they are numbered ``first_replication …`` and each uses its own
        named streams, so results do not depend on how a run is split.
    streams:
        The random streams (the seed).
    progress:
        Called with the number of replications completed so far.
    decision_progress:
        Called with (seats whose policies are solved, seats) while each year's decisions are
        solved (:func:`~spmopt.sim.model.decide_year`).
    decide:
        Solves a year's decisions, with :func:`~spmopt.sim.model.decide_year`'s signature and
        results (default: it; ``spmopt bench`` passes a per-process cache).

    Returns
    -------
    SimulationResult
        ``rep_periods`` (one row per replication, seat and month), ``deals`` (one row per deal
        piece: a deal partly pulled or pushed has a row per piece, sharing its ``deal_id``;
        ``created``/``closed`` in months from the horizon's start, ``amount`` the piece's face
        value, ``discount`` the price given up [currency]) and metadata (``engine="events"``).

    Examples
    --------
    >>> result = simulate_events(model, 10, RandomStreams(7))  # doctest: +SKIP
    >>> result.rep_years()["credited"].mean()  # doctest: +SKIP

    Multi-year horizons run the replications in step, a year at a time: next year's policies
    are solved on the mean over replications of the revised quotas and of the tenures.
    """
    if int(replications) < 1:
        raise SpmoptInputError(f"replications must be at least 1, not {replications}")
    replications = int(replications)
    layout = Layout.of(model)
    decisions = decide(model, model.initial_quotas(), progress=decision_progress)
    runs: list[EventRun | None] = [None] * replications
    rep_parts, deal_parts = [], []
    for year in range(model.years):
        if year > 0:
            quotas = np.mean([run.book.next_quota for run in runs], axis=0)
            tenure = np.mean([run.book.tenure_months for run in runs], axis=0)
            decisions = decide(model, quotas, tenure, progress=decision_progress)
        last = year + 1 == model.years
        for k in range(replications):
            run = runs[k] or EventRun(layout, streams, first_replication + k)
            run.advance(decisions)
            if last:
                rep_parts.append(run.book.rows)
                deal_parts.append((run.replication, run.book.deal_columns()))
                runs[k] = None
                if progress is not None:
                    progress(k + 1)
            else:
                runs[k] = run
    first = first_replication
    return SimulationResult(
        rep_periods=_rep_periods(layout, rep_parts, first),
        deals=_deals(layout, deal_parts),
        metadata={
            "scenario_id": model.scenario_id,
            "content_hash": model.content_hash,
            "plan_id": model.plan_id(),
            "seed": streams.seed,
            "engine": "events",
            "replications": replications,
            "first_replication": first_replication,
        },
    )


def _category(values, size: int) -> pd.Categorical:
    values = np.asarray(values, dtype=object)
    categories = list(dict.fromkeys(values.tolist()))
    codes = np.broadcast_to(pd.Categorical(values, categories=categories).codes, (size,))
    return pd.Categorical.from_codes(np.ascontiguousarray(codes), categories=categories)


def _rep_periods(layout: Layout, parts: list[dict], first_replication: int) -> pd.DataFrame:
    """The ``rep_periods`` table from each replication's (seats, months) arrays."""
    model = layout.model
    n, horizon = layout.seats, layout.horizon
    cells = n * horizon
    total = cells * len(parts)
    labels = model.period_labels()
    segment_names = np.array([seg.name for seg in layout.segments], dtype=object)
    seat_segment = segment_names[
        np.searchsorted([s.code for s in layout.segments], layout.seat_segment)
    ]
    months = np.arange(horizon)
    columns = {
        "scenario_id": _category([model.scenario_id], total),
        "plan_id": _category([model.plan_id()], total),
        "replication": np.repeat(
            np.arange(first_replication, first_replication + len(parts)), cells
        ),
        "rep_id": pd.Categorical.from_codes(
            np.tile(np.repeat(np.arange(n), horizon), len(parts)), categories=list(layout.rep_ids)
        ),
        "period": pd.Categorical.from_codes(np.tile(months, n * len(parts)), categories=labels),
        "year": np.tile(months // MONTHS + 1, n * len(parts)),
        "month": np.tile(months % MONTHS + 1, n * len(parts)),
        "segment": pd.Categorical(np.tile(np.repeat(seat_segment, horizon), len(parts))),
    }
    for name, dtype in MONTH_COLUMNS.items():
        columns[name] = (
            np.concatenate([part[name].ravel() for part in parts])
            if parts
            else np.zeros(0, dtype=dtype)
        )
    return pd.DataFrame(columns)[list(REP_PERIOD_COLUMNS)]


def _deals(layout: Layout, parts: list[tuple[int, dict]]) -> pd.DataFrame:
    """The ``deals`` table: one row per deal piece."""
    model = layout.model
    size = sum(columns["deal_id"].size for _, columns in parts)
    replication = np.concatenate(
        [np.full(columns["deal_id"].size, r) for r, columns in parts] or [np.zeros(0, int)]
    )

    def joined(name):
        return np.concatenate([columns[name] for _, columns in parts])

    frame = pd.DataFrame(
        {
            "scenario_id": _category([model.scenario_id], size),
            "plan_id": _category([model.plan_id()], size),
            "replication": replication,
            "rep_id": pd.Categorical.from_codes(
                joined("rep_index"), categories=list(layout.rep_ids)
            ),
            "deal_id": joined("deal_id"),
            "created": joined("created"),
            "closed": joined("closed"),
            "amount": joined("amount"),
            "credited_amount": joined("credited_amount"),
            "discount": joined("discount"),
            "timing": TIMING_LABELS[joined("timing")],
        }
    )
    return frame[list(DEAL_COLUMNS)]
