"""Benchmark suites: loading, rescaled designs, the cache, the leaderboard's paired ranking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmopt.analysis.leaderboard import leaderboard_table
from spmopt.cli import main
from spmopt.errors import SpmoptInputError
from spmopt.plan.plan import Plan
from spmopt.run import suite as suite_module
from spmopt.run.suite import Suite, bench, run_suite, scale_plan

ROOT = Path(__file__).resolve().parents[1]
STANDARD = ROOT / "scenarios" / "plans" / "standard"


def small_suite(tmp_path: Path, designs: int = 3, **changes) -> Path:
    """A suite of the first ``designs`` of 3 designs on the cheap uncapped-windfall scenario:
    2 seeds × 4 replications in blocks of 2 = 4 tasks per design (~0.25 s each)."""
    settings = {"replications": 4, "block": 2, "seeds": "[1, 2]", **changes}
    text = f"""schema_version = 1
[suite]
id = "small"
seeds = {settings["seeds"]}
replications = {settings["replications"]}
block = {settings["block"]}
[[scenarios]]
path = "{ROOT / "scenarios" / "uncapped-windfall.toml"}"
quota_scale = 1.5625
pay_scale = 1.5
"""
    text += "".join(
        [
            f'[[designs]]\nname = "accelerators"\nplan = "{STANDARD / "accelerators.toml"}"\n',
            f'[[designs]]\nname = "capped"\nplan = "{STANDARD / "capped.toml"}"\n',
            '[[designs]]\nname = "uncapped"\nscenario_plan = "uncapped"\n',
        ][:designs]
    )
    path = tmp_path / "suite.toml"
    path.write_text(text)
    return path


def test_the_standard_suite_loads_with_every_classic_design():
    suite = Suite.load(ROOT / "scenarios" / "suites" / "standard.toml")
    assert {design.name for design in suite.designs} == {
        "straight-commission",
        "accelerators",
        "capped",
        "decelerated",
        "quota-bonus",
        "quarterly-pacers",
        "ratcheted-quotas",
        "draws",
    }
    assert len(suite.scenarios) == 4
    ratcheted = next(d for d in suite.designs if d.name == "ratcheted-quotas")
    scenario = suite_module.load_scenario_cached(suite.scenarios[0].path)
    assert suite_module.with_ratchet(scenario, ratcheted.ratchet).behaviour.ratchet is not None


def test_scaled_plan_pays_pay_scale_times_as_much_at_the_same_attainment():
    """Independent of the curve code: a rescaled plan is the same design in other units."""
    for name in ("accelerators", "quota-bonus", "draws", "decelerated"):
        plan = Plan.load(STANDARD / f"{name}.toml")
        scaled = scale_plan(plan, quota_scale=1.5, pay_scale=0.7)
        attainment = np.array([0.3, 0.9, 1.0, 1.3, 2.0])
        assert scaled.components[0].quota == pytest.approx(1.5 * plan.components[0].quota)
        np.testing.assert_allclose(
            scaled.attainment_curve()(attainment), 0.7 * plan.attainment_curve()(attainment)
        )
        assert scaled.base_salary == pytest.approx(0.7 * plan.base_salary)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("uncapped-windfall.toml", "nosuch.toml"), "scenario file"),
        (lambda t: t.replace("capped.toml", "nosuch.toml"), "plan file"),
        (lambda t: t.replace('scenario_plan = "uncapped"', 'scenario_plan = "nosuch"'), "nosuch"),
        (lambda t: t.replace("block = 2", "block = 2\nblocks = 3"), "unknown key 'suite.blocks'"),
    ],
)
def test_a_bad_suite_is_one_message_before_any_work(tmp_path, capsys, monkeypatch, edit, message):
    path = small_suite(tmp_path)
    path.write_text(edit(path.read_text()))

    def no_work(*args, **kwargs):
        raise AssertionError("a task ran")

    monkeypatch.setattr(suite_module, "run_block", no_work)
    status = main(["bench", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_interrupted_suite_recomputes_only_the_missing_tasks(tmp_path):
    """A run killed after 2 of its 4 tasks keeps them; the rerun computes the other 2, and an
    extended suite (6 replications instead of 4) only the 2 new blocks."""
    suite = Suite.load(small_suite(tmp_path, designs=2, seeds="[1]"))
    cache = tmp_path / "cache"

    def interrupt_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_suite(suite, cache_dir=cache, progress=interrupt_after_two)
    assert len(list(cache.glob("*.parquet"))) == 2
    assert not list(cache.glob(".tmp-*"))
    resumed, computed, cached = run_suite(suite, cache_dir=cache)
    assert (computed, cached) == (2, 2)
    fresh, _, _ = run_suite(suite, cache_dir=None)
    pd.testing.assert_frame_equal(resumed, fresh)
    extended = Suite.load(small_suite(tmp_path, designs=2, seeds="[1]", replications=6))
    _, computed, cached = run_suite(extended, cache_dir=cache)
    assert (computed, cached) == (2, 4)


def test_the_cache_key_changes_with_the_plan_seed_and_code(tmp_path, monkeypatch):
    suite = Suite.load(small_suite(tmp_path))
    keys = {task.key for _, task in suite_module.plan_tasks(suite)}
    assert len(keys) == 12
    reseeded = Suite.load(small_suite(tmp_path, seeds="[1, 3]"))
    assert len(keys & {task.key for _, task in suite_module.plan_tasks(reseeded)}) == 6
    rescaled = small_suite(tmp_path)
    rescaled.write_text(rescaled.read_text().replace("pay_scale = 1.5", "pay_scale = 1.4"))
    rescaled_keys = {task.key for _, task in suite_module.plan_tasks(Suite.load(rescaled))}
    assert len(keys & rescaled_keys) == 4  # only the scenario's own plan is not rescaled
    monkeypatch.setattr(suite_module, "code_version", lambda: "other")
    assert not keys & {task.key for _, task in suite_module.plan_tasks(suite)}


def test_bench_writes_the_leaderboard(tmp_path):
    result = bench(small_suite(tmp_path, block=4, seeds="[1]"), out=tmp_path / "out")
    names = {path.name for path in (tmp_path / "out").iterdir()}
    assert {"leaderboard.csv", "leaderboard.html", "leaderboard.png", "metrics.csv"} <= names
    board = result.leaderboard
    assert list(board["rank"]) == [1, 2, 3]
    assert board["profit"].is_monotonic_decreasing
    assert ((board["rank_best"] <= board["rank"]) & (board["rank"] <= board["rank_worst"])).all()
    assert board["p_over_budget"].between(0, 1).all()
    html = (tmp_path / "out" / "leaderboard.html").read_text()
    assert "e+0" not in html and "leaderboard.png" in html


def test_paired_ranking_separates_designs_whose_own_intervals_overlap():
    """Two designs whose profits share the replication's noise (common random numbers) and differ
    by 1,000: the marginal intervals overlap widely, yet the paired difference ranks them; a
    third design identical to the second in distribution but with its own noise stays tied."""
    rng = np.random.default_rng(5)  # test data only
    common = rng.normal(1e6, 1e5, size=40)
    rows = []
    for design, profit in (
        ("a", common + 1_000 + rng.normal(0, 50, 40)),
        ("b", common + rng.normal(0, 50, 40)),
        ("c", rng.normal(1e6, 1e5, size=40)),
    ):
        for replication, value in enumerate(profit):
            rows.append(
                {
                    "scenario_id": "s",
                    "plan_name": design,
                    "seed": 1,
                    "replication": replication,
                    "profit": value,
                    "revenue": 2 * value,
                    "incentive_cost": 1.0,
                    "base_cost": 1.0,
                    "cost_of_sales": 0.2,
                    "share_at_quota": 0.5,
                    "attrition": 0.2,
                    "discount_lost": 0.0,
                }
            )
    board = leaderboard_table(pd.DataFrame(rows)).set_index("design")
    assert board.loc["a", "profit_ci_low"] < board.loc["b", "profit_ci_high"]  # overlap
    assert board.loc["b", "rank_best"] == 2  # a is significantly better than b (paired)
    assert board.loc["a", "rank_worst"] <= 2  # … so a cannot rank below b
    # c's noise is independent: its 1e5 sd swamps 1,000, so it is tied with both
    assert (board.loc["c", "rank_best"], board.loc["c", "rank_worst"]) == (1, 3)


def test_a_suite_rejects_a_design_without_a_plan(tmp_path):
    path = small_suite(tmp_path)
    path.write_text(path.read_text().replace('scenario_plan = "uncapped"\n', ""))
    with pytest.raises(SpmoptInputError, match="either 'plan'"):
        Suite.load(path)


@pytest.mark.slow  # a LocalCluster starts in ~5 s alone, over a minute on the shared machine
def test_a_local_dask_cluster_gives_the_serial_results(tmp_path):
    """Two Dask worker processes (the tuned LocalCluster of --executor dask) return the same
    table as a serial run: each task draws from its own named streams."""
    suite = Suite.load(small_suite(tmp_path, designs=2, seeds="[1]"))
    serial, _, _ = run_suite(suite)
    on_dask, computed, _ = run_suite(suite, executor="dask", workers=2)
    assert computed == 4
    pd.testing.assert_frame_equal(on_dask, serial)


def test_an_unreachable_dask_scheduler_is_one_message_before_any_work(
    tmp_path, capsys, monkeypatch
):
    from spmopt.run import executors

    monkeypatch.setattr(executors, "DASK_CONNECT_TIMEOUT_S", 1.0)

    def no_work(*args, **kwargs):
        raise AssertionError("a task ran")

    monkeypatch.setattr(suite_module, "run_block", no_work)
    argv = ["bench", str(small_suite(tmp_path)), "--out", str(tmp_path / "out"), "--quiet"]
    status = main([*argv, "--executor", "dask", "--address", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert status == 2 and "cannot reach a Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    status = main([*argv, "--address", "tcp://127.0.0.1:9"])
    assert status == 2 and "--address is for --executor dask" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--replications", "1e9"], "3,000,000,000 tasks"),
        (["--replications", "1e8", "--block", "1e8"], "of memory"),
    ],
)
def test_bench_estimates_up_front_and_refuses_beyond_the_machine(
    tmp_path, capsys, monkeypatch, extra, message
):
    """Issue 14: a huge bench stops with an estimate, before planning or running any task."""

    def no_work(*args, **kwargs):
        raise AssertionError("tasks were planned")

    monkeypatch.setattr(suite_module, "plan_tasks", no_work)
    argv = ["bench", str(small_suite(tmp_path)), "--out", str(tmp_path / "out"), *extra]
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2 and message in err and "--force" in err and "Traceback" not in err
    assert "estimate: " in err and not (tmp_path / "out").exists()


def test_bench_command_runs_a_suite_with_an_extra_plan_file_and_reuses_its_cache(tmp_path, capsys):
    suite = small_suite(tmp_path, designs=2, seeds="[1]", replications=2)
    argv = ["bench", str(suite), "--plan-file", str(STANDARD / "decelerated.toml"), "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "3 tasks computed, 0 read from the cache" in out
    board = pd.read_csv(tmp_path / "a" / "leaderboard.csv")
    assert set(board["design"]) == {"accelerators", "capped", "decelerated"}
    assert (tmp_path / "a.cache").is_dir()
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert "0 tasks computed, 3 read from the cache" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a" / "leaderboard.csv"), board)
