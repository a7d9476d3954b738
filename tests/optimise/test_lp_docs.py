"""docs/optimiser.md executes: its Python example runs and its worked numbers hold."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).parents[2] / "docs" / "optimiser.md"


def test_python_examples_in_the_optimiser_doc_run():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, str(DOC), "exec"), namespace)
        result = namespace["result"]
        assert result.status == "optimal"
        assert result.objective <= result.lp_bound + 1e-6
        assert result.totals["comp_cost"] <= 4.0e6 + 1e-6
