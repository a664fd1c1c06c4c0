"""Every registered environment passes the conformance suite (Gymnasium, SB3, PettingZoo, determinism)."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import archgym
from archgym.evaluator import BudgetExhausted
from archgym.multiagent import MultiAgentDesignEnv
from archgym.store import Store
from archgym.testing import check_env


@pytest.mark.parametrize("env_id", archgym.list_envs())
def test_registered_env_passes_check_env(env_id):
    check_env(env_id)


@pytest.mark.parametrize("env_id", archgym.list_envs())
def test_gymnasium_make_builds_the_same_env(env_id):
    env = gymnasium.make(env_id)
    assert isinstance(env.unwrapped, archgym.DesignEnv)
    assert env.unwrapped.env_id == env_id


def test_same_seed_same_rewards_and_records(tmp_path):
    def rollout(path):
        env = archgym.make("archgym/Synthetic-v0", store=path)
        env.reset(seed=7)
        rewards = [env.step(env.action_space.sample())[1] for _ in range(20)]
        env.close()
        return rewards, Store(path).to_dataframe()[["step", "reward", "param_x0", "param_dataflow"]]

    r1, df1 = rollout(tmp_path / "a.db")
    r2, df2 = rollout(tmp_path / "b.db")
    assert r1 == r2
    assert df1.equals(df2) and len(df1) == 20


def test_box_encoding_reaches_every_value():
    env = archgym.make("archgym/Synthetic-v0", action_encoding="box")
    seen = {p.name: set() for p in env.design_space.params}
    for x in np.linspace(-1, 1, 200):
        design = env.design(np.full(len(env.design_space.params), x))
        for k, v in design.items():
            seen[k].add(v)
    assert all(seen[p.name] == set(p.values) for p in env.design_space.params)


def test_budget_and_episode_length():
    env = archgym.make("archgym/Synthetic-v0", budget=3, episode_length=2)
    env.reset(seed=0)
    actions = [env.space.encode(d) for d in env.space.sample(1, 3)]
    assert env.step(actions[0])[3] is False
    assert env.step(actions[1])[3] is True
    env.step(actions[2])
    env.step(actions[2])  # a cache hit costs nothing
    with pytest.raises(BudgetExhausted):
        env.step(env.space.encode(env.space.sample(2)))


def test_bad_env_arguments_are_clear():
    with pytest.raises(ValueError, match="action_encoding='grid'"):
        archgym.make("archgym/Synthetic-v0", action_encoding="grid")
    with pytest.raises(KeyError, match="no environment 'archgym/Nope-v0'"):
        archgym.make("archgym/Nope-v0")
    with pytest.raises(ValueError, match="cost_model='magic'"):
        archgym.make("archgym/Synthetic-v0", cost_model="magic", proxy="x")
    with pytest.raises(Exception, match="uses metric 'watts'"):
        archgym.make("archgym/Synthetic-v0", objective={"type": "minimize", "metric": "watts"})


def test_multiagent_env_reaches_every_value_and_shares_reward():
    env = MultiAgentDesignEnv(
        archgym.make("archgym/Synthetic-v0"),
        groups={"memory": ["buffer_kb", "banks"], "core": ["dataflow", "x0", "x1", "x2"]},
    )
    obs, _ = env.reset(seed=0)
    assert set(obs) == {"memory", "core"}
    nvec = env.action_space("memory").nvec
    assert list(nvec) == [11, 7]
    _, rewards, _, _, infos = env.step({"memory": [10, 6], "core": [3, 15, 0, 7]})
    assert len(set(rewards.values())) == 1
    assert infos["memory"]["design"] == {
        "dataflow": "d",
        "x0": 15,
        "x1": 0,
        "x2": 7,
        "buffer_kb": 1024,
        "banks": 64,
    }
    with pytest.raises(ValueError, match="exactly one group"):
        MultiAgentDesignEnv(archgym.make("archgym/Synthetic-v0"), groups={"a": ["x0"]})


def test_multiagent_groups_from_the_simulator():
    with pytest.raises(ValueError, match="offers no param_groups"):
        MultiAgentDesignEnv(archgym.make("archgym/Synthetic-v0"), groups="simulator")
    with pytest.raises(ValueError, match="groups='bogus'"):
        MultiAgentDesignEnv(archgym.make("archgym/Synthetic-v0"), groups="bogus")
