"""Finance comparison of plans: tables from per-replication metrics, and the command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spmopt.analysis.compare import comparison_table, paired_differences
from spmopt.cli import main
from spmopt.sim.streams import RandomStreams


def metrics(plan_id: str, comp: np.ndarray, revenue: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "plan_id": plan_id,
            "replication": np.arange(comp.size),
            "revenue": revenue,
            "incentive_cost": comp - 100.0,
            "base_cost": 100.0,
            "cost_of_sales": comp / revenue,
            "profit": revenue - comp,
            "share_at_quota": 0.5,
            "attrition": 0.3,
            "discount_lost": 0.0,
        }
    )


def test_quantiles_and_overrun_probability_are_read_off_the_replications():
    comp = np.arange(1.0, 101.0) * 10  # 10, 20, …, 1000
    table = comparison_table(metrics("a", comp, comp * 5), budget=905.0).iloc[0]
    assert table["comp_cost_p50"] == pytest.approx(np.quantile(comp, 0.5))
    assert table["comp_cost_p90"] == pytest.approx(np.quantile(comp, 0.9))
    assert table["p_over_budget"] == pytest.approx(0.10)  # 910 … 1000 overrun 905


def test_paired_differences_cancel_common_noise():
    """Plan b costs exactly 7 more in every replication: the paired difference is 7 with zero
    standard error, although each plan's cost varies widely across replications."""
    noise = RandomStreams(0).generator("test").normal(1000, 200, 50)
    both = pd.concat([metrics("a", noise, noise * 4), metrics("b", noise + 7, noise * 4)])
    row = paired_differences(both, "a").set_index("figure").loc["comp_cost"]
    assert row["difference"] == pytest.approx(7.0)
    assert row["se"] == pytest.approx(0.0, abs=1e-9)


def test_compare_command_on_a_shipped_scenario(tmp_path, capsys):
    status = main(
        [
            "compare",
            "scenarios/field-sales.toml",
            "--replications",
            "4",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert status == 0, capsys.readouterr().err
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert list(table["plan_id"]) == ["capped-decelerator", "field-uncapped"]
    assert (table["comp_cost_p10"] <= table["comp_cost_p90"]).all()
    assert "Differences from 'capped-decelerator'" in capsys.readouterr().out
