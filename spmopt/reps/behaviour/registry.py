"""Named, switchable behaviour models, created from names and validated parameters.

Effort models (one contract, :class:`~spmopt.reps.behaviour.contract.EffortModel`):
``static``, ``dynamic``, ``fixed_effort``, ``rule_of_thumb``. Timing models: ``none``,
``pull_push``. Attrition models: ``none``, ``hazard``. Ratchet anticipation is a parameter table
passed to the effort models that optimise (``static``, ``dynamic``).

A scenario's behaviour section, e.g.::

    [behaviour]
    effort = {model = "dynamic", cadence = "quarter"}
    timing = {model = "pull_push", discount = 0.1}
    ratchet = {up = 0.5, down = 0.2, discount = 0.9, horizon_years = 3}
    attrition = {model = "hazard", annual_turnover = 0.3}

is read by :func:`behaviour_from_dict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from spmopt.errors import SpmoptInputError
from spmopt.reps._checks import keys
from spmopt.reps.behaviour.attrition import HazardAttrition, NoAttrition
from spmopt.reps.behaviour.baselines import FixedEffort, RuleOfThumb
from spmopt.reps.behaviour.contract import EffortModel
from spmopt.reps.behaviour.dynamic import DynamicBestResponse
from spmopt.reps.behaviour.ratchet import RatchetAnticipation
from spmopt.reps.behaviour.static import StaticBestResponse
from spmopt.reps.behaviour.timing import DealTiming, NoTiming

EFFORT_MODELS: dict[str, type] = {
    model.name: model
    for model in (StaticBestResponse, DynamicBestResponse, FixedEffort, RuleOfThumb)
}
TIMING_MODELS: dict[str, type] = {model.name: model for model in (NoTiming, DealTiming)}
ATTRITION_MODELS: dict[str, type] = {model.name: model for model in (NoAttrition, HazardAttrition)}
_KINDS = {"effort": EFFORT_MODELS, "timing": TIMING_MODELS, "attrition": ATTRITION_MODELS}


def _parameters(model: type) -> set[str]:
    try:
        return {f.name for f in fields(model) if f.init}
    except TypeError:  # not a dataclass: no parameters
        return set()


def create(kind: str, name: str, key: str | None = None, **params):
    """The ``kind`` model (``effort``, ``timing``, ``attrition``) called ``name``, validated.

    Unknown names and parameters raise :class:`SpmoptInputError` naming the key and the options.

    >>> create("effort", "dynamic", cadence="quarter").cadence
    'quarter'
    """
    key = key or f"behaviour.{kind}"
    registry = _KINDS.get(kind)
    if registry is None:
        raise SpmoptInputError(f"unknown behaviour kind '{kind}'; expected one of {sorted(_KINDS)}")
    if name not in registry:
        raise SpmoptInputError(
            f"{key}.model: unknown {kind} model '{name}'; expected one of {sorted(registry)}"
        )
    model = registry[name]
    allowed = _parameters(model)
    for param in params:
        if param not in allowed:
            raise SpmoptInputError(
                f"unknown key '{key}.{param}' for the {kind} model '{name}'; "
                f"expected {'one of ' + str(sorted(allowed)) if allowed else 'no parameters'}"
            )
    return model(**params)


def effort_model(name: str, **params) -> EffortModel:
    """An effort model by name (``static``, ``dynamic``, ``fixed_effort``, ``rule_of_thumb``)."""
    return create("effort", name, **params)


@dataclass(frozen=True)
class Behaviour:
    """A complete behaviour configuration: effort model, timing, attrition (ratchet inside effort)."""

    effort: object = field(default_factory=StaticBestResponse)
    timing: object = field(default_factory=NoTiming)
    attrition: object = field(default_factory=NoAttrition)
    ratchet: RatchetAnticipation | None = None


def behaviour_from_dict(document: Mapping | None, key: str = "behaviour") -> Behaviour:
    """A :class:`Behaviour` from a ``[behaviour]`` table (see module docstring); ``None`` → defaults."""
    if document is None:
        return Behaviour()
    keys(key, document, {"effort", "timing", "attrition", "ratchet"})
    ratchet = None
    if "ratchet" in document:
        table = document["ratchet"]
        keys(f"{key}.ratchet", table, {f.name for f in fields(RatchetAnticipation)}, ("up",))
        ratchet = RatchetAnticipation(**table)
    made = {}
    for kind, default in (("effort", "static"), ("timing", "none"), ("attrition", "none")):
        table = dict(document.get(kind, {"model": default}))
        if isinstance(document.get(kind), str):
            table = {"model": document[kind]}
        if not isinstance(table, Mapping) or "model" not in table:
            raise SpmoptInputError(f"missing key '{key}.{kind}.model'")
        name = table.pop("model")
        if kind == "effort" and ratchet is not None:
            if "ratchet" not in _parameters(EFFORT_MODELS.get(name, object)):
                raise SpmoptInputError(
                    f"{key}.ratchet: the effort model '{name}' does not anticipate ratchets; "
                    "use 'static' or 'dynamic'"
                )
            table["ratchet"] = ratchet
        made[kind] = create(kind, name, key=f"{key}.{kind}", **table)
    return Behaviour(ratchet=ratchet, **made)
