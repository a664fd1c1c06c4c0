"""The docstring examples of the core modules run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "archgym",
    "archgym.space",
    "archgym.simulator",
    "archgym.objective",
    "archgym.indicators",
    "archgym.evaluator",
    "archgym.env",
    "archgym.multiagent",
    "archgym.store",
    "archgym.registry",
    "archgym.testing",
    "archgym.testing.simulator",
    "archgym.testing.space",
    "archgym.testing.env",
    "archgym.testing.agent",
    "archgym.testing.regressor",
    "archgym.agents.base",
    "archgym.agents.random",
    "archgym.agents.walk",
    "archgym.loop",
    "archgym._procs",
    "archgym.wrappers",
    "archgym.costmodel",
    "archgym.agents.rl",
    "archgym.simulators.synthetic",
    "archgym.simulators.table.table",
    "archgym.simulators.table.synthetic",
    "archgym._plain",
    "archgym._optional",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
