"""``make demo``: the main job on the default scenario.

Optimises the shipped SaaS AE scenario (two segments, quota and rate levers, budget, revenue
and participation constraints), re-simulates the chosen plans on fresh random numbers and prints
the incumbent plan beside the optimised one. Outputs go under ``out/demo``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spmopt.cli import main as spmopt

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "saas-ae.toml"


def main(out: Path = Path("out/demo")) -> int:
    """Run the demo; returns the exit status."""
    print("$ spmopt optimise scenarios/saas-ae.toml --out out/demo\n", flush=True)
    return spmopt(["optimise", str(SCENARIO), "--out", str(out)])


if __name__ == "__main__":
    sys.exit(main())
