"""The action encodings reach every design, and the shaping wrappers keep Gymnasium's contract."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import archgym
from archgym.space import DesignSpace, Integer, PowerOfTwo
from archgym.wrappers import (
    ELITES,
    BoxActions,
    BoxEditActions,
    EditActions,
    EpisodeLength,
    FlatActions,
    FreshDesigns,
    RankReward,
    Restarts,
    StandardizeReward,
    encode,
)


class Small(archgym.Simulator):
    name, version = "small", "1"
    metrics = (archgym.Metric("cost_au", "au", "min"),)

    def design_space(self, workload=None) -> DesignSpace:
        return DesignSpace([Integer("a", 0, 4), PowerOfTwo("b", 1, 8)])

    def evaluate(self, design, workload=None):
        return {"cost_au": float(design["a"] * design["b"])}


def small_env(**kwargs) -> archgym.DesignEnv:
    return archgym.DesignEnv(Small(), objective=archgym.Minimize("cost_au"), **kwargs)


ALL = {tuple(small_env().space.encode(d)) for d in small_env().space.enumerate()}


def test_flat_actions_reach_every_design_once():
    env = FlatActions(small_env())
    reached = [tuple(env.action(a)) for a in range(env.action_space.n)]
    assert len(reached) == len(set(reached)) and set(reached) == ALL


def test_box_actions_reach_every_design():
    env = BoxActions(small_env())
    grid = np.linspace(-1, 1, 41)
    reached = {tuple(env.action(np.array(x))) for x in itertools.product(grid, grid)}
    assert reached == ALL


def test_edit_actions_reach_every_design_and_observe_it():
    env = EditActions(small_env())
    obs, _ = env.reset(seed=0)
    assert obs.shape == (1 + 2 + 2,) and env.observation_space.contains(obs)
    reached = set()
    for a, b in itertools.product(range(5), range(4)):
        env.step(a)  # set "a" to its a-th value
        obs, *_ = env.step(5 + b)  # set "b" to its b-th value
        reached.add(tuple(env._current))
    assert reached == ALL
    assert obs[1:3].tolist() == pytest.approx([1.0, 1.0])  # the last design: last values
    assert obs[3] == pytest.approx(-1.0)  # the incumbent: cost 0, first found with a = 0


@pytest.mark.parametrize("encoding", ["box", "discrete", "edit", "box-edit"])
def test_wrapped_envs_pass_gymnasiums_checker(encoding):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(encode(small_env(), encoding), skip_render_check=True)
        check_env(
            archgym.make("archgym/Synthetic-v0", action_encoding="box"), skip_render_check=True
        )


def test_encode_refuses_unknown_encodings_and_huge_flat_spaces():
    with pytest.raises(
        ValueError, match="action_encoding='grid'; legal values are 'multidiscrete', 'box'"
    ):
        encode(small_env(), "grid")
    with pytest.raises(ValueError, match="FlatActions: the space has"):
        FlatActions(archgym.make("archgym/Synthetic-v0", simulator_kwargs={"n_integers": 27}))
    env = small_env()
    assert encode(env, "multidiscrete") is env


def test_episode_length_overrides_the_envs_own():
    env = EpisodeLength(small_env(episode_length=2), 5)
    env.reset(seed=0)
    truncs = [env.step(env.action_space.sample())[3] for _ in range(5)]
    assert truncs == [False] * 4 + [True]
    with pytest.raises(ValueError, match="length must be >= 1"):
        EpisodeLength(small_env(), 0)


def test_standardized_rewards_are_bounded_and_failures_score_as_the_worst():
    env = StandardizeReward(small_env())
    values = [env.standardize(r, failed=False) for r in (-10.0, -5.0, -1.0, -1.0)]
    assert values[2] > values[1] > values[0]
    assert env.standardize(-1e6, failed=True) == env.standardize(-10.0, failed=True)
    assert abs(env.standardize(1e9, failed=False)) <= 5.0


def test_box_edit_actions_set_one_parameter_to_any_of_its_values():
    env = BoxEditActions(small_env())
    env.reset(seed=0)
    assert env.action_space.shape == (4,)
    reached = set()
    for start in ALL:
        env._current = np.array(start)
        for x in np.linspace(-1, 1, 41):
            for i in range(2):
                a = np.array([-1.0, -1.0, 0.0, 0.0])
                a[i], a[2 + i] = 1.0, x
                moved = env.indices(a)
                assert moved[1 - i] == start[1 - i]  # the other parameter keeps its value
                reached.add((i, int(moved[i])))
    assert reached == {(0, v) for v in range(5)} | {(1, v) for v in range(4)}


def test_elite_start_edits_one_of_the_best_designs_seen():
    env = EditActions(small_env(), start="elite")
    env.reset(seed=0)
    for a in range(5):  # set "a" to each value: costs 0, b, 2b, ...
        env.step(a)
    best = {tuple(np.frombuffer(k, dtype=np.int64)) for _, k in env.restarts.elites}
    assert len(best) == ELITES
    starts = set()
    for seed in range(30):
        env.reset(seed=seed)
        starts.add(tuple(env._current))
    assert starts & best and len(starts - best) >= 1  # mostly elites, sometimes random
    with pytest.raises(
        ValueError, match="start='best'; legal values are 'random', 'elite', 'incumbent'"
    ):
        EditActions(small_env(), start="best")
    with pytest.raises(ValueError, match="accept='never'; legal values are 'always', 'better'"):
        EditActions(small_env(), accept="never")


def test_incumbent_start_edits_the_best_design_and_better_accept_climbs():
    env = EditActions(small_env(), start="incumbent", accept="better")
    env.reset(seed=0)
    env.step(5 + 3)  # b = 8
    env.step(4)  # a = 4: cost 32, the worst design, yet the first edit of a random start
    assert tuple(env._current) == (4, 3)
    env.step(2)  # a = 2: cost 16, better: the episode moves there
    assert tuple(env._current) == (2, 3)
    env.step(3)  # a = 3: cost 24, worse: the episode stays
    assert tuple(env._current) == (2, 3)
    env.step(5)  # b = 1: cost 2, the best so far
    assert env.incumbent().tolist() == [2, 0]
    starts = [tuple(env.reset(seed=seed) and env._current) for seed in range(40)]
    assert 20 <= starts.count((2, 0)) < 40  # mostly the incumbent, sometimes a random design
    obs, _ = env.reset(seed=1)
    assert obs[3:].tolist() == pytest.approx([0.0, -1.0])  # the incumbent (2, 0), scaled


def test_dominance_rewards_every_design_on_the_front_alike():
    from archgym.objective import Pareto
    from archgym.wrappers import Dominance, DominanceReward

    d = Dominance()
    assert d.score([1.0, 0.0]) == 0.0
    assert d.score([0.0, 1.0]) == 0.0  # on the front too
    assert d.score([-1.0, -1.0]) == -1.0  # dominated by both
    assert d.score([0.5, -1.0]) == pytest.approx(-1 / 3)  # dominated by one of three
    with pytest.raises(ValueError, match="needs a Pareto objective"):
        DominanceReward(small_env())

    class Two(Small):
        metrics = (
            archgym.Metric("cost_au", "au", "min"),
            archgym.Metric("size_au", "au", "min"),
        )

        def evaluate(self, design, workload=None):
            return {"cost_au": float(design["a"]), "size_au": float(design["b"])}

    env = DominanceReward(archgym.DesignEnv(Two(), objective=Pareto(["cost_au", "size_au"])))
    env.reset(seed=0)
    assert env.step(np.array([1, 0]))[1] == 0.0
    assert env.step(np.array([2, 1]))[1] == -1.0  # worse in both than the first


def test_fresh_designs_move_a_repeat_to_an_unseen_neighbour_and_pass_once_all_are_seen():
    env = FreshDesigns(small_env())
    env.reset(seed=0)
    first = env.step(np.array([2, 1]))[4]
    second = env.step(np.array([2, 1]))[4]
    assert not first["moved"] and second["moved"]
    moved = env.unwrapped.space.encode(second["design"])
    assert np.abs(moved - [2, 1]).sum() == 1  # one step away: adjacent values are ordered
    for idx in ALL:
        env.step(np.array(idx))
    assert env.unwrapped.evaluator.simulator_calls == len(ALL)
    assert not env.step(np.array([0, 0]))[4]["moved"]  # every design seen: a cache hit


def test_rank_rewards_are_quantiles_and_failures_score_minus_one():
    env = RankReward(small_env())
    assert [env.rank(r) for r in (-5.0, -1.0, -3.0)] == [0.0, 1.0, 0.0]
    assert env.rank(-1e9) == -1.0 and env.rank(0.0) == 1.0
    assert env.rank(-3.0) == pytest.approx(2 * 2.5 / 5 - 1)  # ties share the mid-rank
    assert env.rank(7.0, failed=True) == -1.0


def test_warmup_steps_edit_fresh_random_designs():
    env = EditActions(small_env(), start="incumbent", accept="better", warmup=6)
    env.reset(seed=0)
    currents = []
    for _ in range(5):
        env.step(0)  # set a = 0: cost 0, the best possible, yet the next step starts afresh
        currents.append(tuple(env._current))
    assert len(set(currents)) > 1 and env._current_reward == -np.inf
    env.step(0)
    env.step(0)  # past the warm-up: the climb keeps the best design
    assert env._current[0] == 0 and env._current_reward == 0.0


def test_restarts_climb_elsewhere_once_the_incumbent_is_a_local_optimum():
    space = small_env().space  # a in 0..4, b in 1..8 (4 values): 7 one-edit neighbours
    r = Restarts(space)
    assert r.patience == 7 and r.anchor(np.random.default_rng(0)) is None
    trap = np.array([0, 0])
    r.record(trap, 1.0)
    indices, reward, climbing = r.anchor(np.random.default_rng(0))
    assert indices.tolist() == [0, 0] and reward == 1.0 and not climbing
    for i, j in [(1, 0), (2, 0), (3, 0), (4, 0), (0, 1), (0, 2)]:
        r.record(np.array([i, j]), 0.0)  # every neighbour but one: still worth climbing
        assert not r.anchor(np.random.default_rng(0))[2]
    r.record(np.array([0, 3]), 0.0)  # the last neighbour, worse too: a local optimum
    rng = np.random.default_rng(1)
    climber, reward, climbing = r.anchor(rng)
    assert climbing and reward == -np.inf
    r.climbed(np.array([2, 2]), 0.5)  # the climber moves to an edit at least as good...
    assert r.anchor(rng)[0].tolist() == [2, 2]
    r.climbed(np.array([3, 2]), 0.1)  # ...and not to a worse one
    assert r.anchor(rng)[:2] == (pytest.approx([2, 2]), 0.5)
    r.record(np.array([2, 3]), 2.0)  # the climb beats the trap: climbs start from it again
    assert r.anchor(rng)[0].tolist() == [2, 3] and not r.anchor(rng)[2]


def test_restarts_count_evaluations_without_progress_as_stuck():
    r = Restarts(small_env().space, patience=3)
    r.record(np.array([0, 0]), 1.0)
    for k in range(3):
        assert not r.anchor(np.random.default_rng(0))[2]
        r.record(np.array([4, k + 1]), 0.0)
    assert r.anchor(np.random.default_rng(0))[2]  # 3 evaluations, no new best
    r.record(np.array([1, 1]), 1.0)  # a tie is a new design on the front: progress
    assert not r.anchor(np.random.default_rng(0))[2]


class Trap(archgym.Simulator):
    """(0, 0) is a local optimum under one-parameter edits; (4, 4), two edits away, is better."""

    name, version = "trap", "1"
    metrics = (archgym.Metric("cost_au", "au", "min"),)

    def design_space(self, workload=None) -> DesignSpace:
        return DesignSpace([Integer("a", 0, 4), Integer("b", 0, 4)])

    def evaluate(self, design, workload=None):
        a, b = design["a"], design["b"]
        return {"cost_au": 0.0 if (a, b) == (4, 4) else 1.0 if (a, b) == (0, 0) else 2.0 + a + b}


def test_restart_episodes_leave_an_exhausted_incumbent_and_carry_the_climber_over():
    env = EditActions(
        archgym.DesignEnv(Trap(), objective=archgym.Minimize("cost_au")),
        start="restart",
        accept="better",
    )
    env.reset(seed=0)
    env.action_space.seed(0)
    for action in [0, 1, 2, 3, 4, 6, 7, 8]:  # (0, 0), then each of its neighbours but (0, 4)
        env._current = np.array([0, 0])
        env.step(action)
    assert env.incumbent().tolist() == [0, 0]
    env.reset(seed=0)
    assert not env._climbing  # one neighbour left unseen: climb from the incumbent
    env._current = np.array([0, 0])
    env.step(9)  # (0, 4): the last neighbour, worse: (0, 0) is a local optimum
    climbs = []
    for seed in range(1, 30):
        env.reset(seed=seed)
        if env._climbing:
            climbs.append(tuple(env._current))
            env.step(env.action_space.sample())
    assert len(climbs) >= 10 and (0, 0) not in climbs  # most episodes climb elsewhere...
    assert len(set(climbs)) < len(climbs)  # ...from a climber that carries over episodes
    for _ in range(300):  # random edits from here on: the restarts find (4, 4)
        env.reset()
        env.step(env.action_space.sample())
        if env.incumbent().tolist() == [4, 4]:
            break
    assert env.incumbent().tolist() == [4, 4]


def test_box_edit_knob_temperature_draws_the_edited_parameter_by_its_score():
    saturated = np.array([1.0, -1.0, 0.0, 0.0])  # parameter "a" scored highest
    greedy = BoxEditActions(small_env())
    greedy.reset(seed=0)
    assert {
        int(np.flatnonzero(greedy.indices(saturated) != greedy._current)[0]) for _ in range(50)
    } <= {0}
    warm = BoxEditActions(small_env(), knob_temperature=1.0)
    warm.reset(seed=0)
    knobs = [warm.knob(saturated[:2]) for _ in range(4000)]
    # Boltzmann at temperature 1: "b" is chosen with probability 1 / (1 + e^2) = 0.119.
    assert np.mean(knobs) == pytest.approx(1 / (1 + np.e**2), abs=0.02)
    again = BoxEditActions(small_env(), knob_temperature=1.0)
    again.reset(seed=0)
    assert [again.knob(saturated[:2]) for _ in range(4000)] == knobs  # seeded by reset


@pytest.mark.parametrize("bad", [-0.5, float("nan"), float("inf")])
def test_box_edit_refuses_a_negative_or_non_finite_knob_temperature(bad):
    with pytest.raises(ValueError, match="knob_temperature=.*legal values are 0"):
        BoxEditActions(small_env(), knob_temperature=bad)
