"""Every registered agent: conformance, the CLI, hyperparameter errors; then each algorithm's own promises."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

import archgym
from archgym.agents import agent_class, list_agents, make_agent
from archgym.simulator import Metric, Simulator
from archgym.space import Categorical, DesignSpace, Integer
from archgym.testing import check_agent

#: Small networks and rollouts so the learners are cheap in tests (defaults elsewhere).
TINY: dict[str, dict[str, Any]] = {
    "ppo": dict(hidden=8, n_steps=8, batch_size=8, n_epochs=1),
    "a2c": dict(hidden=8, n_steps=4),
    "dqn": dict(hidden=8, learning_starts=4, batch_size=4),
    "sac": dict(hidden=8, learning_starts=4, batch_size=4),
    "td3": dict(hidden=8, learning_starts=4, batch_size=4),
    "marl": dict(hidden=8, n_steps=4, n_epochs=1),
    "marl-shared": dict(hidden=8, n_steps=4, n_epochs=1),
    "bo": dict(initial_points=4, acquisition_points=100),
    "optuna-gp": dict(startup_trials=10),
}

#: Python packages an agent needs beyond the core install.
NEEDS = {"optuna-cmaes": "cmaes"}


def _tiny(name: str) -> archgym.agents.Agent:
    return make_agent(name, **TINY.get(name, {}))


def _skip_if_missing(name: str) -> None:
    missing = NEEDS.get(name)
    if missing and importlib.util.find_spec(missing) is None:
        pytest.skip(f"{name} needs the optional package {missing!r}")


EXPECTED = {
    "random",
    "walk",
    "grid",
    "ga",
    "bo",
    "forest",
    "aco",
    "ppo",
    "a2c",
    "dqn",
    "sac",
    "td3",
    "marl",
    "marl-shared",
    "optuna-tpe",
    "optuna-cmaes",
    "optuna-gp",
    "optuna-nsga2",
    "nevergrad-ngopt",
    "nevergrad-oneplusone",
}


def test_every_agent_is_registered() -> None:
    assert EXPECTED <= set(list_agents())


#: Agents whose conformance check takes over 30 s here (about 33 CPU s: a torch GP fit and acquisition
#: search on every ask of its many short runs).
SLOW_CHECKS = {"optuna-gp"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_CHECKS else n for n in sorted(EXPECTED)],
)
def test_check_agent(name: str) -> None:
    _skip_if_missing(name)
    check_agent(lambda: _tiny(name))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hyperparameters_are_declared_and_checked(name: str) -> None:
    cls = agent_class(name)
    assert cls.name == name
    for hp in cls.hyperparameters().values():
        hp.check(hp.default, cls.__name__)
        if hp.high is not None and not isinstance(hp.default, bool):
            too_big = hp.high * 2 + 1
            with pytest.raises(ValueError, match=rf"'{hp.name}'.*\[{hp.low}, {hp.high}\]"):
                cls(**{hp.name: type(hp.default)(too_big)})


def test_missing_optional_dependency_is_named() -> None:
    if importlib.util.find_spec("cmaes") is not None:
        pytest.skip("cmaes is installed")
    with pytest.raises(ImportError, match="pip install cmaes"):
        archgym.run(make_agent("optuna-cmaes"), "archgym/Synthetic-v0", budget=2, seed=0)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_run(name: str, tmp_path) -> None:
    _skip_if_missing(name)
    from typer.testing import CliRunner

    from archgym.cli import app

    hp = [arg for k, v in TINY.get(name, {}).items() for arg in ("--hp", f"{k}={v}")]
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--env",
            "archgym/Synthetic-v0",
            "--agent",
            name,
            "--budget",
            "6",
            "--seed",
            "1",
            "--store",
            str(tmp_path / "runs.db"),
            *hp,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "6 simulator" in result.output


# -- black-box agents -----------------------------------------------------------------------------


def _median_regret(name: str, budget: int, seeds: range, **hp: Any) -> float:
    return float(
        np.median(
            [
                -archgym.run(
                    make_agent(name, **hp), "archgym/Synthetic-v0", budget=budget, seed=s
                ).best.reward
                - 1.0
                for s in seeds
            ]
        )
    )


@pytest.mark.parametrize("name", ["ga", "aco"])
def test_beats_random_search_at_200(name: str) -> None:
    assert _median_regret(name, 200, range(3)) < _median_regret("random", 200, range(3))


def test_bo_beats_random_search_at_40() -> None:
    hp = dict(acquisition_points=300, initial_points=8)
    assert _median_regret("bo", 40, range(3), **hp) < _median_regret("random", 40, range(3))


class _Line(Simulator):
    """y = x on x in 0..19, with an unordered nuisance parameter."""

    name, version = "line", "1"
    metrics = (Metric("y", "au", "min"),)

    def design_space(self, workload: Any = None) -> DesignSpace:
        return DesignSpace([Integer("x", 0, 19), Categorical("c", ["p", "q", "r"])])

    def evaluate(self, design: dict, workload: Any = None) -> dict[str, float]:
        return {"y": float(design["x"])}


def test_bo_never_resimulates_a_duplicate_and_ends() -> None:
    env = archgym.DesignEnv(_Line(), objective=archgym.Minimize("y"))
    result = archgym.run(
        make_agent("bo", initial_points=3, acquisition_points=100), env, budget=60, seed=0
    )
    assert result.status == "finished" and result.counts["simulator"] == 60
    assert result.counts.get("cache", 0) == 0  # repeats were answered inside the agent
    assert len({tuple(e.design.items()) for e in result.evaluations}) == 60


@pytest.mark.parametrize(
    "objective,best_x", [(archgym.Minimize("y"), 0), (archgym.Maximize("y"), 19)]
)
def test_aco_reinforces_the_right_end(objective: archgym.Objective, best_x: int) -> None:
    env = archgym.DesignEnv(_Line(), objective=objective)
    agent = make_agent("aco", ants=6)
    result = archgym.run(agent, env, budget=48, seed=0)
    assert result.best.design["x"] == best_x
    tau = agent.pheromone[0]
    good, bad = (tau[:5], tau[-5:]) if best_x == 0 else (tau[-5:], tau[:5])
    assert good.sum() > bad.sum()
    assert (np.concatenate(agent.pheromone) > 0).all()  # every value stays reachable


def test_ga_mutation_has_no_bias_towards_the_ends() -> None:
    from archgym.agents.genetic import GeneticAlgorithm

    ga = GeneticAlgorithm(mutation_rate=1.0, local_mutation=0.0)
    space = DesignSpace([Integer("x", 0, 9)])
    ga.setup(space, seed=0)
    counts = np.bincount([int(ga._mutate(np.array([9]))[0]) for _ in range(9000)], minlength=10)
    assert counts[9] == 0
    assert counts[:9].min() > 850 and counts[:9].max() < 1150  # uniform over the nine other values


def test_ga_uses_nsga2_under_a_pareto_objective() -> None:
    from archgym.indicators import hypervolume

    def front_volume(name: str) -> float:
        env = archgym.make("archgym/Synthetic-v0", objective=archgym.Pareto(["cost_au", "area_au"]))
        result = archgym.run(make_agent(name), env, budget=240, seed=0)
        pts = np.array([[e.metrics["cost_au"], e.metrics["area_au"]] for e in result.evaluations])
        return hypervolume(pts, [40.0, 30.0])

    assert front_volume("ga") > front_volume("random")


@pytest.mark.parametrize("name", ["optuna-tpe", "optuna-nsga2"])
def test_optuna_studies_are_multi_objective_under_pareto(name: str) -> None:
    env = archgym.make("archgym/Synthetic-v0", objective=archgym.Pareto(["cost_au", "area_au"]))
    agent = make_agent(name)
    result = archgym.run(agent, env, budget=10, seed=0)
    assert result.counts["simulator"] == 10
    assert len(agent._study.directions) == 2 and len(agent._study.best_trials) >= 1


def test_grid_visits_the_coarse_grid_first_then_everything() -> None:
    env = archgym.DesignEnv(_Line(), objective=archgym.Minimize("y"))
    result = archgym.run(make_agent("grid", resolution=4), env, budget=60, seed=0)
    xs = [e.design["x"] for e in result.evaluations]
    assert sorted(set(xs[:12])) == [0, 6, 13, 19]
    assert len({tuple(e.design.items()) for e in result.evaluations}) == 60 == env.space.size


# -- reinforcement learners -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ppo", "sac", "dqn", "marl"])
def test_rl_stops_exactly_at_the_budget(name: str) -> None:
    result = archgym.run(_tiny(name), "archgym/Synthetic-v0", budget=23, seed=3)
    assert result.counts["simulator"] == 23 and result.status == "finished"


def test_dqn_flat_actions_reach_every_design_and_edit_actions_on_large_spaces() -> None:
    from archgym.wrappers import FlatActions

    small = archgym.DesignEnv(_Line(), objective=archgym.Minimize("y"))
    view = FlatActions(small)
    reached = {tuple(view.action(a)) for a in range(view.action_space.n)}
    assert len(reached) == small.space.size
    assert make_agent("dqn", actions="native").action_encoding(small) == "discrete"
    native_large = make_agent("dqn", actions="native", max_flat_actions=100)
    assert native_large.action_encoding(archgym.make("archgym/Synthetic-v0")) == "edit"
    assert make_agent("dqn").action_encoding(small) == "edit"  # the default edits designs


def test_rl_rewards_are_standardised_and_failures_finite() -> None:
    from archgym.wrappers import StandardizeReward

    view = StandardizeReward(archgym.make("archgym/Synthetic-v0"))
    rewards = [view.standardize(r, failed=False) for r in (-3.0, -2.0, -1.0)]
    assert rewards[2] > rewards[1] > rewards[0]
    failed = view.standardize(
        -1e6, failed=True
    )  # scored as the worst success, -3, under current stats
    assert failed == pytest.approx((-3.0 - view.mean) / np.sqrt(view.m2 / view.count))


@pytest.mark.parametrize("name,group_size", [("marl", 1), ("marl-shared", 1), ("marl", 2)])
def test_marl_policies_reach_every_value_of_every_parameter(name: str, group_size: int) -> None:
    env = archgym.make("archgym/Synthetic-v0")
    agent = make_agent(name, group_size=group_size, **TINY[name])
    archgym.run(agent, env, budget=20, seed=0)
    probs = agent.probabilities(np.zeros(env.observation_space.shape, dtype=np.float32))
    assert [len(p) for p in probs] == [int(n) for n in env.space.nvec]
    assert all((p > 0).all() for p in probs)


def test_marl_learns_on_a_given_multiagent_env() -> None:
    from archgym.multiagent import MultiAgentDesignEnv

    env = archgym.make("archgym/Synthetic-v0", budget=12)
    names = env.space.names
    menv = MultiAgentDesignEnv(env, {"front": names[:3], "back": names[3:]})
    agent = make_agent("marl-shared", **TINY["marl-shared"])
    agent.setup(env.space, seed=0)
    agent.learn(menv, 12)
    assert env.evaluator.simulator_calls == 12
    assert {a for a, _ in agent._slots} == {"front", "back"}


@pytest.mark.slow
def test_ppo_and_marl_on_dram_reach_the_same_space() -> None:
    if "archgym/DRAM-v0" not in archgym.list_envs():
        pytest.skip("archgym/DRAM-v0 is not registered yet")
    from archgym.multiagent import MultiAgentDesignEnv

    env = archgym.make("archgym/DRAM-v0")
    menv = MultiAgentDesignEnv(env)
    per_agent = np.concatenate(
        [
            np.atleast_1d(
                getattr(menv.action_space(a), "nvec", getattr(menv.action_space(a), "n", 0))
            )
            for a in menv.possible_agents
        ]
    )
    assert per_agent.tolist() == env.action_space.nvec.tolist() == env.space.nvec.tolist()
    for name in ("ppo", "marl"):
        result = archgym.run(_tiny(name), archgym.make("archgym/DRAM-v0"), budget=10, seed=0)
        assert result.counts["simulator"] == 10
