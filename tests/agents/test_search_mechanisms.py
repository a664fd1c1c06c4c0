"""The mechanisms that make agents win: the forest agent, BO's hand-over, RL's fresh designs and edits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

import archgym
from archgym.agents import make_agent
from archgym.agents.forest import (
    expected_improvement,
    feature_tables,
    index_features,
    normal_scores,
)
from archgym.space import Categorical, DesignSpace, Integer, PowerOfTwo


def _median_best(name: str, budget: int, seeds: range, **hp) -> float:
    return float(
        np.median(
            [
                archgym.run(
                    make_agent(name, **hp), "archgym/Synthetic-v0", budget=budget, seed=s
                ).best.reward
                for s in seeds
            ]
        )
    )


def test_index_features_equal_the_spaces_features() -> None:
    space = DesignSpace(
        [Categorical("c", ["x", "y", "z"]), Integer("i", 0, 9), PowerOfTwo("p", 1, 64)]
    )
    rows = space.sample_indices(np.random.default_rng(0), 20)
    expected = space.features([space.decode(r) for r in rows])
    assert np.array_equal(index_features(feature_tables(space), rows), expected)


def test_normal_scores_keep_order_share_ties_and_ignore_scale() -> None:
    scores = normal_scores(np.array([-1e6, -2.0, -1.0, -1.0, 5.0]))
    assert scores[0] < scores[1] < scores[2] == scores[3] < scores[4]
    assert np.allclose(
        normal_scores(np.array([1.0, 2.0, 3.0])), normal_scores(np.array([1, 20, 3e9]))
    )
    assert normal_scores(np.arange(6.0)).mean() == pytest.approx(0.0, abs=1e-12)  # symmetric


def test_expected_improvement_rewards_mean_and_spread() -> None:
    ei = expected_improvement(np.array([0.0, 1.0, 0.0, 2.0]), np.array([1.0, 1.0, 0.0, 0.0]), 1.0)
    assert ei[1] > ei[0] > ei[2] == 0.0  # higher mean wins; spread gives hope below the best
    assert ei[3] == 1.0  # no spread: the plain gain
    # closed form at z = 0: sigma * phi(0)
    assert ei[1] == pytest.approx(1.0 / np.sqrt(2 * np.pi))


def test_forest_never_proposes_a_design_twice() -> None:
    result = archgym.run(
        make_agent("forest", initial_points=4), "archgym/Synthetic-v0", budget=40, seed=0
    )
    keys = {tuple(sorted(ev.design.items())) for ev in result.evaluations}
    assert len(keys) == len(result.evaluations) == 40
    assert result.counts.get("cache", 0) == 0


def test_forest_ends_on_a_space_smaller_than_its_budget() -> None:
    space_size = 32
    from archgym.testing._toys import OneParam  # a 1-parameter space of 32 values

    env = archgym.DesignEnv(OneParam(), objective=archgym.Minimize(OneParam.metrics[0].name))
    result = archgym.run(make_agent("forest", initial_points=4), env, budget=space_size, seed=0)
    assert result.counts["simulator"] == space_size


def test_forest_beats_random_search_and_reaches_the_synthetic_optimum() -> None:
    forest = _median_best("forest", 60, range(3))
    assert forest > _median_best("random", 60, range(3))
    assert _median_best("forest", 300, range(1)) == pytest.approx(-1.0)


def test_bo_hands_its_gp_over_to_a_forest_and_keeps_searching() -> None:
    agent = make_agent("bo", initial_points=4, acquisition_points=100, gp_max_points=10)
    result = archgym.run(agent, "archgym/Synthetic-v0", budget=30, seed=0)
    assert agent._forest is not None and result.counts["simulator"] == 30
    assert type(agent._forest).__name__ == "ExtraTreesRegressor"
    assert len({tuple(sorted(ev.design.items())) for ev in result.evaluations}) == 30


def test_bo_after_the_hand_over_scores_the_elites_one_and_two_knob_edits() -> None:
    agent = make_agent("bo", initial_points=4, acquisition_points=100, gp_max_points=10)
    archgym.run(agent, "archgym/Synthetic-v0", budget=30, seed=0)
    space = agent.space
    best = min(agent._known, key=agent._known.get)  # the incumbent (lowest value told)
    x = np.array([best[i] for i in agent._free])
    edits = agent._elite_edits()
    distance = (edits != x).sum(axis=1)
    # Every one-knob edit of the incumbent is a candidate (an ordered knob moves by one index).
    one = {e.tobytes() for e in edits[distance == 1]}
    for j, i in enumerate(agent._free):
        p = space.params[i]
        for v in range(p.cardinality):
            moved = x.copy()
            moved[j] = v
            step = abs(v - x[j])
            if step and (not p.ordered or step == 1):
                assert moved.tobytes() in one
    # Each elite contributes pair_edits edits that change at most two knobs.
    elites = np.array(
        [
            [k[i] for i in agent._free]
            for k in sorted(agent._known, key=agent._known.get)[: agent.elites]
        ]
    )
    nearest = np.min([(edits != e).sum(axis=1) for e in elites], axis=0)
    assert nearest.max() <= 2 and (nearest == 2).sum() >= agent.pair_edits


def test_bo_forest_target_is_rank_normal_scores_so_huge_values_cannot_flatten_it() -> None:
    agent = make_agent("bo", initial_points=4, acquisition_points=100, gp_max_points=10)
    archgym.run(agent, "archgym/Synthetic-v0", budget=20, seed=0)
    key = next(iter(agent._known))
    agent._known[key] = 1e9  # one absurd value: its rank is the worst, nothing more
    agent._fit_forest()
    assert agent._forest_best == pytest.approx(norm.ppf(0.5 / len(agent._known)))
    xs = agent._opt.space.transform([[k[i] for i in agent._free] for k in agent._known])
    assert np.abs(agent._forest.predict(xs)).max() < 4  # normal scores, not 1e9


@pytest.mark.parametrize("name", ["ppo", "sac", "marl"])
def test_learners_never_spend_a_step_on_a_cache_hit(name: str) -> None:
    tiny = {
        "ppo": dict(hidden=8, n_steps=8, batch_size=8, n_epochs=1),
        "sac": dict(hidden=8, learning_starts=4, batch_size=4),
        "marl": dict(hidden=8, n_steps=4, n_epochs=1),
    }[name]
    result = archgym.run(make_agent(name, **tiny), "archgym/Synthetic-v0", budget=40, seed=0)
    assert result.counts["simulator"] == 40 and result.counts.get("cache", 0) == 0


@pytest.mark.parametrize(
    "name,encoding",
    [("ppo", "edit"), ("a2c", "edit"), ("dqn", "edit"), ("sac", "box-edit"), ("td3", "box-edit")],
)
def test_rl_agents_edit_designs_by_default_and_act_natively_on_request(
    name: str, encoding: str
) -> None:
    env = archgym.make("archgym/Synthetic-v0")
    assert make_agent(name).action_encoding(env) == encoding
    native = make_agent(name, actions="native").action_encoding(env)
    assert native == {"ppo": "multidiscrete", "a2c": "multidiscrete", "dqn": "edit"}.get(
        name, "box"
    )


def test_learner_view_refuses_an_unknown_reward_shape() -> None:
    from archgym.agents.rl import learner_view

    with pytest.raises(ValueError, match="reward='raw'; legal values are 'rank', 'standardize'"):
        learner_view(archgym.make("archgym/Synthetic-v0"), "edit", 4, reward="raw")


def test_forest_spreads_along_the_front_under_a_pareto_objective() -> None:
    from archgym.indicators import hypervolume, pareto_front

    def front_volume(name: str) -> float:
        env = archgym.make("archgym/Synthetic-v0", objective=archgym.Pareto(["cost_au", "area_au"]))
        result = archgym.run(make_agent(name), env, budget=60, seed=0)
        points = np.array(
            [[e.metrics["cost_au"], e.metrics["area_au"]] for e in result.evaluations]
        )
        return hypervolume(pareto_front(points), [20.0, 40.0])  # ~ the worst random front point

    agent = make_agent("forest")
    archgym.run(
        agent,
        archgym.make("archgym/Synthetic-v0", objective=archgym.Pareto(["cost_au", "area_au"])),
        budget=20,
        seed=0,
    )
    assert len(agent._vectors) == 20 and agent._vectors[0].shape == (2,)
    assert front_volume("forest") > front_volume("random")


def test_forest_density_proposer_draws_what_the_good_designs_share() -> None:
    space = DesignSpace([Categorical("c", ["x", "y", "z", "w"]), Integer("i", 0, 9)])
    forest = make_agent("forest")
    forest.setup(space, seed=0)
    good = np.array([[2, 5]] * 8)  # every good design has c = "z" and i = 5
    draws = forest._from_density(good, 4000)
    c_share = np.bincount(draws[:, 0], minlength=4) / len(draws)
    i_share = np.bincount(draws[:, 1], minlength=10) / len(draws)
    # 8 counts against a prior of weight 1: c = "z" has (8 + 1/4) / 9 of the mass
    assert c_share[2] == pytest.approx((8 + 0.25) / 9, abs=0.03)
    # ordered: half of the counts stay on 5, a quarter spreads to each of 4 and 6
    assert i_share[5] == pytest.approx((4 + 0.1) / 9, abs=0.03)
    assert i_share[4] == pytest.approx((2 + 0.1) / 9, abs=0.03)
    assert i_share[6] == pytest.approx((2 + 0.1) / 9, abs=0.03)
    assert i_share[0] == pytest.approx(0.1 / 9, abs=0.01)  # the prior keeps every value possible


def test_walk_starts_from_the_best_initial_design_and_never_revisits() -> None:
    result = archgym.run(
        make_agent("walk", initial_points=10), "archgym/Synthetic-v0", budget=120, seed=1
    )
    evs = result.evaluations
    best_initial = max(evs[:10], key=lambda ev: ev.reward).design
    space = archgym.make("archgym/Synthetic-v0").space
    step = space.encode(evs[10].design) - space.encode(best_initial)
    assert np.count_nonzero(step) == 1  # the first move is one step from the best of ten
    assert len({tuple(sorted(ev.design.items())) for ev in evs}) == len(evs) == 120


def test_walk_under_pareto_keeps_the_front_and_returns_to_its_ends() -> None:
    from archgym.agents.walk import RandomWalk
    from archgym.evaluator import Evaluation

    space = DesignSpace([Integer("a", 0, 9), Integer("b", 0, 9)])
    objective = archgym.Pareto(["x", "y"])
    walk = RandomWalk()
    walk.setup(space, seed=0, objective=objective)

    points = [(1.0, 9.0), (5.0, 5.0), (9.0, 1.0), (6.0, 6.0), (4.0, 4.0)]
    designs = [{"a": i, "b": i} for i in range(len(points))]
    walk.tell(
        designs,
        [
            Evaluation(d, {"x": x, "y": y}, -(x + y) / 2, True, "simulator")
            for d, (x, y) in zip(designs, points, strict=True)
        ],
    )
    front = sorted(tuple(-v) for v, _ in walk._front)  # minimised x, y
    assert front == [(1.0, 9.0), (4.0, 4.0), (9.0, 1.0)]  # (5, 5) and (6, 6) are dominated
    picks = {walk._sparse_member() for _ in range(200)}
    ends = {i for i, (v, _) in enumerate(walk._front) if tuple(-v) != (4.0, 4.0)}
    assert ends <= picks  # both ends of the front are drawn


def test_bo_in_a_stall_scores_every_other_proposal_on_uniform_candidates_only() -> None:
    agent = make_agent("bo", initial_points=4, acquisition_points=100, gp_max_points=10)
    archgym.run(agent, "archgym/Synthetic-v0", budget=30, seed=0)
    calls = []
    edits = agent._elite_edits
    agent._elite_edits = lambda: calls.append(1) or edits()  # count the proposals using edits

    agent._improved_at = len(agent._known)  # a new best just now: no stall
    for _ in range(4):
        agent._forest_propose(set())
    assert len(calls) == 4
    calls.clear()
    agent._improved_at = len(agent._known) - agent.stall_window  # no new best for a window
    for _ in range(4):
        agent._forest_propose(set())
    assert len(calls) == 2
