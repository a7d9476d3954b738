"""Per-process cache of the reps' first-year decisions, shared by the tasks of a plan.

A bench task (:func:`spmopt.run.suite.run_block`) simulates a block of replications of one
design on one scenario. Before simulating, an engine solves the reps' decisions for the first
plan year (:func:`spmopt.sim.model.decide_year`: effort policies, certainty equivalents, quit
hazards) — for the dynamic effort model ~0.04 s of CPU per rep type, the dominant cost of a
task. Those decisions depend only on the compiled model and the seats' first-year quotas, not
on the block's random numbers, so every block of a (scenario, design) solves the same ones.
:class:`DecisionCache` keeps the last few in memory and hands them to the next task of the same
plan in the same process (a ``ProcessPoolExecutor`` or Dask worker keeps its own; nothing is
shared between processes and nothing random is stored).

Only the first year is cached: a later year's decisions are solved on the block's mean revised
quotas and tenures (``docs/simulation-model.md``), which depend on the block's simulated sales,
so they are solved every time, as before. The key is a hash of the decision's actual inputs
(:func:`model_fingerprint`: population, every segment's plan, sales technology and seasonality,
behaviour and ramp settings, the policy-type budget; the quotas and tenures; the caller's
context, e.g. the code version), so a cached run is bit-identical to a fresh one.

The run's seed is not part of the key: it seeds the market streams only; the decisions never see
it (the population is drawn from the scenario's own seed, and is hashed itself).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pandas as pd

from spmopt.sim.model import SimulationModel, YearDecisions, decide_year

#: entries kept per process at most
DEFAULT_ENTRIES = 4
#: bytes of arrays kept per process at most (the newest entry is always kept): an entry holds a
#: year's policies for every seat of one plan, ~13 MB for saas-ae's 150 reps of the dynamic model
#: (~90 kB per rep type), ~0.9 GB at 10,000 reps, next to the 0.7–1.9 GiB a task's tables take
DEFAULT_MAX_BYTES = 512 * 2**20

__all__ = ["DecisionCache", "array_nbytes", "model_fingerprint", "process_cache"]


def model_fingerprint(model: SimulationModel) -> str:
    """A hash of everything in ``model`` that :func:`~spmopt.sim.model.decide_year` reads:
    the population (every trait of every seat), each segment's plan (its TOML), sales
    technology, seasonality weights, the behaviour, ramp and quota-revision settings and the
    policy-type budget (hex digest)."""
    digest = hashlib.sha256()

    def add(label: str, value: bytes | str) -> None:
        data = value.encode() if isinstance(value, str) else value
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    frame = model.population.frame
    add("scenario", model.content_hash)
    add("columns", repr([(name, str(dtype)) for name, dtype in frame.dtypes.items()]))
    add("population", pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    for name, segment in model.segments.items():
        add("segment", name)
        add("plan", segment.plan.to_toml())
        add("technology", repr(segment.technology))
        add("seasonality", np.asarray(segment.seasonality.weights, dtype=float).tobytes())
    add("behaviour", repr(model.behaviour))
    add("ramp", repr(model.ramp))
    add("quota_revision", repr(model.quota_revision))
    add("policy_types", str(model.policy_types))
    return digest.hexdigest()


def array_nbytes(value, seen: set[int] | None = None, depth: int = 0) -> int:
    """Bytes held by the numpy arrays and pandas tables reachable from ``value`` through
    attributes, mappings and sequences (each counted once; at most 12 levels deep)."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > 12:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return value.nbytes if value.base is None else array_nbytes(value.base, seen, depth + 1)
    if isinstance(value, pd.DataFrame | pd.Series):
        return int(np.sum(value.memory_usage(index=True, deep=False)))
    if isinstance(value, dict):
        children = list(value.values())
    elif isinstance(value, list | tuple):
        children = list(value)
    elif hasattr(value, "__dict__"):
        children = list(vars(value).values())
    else:
        return 0
    return sum(array_nbytes(child, seen, depth + 1) for child in children)


def _array_bytes(values) -> bytes:
    """An array's shape and float64 bytes (``b"none"`` for None)."""
    if values is None:
        return b"none"
    array = np.ascontiguousarray(values, dtype=float)
    return repr(array.shape).encode() + array.tobytes()


class DecisionCache:
    """The last first-year :class:`~spmopt.sim.model.YearDecisions` solved in this process:
    at most ``entries`` of them holding at most ``max_bytes`` of arrays (:func:`array_nbytes`;
    the newest is kept whatever its size), least recently used dropped first. Safe to use from
    several threads (two threads asking for the same missing key may both solve it; they get
    equal decisions)."""

    def __init__(self, entries: int = DEFAULT_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES):
        if entries < 1:
            raise ValueError(f"a decision cache needs at least 1 entry, not {entries}")
        self.entries = entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._store: OrderedDict[str, tuple[YearDecisions, int]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Bytes of arrays held by the entries."""
        return sum(size for _, size in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def clear(self) -> None:
        """Forget every entry and reset the counts."""
        with self._lock:
            self._store.clear()
            self.hits = self.misses = 0

    def key(self, context: str, model: SimulationModel, quotas, tenure_months, max_types) -> str:
        """The entry key of a :func:`~spmopt.sim.model.decide_year` call (hex digest)."""
        digest = hashlib.sha256()
        for part in (
            context.encode(),
            model_fingerprint(model).encode(),
            _array_bytes(quotas),
            _array_bytes(tenure_months),
            repr(max_types).encode(),
        ):
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
        return digest.hexdigest()

    def decider(self, context: str = "") -> Callable[..., YearDecisions]:
        """A drop-in for :func:`~spmopt.sim.model.decide_year` (the engines' ``decide``
        argument) that reads and fills this cache for first-year calls (no tenures given) and
        solves later years afresh. ``context`` is hashed into the keys (e.g. the code version)."""

        def decide(
            model: SimulationModel,
            quotas,
            tenure_months=None,
            max_types: int | None = None,
            progress: Callable[[int, int], None] | None = None,
        ) -> YearDecisions:
            if tenure_months is not None:  # a later year: depends on the block's own sales
                return decide_year(model, quotas, tenure_months, max_types, progress)
            key = self.key(context, model, quotas, tenure_months, max_types)
            with self._lock:
                entry = self._store.get(key)
                decisions = None if entry is None else entry[0]
                if entry is not None:
                    self._store.move_to_end(key)
                    self.hits += 1
            if decisions is not None:
                if progress is not None:
                    progress(model.seats, model.seats)
                return decisions
            decisions = decide_year(model, quotas, tenure_months, max_types, progress)
            size = array_nbytes(decisions)
            with self._lock:
                self.misses += 1
                self._store[key] = (decisions, size)
                self._store.move_to_end(key)
                while len(self._store) > 1 and (
                    len(self._store) > self.entries or self.nbytes > self.max_bytes
                ):
                    self._store.popitem(last=False)
            return decisions

        return decide


_PROCESS_CACHE = DecisionCache()


def process_cache() -> DecisionCache:
    """This process's decision cache (each worker process has its own)."""
    return _PROCESS_CACHE
