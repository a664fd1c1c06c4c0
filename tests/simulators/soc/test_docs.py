"""The examples in the SoC modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "archgym.simulators.soc",
    "archgym.simulators.soc.workload",
    "archgym.simulators.soc.hardware",
    "archgym.simulators.soc.scheduler",
    "archgym.simulators.soc.policies",
    "archgym.simulators.soc.simulator",
    "archgym.envs.soc",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
