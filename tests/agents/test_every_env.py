"""Every registered agent runs on every registered environment to exactly its budget."""

from __future__ import annotations

import pytest

import archgym
from archgym.agents import list_agents, make_agent


@pytest.mark.parametrize("env_id", archgym.list_envs())
def test_every_agent_runs_on_env(env_id: str) -> None:
    space = archgym.make(env_id).space
    for name in list_agents():
        result = archgym.run(make_agent(name), env_id, budget=4, seed=0)
        assert result.counts["simulator"] == 4, (name, env_id, result.counts)
        for ev in result.evaluations:
            space.validate(ev.design)
