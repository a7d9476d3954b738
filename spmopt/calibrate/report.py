"""Outputs of a calibration: the calibrated scenario TOML, tidy tables, a fit report and plots
(``docs/calibration-from-history.md``, "Output")."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from spmopt.calibrate.fit import Calibration

__all__ = ["calibrated_scenario", "write_calibration"]


def calibrated_scenario(calibration: Calibration) -> str:
    """The scenario file with the fitted values in place, ready for ``simulate``/``optimise``.

    Plans are inlined (the file stands alone), the segment is put on the history's last plan
    (next year's incumbent), the team size is the history's, and a header lists the estimates
    with their standard errors.
    """
    simulator = calibration.simulator
    scenario = simulator.scenario
    document = tomllib.loads(Path(scenario.source).read_text())
    values = simulator.settings(calibration.fit.estimate)
    fitted = set(calibration.fit.names)
    document["scenario"]["id"] = f"{scenario.id}-calibrated"
    document["scenario"]["description"] = (
        f"{scenario.spec.scenario.description} — behaviour calibrated to a rep-month history"
    ).strip(" —")
    last = simulator.years[-1]
    document["scenario"]["year_start"] = scenario.plan_of(simulator.plan_names[last]).year_start
    document["plans"] = {name: {"plan": plan.to_dict()} for name, plan in scenario.plans.items()}
    segment = document["segments"][simulator.segment]
    segment["plan"] = simulator.plan_names[last]
    reps = segment.setdefault("reps", {})
    reps["count"] = simulator.seats
    if fitted & {"base_sales_log_median", "base_sales_sigma"}:
        reps["base_sales"] = {
            "dist": "lognormal",
            "median": round(float(np.exp(values["base_sales_log_median"])), 2),
            "sigma": round(values["base_sales_sigma"], 6),
        }
    if "effort_cost_log" in fitted:
        reps["effort_cost"] = round(float(np.exp(values["effort_cost_log"])), 2)
    if "risk_aversion_per_million" in fitted:
        reps["risk_aversion"] = values["risk_aversion_per_million"] * 1e-6
    document["behaviour"] = simulator.behaviour_dict(values)
    for table in ("timing", "attrition"):
        for key, value in document["behaviour"].get(table, {}).items():
            if isinstance(value, float):
                document["behaviour"][table][key] = round(value, 6)
    header = [
        f"# Calibrated from a rep-month history by `spmopt calibrate` (scenario {scenario.source}).",
        "# Two-step simulated method of moments; estimate (standard error):",
    ]
    for row in calibration.fit.parameters().itertuples():
        header.append(f"#   {row.parameter} = {row.estimate:.6g} ({row.standard_error:.3g})")
    header.append(
        f"# J-test of over-identifying restrictions: J = {calibration.fit.j_statistic:.3g} on "
        f"{calibration.fit.j_dof} degrees of freedom, p = {calibration.fit.j_p_value:.3g}"
    )
    return "\n".join(header) + "\n" + tomli_w.dumps(document)


def _markdown(frame: pd.DataFrame, digits: int = 4) -> str:
    """A small frame as a GitHub markdown table."""

    def cell(value):
        if isinstance(value, float | np.floating):
            return f"{value:.{digits}g}"
        return str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def fit_report(calibration: Calibration) -> str:
    """The fit report (markdown): estimates, moments data vs model, J-test, diagnostics."""
    fit = calibration.fit
    parts = [
        "# Calibration report",
        "",
        f"Two-step simulated method of moments on {fit.replications} simulated histories per "
        f"parameter value (fixed draws), {fit.evaluations} simulator evaluations.",
        "",
        "## Parameters",
        "",
        _markdown(fit.parameters()),
        "",
        f"J-test: J = {fit.j_statistic:.3g} on {fit.j_dof} degrees of freedom, "
        f"p = {fit.j_p_value:.3g} (a small p says the model cannot match every moment at once).",
        "",
        "## Moments: data and model",
        "",
        _markdown(fit.moments()),
        "",
        "## Identification",
        "",
        "Singular values of the whitened Jacobian (per parameter scale):",
        "",
        _markdown(calibration.singular_values),
        "",
        "Most informative moments per parameter:",
        "",
        _markdown(calibration.identifying_moments),
        "",
    ]
    if calibration.warnings:
        parts += ["## Warnings", ""] + [f"- {w}" for w in calibration.warnings] + [""]
    parts += ["Plots: `moments.png` (model against data), `profiles.png` (objective slices).", ""]
    return "\n".join(parts)


def _plots(calibration: Calibration, out: Path) -> list[Path]:
    """``moments.png`` and ``profiles.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    table = calibration.fit.moments()
    figure, axis = plt.subplots(figsize=(7, 0.3 * len(table) + 1.5))
    y = np.arange(len(table))
    axis.errorbar(
        table["data"] - table["data"], y, xerr=1.96, fmt="o", color="0.5", label="data ±1.96 se"
    )
    axis.plot(table["t"], y, "D", color="C1", label="model")
    axis.set_yticks(y, table["moment"])
    axis.axvline(0, color="0.8")
    axis.set_xlabel("model − data, in data standard errors")
    axis.legend(loc="lower right")
    figure.tight_layout()
    paths.append(out / "moments.png")
    figure.savefig(paths[-1], dpi=100)
    plt.close(figure)
    profiles = calibration.profiles
    if len(profiles):
        names = list(dict.fromkeys(profiles["parameter"]))
        figure, axes = plt.subplots(1, len(names), figsize=(3 * len(names), 2.8), squeeze=False)
        for axis, name in zip(axes[0], names, strict=True):
            mine = profiles.loc[profiles["parameter"] == name]
            axis.plot(mine["offset_se"], mine["objective"], "o-")
            axis.set_title(name, fontsize=8)
            axis.set_xlabel("offset (standard errors)")
        axes[0][0].set_ylabel("objective Q")
        figure.tight_layout()
        paths.append(out / "profiles.png")
        figure.savefig(paths[-1], dpi=100)
        plt.close(figure)
    return paths


def write_calibration(calibration: Calibration, out: Path, plots: bool = True) -> list[Path]:
    """Write ``scenario.toml``, ``parameters.csv``, ``moments.csv``, ``identification.csv``,
    ``informative_moments.csv``, ``profiles.csv``, ``report.md`` (and the plots) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def csv(name: str, frame: pd.DataFrame) -> None:
        path = out / name
        frame.to_csv(path, index=False)
        written.append(path)

    (out / "scenario.toml").write_text(calibrated_scenario(calibration))
    written.append(out / "scenario.toml")
    csv("parameters.csv", calibration.fit.parameters())
    csv("moments.csv", calibration.fit.moments())
    csv("identification.csv", calibration.singular_values)
    csv("informative_moments.csv", calibration.identifying_moments)
    csv("profiles.csv", calibration.profiles)
    (out / "report.md").write_text(fit_report(calibration))
    written.append(out / "report.md")
    if plots:
        written += _plots(calibration, out)
    return written
