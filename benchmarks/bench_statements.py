"""Payouts on 1,000,000 credits over 10,000 reps, monthly payouts, period to date.

Two measurements, recorded together in ``results/statements.json``:

* **issue 2 — the computation**: ``spmopt.statements`` on credits already read and typed, target
  under 3 s, with a plain pandas ``sort_values`` + ``groupby().cumsum()`` over the same rows for
  scale (same process).
* **issue 14 — the whole command**: ``python -m spmopt payouts`` as a user runs it (interpreter
  start, imports, reading and checking the CSV, statements, writing ``statements.csv`` and
  ``lines.csv``) against ``pandas_period_totals.py``, a separate bare pandas process that reads
  the same CSV, computes per rep × month × measure the credited totals and their cumulative sums
  and writes CSVs of about the same volume. Target: at most 2x. Both run in the same session,
  interleaved (the order alternating each repetition), with ``import spmopt`` and
  ``import pandas`` timed alongside so that the ratio can also be given without import time.

Usage: ``python benchmarks/bench_statements.py [--repeat N] [--spmopt-root DIR] [--no-record]``
(``--spmopt-root`` times the package of another checkout, e.g. an older commit, on the same data).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import best_of, record

import spmopt
from spmopt.plan.inputs import validate_credits
from spmopt.sim.streams import RandomStreams

ROWS = 1_000_000
REPS = 10_000
CANCELLED_SHARE = 0.02
ROOT = Path(__file__).parents[1]
PLAN = ROOT / "scenarios" / "plans" / "saas-ae.toml"
BASELINE = Path(__file__).parent / "pandas_period_totals.py"


def synthetic_credits(rows: int, reps: int) -> pd.DataFrame:
    """Credits with lognormal deal sizes over the 2027 plan year; 2% of the rows cancel an earlier
    booking of the same rep (same ``deal_id``, negative amount, 1–364 days later, so that about
    half fall outside the plan's 180-day clawback window)."""
    rng = RandomStreams(seed=7).generator("bench_statements")
    rep = rng.integers(0, reps, rows)
    day = rng.integers(0, 365, rows)
    amount = np.round(rng.lognormal(np.log(9000), 0.8, rows), 2)
    deal = np.arange(rows)
    cancel = np.flatnonzero(rng.random(rows) < CANCELLED_SHARE)
    original = rng.integers(0, rows, cancel.size)
    rep[cancel] = rep[original]
    deal[cancel] = deal[original]
    amount[cancel] = -amount[original]
    day[cancel] = np.minimum(day[original] + rng.integers(1, 365, cancel.size), 364)
    return pd.DataFrame(
        {
            "rep_id": np.char.add("rep", rep.astype(str)),
            "date": pd.Timestamp("2027-01-01") + pd.to_timedelta(day, unit="D"),
            "measure": "bookings",
            "amount": amount,
            "deal_id": np.char.add("d", deal.astype(str)),
        }
    )


def monthly_plan():
    """The shipped SaaS AE plan, paid monthly."""
    return spmopt.Plan.load(PLAN).replace(payout_frequency="month")


def computation(credits: pd.DataFrame) -> dict[str, float]:
    """Issue 2: statements on typed credits, and a pandas sort + cumsum over the same rows."""
    plan = monthly_plan()
    typed = validate_credits(credits)
    statements_seconds = best_of(lambda: spmopt.statements(plan, typed), repeat=3)

    def pandas_cumsum():
        ordered = typed.sort_values(["rep_id", "date"])
        return ordered.groupby("rep_id")["amount"].cumsum()

    cumsum_seconds = best_of(pandas_cumsum, repeat=3)
    result = spmopt.statements(plan, typed)
    return {
        "statement_rows": len(result.statements),
        "audit_lines": len(result.lines),
        "statements_seconds": round(statements_seconds, 3),
        "pandas_sort_groupby_cumsum_seconds": round(cumsum_seconds, 3),
        "ratio_statements_to_cumsum": round(statements_seconds / cumsum_seconds, 2),
        "target_seconds": 3.0,
    }


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system, all threads) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*.csv"))


def whole_process(workdir: Path, repeat: int, spmopt_root: Path) -> dict[str, object]:
    """Issue 14: the command and the bare pandas baseline as processes, interleaved."""
    credits_csv = workdir / "credits.csv"
    plan_toml = workdir / "saas-ae-monthly.toml"
    plan_toml.write_text(monthly_plan().to_toml())
    env = {**os.environ, "PYTHONPATH": str(spmopt_root)}
    python = sys.executable
    runs = {
        "command": [python, "-m", "spmopt", "payouts", "--plan", str(plan_toml)]
        + ["--credits", str(credits_csv), "--out", str(workdir / "payouts")],
        "baseline": [python, str(BASELINE), str(credits_csv), str(workdir / "baseline")],
        "import_spmopt": [python, "-c", "import spmopt"],
        "import_pandas": [python, "-c", "import pandas"],
    }
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    names = list(runs)
    for repetition in range(repeat):
        order = names if repetition % 2 == 0 else names[::-1]
        for name in order:
            timings[name].append(timed(runs[name], env))
            print(f"  {repetition + 1}/{repeat} {name:>14}: {timings[name][-1][0]:6.2f} s wall")

    def median(name: str, which: int) -> float:
        return statistics.median(timing[which] for timing in timings[name])

    figures: dict[str, object] = {"repetitions": repeat}
    for name in runs:
        figures[f"{name}_wall_seconds_median"] = round(median(name, 0), 2)
        figures[f"{name}_wall_seconds_min"] = round(min(t[0] for t in timings[name]), 2)
        figures[f"{name}_cpu_seconds_median"] = round(median(name, 1), 2)
    for which, kind in ((0, "wall"), (1, "cpu")):
        command, baseline = median("command", which), median("baseline", which)
        spmopt_import, pandas_import = (
            median("import_spmopt", which),
            median("import_pandas", which),
        )
        figures[f"ratio_{kind}"] = round(command / baseline, 2)
        # as if importing spmopt cost what importing pandas does (the baseline's own import)
        figures[f"ratio_{kind}_spmopt_import_as_pandas"] = round(
            (command - spmopt_import + pandas_import) / baseline, 2
        )
        figures[f"ratio_{kind}_without_imports"] = round(
            (command - spmopt_import) / (baseline - pandas_import), 2
        )
    figures["ratio_wall_per_repetition"] = [
        round(c[0] / b[0], 2) for c, b in zip(timings["command"], timings["baseline"], strict=True)
    ]
    figures["command_output_bytes"] = folder_bytes(workdir / "payouts")
    figures["baseline_output_bytes"] = folder_bytes(workdir / "baseline")
    figures["credits_csv_bytes"] = credits_csv.stat().st_size
    figures["target_ratio"] = 2.0
    return figures


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--spmopt-root", type=Path, default=ROOT)
    parser.add_argument("--no-record", dest="record", action="store_false")
    parser.add_argument("--skip-computation", action="store_true")
    args = parser.parse_args(argv)
    credits = synthetic_credits(ROWS, REPS)
    figures: dict[str, object] = {"credit_rows": ROWS, "reps": REPS}
    if not args.skip_computation:
        figures.update(computation(credits))
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        written = credits.assign(date=credits["date"].dt.strftime("%Y-%m-%d"))
        written.to_csv(workdir / "credits.csv", index=False)
        del written
        figures["whole_process"] = whole_process(workdir, args.repeat, args.spmopt_root.resolve())
    for key, value in figures.items():
        if isinstance(value, dict):
            for inner, number in value.items():
                print(f"{inner:>44}: {number}")
        else:
            print(f"{key:>44}: {value}")
    if args.record:
        record("statements", figures)
    return figures


if __name__ == "__main__":
    main()
