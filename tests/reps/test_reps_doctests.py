"""The examples in the reps modules' docstrings execute and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import spmopt.reps

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(spmopt.reps.__path__, prefix="spmopt.reps.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
