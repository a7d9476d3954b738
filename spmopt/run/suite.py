"""Benchmark suites: plan designs × scenarios × seeds, cached, on any executor, as a leaderboard.

A suite file (``docs/benchmarks.md``) names scenario files, plan designs (plan files, or plans of
the scenarios' own ``[plans]``) and root seeds. Every (scenario, design, seed, block of
replications) is one task. Designs on the same scenario and seed see common random numbers, so
they are ranked by paired differences, replication by replication.

Finished tasks are cached under a key that hashes everything their result depends on (scenario
and plan contents, the design's ratchet, seed, engine, replications, and the spmopt code), so an
interrupted or extended suite recomputes only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from spmopt.errors import SpmoptInputError, toml_error_message
from spmopt.plan.plan import Plan
from spmopt.scenario import Scenario

if TYPE_CHECKING:
    from spmopt.run.decision_cache import DecisionCache

SUITE_KEYS = {"schema_version", "suite", "scenarios", "designs"}
SUITE_BODY_KEYS = {"id", "description", "seeds", "replications", "block", "engine", "baseline"}
SCENARIO_KEYS = {"path", "quota_scale", "pay_scale"}
DESIGN_KEYS = {"name", "plan", "scenario_plan", "ratchet"}
RATCHET_KEYS = {"up", "down", "discount", "horizon_years"}


@dataclass(frozen=True)
class SuiteScenario:
    """A scenario of a suite; plan-file designs are rescaled to it.

    ``quota_scale`` multiplies the designs' quotas, ``pay_scale`` their base salary, target
    incentive, bonuses, draws and payout caps (both ratios, default 1).
    """

    path: Path
    quota_scale: float = 1.0
    pay_scale: float = 1.0


@dataclass(frozen=True)
class Design:
    """A plan design: a plan (from a file), or a plan of each scenario's ``[plans]`` (``plan``
    None; ``scenario_plan``, default the design's name); ``ratchet`` makes next year's quota follow this year's sales
    (``{up, down[, discount, horizon_years]}``, anticipated by the reps)."""

    name: str
    plan: Plan | None = None
    ratchet: dict | None = None
    scenario_plan: str | None = None

    @property
    def plan_name(self) -> str:
        """The name in the scenarios' ``[plans]`` of a design without a plan file."""
        return self.scenario_plan or self.name


@dataclass(frozen=True)
class Suite:
    """Designs × scenarios × seeds. ``seeds`` ``(None,)`` means each scenario's own seed;
    ``replications`` None each scenario's own replications."""

    id: str
    scenarios: tuple[SuiteScenario, ...]
    designs: tuple[Design, ...]
    seeds: tuple[int | None, ...] = (None,)
    replications: int | None = None
    block: int = 25
    engine: str | None = None
    baseline: str | None = None
    description: str = ""
    source: str = "suite"

    @classmethod
    def load(cls, path: str | Path) -> Suite:
        """Read and validate a suite file; every scenario and plan it names is loaded now, so
        a missing or invalid file is reported before any simulation starts."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpmoptInputError(
                "file not found; expected a TOML suite file", str(path)
            ) from None
        except (IsADirectoryError, UnicodeDecodeError) as error:
            raise SpmoptInputError(f"cannot read a suite file ({error})", str(path)) from None
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise SpmoptInputError(toml_error_message(error, text), str(path)) from None
        return cls.from_dict(document, source=str(path), base=path.parent)

    @classmethod
    def from_dict(cls, document: dict, source: str = "suite", base: Path | None = None) -> Suite:
        """A suite from a parsed suite file; paths are relative to ``base``."""
        base = Path(".") if base is None else base
        _keys("", document, SUITE_KEYS, source)
        if document.get("schema_version") != 1:
            raise SpmoptInputError("schema_version: expected 1", source)
        body = document.get("suite", {})
        _keys("suite.", body, SUITE_BODY_KEYS, source)
        scenarios = tuple(
            _suite_scenario(entry, position, source, base)
            for position, entry in enumerate(_list(document, "scenarios", source))
        )
        designs = tuple(
            _design(entry, position, source, base)
            for position, entry in enumerate(_list(document, "designs", source))
        )
        names = [design.name for design in designs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise SpmoptInputError(f"designs: the name '{repeated[0]}' is used twice", source)
        seeds = body.get("seeds", [None])
        if not isinstance(seeds, list) or not seeds:
            raise SpmoptInputError("suite.seeds: expected a list of whole numbers ≥ 0", source)
        for seed in seeds:
            if seed is not None and (not isinstance(seed, int) or seed < 0):
                raise SpmoptInputError(f"suite.seeds: {seed!r} is not a whole number ≥ 0", source)
        suite = cls(
            id=str(body.get("id", Path(source).stem)),
            scenarios=scenarios,
            designs=designs,
            seeds=tuple(seeds),
            replications=_positive(body, "replications", source),
            block=_positive(body, "block", source) or 25,
            engine=body.get("engine"),
            baseline=body.get("baseline"),
            description=str(body.get("description", "")),
            source=source,
        )
        if suite.engine not in (None, "fast", "events"):
            raise SpmoptInputError("suite.engine: expected 'fast' or 'events'", source)
        if suite.baseline is not None and suite.baseline not in names:
            raise SpmoptInputError(
                f"suite.baseline: no design named '{suite.baseline}' (designs: {', '.join(names)})",
                source,
            )
        suite.check()
        return suite

    def check(self) -> None:
        """Load every scenario and check every design applies to at least one of them."""
        for design in self.designs:
            if design.plan is None and not any(
                design.plan_name in load_scenario_cached(entry.path).plans
                for entry in self.scenarios
            ):
                available = sorted(
                    {
                        name
                        for entry in self.scenarios
                        for name in load_scenario_cached(entry.path).plans
                    }
                )
                raise SpmoptInputError(
                    f"design '{design.name}': no scenario of the suite has a plan "
                    f"'{design.plan_name}' in its [plans] (they have {', '.join(available)})",
                    self.source,
                )
        for entry in self.scenarios:
            load_scenario_cached(entry.path)


def _keys(prefix: str, table, allowed: set[str], source: str) -> None:
    if not isinstance(table, dict):
        raise SpmoptInputError(f"{prefix.rstrip('.') or 'the file'}: expected a table", source)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpmoptInputError(
            f"unknown key '{prefix}{unknown[0]}'; expected one of {', '.join(sorted(allowed))}",
            source,
        )


def _list(document: dict, key: str, source: str) -> list:
    entries = document.get(key)
    if not isinstance(entries, list) or not entries:
        raise SpmoptInputError(f"missing [[{key}]]: a suite needs at least one", source)
    return entries


def _positive(table: dict, key: str, source: str) -> int | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, int) or value < 1):
        raise SpmoptInputError(f"suite.{key}: expected a whole number ≥ 1, got {value!r}", source)
    return value


def _suite_scenario(entry, position: int, source: str, base: Path) -> SuiteScenario:
    key = f"scenarios[{position}]."
    _keys(key, entry, SCENARIO_KEYS, source)
    if "path" not in entry:
        raise SpmoptInputError(f"missing key '{key}path' (the scenario file)", source)
    path = base / entry["path"]
    if not path.is_file():
        raise SpmoptInputError(f"{key}path: scenario file {path} not found", source)
    scales = {}
    for name in ("quota_scale", "pay_scale"):
        value = entry.get(name, 1.0)
        if not isinstance(value, int | float) or not value > 0 or not math.isfinite(value):
            raise SpmoptInputError(f"{key}{name}: expected a positive ratio, got {value!r}", source)
        scales[name] = float(value)
    try:
        load_scenario_cached(path)
    except SpmoptInputError as error:
        raise SpmoptInputError(f"{key}path: {error}", source) from None
    return SuiteScenario(path, **scales)


def _design(entry, position: int, source: str, base: Path) -> Design:
    key = f"designs[{position}]."
    _keys(key, entry, DESIGN_KEYS, source)
    if "name" not in entry:
        raise SpmoptInputError(f"missing key '{key}name'", source)
    if ("plan" in entry) == ("scenario_plan" in entry):
        raise SpmoptInputError(
            f"{key}: give either 'plan' (a plan file) or 'scenario_plan' (a plan name in the "
            "scenarios' [plans])",
            source,
        )
    plan = None
    if "plan" in entry:
        path = base / entry["plan"]
        if not path.is_file():
            raise SpmoptInputError(f"{key}plan: plan file {path} not found", source)
        try:
            plan = Plan.load(path)
        except SpmoptInputError as error:
            raise SpmoptInputError(f"{key}plan: {error}", source) from None
    ratchet = entry.get("ratchet")
    if ratchet is not None:
        _keys(f"{key}ratchet.", ratchet, RATCHET_KEYS, source)
        if "up" not in ratchet:
            raise SpmoptInputError(f"missing key '{key}ratchet.up'", source)
    return Design(
        str(entry["name"]),
        plan,
        None if ratchet is None else dict(ratchet),
        None if plan is not None else str(entry["scenario_plan"]),
    )


def is_suite_file(path: str | Path) -> bool:
    """Whether ``path`` is a suite file (a TOML file with a ``[suite]`` table)."""
    try:
        return "suite" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def load_scenario_cached(path: Path) -> Scenario:
    """The scenario at ``path``, loaded once per version of the file (its modification time)."""
    path = Path(path)
    try:
        modified = path.stat().st_mtime_ns
    except OSError:
        return Scenario.load(path)  # raises the usual "file not found" message
    return _load_scenario_version(path, modified)


@cache
def _load_scenario_version(path: Path, modified: int) -> Scenario:
    return Scenario.load(path)


# ----------------------------------------------------------------------------- plans per scenario
def scale_plan(plan: Plan, quota_scale: float = 1.0, pay_scale: float = 1.0) -> Plan:
    """The plan with quotas × ``quota_scale`` and money paid × ``pay_scale`` (base salary,
    target incentive, bonus and draw amounts, payout caps); tiers keyed on attainment keep
    their shape. Rate tiers (currency per currency credited) scale by pay/quota; tiers, caps and
    thresholds keyed on amounts scale with the quota."""
    if quota_scale == 1.0 and pay_scale == 1.0:
        return plan
    document = plan.to_dict()
    body = document["plan"]
    for key in ("base_salary", "target_incentive"):
        if key in body:
            body[key] = body[key] * pay_scale
    for component in body.get("components", []):
        if component.get("quota") is not None:
            component["quota"] = component["quota"] * quota_scale
        if component.get("max_payout") is not None:
            component["max_payout"] = component["max_payout"] * pay_scale
        amount_basis = component.get("basis") == "amount"
        if amount_basis:
            for key in ("cap", "threshold"):
                if component.get(key) is not None:
                    component[key] = component[key] * quota_scale
        for tier in component.get("tiers", []):
            if amount_basis:
                tier["from"] = tier["from"] * quota_scale
            if tier.get("rate") is not None:
                tier["rate"] = tier["rate"] * pay_scale / quota_scale
    for bonus in body.get("bonuses", []):
        bonus["amount"] = bonus["amount"] * pay_scale
    if body.get("draw"):
        body["draw"]["amount"] = body["draw"]["amount"] * pay_scale
    return Plan.from_dict(document, source=f"plan '{plan.id}' scaled")


def with_ratchet(scenario: Scenario, ratchet: dict | None) -> Scenario:
    """The scenario with next year's quotas revised from this year's sales (``up``/``down``)
    and reps anticipating it (``behaviour.ratchet``); unchanged when ``ratchet`` is None."""
    if not ratchet:
        return scenario
    from spmopt.scenario import QuotaRevisionSpec

    behaviour = dict(scenario.spec.behaviour)
    behaviour["ratchet"] = dict(ratchet)
    revision = QuotaRevisionSpec(up=ratchet["up"], down=ratchet.get("down"))
    spec = scenario.spec.model_copy(update={"behaviour": behaviour, "quota_revision": revision})
    try:
        return Scenario(spec, scenario.plans, scenario.content_hash, scenario.source)
    except SpmoptInputError as error:
        raise SpmoptInputError(f"ratchet on {scenario.source}: {error}") from None


# ----------------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class Task:
    """One block of replications of one design on one scenario and seed."""

    scenario_path: str
    design: str
    plan: Plan | str
    ratchet: dict | None
    seed: int
    first: int
    count: int
    engine: str
    key: str = field(default="", compare=False)


def run_block(
    scenario: Scenario, task: Task, decisions: DecisionCache | None = None
) -> pd.DataFrame:
    """Per-replication metrics of one task (runs in a worker).

    The reps' first-year decisions (the behaviour model's solve, the dominant cost of a task
    with dynamic effort) are read from ``decisions`` (default: the worker process's
    :func:`~spmopt.run.decision_cache.process_cache`) when an earlier block of the same plan
    and scenario solved them in this process; the metrics are the same as without it.
    """
    from spmopt.run.decision_cache import process_cache
    from spmopt.run.simulation import simulate

    decisions = process_cache() if decisions is None else decisions
    result = simulate(
        with_ratchet(scenario, task.ratchet),
        task.plan,
        replications=task.count,
        first_replication=task.first,
        seed=task.seed,
        engine=task.engine,
        decide=decisions.decider(code_version()),
    )
    metrics = result.replication_metrics()
    metrics["plan_name"] = task.design
    metrics["seed"] = task.seed
    metrics["replication"] = range(task.first, task.first + task.count)
    return metrics


@cache
def code_version() -> str:
    """The spmopt version and a hash of its source files: a cache entry is reused only by the
    code that wrote it."""
    from spmopt import __version__

    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def task_key(scenario: Scenario, task: Task) -> str:
    """Content hash of what a task's result depends on."""
    plan = task.plan if isinstance(task.plan, str) else task.plan.to_toml()
    payload = {
        "scenario": scenario.content_hash,
        "plan": plan,
        "ratchet": task.ratchet,
        "seed": task.seed,
        "engine": task.engine,
        "first": task.first,
        "count": task.count,
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def suite_size(suite: Suite) -> list[tuple[Scenario, str, int, int]]:
    """Per scenario: the scenario, its engine, the replications and the number of tasks of the
    suite on it (before looking at the cache) — for an estimate before any task is planned."""
    sizes = []
    for entry in suite.scenarios:
        scenario = load_scenario_cached(entry.path)
        engine = suite.engine or scenario.spec.scenario.engine
        total = suite.replications or scenario.replications
        designs = sum(
            1 for d in suite.designs if d.plan is not None or d.plan_name in scenario.plans
        )
        tasks = designs * len(suite.seeds) * -(-total // suite.block)
        sizes.append((scenario, engine, total * designs * len(suite.seeds), tasks))
    return sizes


def plan_tasks(
    suite: Suite, on_skip: Callable[[str], None] | None = None
) -> list[tuple[Scenario, Task]]:
    """Every (scenario, task) of the suite, in a stable order (scenario, design, seed, block)."""
    pairs = []
    for entry in suite.scenarios:
        scenario = load_scenario_cached(entry.path)
        engine = suite.engine or scenario.spec.scenario.engine
        total = suite.replications or scenario.replications
        missing = [
            d.plan_name
            for d in suite.designs
            if d.plan is None and d.plan_name not in scenario.plans
        ]
        if missing and on_skip:
            on_skip(
                f"{entry.path}: no plan {', '.join(repr(n) for n in missing)} in its [plans] "
                f"({', '.join(scenario.plans)}); skipped for this scenario"
            )
        for design in suite.designs:
            if design.plan is None and design.plan_name not in scenario.plans:
                continue
            plan = (
                design.plan_name
                if design.plan is None
                else scale_plan(design.plan, entry.quota_scale, entry.pay_scale)
            )
            if design.ratchet:
                with_ratchet(scenario, design.ratchet)  # bad ratchet settings fail now
            for seed in suite.seeds:
                seed = scenario.seed if seed is None else seed
                for first in range(0, total, suite.block):
                    task = Task(
                        str(entry.path),
                        design.name,
                        plan,
                        design.ratchet,
                        seed,
                        first,
                        min(suite.block, total - first),
                        engine,
                    )
                    pairs.append((scenario, replace(task, key=task_key(scenario, task))))
    return pairs


class TaskCache:
    """Finished tasks' metrics as one Parquet file per task key under ``folder``; files are
    written to a temporary name and renamed, so a killed run leaves only whole entries."""

    def __init__(self, folder: str | Path | None):
        self.folder = None if folder is None else Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.parquet"

    def get(self, key: str) -> pd.DataFrame | None:
        if self.folder is None:
            return None
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError):  # a damaged entry is recomputed
            return None

    def put(self, key: str, metrics: pd.DataFrame) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".parquet")
        os.close(handle)
        try:
            metrics.to_parquet(temporary, index=False)
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


# ----------------------------------------------------------------------------- running
@dataclass(frozen=True, eq=False)
class BenchResult:
    """A suite's results.

    ``leaderboard``: one row per scenario and design, ranked by mean profit with a rank
    interval from paired differences; ``overall``: one row per design, mean rank over the
    scenarios; ``differences``: each design minus the scenario's leader, paired by seed and
    replication; ``metrics``: one row per scenario, design, seed and replication.
    ``computed`` and ``cached`` count the tasks run and the tasks read from the cache.
    """

    suite_id: str
    leaderboard: pd.DataFrame
    overall: pd.DataFrame
    differences: pd.DataFrame
    metrics: pd.DataFrame
    computed: int = 0
    cached: int = 0

    def write(self, out_dir: str | Path, plot: bool = True) -> list[Path]:
        """Write leaderboard.csv, leaderboard_overall.csv, differences.csv, metrics.csv,
        leaderboard.html and (``plot``) leaderboard.png under ``out_dir``."""
        from spmopt.analysis.leaderboard import leaderboard_html, plot_leaderboard

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in (
            ("leaderboard.csv", self.leaderboard),
            ("leaderboard_overall.csv", self.overall),
            ("differences.csv", self.differences),
            ("metrics.csv", self.metrics),
        ):
            table.to_csv(out_dir / name, index=False, float_format="%.10g")
            written.append(out_dir / name)
        image = None
        if plot:
            image = plot_leaderboard(self.leaderboard, out_dir / "leaderboard.png")
            written.append(image)
        html = out_dir / "leaderboard.html"
        html.write_text(leaderboard_html(self, image.name if image else None), encoding="utf-8")
        written.append(html)
        return written


def run_suite(
    suite: Suite,
    *,
    executor: str = "serial",
    workers: int | None = None,
    address: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, int, int]:
    """Per-replication metrics of every task of ``suite`` (cached ones read, the rest run),
    with the numbers of tasks computed and read from the cache.

    A Dask ``address`` is checked before any task runs.
    """
    from spmopt.run.executors import check_dask_address, run_tasks

    pairs = plan_tasks(suite, on_skip)
    store = TaskCache(cache_dir)
    frames: list[pd.DataFrame | None] = [store.get(task.key) for _, task in pairs]
    missing = [position for position, frame in enumerate(frames) if frame is None]
    if missing and executor == "dask" and address is not None:
        check_dask_address(address)
    cached = len(pairs) - len(missing)

    def saved(index: int, metrics: pd.DataFrame) -> None:
        store.put(pairs[missing[index]][1].key, metrics)

    report = None if progress is None else (lambda done: progress(cached + done, len(pairs)))
    if progress:
        progress(cached, len(pairs))
    computed = run_tasks(
        [(run_block, pairs[position]) for position in missing],
        executor=executor,
        workers=workers,
        address=address,
        progress=report,
        on_result=saved,
    )
    for position, metrics in zip(missing, computed, strict=True):
        frames[position] = metrics
    metrics = pd.concat(frames, ignore_index=True)
    return metrics, len(missing), cached


def bench(
    suite: str | Path | Suite,
    *,
    plan_files: Sequence[str | Path] = (),
    scenarios: Sequence[str] | None = None,
    replications: int | None = None,
    seeds: Sequence[int] | None = None,
    executor: str = "serial",
    workers: int | None = None,
    address: str | None = None,
    cache_dir: str | Path | None = None,
    out: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BenchResult:
    """Run a benchmark suite and rank its designs on every scenario.

    Parameters
    ----------
    suite:
        A suite file (``scenarios/suites/standard.toml``) or a :class:`Suite`.
    plan_files:
        Plan files ranked as extra designs (named by their file name), rescaled to each scenario
        like the suite's own plan-file designs.
    scenarios:
        Scenario ids to keep (default: all of the suite's).
    replications, seeds:
        Override the suite's replications per scenario, design and seed, and its root seeds.
    executor, workers, address:
        ``serial``, ``processes`` or ``dask`` (``address`` of a Dask scheduler, else a local
        cluster of ``workers`` processes).
    cache_dir:
        Folder of finished tasks: a rerun reads them instead of simulating again (None: no cache).
    out:
        Also write the leaderboard files there (see :meth:`BenchResult.write`).

    Examples
    --------
    >>> result = bench("scenarios/suites/standard.toml", replications=4)  # doctest: +SKIP
    >>> result.leaderboard[["scenario_id", "design", "rank", "profit"]]  # doctest: +SKIP
    """
    suite = suite if isinstance(suite, Suite) else Suite.load(suite)
    suite = with_plan_files(suite, plan_files)
    if scenarios is not None:
        kept = tuple(
            e for e in suite.scenarios if load_scenario_cached(e.path).id in set(scenarios)
        )
        known = [load_scenario_cached(entry.path).id for entry in suite.scenarios]
        unknown = sorted(set(scenarios) - set(known))
        if unknown:
            raise SpmoptInputError(
                f"no scenario '{unknown[0]}' in the suite (it has {', '.join(known)})", suite.source
            )
        suite = replace(suite, scenarios=kept)
    if replications is not None:
        if replications < 1:
            raise SpmoptInputError(f"replications must be at least 1, not {replications}")
        suite = replace(suite, replications=int(replications))
    if seeds is not None:
        suite = replace(suite, seeds=tuple(int(seed) for seed in seeds))
    metrics, computed, cached = run_suite(
        suite,
        executor=executor,
        workers=workers,
        address=address,
        cache_dir=cache_dir,
        progress=progress,
    )
    result = rank(metrics, suite, computed=computed, cached=cached)
    if out is not None:
        result.write(out)
    return result


def with_plan_files(suite: Suite, plan_files: Sequence[str | Path]) -> Suite:
    """The suite with each plan file added as a design named by its file name (``-file`` added
    when the suite already has a design of that name)."""
    names = {design.name for design in suite.designs}
    extra = []
    for path in plan_files:
        name = Path(path).stem
        if name in names:
            name = f"{name}-file"
        names.add(name)
        extra.append(Design(name, Plan.load(path)))
    return replace(suite, designs=(*suite.designs, *extra)) if extra else suite


def rank(metrics: pd.DataFrame, suite: Suite, computed: int = 0, cached: int = 0) -> BenchResult:
    """The leaderboard, overall ranking and paired differences of a suite's metrics."""
    from spmopt.analysis.leaderboard import leader_differences, leaderboard_table, overall_table

    table = leaderboard_table(metrics, _budgets(suite))
    return BenchResult(
        suite_id=suite.id,
        leaderboard=table,
        overall=overall_table(table),
        differences=leader_differences(metrics, suite.baseline),
        metrics=metrics,
        computed=computed,
        cached=cached,
    )


def _budgets(suite: Suite) -> dict[str, float | None]:
    """Each scenario's annual comp budget (base + incentive) [currency]."""
    budgets = {}
    for entry in suite.scenarios:
        scenario = load_scenario_cached(entry.path)
        budgets[scenario.id] = scenario.spec.finance.comp_budget
    return budgets
