"""Executors: run independent tasks serially, in local processes, or on Dask — one interface.

Tasks are ``(function, arguments)`` pairs of picklable objects; results come back in task order,
so a run's output does not depend on the executor or the number of workers (each task draws from
its own named random streams). ``on_result(index, result)`` is called as each task finishes (in
completion order), so a caller can save finished work before the whole run ends.

Dask workers are started with the options measured to make them efficient on simulation tasks
(:func:`dask_worker_config`); a scheduler address (``tcp://host:8786``) is checked before any
task is submitted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager

from spmopt.errors import SpmoptInputError

EXECUTORS = ("serial", "processes", "dask")
DASK_CONNECT_TIMEOUT_S = 10.0
"""Seconds to wait for a Dask scheduler before reporting it unreachable."""


def dask_worker_config() -> dict:
    """Dask configuration for an efficient LocalCluster (or a cluster's workers and scheduler)
    running simulation tasks [dask config keys → values].

    Measured on a 2-core machine (``benchmarks/bench_dask.py``, ``docs/scaling.md``):

    * ``MALLOC_TRIM_THRESHOLD_`` left unset in the workers' environment (Dask sets 65536):
      glibc then stops returning freed memory to the system after every large numpy temporary,
      which the fast engine's many short-lived arrays paged back in each time (0.53–1.08× serial
      on 2 workers with Dask's value);
    * the workers' statistical profiler off: every 10 ms it takes the GIL from the task thread
      to sample its stack;
    * the event-loop tick (a responsiveness measurement, 20 ms → 1 s), the system monitor
      (0.5 → 5 s) and the memory monitor (0.1 → 1 s) woken less often. With these and the
      profiler, Dask's own threads (in the workers, and the scheduler and nannies in the client
      process) used ~1.5 s of CPU per 5.5 s of tasks (200 replications on 2 workers) with Dask's
      defaults and 0.4 s with these options; an idle 2-worker LocalCluster 0.17 cores and 0.02.
      On one machine these threads share the cores with the workers. Work stealing, which
      balances uneven tasks, costs nothing measurable and stays on;
    * one glibc malloc arena per worker (``MALLOC_ARENA_MAX=1``): a Dask task runs in a worker
      thread, not the main thread, and glibc gives such threads their own arena of mmap'd heaps;
      in the quiet-machine run of 2026-12-05 the task threads then used ~1.3× the serial CPU for
      the same tasks and the cluster ran at a median 1.13–1.31× serial, against 1.52× with one
      arena — equal to a process pool's 1.53× in the same run (faster than the tuned cluster
      without it in 7 of 7 paired comparisons over three runs);
    * one BLAS/OpenMP thread per worker, so 2 workers do not oversubscribe 2 cores.
    """
    return {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        "distributed.nanny.pre-spawn-environ.MALLOC_ARENA_MAX": 1,
        "distributed.nanny.pre-spawn-environ.OMP_NUM_THREADS": 1,
        "distributed.nanny.pre-spawn-environ.MKL_NUM_THREADS": 1,
        "distributed.nanny.pre-spawn-environ.OPENBLAS_NUM_THREADS": 1,
        "distributed.worker.profile.enabled": False,
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "5s",
        "distributed.worker.memory.monitor-interval": "1s",
    }


def run_tasks(
    tasks: Sequence[tuple[Callable, tuple]],
    executor: str = "serial",
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    address: str | None = None,
    on_result: Callable[[int, object], None] | None = None,
) -> list:
    """Results of ``function(*arguments)`` for each task, in task order.

    ``processes`` uses :class:`concurrent.futures.ProcessPoolExecutor` (measured here at 1.9–2.0×
    on 2 cores, start-up 0.02–0.05 s); ``dask`` the Dask scheduler at ``address``, or a
    LocalCluster of ``workers`` single-threaded worker processes when no address is given
    (install the ``distributed`` extra). ``progress(done)`` and ``on_result(index, result)`` are
    called as tasks finish.
    """
    if executor not in EXECUTORS:
        raise SpmoptInputError(
            f"unknown executor '{executor}'; expected one of {', '.join(EXECUTORS)}"
        )
    if address is not None and executor != "dask":
        raise SpmoptInputError(f"--address is for the dask executor, not '{executor}'")
    if workers is not None and workers < 1:
        raise SpmoptInputError(f"workers must be at least 1, not {workers}")
    if not tasks:
        return []
    if executor == "dask":
        with dask_client(address, workers) as client:
            return run_on_client(client, tasks, progress, on_result)
    if executor == "serial" or len(tasks) <= 1:
        return _collect(
            ((index, function(*arguments)) for index, (function, arguments) in enumerate(tasks)),
            len(tasks),
            progress,
            on_result,
        )
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(function, *arguments): index
            for index, (function, arguments) in enumerate(tasks)
        }
        finished = ((futures[future], future.result()) for future in as_completed(futures))
        return _collect(finished, len(tasks), progress, on_result)


def run_on_client(client, tasks, progress=None, on_result=None) -> list:
    """Run ``tasks`` on a connected :class:`dask.distributed.Client`; results in task order."""
    from dask.distributed import as_completed as dask_completed

    tasks = _scatter_shared(client, tasks)
    futures = [client.submit(function, *arguments, pure=False) for function, arguments in tasks]
    index = {future.key: position for position, future in enumerate(futures)}
    finished = ((index[future.key], future.result()) for future in dask_completed(futures))
    try:
        return _collect(finished, len(tasks), progress, on_result)
    finally:
        client.cancel(futures)


_UNSHARED = (int, float, complex, str, bytes, bool, type(None))


def _scatter_shared(client, tasks: Sequence[tuple[Callable, tuple]]) -> list:
    """``tasks`` with every argument object that several tasks share (the same scenario, say)
    sent to all workers once and replaced by its Dask future.

    Without this, Dask pickles a shared argument again into every task message: a bench task is
    about half a second of work on field-sales, and resending the scenario with each one cost a
    visible share of it. Scalars and strings are passed as they are.
    """
    uses: dict[int, int] = {}
    for _, arguments in tasks:
        for argument in arguments:
            if not isinstance(argument, _UNSHARED):
                uses[id(argument)] = uses.get(id(argument), 0) + 1
    shared: dict[int, object] = {}
    for _, arguments in tasks:
        for argument in arguments:
            if uses.get(id(argument), 0) > 1 and id(argument) not in shared:
                shared[id(argument)] = client.scatter([argument], broadcast=True, hash=False)[0]
    return [
        (function, tuple(shared.get(id(argument), argument) for argument in arguments))
        for function, arguments in tasks
    ]


@contextmanager
def dask_client(address: str | None = None, workers: int | None = None) -> Iterator:
    """A Dask client on the scheduler at ``address`` or on a new efficient LocalCluster of
    ``workers`` single-threaded processes (:func:`dask_worker_config`).

    Raises :class:`~spmopt.errors.SpmoptInputError` (exit status 2) when dask is not installed
    or the scheduler cannot be reached within :data:`DASK_CONNECT_TIMEOUT_S` seconds.
    """
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SpmoptInputError(
            "the dask executor needs dask[distributed]: pip install 'spmopt[distributed]'"
        ) from None
    if address is not None:
        client = _connect(Client, address)
        try:
            yield client
        finally:
            client.close()
        return
    with dask.config.set(dask_worker_config()):
        with LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,  # logging.ERROR
        ) as cluster:
            with Client(cluster) as client:
                yield client


def _connect(client_class, address: str):
    """A client on ``address``, or a clear error when no scheduler answers there."""
    if "://" not in address and ":" not in address:
        raise SpmoptInputError(
            f"--address {address!r} is not a scheduler address; expected e.g. tcp://host:8786"
        )
    try:
        return client_class(address, timeout=DASK_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as error:
        raise SpmoptInputError(
            f"cannot reach a Dask scheduler at {address} within {DASK_CONNECT_TIMEOUT_S:.0f} s "
            f"({type(error).__name__}: {error}); start one with `dask scheduler` and workers "
            "with `dask worker ADDRESS`, or leave out --address for a local cluster"
        ) from None


def check_dask_address(address: str) -> None:
    """Raise :class:`~spmopt.errors.SpmoptInputError` unless a Dask scheduler answers at
    ``address`` (called before any work starts)."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise SpmoptInputError(
            "the dask executor needs dask[distributed]: pip install 'spmopt[distributed]'"
        ) from None
    _connect(Client, address).close()


def _collect(
    finished: Iterable[tuple[int, object]],
    total: int,
    progress: Callable[[int], None] | None,
    on_result: Callable[[int, object], None] | None,
) -> list:
    """Results placed in task order from ``(index, result)`` pairs in completion order."""
    results: list = [None] * total
    for done, (index, result) in enumerate(finished, start=1):
        results[index] = result
        if on_result:
            on_result(index, result)
        if progress:
            progress(done)
    return results
