"""Candidate plans from levers: quota level, rate level, rate tables, pay mix, caps and bonuses.

Levers are declared in a scenario's ``[optimise.levers]`` table (for every segment) or
``[optimise.levers.<segment>]`` (for one segment); each lever is a list of settings and the
candidates are every combination (the incumbent — the segment's own plan — is always among them):

=====================  ===========================================================================
``quota``              multiples of the plan's quota, e.g. ``[0.9, 1.0, 1.1]``
``quota_basis``        ``"plan"`` (default) or ``"territory"``: per-rep quota = multiple × plan
                       quota × the rep's ``territory_potential``
``rate``               multiples of every tier's rate, multiplier or payout, e.g. ``[0.8, 1.0]``
``rate_tables``        named tier tables replacing the first component's tiers, e.g.
                       ``{ flat = [{from = 0, multiplier = 1}], steep = [...] }``; ``"plan"`` keeps it
``pay_mix``            base share of on-target earnings (OTE kept), e.g. ``[0.5, 0.6]``
``base_salary``        absolute annual base salaries
``cap``                attainment caps of the first component; ``0`` removes the cap
``bonus_amount``       lump sum at ``bonus_at`` attainment of the year (adds or replaces bonus
``bonus_at``           ``lever``), e.g. ``bonus_amount = [0, 10000]``, ``bonus_at = [1.0]``
=====================  ===========================================================================
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from spmopt.errors import SpmoptInputError
from spmopt.plan.plan import Plan

LEVERS = (
    "quota",
    "quota_basis",
    "rate",
    "rate_tables",
    "pay_mix",
    "base_salary",
    "cap",
    "bonus_amount",
    "bonus_at",
)
INCUMBENT = "incumbent"


@dataclass(frozen=True, eq=False)
class Candidate:
    """One candidate plan for a segment: its id, the lever settings and the plan itself.

    ``quota_multiple`` and ``territory_quota`` say how reps' quotas follow from the plan's.
    """

    id: str
    segment: str
    settings: Mapping[str, object]
    plan: Plan
    quota_multiple: float = 1.0
    territory_quota: bool = False


def _grid(key: str, value) -> list:
    if isinstance(value, list | tuple):
        if not value:
            raise SpmoptInputError(f"optimise.levers.{key}: expected a non-empty list of settings")
        return list(value)
    return [value]


def _number(key: str, value, low: float = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpmoptInputError(f"optimise.levers.{key}: expected a number, got {value!r}")
    if value < low or (strict and value == low):
        bound = "above" if strict else "at least"
        raise SpmoptInputError(
            f"optimise.levers.{key}: expected a number {bound} {low}, got {value}"
        )
    return float(value)


def _scaled_tiers(tiers: list[dict], factor: float) -> list[dict]:
    scaled = []
    for tier in tiers:
        tier = dict(tier)
        for key in ("rate", "multiplier", "payout"):
            if key in tier:
                tier[key] = round(tier[key] * factor, 12)
        scaled.append(tier)
    return scaled


def apply_levers(
    plan: Plan, settings: Mapping[str, object], plan_id: str
) -> tuple[Plan, float, bool]:
    """The plan with ``settings`` applied, renamed ``plan_id``; also the quota multiple and
    whether quotas follow territory potential."""
    document = plan.to_dict()
    body = document["plan"]
    body["id"] = plan_id
    components = body["components"]
    multiple = _number("quota", settings.get("quota", 1.0), strict=True)
    for component in components:
        component["quota"] = component["quota"] * multiple
    rate = _number("rate", settings.get("rate", 1.0))
    table = settings.get("rate_tables", "plan")
    if table != "plan":
        components[0]["tiers"] = list(table)
    for component in components:
        component["tiers"] = _scaled_tiers(component["tiers"], rate)
    ote = body.get("base_salary", 0.0) + body["target_incentive"]
    if "pay_mix" in settings:
        mix = _number("pay_mix", settings["pay_mix"])
        if mix >= 1:
            raise SpmoptInputError("optimise.levers.pay_mix: expected a base share below 1")
        body["base_salary"] = ote * mix
        body["target_incentive"] = ote * (1 - mix)
    if "base_salary" in settings:
        body["base_salary"] = _number("base_salary", settings["base_salary"])
    if "cap" in settings:
        cap = _number("cap", settings["cap"])
        if cap == 0:
            components[0].pop("cap", None)
        else:
            components[0]["cap"] = cap
    if "bonus_amount" in settings:
        amount = _number("bonus_amount", settings["bonus_amount"])
        at = _number("bonus_at", settings.get("bonus_at", 1.0))
        bonuses = [bonus for bonus in body.get("bonuses", []) if bonus["id"] != "lever"]
        if amount > 0:
            bonuses.append(
                {"id": "lever", "measure": components[0]["measure"], "at": at, "amount": amount}
            )
        body["bonuses"] = bonuses
    try:
        changed = Plan.from_dict(document, source=f"candidate '{plan_id}'")
    except SpmoptInputError as error:
        raise SpmoptInputError(f"optimise.levers produce an invalid plan: {error}") from None
    territory = settings.get("quota_basis", "plan")
    if territory not in ("plan", "territory"):
        raise SpmoptInputError(
            f"optimise.levers.quota_basis: expected 'plan' or 'territory', got {territory!r}"
        )
    return changed, multiple, territory == "territory"


def plan_id_for(base: str, label: str) -> str:
    """A valid plan id (letters, digits, ``_ . -``, at most 64) for a candidate of plan ``base``."""
    text = re.sub(r"[^A-Za-z0-9_.\-]+", "-", f"{base}.{label}").strip("-")
    if len(text) <= 64:
        return text
    digest = hashlib.blake2b(text.encode(), digest_size=4).hexdigest()
    return f"{text[:55]}-{digest}"


def candidates(plan: Plan, segment: str, levers: Mapping[str, object]) -> list[Candidate]:
    """Every combination of the lever settings for ``segment``'s ``plan``, the incumbent first."""
    unknown = sorted(set(levers) - set(LEVERS))
    if unknown:
        raise SpmoptInputError(
            f"unknown key 'optimise.levers.{unknown[0]}'; levers are {', '.join(LEVERS)}"
        )
    grids: dict[str, list] = {}
    table_names: dict[int, str] = {}
    for key, value in levers.items():
        if key == "rate_tables":
            if not isinstance(value, Mapping) or not value:
                raise SpmoptInputError(
                    "optimise.levers.rate_tables: expected a table of named tier lists"
                )
            grids[key] = ["plan"]
            for name, tiers in value.items():
                if not isinstance(tiers, list):
                    raise SpmoptInputError(
                        f"optimise.levers.rate_tables.{name}: expected a list of tiers"
                    )
                table_names[id(tiers)] = name
                grids[key].append(tiers)
        else:
            grids[key] = _grid(key, value)
    made = [Candidate(INCUMBENT, segment, {}, plan)]
    for values in itertools.product(*grids.values()):
        settings = dict(zip(grids, values, strict=True))
        label = ",".join(
            f"{key}={table_names.get(id(value), value) if key == 'rate_tables' else value}"
            for key, value in settings.items()
        )
        changed, multiple, territory = apply_levers(plan, settings, plan_id_for(plan.id, label))
        if changed.body == plan.body.model_copy(update={"id": changed.id}) and not territory:
            continue  # the incumbent again
        made.append(Candidate(label, segment, settings, changed, multiple, territory))
    return made
