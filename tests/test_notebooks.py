"""The tutorial notebooks run, top to bottom, on small sizes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: notebooks too long for the default run (a calibration fit: ~2.5 min CPU even on small sizes)
SLOW = {"07-calibrating-from-history"}


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW else p for p in NOTEBOOKS],
    ids=lambda p: p.stem,
)
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("SPMOPT_NOTEBOOK_REPLICATIONS", "4")
    monkeypatch.setenv("SPMOPT_NOTEBOOK_REFINE_BUDGET", "6")
    # notebook 07: a two-parameter calibration with a short search
    monkeypatch.setenv("SPMOPT_NOTEBOOK_FIT_EVALUATIONS", "2")
    monkeypatch.setenv("SPMOPT_NOTEBOOK_FIT_PARAMETERS", "base_sales_log_median,effort_cost_log")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    assert not [output for output in outputs if output.get("output_type") == "error"]
    assert any(
        output.get("output_type") in ("execute_result", "display_data") for output in outputs
    )


def test_the_notebooks_are_found():
    """An empty glob would make the parametrised test above collect nothing and pass."""
    assert len(NOTEBOOKS) >= 1


def _code(path: Path) -> str:
    """The notebook's code cells as one Python source (IPython magics and shell lines dropped)."""
    notebook = nbformat.read(path, as_version=4)
    lines = [
        line
        for cell in notebook.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    return "\n".join(lines)


def non_public_uses(source: str) -> list[str]:
    """Uses of spmopt beyond its public API in ``source``: imports of a submodule
    (``from spmopt.x import …``, ``import spmopt.x``), names imported from ``spmopt`` that it
    does not export, and attributes ``spmopt.name`` with ``name`` not in ``spmopt.__all__``."""
    import ast

    import spmopt

    public = set(spmopt.__all__)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("spmopt."):
                found.append(f"line {node.lineno}: from {node.module} import …")
            elif node.module == "spmopt":
                found += [
                    f"line {node.lineno}: from spmopt import {alias.name}"
                    for alias in node.names
                    if alias.name not in public
                ]
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.startswith("spmopt.")
            ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "spmopt"
            and node.attr not in public
        ):
            found.append(f"line {node.lineno}: spmopt.{node.attr}")
    return found


def test_the_public_api_check_finds_submodules():
    """The check itself: each way of reaching past the public API is caught, the API is not."""
    source = (
        "import spmopt\nfrom spmopt.plan.plan import payout_table\nimport spmopt.sim.streams\n"
        "from spmopt import Plan, _PUBLIC\nspmopt.report.ReportTable\nspmopt.simulate\n"
    )
    assert non_public_uses(source) == [
        "line 2: from spmopt.plan.plan import …",
        "line 3: import spmopt.sim.streams",
        "line 4: from spmopt import _PUBLIC",
        "line 5: spmopt.report",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_only_the_public_api(path):
    """Issue 15: the notebooks teach ``spmopt.*`` only, never internal modules."""
    assert non_public_uses(_code(path)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    """Issue 15: notebooks are stored without outputs, so that their diffs stay readable."""
    notebook = nbformat.read(path, as_version=4)
    stored = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert stored == []
