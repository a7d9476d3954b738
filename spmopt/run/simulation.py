"""`spmopt.simulate`: run a scenario on one of the two engines (design §5)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.plan import Plan
from spmopt.scenario import Scenario
from spmopt.sim.results import SimulationResult, monthly_totals
from spmopt.sim.streams import RandomStreams

ENGINES = ("fast", "events")


def as_scenario(scenario: str | Path | Scenario) -> Scenario:
    """A :class:`Scenario` from a path or a scenario."""
    return scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)


def run_settings(scenario: Scenario, replications, seed, engine) -> tuple[int, int, str]:
    """Replications, seed and engine of a run: the arguments, or the scenario's values."""
    engine = engine or scenario.spec.scenario.engine
    if engine not in ENGINES:
        raise SpmoptInputError(f"unknown engine '{engine}'; expected one of {', '.join(ENGINES)}")
    replications = scenario.replications if replications is None else int(replications)
    if replications < 1:
        raise SpmoptInputError(f"replications must be at least 1, not {replications}")
    seed = scenario.seed if seed is None else int(seed)
    return replications, seed, engine


def _run_metadata(scenario: Scenario, plan_id: str, replications, seed, engine, first=0) -> dict:
    """What produced a run's results: scenario and content hash, seed, engine, version."""
    from spmopt import __version__

    return {
        "scenario_id": scenario.id,
        "content_hash": scenario.content_hash,
        "seed": seed,
        "engine": engine,
        "replications": replications,
        "first_replication": first,
        "plan_id": plan_id,
        "spmopt_version": __version__,
    }


def simulate(
    scenario: str | Path | Scenario,
    plan: str | Plan | Mapping[str, Plan] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    first_replication: int = 0,
    progress: Callable[[int], None] | None = None,
    decision_progress: Callable[[int, int], None] | None = None,
    decide: Callable | None = None,
) -> SimulationResult:
    """Simulate a scenario's sales force under a plan.

    Parameters
    ----------
    scenario:
        A scenario file path or a :class:`~spmopt.scenario.Scenario`.
    plan:
        A plan name from the scenario's ``[plans]`` or a :class:`~spmopt.Plan` for every segment,
        or ``{segment: Plan}`` for some segments; ``None`` keeps each segment's own plan.
    replications, seed, engine:
        Override the scenario's values. The seed drives the market (leads, deals, quits); the
        population is always the scenario's. Replications ``first_replication …`` use their own
        streams, so results do not depend on how runs are split.
    progress:
        Called with the number of replications completed so far.
    decision_progress:
        Called with (seats whose policies are solved, seats) while the reps' decisions are
        solved at the start of each year.
    decide:
        Solves a year's decisions in place of :func:`~spmopt.sim.model.decide_year` (same
        signature and results; e.g. :meth:`spmopt.run.decision_cache.DecisionCache.decider`).

    Returns
    -------
    SimulationResult
        ``rep_periods`` (and ``deals`` from the event engine), ``summary()``, ``metadata``.

    Examples
    --------
    >>> result = simulate("scenarios/saas-ae.toml", replications=20)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    scenario = as_scenario(scenario)
    replications, seed, engine = run_settings(scenario, replications, seed, engine)
    model = scenario.model(plan)
    streams = RandomStreams(seed)
    if engine == "fast":
        from spmopt.sim.fast import simulate_fast as run
    else:
        from spmopt.sim.events import simulate_events as run
    result = run(
        model,
        replications,
        streams,
        first_replication=first_replication,
        progress=progress,
        decision_progress=decision_progress,
        **({} if decide is None else {"decide": decide}),
    )
    result.metadata.update(
        _run_metadata(scenario, model.plan_id(), replications, seed, engine, first_replication)
    )
    return result


def simulate_to_files(
    scenario: str | Path | Scenario,
    out_dir: Path,
    plan: str | Plan | Mapping[str, Plan] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    file_format: str = "parquet",
    progress: Callable[[int], None] | None = None,
    decision_progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict, list[Path]]:
    """Simulate and write the tables under ``out_dir`` chunk by chunk (fast engine), so that
    memory stays bounded whatever the number of replications.

    Returns ``(summary, replication_metrics, monthly means, metadata, written paths)``; the
    event engine, which keeps deal records, writes its whole result at the end.
    """
    scenario = as_scenario(scenario)
    engine = engine or scenario.spec.scenario.engine
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if engine != "fast":
        result = simulate(
            scenario,
            plan,
            replications=replications,
            seed=seed,
            engine=engine,
            progress=progress,
            decision_progress=decision_progress,
        )
        written = result.write(out_dir, file_format=file_format)
        monthly = monthly_totals(result.rep_periods) / result.metadata["replications"]
        return result.summary(), result.replication_metrics(), monthly, result.metadata, written
    from spmopt.sim.fast import iter_fast
    from spmopt.sim.results import summarise

    replications, seed, engine = run_settings(scenario, replications, seed, engine)
    model = scenario.model(plan)
    path = out_dir / f"rep_periods.{'csv' if file_format == 'csv' else 'parquet'}"
    metrics, writer, metadata, monthly = [], None, {}, None
    try:
        # chunks of about 600,000 rows (~75 MB of table): with two chunks in flight and the Parquet
        # conversion, peak memory stays well under 2 GiB at 10,000 reps
        rows_per_replication = model.seats * 12 * model.years
        chunk = max(1, min(replications, 600_000 // max(rows_per_replication, 1)))
        for chunk_result in iter_fast(
            model,
            replications,
            RandomStreams(seed),
            chunk_replications=chunk,
            progress=progress,
            decision_progress=decision_progress,
        ):
            metrics.append(chunk_result.replication_metrics())
            totals = monthly_totals(chunk_result.rep_periods)
            monthly = totals if monthly is None else monthly.add(totals, fill_value=0.0)
            metadata = chunk_result.metadata
            table = chunk_result.rep_periods
            if file_format == "csv":
                table.to_csv(
                    path,
                    mode="a" if writer else "w",
                    header=writer is None,
                    index=False,
                    float_format="%.10g",
                )
                writer = True
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                arrow = pa.Table.from_pandas(table, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(path, arrow.schema)
                writer.write_table(arrow.cast(writer.schema))
    finally:
        if writer not in (None, True):
            writer.close()
    metrics = pd.concat(metrics, ignore_index=True)
    summary = summarise(metrics)
    metadata = {**metadata, **_run_metadata(scenario, model.plan_id(), replications, seed, engine)}
    summary_path = out_dir / "summary.csv"
    summary.to_csv(summary_path, index=False, float_format="%.10g")
    meta_path = out_dir / "metadata.json"
    meta_path.write_text(json.dumps(metadata, indent=2, default=str) + "\n")
    return summary, metrics, monthly / replications, metadata, [path, summary_path, meta_path]
