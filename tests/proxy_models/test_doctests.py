"""The docstring examples of archgym.proxy_models run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "archgym.proxy_models",
    "archgym.proxy_models.dataset",
    "archgym.proxy_models.evaluation",
    "archgym.proxy_models.forest",
    "archgym.proxy_models.model",
    "archgym.proxy_models.regressors",
    "archgym.proxy_models.search",
    "archgym.proxy_models.selection",
    "archgym.proxy_models.simulator",
    "archgym.proxy_models.training",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
