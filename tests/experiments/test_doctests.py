"""The docstring examples of archgym.experiments run as written."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = [
    "archgym.experiments",
    "archgym.experiments.spec",
    "archgym.experiments.executors",
    "archgym.experiments.analysis",
    "archgym.experiments.report",
    "archgym.experiments.bench",
    "archgym.experiments.bench_report",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
