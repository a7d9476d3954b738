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
