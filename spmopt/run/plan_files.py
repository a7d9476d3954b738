"""Plan files given on the command line instead of a scenario's ``[plans]`` names.

``--plan-file X.toml`` puts every segment of the scenario on plan X; ``--plan-file SEG=X.toml``
puts segment ``SEG`` on X (the other segments keep their own plan). Several ``SEG=FILE`` pairs
joined by commas (``ae=A.toml,enterprise=B.toml``) make one assignment.
"""

from __future__ import annotations

from pathlib import Path

from spmopt.errors import SpmoptInputError
from spmopt.plan.plan import Plan


def parse_plan_file(text: str, scenario) -> Plan | dict[str, Plan]:
    """A plan (every segment) or ``{segment: plan}`` from a ``--plan-file`` value."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise SpmoptInputError(f"--plan-file {text!r}: expected FILE.toml or SEGMENT=FILE.toml")
    if len(parts) == 1 and "=" not in parts[0]:
        return Plan.load(Path(parts[0]))
    plans = {}
    segments = list(scenario.spec.segments)
    for part in parts:
        segment, sep, path = part.partition("=")
        if not sep or not segment or not path:
            raise SpmoptInputError(
                f"--plan-file {text!r}: '{part}' is not SEGMENT=FILE.toml (segments: "
                f"{', '.join(segments)})"
            )
        if segment not in segments:
            raise SpmoptInputError(
                f"--plan-file {text!r}: no segment '{segment}' in scenario '{scenario.id}' "
                f"(segments: {', '.join(segments)})",
                scenario.source,
            )
        if segment in plans:
            raise SpmoptInputError(f"--plan-file {text!r}: segment '{segment}' is given twice")
        plans[segment] = Plan.load(Path(path))
    return plans


def combine_plan_files(texts: list[str], scenario) -> Plan | dict[str, Plan]:
    """One assignment from several ``--plan-file`` values (``simulate``): at most one bare file
    (every segment), refined by ``SEG=FILE`` values for single segments."""
    default = None
    plans: dict[str, Plan] = {}
    for text in texts:
        parsed = parse_plan_file(text, scenario)
        if isinstance(parsed, Plan):
            if default is not None:
                raise SpmoptInputError(
                    "two --plan-file values without a segment; simulate runs one plan per "
                    "segment (use SEGMENT=FILE.toml, or `spmopt compare` to compare plans)"
                )
            default = parsed
            continue
        for segment, plan in parsed.items():
            if segment in plans:
                raise SpmoptInputError(f"--plan-file: segment '{segment}' is given twice")
            plans[segment] = plan
    if not plans:
        return default
    if default is not None:
        plans = {name: plans.get(name, default) for name in scenario.spec.segments}
    return plans


def describe_assignment(scenario, plan) -> str:
    """``segment: plan id`` for every segment of ``scenario`` under ``plan`` (a name, a Plan, a
    ``{segment: Plan}`` or None for the scenario's own)."""
    model = scenario.model(plan)
    return ", ".join(f"{name}: {segment.plan.id}" for name, segment in model.segments.items())
