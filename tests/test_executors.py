"""The Dask executor's worker options (issue 15): names Dask knows, applied in the workers."""

from __future__ import annotations

import pytest

from spmopt.run.executors import dask_client, dask_worker_config

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")


def test_every_worker_option_is_a_key_of_the_installed_dask():
    """A misspelt key would be set and silently ignored: each must be one of Dask's own."""
    import distributed  # noqa: F401  (loads distributed's defaults into dask.config)

    for key in dask_worker_config():
        parent, _, leaf = key.rpartition(".")
        if parent.endswith("pre-spawn-environ"):  # environment variables: any name
            assert isinstance(dask.config.get(parent), dict)
        else:
            dask.config.get(key)  # raises KeyError for an unknown key


def _worker_state(dask_worker) -> dict:
    """What the options change, as seen inside a worker process."""
    import os

    return {
        "profiler": "profile" in dask_worker.periodic_callbacks,
        "tick_s": dask_worker._tick_interval,
        "malloc_trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        "malloc_arenas": os.environ.get("MALLOC_ARENA_MAX"),
    }


@pytest.mark.slow  # a LocalCluster starts in ~5 s alone, over a minute on the shared machine
def test_the_local_cluster_workers_run_without_the_profiler_and_malloc_trimming():
    """The LocalCluster of ``--executor dask`` applies :func:`dask_worker_config` in its worker
    processes: no statistical profiler taking the GIL every 10 ms, 1 s event-loop ticks, and
    glibc's own trim threshold (Dask's default environment sets 65536)."""
    with dask_client(workers=1) as client:
        (state,) = client.run(_worker_state).values()
        scheduler_tick = client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler._tick_interval
        )
    assert state == {
        "profiler": False,
        "tick_s": 1.0,
        "malloc_trim": None,
        "omp_threads": "1",
        "malloc_arenas": "1",
    }
    assert scheduler_tick == 1.0
