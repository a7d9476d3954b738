"""Histories of several segments: the segment column's validation, which segments are fitted alone
and which pooled (fast: no fit is run), and the command end to end (slow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spmopt.calibrate.fit import POOLED, segment_groups
from spmopt.calibrate.history import read_history, validate_history
from spmopt.errors import SpmoptInputError

HISTORY = "scenarios/data/history/history.csv"
SCENARIO = "scenarios/data/history/scenario.toml"


def _labelled(sizes: dict[str, int]) -> pd.DataFrame:
    """The shipped history as text, its territories split into segments of ``sizes`` seats (in
    order; a replacement hire stays in its territory's segment), column ``team``."""
    frame = pd.read_csv(HISTORY, dtype=str, keep_default_na=False)
    territories = sorted(frame["territory_id"].unique())
    labels = np.repeat(list(sizes), list(sizes.values()))
    assert len(labels) == len(territories)
    frame["team"] = frame["territory_id"].map(dict(zip(territories, labels, strict=True)))
    return frame


def test_segment_column_is_validated_and_returned():
    history = validate_history(_labelled({"east": 120, "west": 80}), "h.csv", "team")
    assert set(history["segment"]) == {"east", "west"}
    with pytest.raises(SpmoptInputError, match="column 'region': missing"):
        validate_history(_labelled({"east": 120, "west": 80}), "h.csv", "region")
    with pytest.raises(SpmoptInputError, match="column 'team': unknown column"):
        validate_history(_labelled({"east": 120, "west": 80}), "h.csv")


def test_a_rep_in_two_segments_is_an_error():
    frame = _labelled({"east": 120, "west": 80})
    rep = frame["rep_id"].iloc[0]
    rows = np.flatnonzero(frame["rep_id"] == rep)
    frame.loc[rows[5], "team"] = "west" if frame.loc[rows[5], "team"] == "east" else "east"
    with pytest.raises(SpmoptInputError, match="row .*column 'team'.*changes segment"):
        validate_history(frame, "h.csv", "team")


def test_large_segments_alone_small_ones_pooled_with_a_warning():
    history = validate_history(_labelled({"big": 140, "mid": 30, "tiny": 30}), "h.csv", "team")
    groups, warnings = segment_groups(history, min_reps=100)
    assert groups == {"big": ["big"], POOLED: ["mid", "tiny"]}
    assert len(warnings) == 1 and "mid (30), tiny (30)" in warnings[0]
    groups, warnings = segment_groups(history, min_reps=20)
    assert groups == {"big": ["big"], "mid": ["mid"], "tiny": ["tiny"]}
    assert warnings == []
    # a single small segment is fitted alone under its own name (the fit's own few-reps warning
    # says the rest)
    history = validate_history(_labelled({"big": 170, "small": 30}), "h.csv", "team")
    groups, warnings = segment_groups(history, min_reps=100)
    assert groups == {"big": ["big"], "small": ["small"]} and warnings == []


@pytest.mark.slow
def test_cli_fits_segments_into_their_folders(tmp_path, capsys):
    """``--segment-column``: a 140-rep segment fitted alone, two 30-rep ones pooled (a tiny
    search: this checks the plumbing, not the estimates)."""
    from spmopt.cli import main

    path = tmp_path / "history.csv"
    _labelled({"big": 140, "mid": 30, "tiny": 30}).to_csv(path, index=False)
    read_history(path, "team")
    out = tmp_path / "calibrated"
    status = main(
        [
            "calibrate",
            str(path),
            "--scenario",
            SCENARIO,
            "--out",
            str(out),
            "--segment-column",
            "team",
            "--parameters",
            "base_sales_log_median",
            "--replications",
            "1",
            "--bootstrap",
            "44",
            "--max-evaluations",
            "1",
            "--profile-points",
            "0",
            "--no-plots",
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert {p.name for p in out.iterdir() if p.is_dir()} == {"big", POOLED}
    assert (out / "big" / "scenario.toml").exists()
    assert "pooled segments with fewer than 100 reps" in captured.err
    assert "pooled segments" in (out / POOLED / "report.md").read_text()
