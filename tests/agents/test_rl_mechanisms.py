"""The RL and MARL agents' search mechanisms: incumbent edits, hill-climbing episodes, Pareto scores."""

from __future__ import annotations

import numpy as np
import pytest

import archgym
from archgym.agents import make_agent
from archgym.agents.marl import keep_bias

pytest.importorskip("stable_baselines3")

TINY_PPO = dict(hidden=8, n_steps=8, batch_size=8, n_epochs=1)
TINY_MARL = dict(hidden=8, n_steps=4, n_epochs=1)


def test_keep_bias_keeps_the_incumbent_value_with_probability_one_minus_one_over_knobs() -> None:
    for card, knobs in [(2, 2), (4, 6), (17, 30)]:
        b = keep_bias(card, knobs)
        p_keep = np.exp(b) / (np.exp(b) + card - 1)  # uniform raw logits
        assert p_keep == pytest.approx(1 - 1 / knobs)
    assert keep_bias(1, 6) == 0.0 and keep_bias(5, 1) == 0.0


def test_marl_knob_agents_edit_the_incumbent_and_can_still_choose_freely() -> None:
    env = archgym.make("archgym/Synthetic-v0")
    agent = make_agent("marl", **TINY_MARL)
    archgym.run(agent, env, budget=24, seed=0)
    obs = np.zeros(env.observation_space.shape, dtype=np.float32)
    incumbent = np.asarray(env.space.nvec) - 1
    anchored = agent.probabilities(obs, incumbent)
    free = agent.probabilities(obs)
    for p, q, k in zip(anchored, free, incumbent, strict=True):
        assert p[k] > 0.5 > q[k]  # the prior keeps the incumbent's value; without it, no
        assert (p > 0).all()  # every value stays reachable
    paper = make_agent("marl", edit_incumbent=False, **TINY_MARL)
    assert archgym.run(paper, "archgym/Synthetic-v0", budget=12, seed=0).counts["simulator"] == 12


def test_marl_proposals_stay_near_the_incumbent() -> None:
    env = archgym.make("archgym/Synthetic-v0")
    result = archgym.run(make_agent("marl", **TINY_MARL), env, budget=80, seed=1)
    best, best_reward, changed = None, -np.inf, []
    for ev in result.evaluations:
        x = env.space.encode(ev.design)
        if best is not None:
            changed.append(int((x != best).sum()))
        if ev.reward > best_reward:
            best, best_reward = x, ev.reward
    # Uniform designs change about 5 of 6 knobs; edits of the incumbent mostly one or two.
    assert np.median(changed[20:]) <= 2


def test_rl_episodes_climb_from_the_incumbent_by_default() -> None:
    from archgym.agents.rl import learner_view

    agent = make_agent("ppo")
    assert (agent.start, agent.accept) == ("restart", "better")
    env = archgym.make("archgym/Synthetic-v0")
    view = learner_view(env, "edit", 8, start="incumbent", accept="better")
    assert view.observation_space.shape == (2 + 2 * 6,)  # metrics, current, incumbent
    result = archgym.run(make_agent("ppo", **TINY_PPO), "archgym/Synthetic-v0", budget=60, seed=0)
    assert result.counts["simulator"] == 60 and result.status == "finished"


def test_rl_and_marl_score_pareto_designs_by_dominance() -> None:
    from archgym.agents.rl import learner_view
    from archgym.objective import Pareto
    from archgym.wrappers import DominanceReward

    def make():
        return archgym.make("archgym/Accelerator-v0", objective=Pareto(["latency_ms", "area_mm2"]))

    view = learner_view(make(), "edit", 4, reward="rank", start="incumbent", accept="better")
    layers, inner = [], view
    while hasattr(inner, "env"):
        layers.append(type(inner))
        inner = inner.env
    assert DominanceReward in layers
    for name, tiny in (("ppo", TINY_PPO), ("marl", TINY_MARL)):
        result = archgym.run(make_agent(name, **tiny), make(), budget=10, seed=0)
        assert result.counts["simulator"] == 10


@pytest.mark.parametrize("restarts", [True, False])
def test_marl_edits_a_restarted_climber_once_the_incumbent_is_stuck(monkeypatch, restarts) -> None:
    import archgym.agents.marl as marl
    from archgym.wrappers import Restarts

    climbs: list[bool] = []

    class Counting(Restarts):
        def anchor(self, rng):
            out = super().anchor(rng)
            climbs.append(bool(out and out[2]))
            return out

    monkeypatch.setattr(marl, "Restarts", Counting)
    agent = make_agent("marl", restarts=restarts, warmup=0.0, **TINY_MARL)
    # Synthetic-v0's incumbent is stuck after 64 evaluations without a new best (its patience).
    result = archgym.run(agent, "archgym/Synthetic-v0", budget=300, seed=0)
    assert result.counts["simulator"] == 300
    if restarts:
        assert any(climbs) and not all(climbs)  # the incumbent first, climbers once it is stuck
    else:
        assert not climbs  # the agents only ever edit the incumbent


def test_td3_draws_the_knob_it_edits_and_sac_keeps_the_argmax() -> None:
    from archgym.wrappers import BoxEditActions

    def box_edit(agent: object) -> BoxEditActions:
        env = archgym.make("archgym/Synthetic-v0")
        archgym.run(agent, env, budget=40, seed=0)
        view = agent.model.get_env().envs[0]  # type: ignore[attr-defined]
        while not isinstance(view, BoxEditActions):
            view = view.env
        return view

    td3 = make_agent("td3", hidden=8, learning_starts=8, batch_size=8)
    assert box_edit(td3).knob_temperature == 1.0
    sac = make_agent("sac", hidden=8, learning_starts=8, batch_size=8)
    assert box_edit(sac).knob_temperature == 0.0
