"""The docstring examples of the search agents run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "archgym.agents",
    "archgym.agents.genetic",
    "archgym.agents.aco",
    "archgym.agents.grid",
    "archgym.agents.bayesopt",
    "archgym.agents.rl",
    "archgym.agents.marl",
    "archgym.agents.peers",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
