"""`spmopt.simulate`: run a scenario on one of the two engines (design §5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from spmopt.errors import SpmoptInputError
from spmopt.plan.plan import Plan
from spmopt.scenario import Scenario
from spmopt.sim.results import SimulationResult
from spmopt.sim.streams import RandomStreams

ENGINES = ("fast", "events")


def as_scenario(scenario: str | Path | Scenario) -> Scenario:
    """A :class:`Scenario` from a path or a scenario."""
    return scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)


def simulate(
    scenario: str | Path | Scenario,
    plan: str | Plan | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    first_replication: int = 0,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate a scenario's sales force under a plan.

    Parameters
    ----------
    scenario:
        A scenario file path or a :class:`~spmopt.scenario.Scenario`.
    plan:
        A plan name from the scenario's ``[plans]`` or a :class:`~spmopt.Plan` for every segment;
        ``None`` keeps each segment's own plan.
    replications, seed, engine:
        Override the scenario's values. The seed drives the market (leads, deals, quits); the
        population is always the scenario's. Replications ``first_replication …`` use their own
        streams, so results do not depend on how runs are split.
    progress:
        Called with the number of replications completed so far.

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
    engine = engine or scenario.spec.scenario.engine
    if engine not in ENGINES:
        raise SpmoptInputError(f"unknown engine '{engine}'; expected one of {', '.join(ENGINES)}")
    replications = scenario.replications if replications is None else int(replications)
    if replications < 1:
        raise SpmoptInputError(f"replications must be at least 1, not {replications}")
    seed = scenario.seed if seed is None else int(seed)
    model = scenario.model(plan)
    streams = RandomStreams(seed)
    if engine == "fast":
        from spmopt.sim.fast import simulate_fast as run
    else:
        from spmopt.sim.events import simulate_events as run
    result = run(
        model, replications, streams, first_replication=first_replication, progress=progress
    )
    from spmopt import __version__

    result.metadata.update(
        {
            "scenario_id": scenario.id,
            "content_hash": scenario.content_hash,
            "seed": seed,
            "engine": engine,
            "replications": replications,
            "first_replication": first_replication,
            "plan_id": model.plan_id(),
            "spmopt_version": __version__,
        }
    )
    return result
