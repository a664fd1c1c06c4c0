"""``MultiAgentDesignEnv``: a PettingZoo ``ParallelEnv`` where each agent owns a group of parameters.

The formulation of "Multi-Agent Reinforcement Learning for Microprocessor Design Space
Exploration": one agent per parameter by default, all agents acting at once, one shared
cooperative reward. Every agent's action space is its parameters' index encoding, so every
value of every parameter is reachable.

Example:
    >>> import archgym
    >>> from archgym.multiagent import MultiAgentDesignEnv
    >>> env = MultiAgentDesignEnv(archgym.make("archgym/Synthetic-v0"))
    >>> obs, infos = env.reset(seed=0)
    >>> actions = {a: env.action_space(a).sample() for a in env.agents}
    >>> obs, rewards, terms, truncs, infos = env.step(actions)
    >>> len(set(rewards.values()))
    1
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from archgym.env import DesignEnv
from archgym.space import Design


class MultiAgentDesignEnv(ParallelEnv):
    """Wraps a :class:`DesignEnv`; ``groups`` maps agent names to the parameters each owns.

    ``groups=None`` gives one agent per parameter (the MARL paper's formulation);
    ``groups="simulator"`` takes the subsystem grouping a simulator offers through
    ``param_groups(workload)`` (e.g. compute / memory / interconnect).
    """

    metadata = {"render_modes": [], "name": "archgym_multiagent_v0"}

    def __init__(
        self, env: DesignEnv, groups: Mapping[str, Sequence[str]] | str | None = None
    ) -> None:
        self.env = env
        space = env.space
        if groups == "simulator":
            offer = getattr(env.simulator, "param_groups", None)
            if offer is None:
                raise ValueError(
                    f"simulator {env.simulator.name!r} offers no param_groups; pass groups= explicitly"
                )
            groups = offer(env.workload)
        elif isinstance(groups, str):
            raise ValueError(
                f"groups={groups!r}; use None (one agent per parameter), 'simulator' or a mapping"
            )
        if groups is None:
            groups = {name: [name] for name in space.names}
        owned = [p for params in groups.values() for p in params]
        unknown = [p for p in owned if p not in space]
        if unknown:
            raise ValueError(
                f"group parameter {unknown[0]!r} is not in the space; parameters are {space.names}"
            )
        missing = [p for p in space.names if p not in owned]
        duplicated = sorted({p for p in owned if owned.count(p) > 1})
        if missing or duplicated:
            raise ValueError(
                f"every parameter must belong to exactly one group; missing {missing}, "
                f"in several groups {duplicated}"
            )
        self.groups = {agent: list(params) for agent, params in groups.items()}
        self.possible_agents = list(self.groups)
        self.agents: list[str] = []
        self._obs_space = spaces.Box(-1.0, 1.0, shape=env.observation_space.shape, dtype=np.float32)
        self._t = 0

    @functools.cache  # noqa: B019  PettingZoo expects the same object per agent
    def action_space(self, agent: str) -> spaces.Space:
        nvec = [self.env.space[p].cardinality for p in self.groups[agent]]
        return spaces.Discrete(nvec[0]) if len(nvec) == 1 else spaces.MultiDiscrete(nvec)

    @functools.cache  # noqa: B019
    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_space

    def design(self, actions: Mapping[str, Any]) -> Design:
        """Assemble one design from every agent's action."""
        indices = {}
        for agent, params in self.groups.items():
            if agent not in actions:
                raise ValueError(f"no action for agent {agent!r}; every agent acts each step")
            a = np.atleast_1d(np.asarray(actions[agent], dtype=np.int64))
            indices.update(zip(params, a, strict=True))
        return self.env.space.decode([indices[p] for p in self.env.space.names])

    def reset(self, seed: int | None = None, options: dict | None = None):
        obs, _ = self.env.reset(seed=seed)
        if seed is not None:
            for i, agent in enumerate(self.possible_agents):
                self.action_space(agent).seed(seed + i)
        self.agents = list(self.possible_agents)
        self._t = 0
        return {a: obs.copy() for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: Mapping[str, Any]):
        design = self.design(actions)
        ev = self.env.evaluator.evaluate(design)
        self._t += 1
        obs = self.env.observe(ev)
        done = self._t >= self.env.episode_length
        info = {
            "design": ev.design,
            "metrics": ev.metrics,
            "feasible": ev.feasible,
            "source": ev.origin,
            "error": ev.error,
        }
        agents = list(self.agents)
        if done:
            self.agents = []
        return (
            {a: obs.copy() for a in agents},
            {a: float(ev.reward) for a in agents},
            {a: False for a in agents},
            {a: done for a in agents},
            {a: dict(info) for a in agents},
        )

    def close(self) -> None:
        self.env.close()


def make_multiagent(
    env_id: str, groups: Mapping[str, Sequence[str]] | str | None = None, **kwargs: Any
) -> MultiAgentDesignEnv:
    """The multi-agent view of a registered env: ``groups`` as for :class:`MultiAgentDesignEnv`
    (``"simulator"`` for the simulator's own subsystems), ``kwargs`` as for ``archgym.make``.

    >>> make_multiagent("archgym/SoC-v0", groups="simulator").possible_agents
    ['compute', 'memory', 'interconnect']
    """
    from archgym.registry import make

    return MultiAgentDesignEnv(make(env_id, **kwargs), groups)
