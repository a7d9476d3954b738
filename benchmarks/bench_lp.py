"""Plan-choice LP benchmarks (issue 5); writes ``benchmarks/results/lp.md``.

1. Per-rep choice: 10,000 reps × 10 candidate plans (commission rate × quota level), budget and
   cost-of-sales rows both binding, one plan per rep by LP relaxation + rounding. Build and
   solve timed separately (target: the whole under 60 s); the build/solve ratio; the same model
   built with ``lpSum`` of products for comparison; HiGHS simplex, PuLP's own HiGHS hand-over
   and CBC on the same model.
2. Segments with CVaR: 20 segments × 20 candidates, CVaR of total comp cost over 200 simulated
   scenarios plus a budget (target: under 30 s).

Synthetic response tables come from named random streams (``RandomStreams(seed)``). Run
``python benchmarks/bench_lp.py`` (add ``--quick`` for a 1,000-rep smoke run).
"""

from __future__ import annotations

import gc
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pulp

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine

from spmopt.optimise.constraints import Constraints, CVaRLimit
from spmopt.optimise.lp import Solver, build_model, solve
from spmopt.optimise.responses import ResponseTable
from spmopt.sim.streams import RandomStreams

RATES = np.array([0.04, 0.06, 0.08, 0.10, 0.12])  # commission rate on sales
QUOTA_LEVELS = np.array([0.9, 1.1])  # quota as a multiple of expected sales at the base rate
MARGIN = 0.6  # gross margin on revenue
REPEAT = 3


def per_rep_responses(reps: int, seed: int = 2027) -> pd.DataFrame:
    """Responses of ``reps`` reps to 10 candidates (5 rates × 2 quota levels).

    A rep with base sales h, effort effectiveness k and effort cost c, paid commission ρ, works
    e = ρk/c and sells S = h + ρk²/c (the linear-contract best response); a quota above what
    the rep expects to sell costs 4 % of sales in discouragement, one below gives 2 % in
    quota-chasing discounts. Profit is concave in ρ, so the budget trades rate for margin.
    """
    g = RandomStreams(seed).generator("bench_lp_per_rep")
    h = g.lognormal(np.log(8e5), 0.35, reps)
    k = g.uniform(2e5, 6e5, reps)
    c = g.uniform(2e4, 6e4, reps)
    base = g.uniform(7e4, 1.1e5, reps)
    rate = np.tile(np.repeat(RATES, QUOTA_LEVELS.size), reps)
    level = np.tile(np.tile(QUOTA_LEVELS, RATES.size), reps)
    rep = np.repeat(np.arange(reps), RATES.size * QUOTA_LEVELS.size)
    sales = h[rep] + rate * k[rep] ** 2 / c[rep]
    sales *= np.where(level > 1.0, 0.96, 1.0)
    quota = level * (h[rep] + RATES[0] * k[rep] ** 2 / c[rep])
    spread = 0.25 * sales
    return pd.DataFrame(
        {
            "unit": rep,
            "candidate": [f"r{r:.2f}-q{q:.1f}" for r, q in zip(rate, level, strict=True)],
            "revenue": sales,
            "margin": MARGIN * sales,
            "incentive_cost": rate * sales,
            "base_cost": base[rep],
            "discount_cost": np.where(level < 1.0, 0.02 * sales, 0.0),
            "certainty_equivalent": base[rep] + rate * sales,
            "outside_option": 0.0,
            "p_quota": 1.0 - 0.5 * (1.0 + np.tanh((quota - sales) / spread)),
            "reps": 1.0,
            "quota": quota,
            "attrition": 0.1,
        }
    )


def segment_responses(segments: int, candidates: int, scenarios: int, seed: int = 2027):
    """Responses and per-scenario comp costs of segments × candidates (common random numbers:
    one set of market shocks per scenario shared by every candidate)."""
    g = RandomStreams(seed).generator("bench_lp_segments")
    heads = g.integers(10, 60, segments).astype(float)
    rate = np.tile(np.linspace(0.04, 0.12, candidates), segments)
    seg = np.repeat(np.arange(segments), candidates)
    h = np.repeat(g.lognormal(np.log(8e5), 0.2, segments), candidates)
    sales_per_rep = h * (1.0 + 3.0 * rate)
    revenue = heads[seg] * sales_per_rep
    incentive = rate * revenue * (1.0 + 4.0 * (rate - 0.04))  # accelerators at higher rates
    base = heads[seg] * 9e4
    market = g.normal(0.0, 0.15, (segments, scenarios))  # segment shock per scenario
    leverage = 1.0 + 20.0 * rate  # richer plans pay more when the market is hot
    noise = g.normal(0.0, 0.03, (segments * candidates, scenarios))
    shock = 1.0 + leverage[:, None] * market[seg] + noise
    comp = base[:, None] + incentive[:, None] * np.clip(shock, 0.0, None)
    frame = pd.DataFrame(
        {
            "unit": [f"seg{s:02d}" for s in seg],
            "candidate": [f"rate{r:.3f}" for r in rate],
            "revenue": revenue,
            "margin": MARGIN * revenue,
            "incentive_cost": incentive,
            "base_cost": base,
            "discount_cost": 0.0,
            "certainty_equivalent": 1.0,
            "outside_option": 0.0,
            "p_quota": 0.5,
            "reps": heads[seg],
            "quota": sales_per_rep,
            "attrition": 0.1,
        }
    )
    samples = pd.DataFrame(
        {
            "unit": np.repeat(frame["unit"].to_numpy(), scenarios),
            "candidate": np.repeat(frame["candidate"].to_numpy(), scenarios),
            "scenario": np.tile(np.arange(scenarios), len(frame)),
            "comp_cost": comp.ravel(),
        }
    )
    return frame, samples


def build_with_lpsum(table: ResponseTable, constraints: Constraints) -> pulp.LpProblem:
    """The same choose/budget/cos model, built the textbook way with ``lpSum`` of products."""
    problem = pulp.LpProblem("lpsum", pulp.LpMaximize)
    x = [problem.add_variable(f"x_{i}", 0) for i in range(len(table))]
    profit, comp = table.profit.tolist(), table.comp_cost.tolist()
    revenue = table.column("revenue").tolist()
    problem += pulp.lpSum(p * v for p, v in zip(profit, x, strict=True))
    for u in range(table.n_units):
        rows = table.unit_rows(u)
        problem += pulp.lpSum(x[rows]) == 1, f"choose_{u}"
    problem += (
        pulp.lpSum(c * v for c, v in zip(comp, x, strict=True)) <= constraints.budget,
        ("budget"),
    )
    cos = constraints.cos_ceiling
    problem += (
        pulp.lpSum((c - cos * r) * v for c, r, v in zip(comp, revenue, x, strict=True)) <= 0,
        "cos_ceiling",
    )
    return problem


def _timed(function):
    gc.collect()
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def bench_per_rep(reps: int) -> dict[str, object]:
    frame = per_rep_responses(reps)
    table = ResponseTable.from_frames(frame)
    # parameters (untimed): budget 10 % below the unconstrained optimum's comp cost, then a
    # cost-of-sales ceiling 0.1 % below the budget-only optimum's, so both rows bind
    free = solve(table, Constraints(), mode="relaxation")
    budget = 0.9 * free.totals["comp_cost"]
    budget_only = solve(table, Constraints(budget=budget), mode="relaxation")
    constraints = Constraints(
        budget=budget, cos_ceiling=0.999 * budget_only.totals["cost_of_sales"]
    )
    _, validate_s = _timed(lambda: ResponseTable.from_frames(frame))
    runs = []
    for _ in range(REPEAT):
        result, wall = _timed(lambda: solve(frame, constraints))
        runs.append((wall, result))
    wall, result = sorted(runs, key=lambda run: run[0])[len(runs) // 2]  # median run
    t = result.timings
    binding = result.constraint_report.set_index("constraint")
    figures: dict[str, object] = {
        "reps": reps,
        "candidates": RATES.size * QUOTA_LEVELS.size,
        "variables": len(frame),
        "method": result.method,
        "status": result.status,
        "fractional_units": len(result.fractional_units),
        "objective": result.objective,
        "lp_bound": result.lp_bound,
        "relative_gap": result.relative_gap,
        "budget_shadow_price": result.shadow_price("budget"),
        "cos_ceiling_shadow_price": result.shadow_price("cos_ceiling"),
        "budget_dual_nonzero": bool(binding.loc["budget", "dual"] != 0),
        "cos_dual_nonzero": bool(binding.loc["cos_ceiling", "dual"] != 0),
        "validate_s": validate_s,
        "build_lp_s": t["build_lp"],
        "solve_lp_s": t["solve_lp"],
        "highs_engine_lp_s": t.get("solver_engine_lp", float("nan")),
        "handover_s": t["solve_lp"] - t.get("solver_engine_lp", float("nan")),
        "build_round_s": t.get("build_milp", 0.0),
        "solve_round_s": t.get("solve_milp", 0.0),
        "build_s": result.build_seconds,
        "solve_s": result.solve_seconds,
        "build_solve_ratio": result.build_seconds / result.solve_seconds,
        "wall_s": wall,
        "wall_runs_s": [run[0] for run in runs],
    }
    # build the fast way vs lpSum (best of 3 each, same model)
    fast = min(_timed(lambda: build_model(table, constraints))[1] for _ in range(3))
    slow = min(_timed(lambda: build_with_lpsum(table, constraints))[1] for _ in range(3))
    figures.update(build_affine_s=fast, build_lpsum_s=slow, lpsum_over_affine=slow / fast)
    # other backends on the same model, one run each
    for label, solver in (
        ("highs_simplex", Solver("highs", lp_method="simplex")),
        ("highs_pulp_handover", Solver("highs", bulk_handover=False)),
        ("cbc", Solver("cbc")),
    ):
        if not solver.available():
            continue
        other, other_wall = _timed(lambda solver=solver: solve(table, constraints, solver=solver))
        figures[f"{label}_solve_lp_s"] = other.timings["solve_lp"]
        figures[f"{label}_wall_s"] = other_wall
        figures[f"{label}_objective"] = other.objective
    return figures


def bench_cvar(segments: int = 20, candidates: int = 20, scenarios: int = 200) -> dict:
    frame, samples = segment_responses(segments, candidates, scenarios)
    table = ResponseTable.from_frames(frame, samples)
    loose = Constraints(cvar=CVaRLimit(0.95, 1e15))
    free = solve(table, loose)
    limit = 0.97 * free.totals["comp_cost_cvar"]
    constraints = Constraints(budget=1.05 * free.totals["comp_cost"], cvar=CVaRLimit(0.95, limit))
    runs = []
    for _ in range(REPEAT):
        result, wall = _timed(lambda: solve(frame, constraints, samples=samples))
        runs.append((wall, result))
    wall, result = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    figures = {
        "segments": segments,
        "candidates": candidates,
        "scenarios": scenarios,
        "alpha": 0.95,
        "method": result.method,
        "status": result.status,
        "fractional_units": len(result.fractional_units),
        "objective": result.objective,
        "unconstrained_objective": free.objective,
        "lp_bound": result.lp_bound,
        "relative_gap": result.relative_gap,
        "cvar_limit": limit,
        "cvar_of_choice": result.totals["comp_cost_cvar"],
        "cvar_shadow_price": result.shadow_price("cvar"),
        "changed_segments": int(
            (result.choice["candidate"].to_numpy() != free.choice["candidate"].to_numpy()).sum()
        ),
        "build_s": result.build_seconds,
        "solve_s": result.solve_seconds,
        "wall_s": wall,
        "wall_runs_s": [run[0] for run in runs],
    }
    cbc = Solver("cbc")
    if cbc.available():
        other, other_wall = _timed(lambda: solve(frame, constraints, samples=samples, solver=cbc))
        figures.update(cbc_wall_s=other_wall, cbc_objective=other.objective)
    return figures


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    described = machine()
    return {
        "CPU": str(described["cpu"]),
        "nproc": str(len(os.sched_getaffinity(0))),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "PuLP": pulp.__version__,
        "highspy": version("highspy"),
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


def _s(value: float) -> str:
    return f"{value:.2f} s"


def report(per_rep: dict, cvar: dict) -> str:
    env = _versions()
    lines = [
        "# LP benchmarks (issue 5)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python benchmarks/bench_lp.py`; medians of "
        f"{REPEAT} runs unless stated. The machine is shared with other work, so expect ±30 %.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in env.items()),
        "",
        f"## Per-rep choice: {per_rep['reps']:,} reps × {per_rep['candidates']} candidates",
        "",
        "Budget and cost-of-sales rows, both binding (non-zero duals: "
        f"{per_rep['budget_dual_nonzero']} / {per_rep['cos_dual_nonzero']}); one plan per rep "
        "by LP relaxation + rounding (`solve(..., mode='round')`, HiGHS, default settings).",
        "",
        "| step | time |",
        "|---|---|",
        f"| validate the response table | {_s(per_rep['validate_s'])} |",
        f"| build the LP in PuLP (`build_lp`) | {_s(per_rep['build_lp_s'])} |",
        f"| solve the LP (`solve_lp`) | {_s(per_rep['solve_lp_s'])} |",
        f"| — of which HiGHS itself (interior point + crossover) | "
        f"{_s(per_rep['highs_engine_lp_s'])} |",
        f"| — of which PuLP ↔ HiGHS hand-over and read-back | {_s(per_rep['handover_s'])} |",
        f"| build + solve the rounding re-solve ({per_rep['fractional_units']} fractional units) | "
        f"{_s(per_rep['build_round_s'] + per_rep['solve_round_s'])} |",
        f"| **whole `solve` call** (runs: "
        f"{', '.join(f'{w:.1f}' for w in per_rep['wall_runs_s'])} s) | "
        f"**{_s(per_rep['wall_s'])}** (target < 60 s) |",
        "",
        f"- build / solve = {per_rep['build_s']:.2f} / {per_rep['solve_s']:.2f} s = "
        f"**{per_rep['build_solve_ratio']:.2f}**.",
        f"- Building with `LpAffineExpression([(var, coef), …])` (what `build_model` does): "
        f"{_s(per_rep['build_affine_s'])}; the same model with `lpSum` of products: "
        f"{_s(per_rep['build_lpsum_s'])} — **{per_rep['lpsum_over_affine']:.1f}×** slower "
        "(best of 3 each; `build_model` also pauses the garbage collector, names every row and "
        "variable, and is the one used above).",
        f"- Result: {per_rep['method']}; status {per_rep['status']}; expected profit "
        f"{per_rep['objective']:,.0f} vs LP bound {per_rep['lp_bound']:,.0f} (relative gap "
        f"{per_rep['relative_gap']:.1e}); shadow price of the budget "
        f"{per_rep['budget_shadow_price']:.4f} per currency unit, of the cost-of-sales ceiling "
        f"{per_rep['cos_ceiling_shadow_price']:,.0f} per unit of ratio.",
    ]
    others = [
        ("HiGHS dual simplex", "highs_simplex"),
        ("HiGHS, PuLP's own hand-over (`bulk_handover=False`)", "highs_pulp_handover"),
        ("CBC (PuLP's bundled binary)", "cbc"),
    ]
    rows = [
        f"| {name} | {_s(per_rep[f'{key}_solve_lp_s'])} | {_s(per_rep[f'{key}_wall_s'])} | "
        f"{per_rep[f'{key}_objective']:,.0f} |"
        for name, key in others
        if f"{key}_wall_s" in per_rep
    ]
    lines += [
        "",
        "Other backends on the same model (one run each):",
        "",
        "| backend | LP solve | whole `solve` | objective |",
        "|---|---|---|---|",
        *rows,
        "",
        f"## Segments with CVaR: {cvar['segments']} × {cvar['candidates']} candidates, "
        f"{cvar['scenarios']} scenarios",
        "",
        f"CVaR at α = {cvar['alpha']} of total comp cost limited to 97 % of the unconstrained "
        "choice's, plus a budget; LP relaxation + rounding, HiGHS.",
        "",
        "| | |",
        "|---|---|",
        f"| build | {_s(cvar['build_s'])} |",
        f"| solve (LP + rounding re-solve) | {_s(cvar['solve_s'])} |",
        f"| **whole `solve` call** (runs: {', '.join(f'{w:.2f}' for w in cvar['wall_runs_s'])} s)"
        f" | **{_s(cvar['wall_s'])}** (target < 30 s) |",
        f"| method | {cvar['method']} |",
        f"| expected profit / unconstrained | {cvar['objective']:,.0f} / "
        f"{cvar['unconstrained_objective']:,.0f} |",
        f"| LP bound, relative gap | {cvar['lp_bound']:,.0f}, {cvar['relative_gap']:.1e} |",
        f"| CVaR of the choice / limit | {cvar['cvar_of_choice']:,.0f} / {cvar['cvar_limit']:,.0f} |",
        f"| shadow price of the CVaR limit | {cvar['cvar_shadow_price']:.4f} |",
        f"| segments whose plan changed | {cvar['changed_segments']} of {cvar['segments']} |",
    ]
    if "cbc_wall_s" in cvar:
        lines.append(
            f"| CBC whole `solve` (one run) | {_s(cvar['cbc_wall_s'])}, objective "
            f"{cvar['cbc_objective']:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, dict]:
    argv = sys.argv[1:] if argv is None else argv
    reps = 1_000 if "--quick" in argv else 10_000
    per_rep = bench_per_rep(reps)
    print({k: v for k, v in per_rep.items() if not k.endswith("runs_s")})
    cvar = bench_cvar()
    print({k: v for k, v in cvar.items() if not k.endswith("runs_s")})
    if "--quick" not in argv:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "lp.md").write_text(report(per_rep, cvar))
    return {"per_rep": per_rep, "cvar": cvar}


if __name__ == "__main__":
    main()
