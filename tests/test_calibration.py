"""The shipped scenarios reproduce their documented calibration (docs/calibration.md).

The targets are read from the table "Targets and simulated figures of the shipped scenarios" in
``docs/calibration.md`` (rows ``share_at_quota``, ``attrition`` and ``quarter_end_share``), so the
page and the scenarios cannot drift apart. Each scenario is simulated on a few replications (fast
engine, the scenario's seed); a figure passes when its mean over replications lies within the
target range widened by ``t·SE`` (SE over replications, t the Student quantile). A scenario whose
true mean lies inside its range fails by chance with probability at most ``FALSE_FAILURE`` per
test function (one-sided at each end, Bonferroni over its checks); the seeds are fixed, so a
passing test keeps passing.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import spmopt

ROOT = Path(__file__).resolve().parents[1]
FALSE_FAILURE = 1e-3
ROW = re.compile(r"^\| ([\w-]+) \| `(\w+)` \| (\d+)–(\d+)% \|", re.MULTILINE)
#: replications per scenario: a few seconds each
REPLICATIONS = {"saas-ae": 10, "broken-quotas": 10, "field-sales": 12, "uncapped-windfall": 16}
SHIPPED = sorted(path.stem for path in (ROOT / "scenarios").glob("*.toml"))


def documented_targets() -> dict[str, dict[str, tuple[float, float]]]:
    """{scenario: {figure: (low, high)}} from docs/calibration.md, as ratios."""
    targets: dict[str, dict[str, tuple[float, float]]] = {}
    text = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    for scenario, figure, low, high in ROW.findall(text):
        targets.setdefault(scenario, {})[figure] = (int(low) / 100, int(high) / 100)
    return targets


def replication_figures(result) -> dict[str, np.ndarray]:
    """Per replication: share at quota, attrition and the share of the year's closings (bookings
    before timing moves) in months 3, 6, 9 and 12."""
    metrics = result.replication_metrics()
    closings = result.rep_periods.pivot_table(
        index="replication", columns="month", values="closings", aggfunc="sum", observed=True
    ).to_numpy()
    return {
        "share_at_quota": metrics["share_at_quota"].to_numpy(),
        "attrition": metrics["attrition"].to_numpy(),
        "quarter_end_share": closings[:, 2::3].sum(axis=1) / closings.sum(axis=1),
    }


def test_every_shipped_scenario_has_documented_targets():
    targets = documented_targets()
    assert set(SHIPPED) == set(REPLICATIONS)
    for name in SHIPPED:
        assert {"share_at_quota", "attrition"} <= set(targets.get(name, {})), name


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_reproduces_its_documented_calibration(name):
    targets = documented_targets()[name]
    replications = REPLICATIONS[name]
    result = spmopt.simulate(ROOT / "scenarios" / f"{name}.toml", replications=replications)
    figures = replication_figures(result)
    t = stats.t.isf(FALSE_FAILURE / (2 * len(targets)), replications - 1)
    for figure, (low, high) in targets.items():
        values = figures[figure]
        mean, se = values.mean(), values.std(ddof=1) / np.sqrt(values.size)
        assert low - t * se <= mean <= high + t * se, (figure, mean, se, (low, high))
