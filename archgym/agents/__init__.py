"""Search agents and the registry ``archgym agents`` lists.

Every agent sees the same :class:`~archgym.space.DesignSpace` and the same budget of
simulator evaluations. Agents register here by name; optional ones (Optuna, Nevergrad,
RL) import their libraries only when used.
"""

from __future__ import annotations

import importlib
from typing import Any

from archgym.agents.base import Agent, Hyperparameter, hyperparameter
from archgym.agents.random import RandomSearch
from archgym.agents.walk import RandomWalk

_AGENTS: dict[str, str | type[Agent]] = {
    "random": RandomSearch,
    "walk": RandomWalk,
    "grid": "archgym.agents.grid:GridSearch",
    "ga": "archgym.agents.genetic:GeneticAlgorithm",
    "aco": "archgym.agents.aco:AntColony",
    "bo": "archgym.agents.bayesopt:BayesianOptimization",
    "forest": "archgym.agents.forest:ForestSearch",
    "ppo": "archgym.agents.rl:PPO",
    "a2c": "archgym.agents.rl:A2C",
    "dqn": "archgym.agents.rl:DQN",
    "sac": "archgym.agents.rl:SAC",
    "td3": "archgym.agents.rl:TD3",
    "marl": "archgym.agents.marl:MultiAgentPPO",
    "marl-shared": "archgym.agents.marl:SharedMultiAgentPPO",
    "optuna-tpe": "archgym.agents.peers:OptunaTPE",
    "optuna-cmaes": "archgym.agents.peers:OptunaCMAES",
    "optuna-gp": "archgym.agents.peers:OptunaGP",
    "optuna-nsga2": "archgym.agents.peers:OptunaNSGAII",
    "nevergrad-ngopt": "archgym.agents.peers:NevergradNGOpt",
    "nevergrad-oneplusone": "archgym.agents.peers:NevergradOnePlusOne",
}


def register_agent(name: str, agent: str | type[Agent]) -> None:
    """Make an agent class (or ``"module:Class"``) available by name."""
    _AGENTS[name] = agent


def agent_class(name: str) -> type[Agent]:
    try:
        target = _AGENTS[name]
    except KeyError:
        raise KeyError(f"no agent {name!r}; registered agents are {sorted(_AGENTS)}") from None
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        _AGENTS[name] = target
    return target


def make_agent(name: str, **hyperparameters: Any) -> Agent:
    """Build a registered agent; an unknown hyperparameter is an error naming the legal ones."""
    cls = agent_class(name)
    legal = cls.hyperparameters()
    unknown = [k for k in hyperparameters if k not in legal]
    if unknown:
        raise ValueError(
            f"agent {name!r} has no hyperparameter {unknown[0]!r}; its hyperparameters are {sorted(legal)}"
        )
    return cls(**hyperparameters)


def list_agents() -> list[str]:
    return sorted(_AGENTS)


__all__ = [
    "Agent",
    "Hyperparameter",
    "RandomSearch",
    "RandomWalk",
    "agent_class",
    "hyperparameter",
    "list_agents",
    "make_agent",
    "register_agent",
]
