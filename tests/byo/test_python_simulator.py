"""Way in #1: a Python class implementing ``Simulator`` becomes a checked env that every agent runs."""

from __future__ import annotations

import pytest
from byo_support import PyCache, run_agent

import archgym
from archgym.agents import list_agents
from archgym.testing import check_env, check_simulator


def test_a_python_simulator_is_a_checked_registered_env() -> None:
    check_simulator(PyCache())
    archgym.register_env("mylab/PyCacheChecked-v0", PyCache, objective=archgym.Minimize("amat_ns"))
    check_env("mylab/PyCacheChecked-v0", steps=4)


@pytest.mark.parametrize("agent", list_agents())  # RL agents are skipped inside run_agent
def test_every_agent_runs_on_the_python_simulator(agent: str) -> None:
    objective = archgym.Constrained(archgym.Minimize("amat_ns"), {"area_mm2": 0.5})
    result = run_agent(agent, lambda: archgym.DesignEnv(PyCache(), objective=objective), budget=12)
    assert result.best.feasible and result.best.metrics["area_mm2"] <= 0.5
