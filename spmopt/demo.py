"""``make demo``: the main job on the default scenario.

For now (the payout engine): statements for the shipped example credits under the shipped SaaS AE
and multi-measure plans, and the SaaS AE plan's payout curve, written under ``out/demo``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spmopt.cli import main as spmopt

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def main(out: Path = Path("out/demo")) -> int:
    """Run the demo; returns the exit status."""
    plans = SCENARIOS / "plans"
    data = SCENARIOS / "data"
    print(
        "$ spmopt payouts --plan saas-ae.toml --plan multi-measure.toml --credits credits.csv "
        "--roster roster.csv --out out/demo/payouts\n"
    )
    status = spmopt(
        [
            "payouts",
            "--plan",
            str(plans / "saas-ae.toml"),
            "--plan",
            str(plans / "multi-measure.toml"),
            "--credits",
            str(data / "credits.csv"),
            "--roster",
            str(data / "roster.csv"),
            "--out",
            str(out / "payouts"),
            "--show",
            "6",
        ]
    )
    if status:
        return status
    print("\n$ spmopt curve saas-ae.toml --out out/demo/curve\n")
    return spmopt(["curve", str(plans / "saas-ae.toml"), "--out", str(out / "curve")])


if __name__ == "__main__":
    sys.exit(main())
