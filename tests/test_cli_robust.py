"""The ``spmopt`` command on the inputs a new user got wrong (issue 14): exit status 2 and one
message, never a traceback, a wrapped-round number or a half-written ``--out``."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from spmopt.cli import main

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "scenarios" / "plans"
SCENARIOS = ROOT / "scenarios"


def run(argv, capsys):
    status = main([str(part) for part in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ------------------------------------------------------------------------- payouts: amount range
@pytest.mark.parametrize("amount", ["9.3e16", "-9.3e16", "2e12"])
def test_payouts_refuses_amounts_beyond_the_cents_range(tmp_path, capsys, amount):
    credits = tmp_path / "credits.csv"
    credits.write_text(
        f"rep_id,date,measure,amount\nR001,2027-01-04,bookings,100\nR001,2027-02-04,bookings,{amount}\n"
    )
    out = tmp_path / "out"
    status, stdout, err = run(
        ["payouts", "--plan", PLANS / "saas-ae.toml", "--credits", credits, "--out", out], capsys
    )
    assert status == 2
    assert f"{credits}: line 3: amount" in err and "outside the supported range" in err
    assert "Traceback" not in err and not out.exists()


def test_payouts_refuses_a_rep_total_beyond_the_cents_range(tmp_path, capsys):
    credits = tmp_path / "credits.csv"
    rows = "".join(f"R001,2027-01-{day:02d},bookings,9e11\n" for day in range(1, 13))
    credits.write_text("rep_id,date,measure,amount\n" + rows)
    status, _, err = run(
        [
            "payouts",
            "--plan",
            PLANS / "saas-ae.toml",
            "--credits",
            credits,
            "--out",
            tmp_path / "o",
        ],
        capsys,
    )
    assert status == 2 and "line 13: rep 'R001'" in err


# ------------------------------------------- payouts, accrue, backtest: the file at fault is named
PAYING = {
    "payouts": ["payouts", "--plan", PLANS / "saas-ae.toml"],
    "accrue": ["accrue", "--plan", PLANS / "saas-ae.toml"],
    "backtest": ["backtest", "--plan", PLANS / "saas-ae.toml"]
    + ["--plan", PLANS / "capped-decelerator.toml"],
}


@pytest.mark.parametrize("command", PAYING)
def test_errors_found_after_reading_name_the_credits_or_roster_file(tmp_path, capsys, command):
    """Problems only the statements engine sees (a credit before the rep starts, a roster quota
    column of no component) name the user's file, as read by load_plans_credits_roster."""
    credits = tmp_path / "my-credits.csv"
    credits.write_text("rep_id,date,measure,amount\nR001,2027-03-04,bookings,100\n")
    roster = tmp_path / "my-roster.csv"
    argv = [*PAYING[command], "--credits", credits, "--roster", roster, "--out", tmp_path / "o"]
    roster.write_text("rep_id,start_date\nR001,2027-06-01\n")
    status, _, err = run(argv, capsys)
    assert status == 2 and f"{credits}: line 2: credit dated 2027-03-04 is before" in err
    roster.write_text("rep_id,quota_nosuch\nR001,5\n")
    status, _, err = run(argv, capsys)
    assert status == 2 and f"{roster}: column quota_nosuch names no component" in err


# ------------------------------------------------------------------ staged --out: all or nothing
def parse_failure(argv, capsys) -> tuple[int, str]:
    """Exit status and stderr of an argument the parser refuses."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(part) for part in argv])
    return exit_info.value.code, capsys.readouterr().err


@pytest.mark.parametrize("count", ["0", "-5", "2.5", "many"])
def test_simulate_refuses_a_replication_count_below_one(tmp_path, capsys, count):
    out = tmp_path / "out"
    status, err = parse_failure(
        ["simulate", SCENARIOS / "field-sales.toml", "--replications", count, "--out", out], capsys
    )
    assert status == 2 and "--replications" in err and "positive whole number" in err
    assert not out.exists()


@pytest.fixture
def quick_plot(monkeypatch):
    """``curve`` without matplotlib (slow to import): the plot is a placeholder file."""
    plots = types.ModuleType("spmopt.analysis.plots")
    plots.plot_payout_curve = lambda table, path, **kwargs: Path(path).write_text("png")
    monkeypatch.setitem(sys.modules, "spmopt.analysis.plots", plots)
    return plots


def curve(out, capsys):
    return run(["curve", PLANS / "saas-ae.toml", "--out", out, "--step", "0.1"], capsys)


def test_a_reused_out_is_replaced_whole_without_stale_files(tmp_path, capsys, quick_plot):
    out = tmp_path / "out"
    assert curve(out, capsys)[0] == 0
    (out / "deals.parquet").write_text("from an earlier run")
    (out / "old.png").write_text("from an earlier run")
    assert curve(out, capsys)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == [
        ".spmopt-output.json",
        "curve.csv",
        "curve.png",
        "curve_breakpoints.csv",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


def test_an_out_holding_other_files_is_refused_and_left_alone(tmp_path, capsys, quick_plot):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own file")
    status, _, err = curve(out, capsys)
    assert status == 2 and "spmopt did not write (notes.txt)" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_a_failed_or_interrupted_simulate_leaves_no_out(tmp_path, capsys, monkeypatch, failure):
    import spmopt.run.simulation

    def interrupted(scenario, staging, *args, **kwargs):
        (staging / "deals.parquet").write_text("half written")
        raise failure()

    monkeypatch.setattr(spmopt.run.simulation, "simulate_to_files", interrupted)
    out = tmp_path / "deeper" / "out"
    argv = ["simulate", SCENARIOS / "field-sales.toml", "--out", out, "--quiet"]
    if failure is KeyboardInterrupt:
        status, _, err = run(argv, capsys)
        assert status == 130 and "interrupted; nothing was written" in err
    else:
        with pytest.raises(RuntimeError):
            main([str(part) for part in argv])
    assert list(tmp_path.iterdir()) == []  # neither out, nor its new parent, nor a staging folder


def test_an_interrupted_run_leaves_the_previous_out_untouched(
    tmp_path, capsys, monkeypatch, quick_plot
):
    out = tmp_path / "out"
    assert curve(out, capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(table, path, **kwargs):
        path.write_text("half a picture")
        raise KeyboardInterrupt

    monkeypatch.setattr(quick_plot, "plot_payout_curve", interrupted)
    status, _, _ = curve(out, capsys)
    assert status == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ------------------------------------------------------------- one message instead of a traceback
WINDFALL = SCENARIOS / "uncapped-windfall.toml"
BENCH = ["bench", WINDFALL, "--replications", "2", "--quiet"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--block", "0"], "--block: expected a positive whole number, got '0'"),
        (["--workers", "0"], "--workers: expected a positive whole number, got '0'"),
    ],
)
def test_bench_refuses_non_positive_sizes(tmp_path, capsys, extra, expected):
    status, err = parse_failure([*BENCH, "--out", tmp_path / "o", *extra], capsys)
    assert status == 2 and expected in err and "Traceback" not in err


def test_bench_refuses_a_plan_no_scenario_has(tmp_path, capsys):
    status, _, err = run([*BENCH, "--out", tmp_path / "o", "--plans", "nosuch"], capsys)
    assert status == 2
    assert "no scenario has plan 'nosuch'; the scenarios' plans are incumbent, uncapped" in err
    assert not (tmp_path / "o").exists()


def test_bench_says_which_scenarios_lack_a_named_plan(tmp_path, capsys):
    status, out, err = run(
        [
            "bench",
            WINDFALL,
            SCENARIOS / "broken-quotas.toml",
            "--replications",
            "2",
            "--quiet",
            "--out",
            tmp_path / "o",
            "--plans",
            "uncapped",
            "--block",
            "2",
        ],
        capsys,
    )
    assert status == 0, err
    assert "broken-quotas.toml: no plan 'uncapped' in its [plans]" in err and "skipped" in err


@pytest.mark.parametrize("command", ["bench", "curve"])
@pytest.mark.parametrize("where", ["proc", "below_file", "is_file"])
def test_an_out_that_cannot_be_written_is_one_message(tmp_path, capsys, command, where):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    out = {
        "proc": Path("/proc/spmopt-out"),
        "below_file": a_file / "out",
        "is_file": a_file,
    }[where]
    argv = (
        [*BENCH, "--out", out]
        if command == "bench"
        else ["curve", PLANS / "saas-ae.toml", "--out", out]
    )
    status, stdout, err = run(argv, capsys)
    assert status == 2 and "Traceback" not in err
    assert err.count("\n") == 1 and f"--out {out}" in err
    assert a_file.read_text() == "x"


# --------------------------------------------------------------------------- validation messages
PLAN_HEAD = """schema_version = 1
[plan]
id = "p"
year_start = "2027-01-01"
target_incentive = 50000
"""
COMPONENT = """[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 500000
tiers = [{ from = 0.0, rate = 0.1 }]
"""


def validate(tmp_path, capsys, text, name="plan.toml"):
    path = tmp_path / name
    path.write_text(text)
    status, out, err = run(["validate", path], capsys)
    return status, out, err, path


def test_validation_lists_every_problem(tmp_path, capsys):
    text = PLAN_HEAD.replace("50000", "-5") + 'colour = "red"\n' + COMPONENT.replace("500000", "-1")
    status, _, err, _ = validate(tmp_path, capsys, text)
    assert status == 2 and "more problem" not in err
    assert "plan.target_incentive" in err and "unknown key 'plan.colour'" in err
    assert "plan.components[0](id 'bookings').quota" in err and "(got -1)" in err


def test_validation_shows_ten_problems_and_counts_the_rest(tmp_path, capsys):
    extra = "".join(f"unknown_{n:02d} = 1\n" for n in range(13))
    status, _, err, _ = validate(tmp_path, capsys, PLAN_HEAD + extra + COMPONENT)
    assert status == 2 and "13 problems in all" in err
    assert sum(f"unknown key 'plan.unknown_{n:02d}'" in err for n in range(13)) == 10
    assert err.rstrip().endswith("[and 3 more problems]")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("threshold = 50%", "key 'threshold' (`threshold = 50%`): write 0.5 —"),
        ("tiers = [{ from = 0.0, rate = 12.5% }]", "key 'rate'"),
        ("cap = 1,500", "write 1500 or 1_500"),
        ("quota = $500000", "write 500000"),
        ("method = marginal", 'quote text: write method = "marginal"'),
    ],
)
def test_a_toml_slip_names_line_key_and_fix(tmp_path, capsys, line, expected):
    text = PLAN_HEAD + COMPONENT.replace("tiers = [{ from = 0.0, rate = 0.1 }]\n", "") + line + "\n"
    status, _, err, path = validate(tmp_path, capsys, text)
    number = text.splitlines().index(line) + 1
    assert status == 2 and f"{path}: not valid TOML at line {number}" in err
    assert expected in err


def test_a_toml_slip_in_a_scenario_names_line_and_fix(tmp_path, capsys):
    path = tmp_path / "scenario.toml"
    path.write_text("[scenario]\nid = 's'\n[finance]\ncost_of_sales_ceiling = 12%\n")
    status, _, err = run(["simulate", path, "--out", tmp_path / "out"], capsys)
    assert status == 2 and "line 4, key 'cost_of_sales_ceiling'" in err and "write 0.12" in err


def test_a_plan_that_pays_nothing_is_flagged(tmp_path, capsys):
    text = PLAN_HEAD + COMPONENT.replace("quota = 500000\n", "quota = 500000\nmax_payout = 0\n")
    status, out, err, path = validate(tmp_path, capsys, text)
    assert status == 0 and f"{path}: ok" in out
    assert "component 'bookings' has max_payout = 0, so it never pays" in err
    assert "pays no incentive at any attainment" in err
    status, _, err, _ = validate(tmp_path, capsys, PLAN_HEAD + COMPONENT)
    assert status == 0 and "warning" not in err


# ------------------------------------------------------------------------------ optimise: levers
@pytest.mark.parametrize("name", ["broken-quotas.toml", "uncapped-windfall.toml"])
def test_optimise_without_levers_shows_how_to_add_them(tmp_path, capsys, name):
    from spmopt.cli import LEVERS_EXAMPLE
    from spmopt.optimise.pipeline import OptimiseOptions
    from spmopt.scenario import Scenario

    status, _, err = run(["optimise", SCENARIOS / name, "--out", tmp_path / "o"], capsys)
    assert status == 2 and "no [optimise.levers] table" in err and LEVERS_EXAMPLE in err
    assert not (tmp_path / "o").exists()
    # the example, pasted into the scenario, is accepted
    text = (SCENARIOS / name).read_text() + "\n" + LEVERS_EXAMPLE + "\n"
    options = OptimiseOptions.from_scenario(Scenario.from_toml(text, name, base=SCENARIOS))
    assert all(levers["quota"] == [0.9, 1.0, 1.1] for levers in options.levers.values())


def test_participation_infeasibility_gives_the_shortfall_in_money_per_year():
    from spmopt.errors import SpmoptNoSolutionError
    from spmopt.optimise.constraints import Constraints
    from spmopt.optimise.lp import solve
    from spmopt.optimise.responses import ResponseTable

    frame = pd.DataFrame(
        {
            "unit": ["east", "east", "west"],
            "candidate": ["p", "r", "q"],
            "revenue": [100.0, 100.0, 100.0],
            "margin": [50.0, 50.0, 50.0],
            "incentive_cost": [1.0, 1.0, 1.0],
            "base_cost": [0.0, 0.0, 0.0],
            "discount_cost": [0.0, 0.0, 0.0],
            "certainty_equivalent": [90.0, 97.5, 110.0],
            "outside_option": [100.0, 100.0, 100.0],
            "p_quota": [0.5, 0.5, 0.5],
            "reps": [1, 1, 1],
            "quota": [1e6, 1e6, 1e6],
            "attrition": [0.0, 0.0, 0.0],
        }
    )
    with pytest.raises(SpmoptNoSolutionError) as caught:
        solve(ResponseTable.from_frames(frame), Constraints(participation=True))
    assert (
        "participation[east] (best candidate's certainty equivalent 2 currency/yr per rep"
        in str(caught.value)
    )


# ----------------------------------------------------------------------------- huge runs refused
@pytest.mark.parametrize("count", ["1e12", "100000000"])
def test_a_run_beyond_the_machine_is_refused_up_front(tmp_path, capsys, monkeypatch, count):
    import spmopt.run.estimate

    # a fixed machine: 64 GiB of memory, 1 TiB of disk (10^8 replications need ~190 GiB, ~5 TiB)
    monkeypatch.setattr(spmopt.run.estimate, "available_memory_bytes", lambda: 64.0 * 2**30)
    monkeypatch.setattr(spmopt.run.estimate, "free_disk_bytes", lambda folder: 2.0**40)
    out = tmp_path / "out"
    status, _, err = run(
        ["simulate", SCENARIOS / "field-sales.toml", "--replications", count, "--out", out],
        capsys,
    )
    assert status == 2 and "this run would need about" in err and "--force" in err
    assert "estimate: " in err and "rep-months" in err
    assert list(tmp_path.iterdir()) == []


def test_force_runs_what_the_estimate_refuses(tmp_path, capsys, monkeypatch):
    import spmopt.run.estimate

    monkeypatch.setattr(spmopt.run.estimate, "available_memory_bytes", lambda: 1.0)
    argv = ["simulate", SCENARIOS / "field-sales.toml", "--replications", "2", "--no-plot"]
    status, _, err = run([*argv, "--out", tmp_path / "a"], capsys)
    assert status == 2 and "of memory (1 B available)" in err
    status, _, err = run([*argv, "--out", tmp_path / "b", "--force"], capsys)
    assert status == 0, err


def test_the_disk_estimate_bounds_what_simulate_writes(tmp_path, capsys):
    """The estimate uses the largest measured bytes per rep-month: an upper bound, within 3x."""
    from spmopt.run.estimate import estimate_run

    out = tmp_path / "out"
    argv = ["simulate", SCENARIOS / "field-sales.toml", "--replications", "3", "--out", out]
    assert run([*argv, "--no-plot", "--quiet"], capsys)[0] == 0
    written = (out / "rep_periods.parquet").stat().st_size
    estimate = estimate_run(3, 80, 12, "fast", file_format="parquet")
    assert estimate.rows == 3 * 80 * 12
    assert estimate.disk_bytes / 3 < written <= estimate.disk_bytes


@pytest.mark.slow  # ~15 s: a subprocess imports spmopt and starts a long run
def test_sigterm_removes_the_staging_folder(tmp_path):
    """``kill`` (SIGTERM) is handled like Ctrl-C: no staging folder, no --out, exit 130."""
    import os
    import signal
    import subprocess
    import time

    out = tmp_path / "out"
    command = [sys.executable, "-m", "spmopt", "simulate", str(SCENARIOS / "field-sales.toml")]
    command += ["--replications", "100000", "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.staging-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted; nothing was written" in err
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------- --help
COMMANDS = ["payouts", "validate", "curve", "simulate", "optimise", "compare", "bench"]
COMMANDS += ["backtest", "accrue", "forecast", "solve-for sales", "solve-for budget"]
COMMANDS += ["solve-for quota", "calibrate", "revise"]


def help_entries(text: str) -> dict[str, str]:
    """``{invocation: description}`` of each argument in an argparse help text."""
    entries: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("   "):  # a new argument
            invocation, _, description = line.strip().partition("  ")
            current = invocation
            entries[current] = description.strip()
        elif line.startswith("   ") and current is not None:  # its description continues
            entries[current] = (entries[current] + " " + line.strip()).strip()
        else:
            current = None
    return entries


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_a_description_and_its_default(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([*command.split(), "--help"])
    assert exit_info.value.code == 0
    entries = help_entries(capsys.readouterr().out)
    assert len(entries) >= 3
    for invocation, description in entries.items():
        if invocation.startswith("-h"):
            continue
        assert description, f"{command} {invocation}: no description"
        if invocation.startswith("-"):
            assert "default" in description or "required" in description, (
                f"{command} {invocation}: no default in {description!r}"
            )


# ------------------------------------------------------------------------------- lazy imports
def test_import_spmopt_and_the_help_load_no_heavy_library():
    """``import spmopt`` and ``spmopt --help`` load neither pandas, SciPy, PuLP, SimPy nor
    matplotlib (they cost 2–3 s at start-up); the public names still import on first use."""
    import subprocess

    heavy = ["pandas", "scipy.stats", "matplotlib", "pulp", "simpy"]
    script = (
        "import sys, contextlib, io, spmopt, spmopt.cli\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    spmopt.cli.main(['simulate', '--help'])\n"
        f"print([name for name in {heavy!r} if name in sys.modules])\n"
        "print(spmopt.Plan.__name__, spmopt.simulate.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.splitlines() == ["[]", "Plan simulate"], done.stderr
