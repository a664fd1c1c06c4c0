"""Named checks for an agent, given as its class or a zero-argument factory (each run needs a
fresh agent); :func:`check_agent` runs them all. The runs use small simulators of this package.

Example:
    >>> from archgym.agents import RandomSearch
    >>> from archgym.testing.agent import check_exact_budget
    >>> check_exact_budget(RandomSearch, budget=5)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archgym.simulator import Simulator
from archgym.space import InvalidDesignError
from archgym.testing._base import Check, fail, run_all, shared
from archgym.testing._toys import Flaky, OneParam, Wide

AgentFactory = Callable[[], Any]


def _name(agent_factory: AgentFactory) -> str:
    return type(agent_factory()).__name__


def _run(
    agent_factory: AgentFactory, simulator: Simulator, budget: int, seed: int, repeat: int = 0
) -> Any:
    """``archgym.run`` of a fresh agent on ``simulator``, minimising its first metric (shared within check_agent)."""

    def go() -> Any:
        import archgym

        env = archgym.DesignEnv(
            simulator,
            objective=archgym.Minimize(simulator.metrics[0].name),
            env_id="archgym/Check-v0",
        )
        return archgym.run(agent_factory(), env, budget=budget, seed=seed)

    return shared(("run", simulator.name, budget, seed, repeat), go)


def _check_budget(
    agent_factory: AgentFactory, simulator: Simulator, budget: int, seed: int
) -> None:
    result = _run(agent_factory, simulator, budget, seed)
    if result.counts.get("simulator", 0) != budget and result.status != "stalled":
        fail(
            f"{_name(agent_factory)} used {result.counts.get('simulator', 0)} simulator calls for a budget of {budget}"
        )


def _check_valid(agent_factory: AgentFactory, simulator: Simulator, budget: int, seed: int) -> None:
    space = simulator.design_space()
    for ev in _run(agent_factory, simulator, budget, seed).evaluations:
        try:
            space.validate(ev.design)
        except InvalidDesignError as err:
            fail(f"{_name(agent_factory)} proposed a design outside the space: {err}")


def check_agent_type(agent_factory: AgentFactory) -> None:
    """The factory builds an archgym Agent whose declared hyperparameter defaults are legal."""
    from archgym.agents.base import Agent

    agent = agent_factory()
    if not isinstance(agent, Agent):
        fail(f"agent factory returned {type(agent).__name__}, not an archgym Agent")
    for hp in agent.hyperparameters().values():
        hp.check(hp.default, type(agent).__name__)


def check_exact_budget(agent_factory: AgentFactory, *, budget: int = 12, seed: int = 0) -> None:
    """On a 30-parameter space the agent spends exactly its budget of simulator calls (or reports it stalled)."""
    _check_budget(agent_factory, Wide(), budget, seed)


def check_valid_designs(agent_factory: AgentFactory, *, budget: int = 12, seed: int = 0) -> None:
    """On a 30-parameter space every design the agent proposes is in the space."""
    _check_valid(agent_factory, Wide(), budget, seed)


def check_reproducible(agent_factory: AgentFactory, *, budget: int = 12, seed: int = 0) -> None:
    """Two runs with the same seed propose the same designs, answered from the same sources."""

    def trajectory(repeat: int) -> list[tuple]:
        result = _run(agent_factory, Wide(), budget, seed, repeat)
        return [(tuple(sorted(e.design.items())), e.source) for e in result.evaluations]

    if trajectory(0) != trajectory(1):
        fail(f"{_name(agent_factory)} is not reproducible under a seed")


def check_one_parameter_space(
    agent_factory: AgentFactory, *, budget: int = 12, seed: int = 0
) -> None:
    """On a 1-parameter space of 32 values the agent spends its budget on valid designs."""
    tiny = OneParam()
    n = min(budget, tiny.design_space().size)
    _check_budget(agent_factory, tiny, n, seed)
    _check_valid(agent_factory, tiny, n, seed)


def check_survives_failures(
    agent_factory: AgentFactory, *, budget: int = 12, seed: int = 0
) -> None:
    """With a simulator that fails on half the designs the agent still spends its whole budget."""
    result = _run(agent_factory, Flaky(), budget, seed)
    name = _name(agent_factory)
    if not any(e.error for e in result.evaluations):
        fail(
            f"{name}: the flaky simulator never failed in {budget} evaluations; check harness problem"
        )
    if result.counts.get("simulator", 0) != budget:
        fail(f"{name} stopped early after simulator failures")


CHECKS: tuple[Check, ...] = (
    check_agent_type,
    check_exact_budget,
    check_valid_designs,
    check_reproducible,
    check_one_parameter_space,
    check_survives_failures,
)


def checks(agent_factory: AgentFactory) -> list[Check]:
    """Every check in this module applies."""
    return list(CHECKS)


def check_agent(agent_factory: AgentFactory, *, budget: int = 12, seed: int = 0) -> None:
    """Agent conformance: exact budget, valid designs only, reproducible, survives failures,
    works on a 1-parameter and a 30-parameter space."""
    run_all(checks(agent_factory), agent_factory, {"budget": budget, "seed": seed}, "agent")
