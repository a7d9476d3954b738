"""``make demo``: the main job on the default scenario.

Optimises the shipped SaaS AE scenario (two segments, quota and rate levers, budget, revenue
and participation constraints), re-simulates the chosen plans on fresh random numbers and prints
the incumbent plan beside the optimised one. Outputs go under ``out/demo``. The demo runs
smaller than the scenario's own settings (50 replications per candidate, 100 to re-simulate,
16 simulation runs for the search beyond the grid) so that it finishes in a few minutes; drop
the options for the full-size run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spmopt.cli import main as spmopt

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "saas-ae.toml"


def main(out: Path = Path("out/demo")) -> int:
    """Run the demo; returns the exit status."""
    options = ["--replications", "50", "--validation-replications", "100"]
    options += ["--refine-budget", "16"]
    print(f"$ spmopt optimise scenarios/saas-ae.toml {' '.join(options)} --out out/demo\n")
    sys.stdout.flush()
    return spmopt(["optimise", str(SCENARIO), *options, "--out", str(out)])


if __name__ == "__main__":
    sys.exit(main())
