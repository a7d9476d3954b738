"""Search beyond the grid (issue 10): refined vs grid optimum, out of sample; writes
``benchmarks/results/optimiser.md``.

For each shipped scenario with ``[optimise.levers]``:

1. the grid optimum (``refine=False``) and the refined optimum (``refine=True``, the scenario's
   resolution and budget, default 0.01 and 60 runs), both chosen on the scenario's seed; wall
   time and simulation runs of each;
2. the incumbent, the grid choice and the refined choice re-simulated on one fresh family of
   streams (``RandomStreams(seed).spawn("bench-optimiser")``, never used by the choice), paired by
   replication: out-of-sample profit, and the paired differences refined − grid and
   refined − incumbent with 95 % confidence intervals from the standard error of the per-
   replication differences.

Run ``python benchmarks/bench_optimiser.py`` (``--replications N`` for the out-of-sample size,
default 400; ``--quick`` for 40 replications per candidate and a 12-run budget).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine

from spmopt.optimise.pipeline import _configuration_model, _run, optimise
from spmopt.run.simulation import as_scenario
from spmopt.sim.streams import RandomStreams

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("saas-ae.toml", "field-sales.toml")


def out_of_sample_profit(result, chosen, streams, replications: int) -> np.ndarray:
    """Company profit of each replication of ``chosen`` (candidate by unit) on ``streams``."""
    by_segment = result.candidates
    model = _configuration_model(result.scenario, result.options, chosen, by_segment)
    metrics = _run(model, "fast", replications, streams).replication_metrics()
    return metrics.sort_values("replication")["profit"].to_numpy(dtype=float)


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean of a − b and its standard error."""
    difference = a - b
    return float(difference.mean()), float(difference.std(ddof=1) / np.sqrt(len(difference)))


def grid_choice(refined) -> dict:
    """The candidates the programme chose in round 0 (the grid) of a refined result."""
    first = refined.refinement[refined.refinement["round"] == 0]
    chosen = {}
    for segment, made in refined.candidates.items():
        rows = first[first["segment"] == segment]
        wanted = rows["candidate"].iloc[0] if len(rows) else None
        chosen[segment] = next(c for c in made if c.id == wanted) if wanted else None
    return chosen


def bench(name: str, replications: int, sizes: dict) -> dict:
    scenario = as_scenario(ROOT / "scenarios" / name)
    start = time.perf_counter()
    grid = optimise(scenario, validate=False, refine=False, **sizes)
    grid_seconds = time.perf_counter() - start
    start = time.perf_counter()
    refined = optimise(scenario, validate=False, refine=True, **sizes)
    refined_seconds = time.perf_counter() - start
    units = [str(u) for u in refined.solution.choice["unit"]]
    grid_chosen = {
        str(row.unit): next(c for c in grid.candidates[str(row.unit)] if c.id == row.candidate)
        for row in grid.solution.choice.itertuples()
    }
    refined_chosen = {
        str(row.unit): next(c for c in refined.candidates[str(row.unit)] if c.id == row.candidate)
        for row in refined.solution.choice.itertuples()
    }
    incumbent = {unit: refined.candidates[unit][0] for unit in units}
    fresh = RandomStreams(scenario.seed).spawn("bench-optimiser")
    profit = {
        label: out_of_sample_profit(refined, chosen, fresh, replications)
        for label, chosen in (
            ("incumbent", incumbent),
            ("grid", grid_chosen),
            ("refined", refined_chosen),
        )
    }
    grid_runs = max(len(made) for made in grid.candidates.values())
    refined_runs = (
        int(refined.refinement["simulation_runs"].max()) if len(refined.refinement) else grid_runs
    )
    figures = {
        "scenario": name,
        "grid_choice": "; ".join(f"{u}: {c.id}" for u, c in grid_chosen.items()),
        "refined_choice": "; ".join(f"{u}: {c.id}" for u, c in refined_chosen.items()),
        "refinement_status": refined.refinement_status,
        "grid_predicted": grid.solution.objective,
        "refined_predicted": refined.solution.objective,
        "grid_runs": grid_runs,
        "refined_runs": refined_runs,
        "replications_per_run": refined.options.replications,
        "grid_seconds": grid_seconds,
        "refined_seconds": refined_seconds,
        "oos_replications": replications,
    }
    for label, values in profit.items():
        figures[f"{label}_oos"] = float(values.mean())
        figures[f"{label}_oos_se"] = float(values.std(ddof=1) / np.sqrt(len(values)))
    for label, (a, b) in {
        "refined_minus_grid": ("refined", "grid"),
        "refined_minus_incumbent": ("refined", "incumbent"),
        "grid_minus_incumbent": ("grid", "incumbent"),
    }.items():
        mean, se = paired(profit[a], profit[b])
        figures[label] = mean
        figures[f"{label}_se"] = se
    figures["rounds"] = refined.refinement
    return figures


def report(rows: list[dict], sizes: dict) -> str:
    """The results page (markdown)."""
    lines = [
        "# Optimiser: search beyond the grid (issue 10)",
        "",
        "Written by `benchmarks/bench_optimiser.py`"
        + (f" with {sizes}" if sizes else "")
        + ". Grid = the scenario's `[optimise.levers]` grid only (`refine = false`); refined = "
        "the compass search of `spmopt/optimise/refine.py` from the grid's choice (resolution "
        "0.01; budget as stated, else 60 runs). Both choose on the scenario's seed; out of "
        "sample = "
        "the incumbent, the grid and the refined choices re-simulated on one fresh stream family, "
        "paired by replication. CI = ± 1.96 standard errors of the per-replication differences.",
        "",
        f"Machine: {machine()['cpu']}, {machine()['cores']} cores shared with other jobs (wall "
        "times are indicative only).",
        "",
    ]
    for row in rows:
        mio = 1e6
        lines += [
            f"## {row['scenario']}",
            "",
            f"- grid choice: {row['grid_choice']}",
            f"- refined choice: {row['refined_choice']} (search {row['refinement_status']})",
            "",
            "| | incumbent | grid | refined |",
            "|---|---|---|---|",
            f"| predicted profit (choice stream) [M] | | {row['grid_predicted'] / mio:.3f} | "
            f"{row['refined_predicted'] / mio:.3f} |",
            f"| out-of-sample profit [M] ± 1.96 se | {row['incumbent_oos'] / mio:.3f} ± "
            f"{1.96 * row['incumbent_oos_se'] / mio:.3f} | {row['grid_oos'] / mio:.3f} ± "
            f"{1.96 * row['grid_oos_se'] / mio:.3f} | {row['refined_oos'] / mio:.3f} ± "
            f"{1.96 * row['refined_oos_se'] / mio:.3f} |",
            f"| simulation runs ({row['replications_per_run']} replications each) | | "
            f"{row['grid_runs']} | {row['refined_runs']} |",
            f"| wall time [s] | | {row['grid_seconds']:.0f} | {row['refined_seconds']:.0f} |",
            "",
            "Paired out-of-sample differences "
            f"({row['oos_replications']} replications) [M], 95 % CI:",
            "",
        ]
        for label in ("refined_minus_grid", "refined_minus_incumbent", "grid_minus_incumbent"):
            mean, se = row[label] / mio, row[f"{label}_se"] / mio
            lines.append(
                f"- {label.replace('_', ' ')}: {mean:+.3f} [{mean - 1.96 * se:+.3f}, "
                f"{mean + 1.96 * se:+.3f}]"
            )
        rounds = row["rounds"]
        if len(rounds):
            wide = rounds.pivot_table(
                index=["round", "segment", "action", "simulation_runs", "profit"],
                columns="lever",
                values=["value", "step"],
                aggfunc="first",
            )
            wide.columns = [f"{lever} {kind}" for kind, lever in wide.columns]
            wide = wide.reset_index()
            wide["profit"] = (wide["profit"] / mio).map("{:.3f}".format)
            lines += ["", "Rounds (profit of the segment in M):", "", _markdown(wide), ""]
    return "\n".join(lines) + "\n"


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--candidate-replications", type=int, help="replications per candidate")
    parser.add_argument("--budget", type=int, help="refine_budget in simulation runs")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--out", help="results file name (default: optimiser.md)")
    args = parser.parse_args()
    name = args.out or ("optimiser-quick.md" if args.quick else "optimiser.md")
    sizes = {"replications": 40, "refine_budget": 12} if args.quick else {}
    if args.candidate_replications:
        sizes["replications"] = args.candidate_replications
    if args.budget is not None:
        sizes["refine_budget"] = args.budget
    rows = []
    for scenario in args.scenarios.split(","):
        print(f"{scenario} …", file=sys.stderr, flush=True)
        rows.append(bench(scenario, 40 if args.quick else args.replications, sizes))
        text = report(rows, sizes)
        (RESULTS / name).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
