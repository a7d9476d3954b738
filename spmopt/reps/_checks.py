"""Validation helpers: every failure is a :class:`SpmoptInputError` naming the key and what is expected."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from spmopt.errors import SpmoptInputError


def fail(key: str, expected: str, got=None, source: str | None = None):
    """Raise ``SpmoptInputError`` for ``key`` (a dotted path) with what was expected."""
    shown = "" if got is None else f" (got {got!r})"
    raise SpmoptInputError(f"{key}: expected {expected}{shown}", source)


def number(key: str, value, *, low=None, high=None, low_open=False, integer=False) -> float:
    """A finite real number within bounds; ``low_open`` makes the lower bound strict."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        fail(key, "a number", value)
    value = float(value)
    if not math.isfinite(value):
        fail(key, "a finite number", value)
    if integer and value != int(value):
        fail(key, "a whole number", value)
    if low is not None and (value < low or (low_open and value == low)):
        fail(key, f"a number {'>' if low_open else '>='} {low:g}", value)
    if high is not None and value > high:
        fail(key, f"a number <= {high:g}", value)
    return value


def array(key: str, values, *, low=None, high=None, low_open=False) -> np.ndarray:
    """A float array of finite values within bounds (the first offending value is reported)."""
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        fail(key, "numbers", values)
    bad = ~np.isfinite(values)
    if low is not None:
        bad |= values <= low if low_open else values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        position = int(np.flatnonzero(bad.ravel())[0])
        bound = []
        if low is not None:
            bound.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            bound.append(f"<= {high:g}")
        fail(
            key,
            "finite numbers" + (f" {' and '.join(bound)}" if bound else ""),
            f"{values.ravel()[position]!r} at position {position}",
        )
    return values


def keys(key: str, mapping, allowed, required=()) -> Mapping:
    """Check a mapping's keys: unknown and missing keys are errors naming the path."""
    if not isinstance(mapping, Mapping):
        fail(key, "a table of settings", mapping)
    for name in mapping:
        if name not in allowed:
            raise SpmoptInputError(
                f"unknown key '{key}.{name}'; expected one of {sorted(allowed)}"
                if key
                else f"unknown key '{name}'; expected one of {sorted(allowed)}"
            )
    for name in required:
        if name not in mapping:
            raise SpmoptInputError(
                f"missing key '{key}.{name}'" if key else f"missing key '{name}'"
            )
    return mapping


def choice(key: str, value, options) -> str:
    """One of a fixed set of names."""
    if value not in options:
        fail(key, f"one of {sorted(options)}", value)
    return value
