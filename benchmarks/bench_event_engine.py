"""Event engine throughput: SimPy events per second, and its ratio to a bare SimPy loop (issue 4).

The model is the engine brief's test model (SaaS AEs on the saas-ae plan, deal sales with
quarter-end seasonality, dynamic effort, pull/push timing, hazard attrition) with 1,000 reps,
simulated for 12 months in a few replications. Events are counted exactly (every event the
environment scheduled minus those still pending when the year closed). The reference is a
minimal SimPy loop processing the same number of events in the same run: timeouts whose
callbacks only schedule the next timeout (a chain) and, as a second reference, one process
yielding that many timeouts. Target: at least 0.3 of the faster reference.

Run: ``.venv/bin/python benchmarks/bench_event_engine.py [--reps 1000] [--replications 4]``.
Writes ``results/event_engine.json`` and the "## Event engine" section of
``results/simulation.md``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import simpy
from simpy.events import Timeout

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, record
from engine_model import saas_test_model

from spmopt.sim._events_book import Layout
from spmopt.sim.events import EventRun, calendar, simulate_events
from spmopt.sim.model import decide_year
from spmopt.sim.streams import RandomStreams

SECTION = "## Event engine"
# CPU time of this process: other work on the machine (shared by concurrent jobs) does not count
CLOCK = time.process_time


def engine_run(layout, decisions, streams, replications) -> tuple[int, float]:
    """(events processed, CPU seconds) of the SimPy runs of ``replications`` plan years."""
    events, seconds = 0, 0.0
    for replication in range(replications):
        run = EventRun(layout, streams, replication)
        start = CLOCK()
        run.advance(decisions)
        seconds += CLOCK() - start
        env = run.env
        events += next(env._eid) - len(env._queue)
    return events, seconds


def pending_events(layout, decisions, streams) -> float:
    """Mean number of events pending in the engine's heap, sampled every week of a year."""
    run = EventRun(layout, streams, 0)
    env = run.env
    run.year_closed = env.event()
    run.process = env.process(calendar(env, run, decisions))
    sizes = []
    for week in range(1, 52):
        env.run(until=week * 12 / 52)
        sizes.append(len(env._queue))
    return float(np.mean(sizes))


def bare_callbacks(events: int, chains: int = 100) -> float:
    """Seconds for ``events`` timeouts, each callback scheduling the next (``chains`` at once)."""
    env = simpy.Environment()
    left = [events - chains]

    def step(event):
        if left[0] > 0:
            left[0] -= 1
            Timeout(env, 0.01).callbacks.append(step)

    for _ in range(chains):
        Timeout(env, 0.01).callbacks.append(step)
    return _timed(env.run)


def bare_process(events: int, chains: int = 100) -> float:
    """Seconds for ``chains`` processes yielding ``events`` timeouts in all."""
    env = simpy.Environment()

    def chain(env, count):
        for _ in range(count):
            yield env.timeout(0.01)

    for _ in range(chains):
        env.process(chain(env, events // chains))
    return _timed(env.run)


def _timed(function) -> float:
    collecting = gc.isenabled()
    gc.disable()  # as in the engine
    try:
        start = CLOCK()
        function()
        return CLOCK() - start
    finally:
        if collecting:
            gc.enable()


def write_section(text: str) -> Path:
    """Replace (or add) the event-engine section of ``results/simulation.md``."""
    path = RESULTS / "simulation.md"
    if path.exists():
        content = path.read_text()
    else:
        content = "# Simulation benchmarks\n\n## Fast engine\n\n(see bench_fast_engine.py)\n\n"
    lines = content.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        content = content.rstrip("\n") + "\n\n" + text
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        tail = "".join(lines[end:])
        content = "".join(lines[:start]) + text + ("\n" + tail if tail else "")
    path.write_text(content)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    model = saas_test_model(args.reps, timing=True)
    streams = RandomStreams(2027)
    start = CLOCK()
    decisions = decide_year(model, model.initial_quotas())
    decide_seconds = CLOCK() - start
    layout = Layout.of(model)
    untimed = saas_test_model(args.reps, timing=False)
    untimed_layout = Layout.of(untimed)
    untimed_decisions = decide_year(untimed, untimed.initial_quotas())
    pending = pending_events(layout, decisions, streams)
    chains = int(round(pending))
    engine, callbacks, process, single, no_timing, same_heap = [], [], [], [], [], []
    for _ in range(args.repeat):  # interleaved, so load changes hit all alike
        events, seconds = engine_run(layout, decisions, streams, args.replications)
        engine.append(seconds)
        callbacks.append(bare_callbacks(events))
        process.append(bare_process(events))
        single.append(bare_callbacks(events, chains=1))
        same_heap.append(bare_callbacks(events, chains=chains))
        untimed_events, seconds = engine_run(
            untimed_layout, untimed_decisions, streams, args.replications
        )
        no_timing.append(seconds)
    start = CLOCK()
    result = simulate_events(model, args.replications, streams)
    end_to_end = CLOCK() - start
    engine_s, callbacks_s, process_s, single_s, untimed_s, same_s = (
        statistics.median(x) for x in (engine, callbacks, process, single, no_timing, same_heap)
    )
    rep_months = args.reps * 12 * args.replications
    figures = {
        "reps": args.reps,
        "months": 12,
        "replications": args.replications,
        "events": events,
        "deals": int(len(result.deals.drop_duplicates(["replication", "deal_id"]))),
        "deal_rows": int(len(result.deals)),
        "decide_year_seconds": round(decide_seconds, 3),
        "engine_seconds_median": round(engine_s, 3),
        "engine_seconds_runs": [round(x, 3) for x in engine],
        "bare_callbacks_seconds_runs": [round(x, 3) for x in callbacks],
        "engine_events_per_second": round(events / engine_s),
        "engine_rep_months_per_second": round(rep_months / engine_s),
        "bare_callbacks_events_per_second": round(events / callbacks_s),
        "bare_process_events_per_second": round(events / process_s),
        "ratio_to_bare_callbacks": round(callbacks_s / engine_s, 3),
        "ratio_to_bare_process": round(process_s / engine_s, 3),
        "bare_single_chain_events_per_second": round(events / single_s),
        "ratio_to_bare_single_chain": round(single_s / engine_s, 3),
        "engine_mean_pending_events": round(pending),
        "bare_same_heap_events_per_second": round(events / same_s),
        "ratio_to_bare_same_heap": round(same_s / engine_s, 3),
        "no_timing_ratio_to_bare_same_heap": round(
            untimed_events / untimed_s / (events / same_s), 3
        ),
        "no_timing_events": untimed_events,
        "no_timing_engine_events_per_second": round(untimed_events / untimed_s),
        "no_timing_ratio_to_bare_callbacks": round(
            untimed_events / untimed_s / (events / callbacks_s), 3
        ),
        "simulate_events_seconds": round(end_to_end, 3),
        "simulate_events_events_per_second": round(events / end_to_end),
        "simpy": simpy.__version__,
    }
    ratio = min(figures["ratio_to_bare_callbacks"], figures["ratio_to_bare_process"])
    figures["ratio_vs_faster_bare_loop"] = ratio
    figures["target_ratio"] = 0.3
    figures["meets_target"] = ratio >= 0.3
    for name, value in figures.items():
        print(f"{name:>36}: {value}")
    record("event_engine", figures)
    same = figures["ratio_to_bare_same_heap"]
    verdict = (
        f"the target (≥ 0.3) is {'met' if ratio >= 0.3 else 'not met'} against the 100-chain "
        f"loop ({ratio:.2f}); against a loop holding as many pending events as the engine it is "
        f"{'met' if same >= 0.3 else 'not met'} ({same:.2f}); without the timing model's "
        f"decisions, {figures['no_timing_ratio_to_bare_callbacks']:.2f} and "
        f"{figures['no_timing_ratio_to_bare_same_heap']:.2f}."
    )
    host = machine()
    text = f"""{SECTION}

`benchmarks/bench_event_engine.py` (`--reps {args.reps} --replications {args.replications}`),
{time.strftime("%Y-%m-%d")}: the engine brief's test model (saas-ae plan, deal sales with
quarter-end seasonality, dynamic effort, pull/push timing, hazard attrition), {args.reps:,} reps
× 12 months × {args.replications} replications; medians of {args.repeat} interleaved runs, in
CPU seconds of the benchmark process (`time.process_time`: the machine is shared with other
jobs, whose load would otherwise enter the engine and the reference loop unequally).
Machine: {host["cpu"]}, {host["cores"]} cores (nproc), Python {host["python"]}, SimPy
{simpy.__version__}, numpy {host["numpy"]}, pandas {host["pandas"]}.

| measure | value |
|---|---|
| events processed (exact count) | {events:,} |
| event engine, SimPy runs only | {figures["engine_events_per_second"]:,} events/s ({figures["engine_rep_months_per_second"]:,} rep-months/s) |
| bare SimPy loop, timeout callbacks chain | {figures["bare_callbacks_events_per_second"]:,} events/s |
| bare SimPy loop, one process per chain | {figures["bare_process_events_per_second"]:,} events/s |
| **ratio to the faster of these two loops** (target ≥ 0.3) | **{ratio:.2f}** |
| ratio run by run (engine run / callbacks-chain run of the same round) | {", ".join(f"{c / e:.2f}" for e, c in zip(engine, callbacks, strict=True))} |
| bare SimPy loop with as many chains as the engine has pending events ({pending:,.0f}) | {figures["bare_same_heap_events_per_second"]:,} events/s (ratio {figures["ratio_to_bare_same_heap"]:.2f}; {figures["no_timing_ratio_to_bare_same_heap"]:.2f} without timing) |
| bare SimPy loop, a single timeout chain (heap of one event) | {figures["bare_single_chain_events_per_second"]:,} events/s (ratio {figures["ratio_to_bare_single_chain"]:.2f}) |
| the same model with timing model "none" | {figures["no_timing_engine_events_per_second"]:,} events/s (ratio {figures["no_timing_ratio_to_bare_callbacks"]:.2f} to the callbacks chain) |
| `simulate_events` end to end (incl. policy solve and tables) | {end_to_end:.2f} s ({figures["simulate_events_events_per_second"]:,} events/s) |
| of which `decide_year` (shared model code, once per year) | {decide_seconds:.2f} s |

Each won deal is two events (creation, closing after its lag), pushed pieces one more; the
calendar process adds a few per month. The month steps (reviews, effort, draws, timing
decisions, attrition) are vectorised over the seats of a replication and are included in the
engine figure. The reference loops keep 100 timeouts pending at once (the engine keeps
{pending:,.0f} on average: the open month's creations and closings; closings due in later
months wait outside SimPy's queue until their month opens); a single chain is shown too.
The difference between the two model variants is the cost of the timing model's decisions
(`DealTiming.decide`, one call per replication and period end over the occupied seats),
which is behaviour-model code shared with the fast engine. CPU time keeps other jobs' CPU
out of the figures but not their use of the shared caches and memory: when another job runs
on the other core, the engine (megabytes of live events and arrays) slows down more than the
reference loops (a few kilobytes), so the run-by-run ratios show the spread.

Verdict: {verdict}
"""
    print("wrote", write_section(text))


if __name__ == "__main__":
    main()
