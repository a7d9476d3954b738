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
    """Linear interpolation between order statistics: the q-quantile of 100 sorted values sits
    at position q·99 (0-based), so P10 = 100 + 0.9·10, P50 = 500 + 0.5·10, P90 = 900 + 0.1·10."""
    comp = np.arange(1.0, 101.0) * 10  # 10, 20, …, 1000
    table = comparison_table(metrics("a", comp, comp * 5), budget=905.0).iloc[0]
    assert table["comp_cost_p10"] == pytest.approx(109.0)
    assert table["comp_cost_p50"] == pytest.approx(505.0)
    assert table["comp_cost_p90"] == pytest.approx(901.0)
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
    table = pd.read_csv(tmp_path / "comparison.csv").set_index("plan_id")
    assert list(table.index) == ["capped-decelerator", "field-uncapped"]
    # the table's figures are those of the per-replication metrics it writes beside it
    samples = pd.read_csv(tmp_path / "comparison_metrics.csv")
    samples["comp_cost"] = samples["incentive_cost"] + samples["base_cost"]
    for plan_id, group in samples.groupby("plan_id"):
        comp = np.sort(group["comp_cost"].to_numpy())
        assert comp.size == 4 == table.loc[plan_id, "replications"]
        # quantiles of 4 values: position q·3 between order statistics
        assert table.loc[plan_id, "comp_cost_p10"] == pytest.approx(
            comp[0] + 0.3 * np.diff(comp)[0]
        )
        assert table.loc[plan_id, "comp_cost_p90"] == pytest.approx(
            comp[2] + 0.7 * np.diff(comp)[2]
        )
        assert table.loc[plan_id, "revenue"] == pytest.approx(group["revenue"].mean())
    assert np.ptp(samples["comp_cost"]) > 0  # the quantiles are not all one value
    assert "Differences from 'capped-decelerator'" in capsys.readouterr().out
