"""Shared fixtures: small specs on archgym/Synthetic-v0 (fast, with a known optimum)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archgym.experiments.spec import ExperimentSpec, spec_from_dict

ENV = "archgym/Synthetic-v0"
#: The type of the ``make_spec`` fixture.
MakeSpec = Callable[..., ExperimentSpec]


@pytest.fixture
def make_spec(tmp_path: Path) -> MakeSpec:
    """``make_spec(budget=.., agents=[..], ...)`` -> a validated spec writing to a fresh store."""

    def build(**overrides: Any) -> ExperimentSpec:
        data: dict[str, Any] = {
            "budget": 15,
            "seeds": 2,
            "store": str(tmp_path / "runs.db"),
            "envs": [ENV],
            "agents": ["random", "walk"],
        }
        data.update(overrides)
        return spec_from_dict(data)

    return build
