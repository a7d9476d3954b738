"""The examples in the package's docstrings execute and give what they show.

Only modules with at least one example that runs (not marked ``+SKIP``) are collected, and each
test checks that every such example was tried, so a module cannot pass by running nothing.
Examples marked ``+SKIP`` are documentation only and are not counted.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import spmopt

FINDER = doctest.DocTestFinder()


def runnable_examples(module) -> int:
    """Number of examples in ``module``'s docstrings that doctest will run (not skipped)."""
    return sum(
        not example.options.get(doctest.SKIP, False)
        for test in FINDER.find(module)
        for example in test.examples
    )


def modules_with_examples() -> dict[str, int]:
    """Every spmopt module (the command-line entry ``__main__`` aside) with runnable examples,
    and how many."""
    found = {}
    for info in pkgutil.walk_packages(spmopt.__path__, prefix="spmopt."):
        if info.name.endswith("__main__"):
            continue
        count = runnable_examples(importlib.import_module(info.name))
        if count:
            found[info.name] = count
    return found


MODULES = modules_with_examples()


def test_the_modules_known_to_have_examples_are_collected():
    """Guards the collection itself: an empty or shrunken module list would pass vacuously."""
    assert {
        "spmopt.plan.curve",
        "spmopt.reps.behaviour.static",
        "spmopt.reps.population",
        "spmopt.sim.streams",
    } <= set(MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_docstring_examples(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in FINDER.find(module):
        runner.run(test)
    assert runner.failures == 0
    assert runner.tries == MODULES[name] > 0
