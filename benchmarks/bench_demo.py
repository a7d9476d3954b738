"""`make demo` end to end (issue 5: under 2 minutes on this machine), venv already installed.

Runs ``python -m spmopt.demo`` in a fresh process (imports, candidate simulations, the LP and
the re-simulation all included) and records the wall time.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import record

ROOT = Path(__file__).resolve().parents[1]


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from spmopt.demo import main; main(__import__('pathlib').Path({folder!r}))",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - start
    figures = {
        "demo_seconds": round(seconds, 1),
        "target_seconds": 120,
        "output_lines": completed.stdout.count("\n"),
    }
    for key, value in figures.items():
        print(f"{key:>16}: {value}")
    record("demo", figures)
    return figures


if __name__ == "__main__":
    main()
