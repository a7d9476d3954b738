"""The vectorised fast engine: the simulation model of ``docs/simulation-model.md`` as arrays over
(replication, seat), looping over the simulated months only (design §5).

Replications are processed in chunks (bounded memory; :func:`iter_fast` hands each chunk's table
over as soon as it is done); within a chunk every step is a numpy operation over all
(replication, seat) cells (:mod:`spmopt.sim._fast_engine`): effort from the year's policies,
Poisson deal counts by inversion, lognormal sizes drawn per deal and summed into a ring buffer of
future closings (value and count per cell and month), the initial pipeline by thinning,
period-end timing moves, attrition with vacancies, and — at the year's end — payouts from
:func:`spmopt.plan.earnings.plan_earnings` on the monthly credits of every rep spell
(:mod:`spmopt.sim._fast_pay`). Chunks may run in worker threads.

Random numbers come from :class:`~spmopt.sim.streams.RandomStreams` generators keyed by
replication (streams ``pipeline``, ``deals``, ``sales``, ``attrition``; deals beyond a seat's
draw budget from the same names in the ``spawn("overflow")`` family), never by plan, chunk or
thread: results do not depend on the chunk size or the number of workers, and plans simulated on
one scenario see common random numbers, laid out so that they stay aligned when effort differs
(:mod:`spmopt.sim._fast_draws`).

Example
-------
>>> from spmopt.sim.fast import simulate_fast  # doctest: +SKIP
>>> result = simulate_fast(model, replications=100, streams=RandomStreams(7))  # doctest: +SKIP
>>> result.summary()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from spmopt.errors import SpmoptInputError
from spmopt.sim._fast_engine import ChunkState, Engine
from spmopt.sim._fast_output import Buffers
from spmopt.sim.model import SimulationModel, YearDecisions, decide_year
from spmopt.sim.results import SimulationResult
from spmopt.sim.streams import RandomStreams

MONTHS = 12
#: (replication × seat) cells per chunk when the chunk size is automatic
CELLS_PER_CHUNK = 250_000

__all__ = ["simulate_fast", "iter_fast", "default_chunk"]


def default_chunk(seats: int, replications: int) -> int:
    """Replications per chunk: about :data:`CELLS_PER_CHUNK` (replication, seat) cells."""
    return max(1, min(replications, CELLS_PER_CHUNK // max(seats, 1)))


def _run(
    model: SimulationModel,
    replications: int,
    streams: RandomStreams,
    first_replication: int,
    chunk_replications: int | None,
    progress: Callable[[int], None] | None,
    buffers_for: Callable[[int, int], tuple[Buffers, int]],
    timings: dict,
    workers: int | None = 1,
    decision_progress: Callable[[int, int], None] | None = None,
    month_end: Callable | None = None,
    decide: Callable[..., YearDecisions] = decide_year,
) -> Iterator[tuple[int, int]]:
    """Simulate the chunks; yield each chunk's (start, stop), in order, once all its years are
    done.

    Years run one after the other over every chunk: the policies of a later year are solved on
    the mean over the replications of the seats' revised quotas and tenures (summed in
    replication order, so the mean does not depend on the chunking). With ``workers`` > 1,
    chunks of a year run in that many threads (numpy releases the GIL in its array loops); each
    chunk has its own streams and output rows, so results do not depend on the scheduling.
    """
    if replications < 1:
        raise SpmoptInputError(f"replications must be at least 1, not {replications}")
    engine = Engine(model)
    engine.month_end = month_end  # an observer of the state (see Engine.month_end)
    chunk = chunk_replications or default_chunk(model.seats, replications)
    bounds = [(s, min(s + chunk, replications)) for s in range(0, replications, chunk)]
    workers = min(max(1, workers or os.cpu_count() or 1), len(bounds))
    states: dict[int, ChunkState] = {}
    spares: list = []  # dense pipeline buffers of chunks done with, for others to recycle
    quotas, tenure = model.initial_quotas(), None
    next_quota = next_tenure = None
    if model.years > 1:
        next_quota = np.empty((replications, model.seats))
        next_tenure = np.empty((replications, model.seats))
    clock_lock = threading.Lock()

    def simulate_chunk(year: int, decisions, start: int, stop: int) -> None:
        clock, cpu = time.perf_counter(), time.thread_time()
        try:
            spare = spares.pop()
        except IndexError:
            spare = None
        if year == 0:
            state = engine.start(streams, first_replication + start, stop - start, quotas, spare)
        else:
            state = states.pop(start)
            engine.unpark(state, spare)
        buffers, offset = buffers_for(start, stop)
        view = buffers.view(offset, offset + stop - start)
        engine.run_year(year, decisions, state, view)
        if year + 1 < model.years:
            _next_year(engine, state, view, year)
            next_quota[start:stop] = state.quota
            next_tenure[start:stop] = np.where(state.occupied, state.tenure, 0.0)
            spares.append(engine.park(state))
            states[start] = state
        else:
            spares.append(state.release())
        with clock_lock:
            timings["chunk_seconds"] += time.perf_counter() - clock
            timings["simulate_cpu_seconds"] += time.thread_time() - cpu

    done = 0
    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        for year in range(model.years):
            clock = time.perf_counter()
            decisions = decide(model, quotas, tenure, progress=decision_progress)
            timings["decide_year_seconds"] += time.perf_counter() - clock
            last = year + 1 == model.years
            if pool is None:
                finished = _one_by_one(bounds, simulate_chunk, year, decisions)
            else:
                futures = [
                    (pool.submit(simulate_chunk, year, decisions, start, stop), (start, stop))
                    for start, stop in bounds[:workers]
                ]
                finished = _in_order(
                    pool, futures, bounds[workers:], simulate_chunk, year, decisions
                )
            for start, stop in finished:
                if last:
                    done += stop - start
                    if progress is not None:
                        progress(done)
                    yield start, stop
            if not last:
                quotas, tenure = next_quota.mean(axis=0), next_tenure.mean(axis=0)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _one_by_one(bounds, work, year, decisions):
    """Chunks simulated one after the other, as the caller asks for them."""
    for start, stop in bounds:
        work(year, decisions, start, stop)
        yield start, stop


def _in_order(pool, futures, waiting, work, year, decisions):
    """Chunks as they finish, in submission order, keeping ``len(futures)`` in flight."""
    waiting = list(waiting)
    while futures:
        future, bounds = futures.pop(0)
        future.result()
        if waiting:
            start, stop = waiting.pop(0)
            futures.append((pool.submit(work, year, decisions, start, stop), (start, stop)))
        yield bounds


def _next_year(engine: Engine, state: ChunkState, out: dict, year: int) -> None:
    """Quotas for the next plan year: revised from the seat's credited sales of the year."""
    months = slice(MONTHS * year, MONTHS * (year + 1))
    sales = out["credited"][:, months].sum(axis=1)
    revision = engine.model.quota_revision
    if revision is None:
        state.quota = np.broadcast_to(engine.initial_quotas, state.quota.shape).copy()
    else:
        state.quota = revision.revise(state.quota, sales)


def _metadata(model, streams, replications, first_replication, chunk, timings) -> dict:
    return {
        "scenario_id": model.scenario_id,
        "content_hash": model.content_hash,
        "plan_id": model.plan_id(),
        "engine": "fast",
        "seed": streams.seed,
        "replications": replications,
        "first_replication": first_replication,
        "chunk_replications": chunk,
        **timings,
    }


def simulate_fast(
    model: SimulationModel,
    replications: int,
    streams: RandomStreams,
    *,
    first_replication: int = 0,
    chunk_replications: int | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    decision_progress: Callable[[int, int], None] | None = None,
    month_end: Callable | None = None,
    decide: Callable[..., YearDecisions] = decide_year,
) -> SimulationResult:
    """Simulate ``replications`` replications of ``model`` with the vectorised fast engine.

    Parameters
    ----------
    model:
        The compiled scenario (:class:`~spmopt.sim.model.SimulationModel`).
    replications:
        Number of replications; they use the streams of replications ``first_replication …``.
    streams:
        The scenario's random streams (the seed).
    chunk_replications:
        Replications simulated together (default: about 250,000 replication × seat cells);
        results do not depend on it.
    progress:
        Called after each chunk with the number of replications completed so far.
    decision_progress:
        Called with (seats whose policies are solved, seats) while each year's decisions are
        solved (:func:`~spmopt.sim.model.decide_year`).
    workers:
        Threads simulating chunks at once (numpy releases the GIL in its array loops; default:
        the machine's cores, 1 when the caller runs several simulations in parallel itself);
        the tables do not depend on it.
    month_end:
        Optional observer ``month_end(engine, state, t)`` called at the end of every simulated
        month t of every chunk (read only: the pipeline snapshot of the forecast backtest).
    decide:
        Solves a year's decisions, with :func:`~spmopt.sim.model.decide_year`'s signature and
        results (default: it); ``spmopt bench`` passes a per-process cache of the first year's
        (:mod:`spmopt.run.decision_cache`).

    Returns
    -------
    SimulationResult
        ``rep_periods`` with one row per replication, seat and month (ordered by replication,
        period, seat), and ``metadata``: engine ``"fast"``, seed, replications, and wall-clock
        seconds solving policies (``decide_year_seconds``), simulating (``simulate_seconds``)
        and building the table (``table_seconds``); ``*_cpu_seconds`` count the engine's own
        threads' CPU time.
    """
    seats, months = model.seats, MONTHS * model.years
    buffers = Buffers(first_replication, replications, months, seats)
    timings = {"decide_year_seconds": 0.0, "chunk_seconds": 0.0, "simulate_cpu_seconds": 0.0}
    clock = time.perf_counter()
    for _ in _run(
        model,
        replications,
        streams,
        first_replication,
        chunk_replications,
        progress,
        lambda start, stop: (buffers, start),
        timings,
        workers,
        decision_progress,
        month_end=month_end,
        decide=decide,
    ):
        pass
    timings["simulate_seconds"] = time.perf_counter() - clock - timings["decide_year_seconds"]
    clock, cpu = time.perf_counter(), time.thread_time()
    table = buffers.frame(
        model.scenario_id,
        model.plan_id(),
        model.population.rep_ids,
        model.period_labels(),
        model.seat_segments,
    )
    timings["table_seconds"] = time.perf_counter() - clock
    timings["table_cpu_seconds"] = time.thread_time() - cpu
    chunk = chunk_replications or default_chunk(seats, replications)
    return SimulationResult(
        rep_periods=table,
        metadata=_metadata(model, streams, replications, first_replication, chunk, timings),
    )


def iter_fast(
    model: SimulationModel,
    replications: int,
    streams: RandomStreams,
    *,
    first_replication: int = 0,
    chunk_replications: int | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    decision_progress: Callable[[int, int], None] | None = None,
    decide: Callable[..., YearDecisions] = decide_year,
) -> Iterator[SimulationResult]:
    """The same simulation as :func:`simulate_fast`, one :class:`SimulationResult` per chunk of
    replications, so that a caller can write or summarise each chunk and let it go (memory stays
    bounded by the chunk, whatever the number of replications; concatenating the chunks' tables
    gives :func:`simulate_fast`'s table)."""
    seats, months = model.seats, MONTHS * model.years
    chunk = chunk_replications or default_chunk(seats, replications)
    owned: dict[int, Buffers] = {}
    timings = {"decide_year_seconds": 0.0, "chunk_seconds": 0.0, "simulate_cpu_seconds": 0.0}

    def buffers_for(start: int, stop: int) -> tuple[Buffers, int]:
        if start not in owned:
            owned[start] = Buffers(first_replication + start, stop - start, months, seats)
        return owned[start], 0

    for start, _stop in _run(
        model,
        replications,
        streams,
        first_replication,
        chunk,
        progress,
        buffers_for,
        timings,
        workers,
        decision_progress,
        decide=decide,
    ):
        buffers = owned.pop(start)
        table = buffers.frame(
            model.scenario_id,
            model.plan_id(),
            model.population.rep_ids,
            model.period_labels(),
            model.seat_segments,
        )
        del buffers
        result = SimulationResult(
            rep_periods=table,
            metadata=_metadata(model, streams, replications, first_replication, chunk, timings),
        )
        del table  # the caller holds the only reference: it can let the chunk go
        yield result
        del result
