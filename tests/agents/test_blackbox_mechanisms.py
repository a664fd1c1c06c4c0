"""ACO's feasibility-first ranking and BO's cheaper skopt plumbing (same results, less work)."""

from __future__ import annotations

import numpy as np
import pytest

import archgym
from archgym.agents import make_agent


def test_aco_ranks_infeasible_designs_below_feasible_ones_but_by_their_reward() -> None:
    agent = make_agent("aco")
    agent.setup(archgym.make("archgym/Synthetic-v0").space, seed=0)
    agent._rewards = {True: [-3.0, -1.0], False: [-9.0, -5.0]}
    infeasible = [agent._quality((False, r)) for r in (-9.0, -5.0)]
    feasible = [agent._quality((True, r)) for r in (-3.0, -1.0)]
    assert 0 < infeasible[0] < infeasible[1] < feasible[0] < feasible[1] == 1.0
    assert agent._quality((False, -np.inf)) == 0.0  # a failed design deposits nothing


def test_aco_heuristic_puts_values_seen_only_infeasible_below_feasible_ones() -> None:
    agent = make_agent("aco", beta=1.0)
    agent.setup(archgym.make("archgym/Synthetic-v0").space, seed=0)
    i = 1  # x0, 16 values
    agent._best_with[i][[0, 1]] = [-2.0, -1.0]
    agent._best_infeasible[i][[2, 3]] = [-8.0, -4.0]
    eta = agent._heuristic(i)
    assert eta[1] == 1.0 and eta[0] == pytest.approx(0.1)
    assert eta[2] < eta[3] <= 0.1 < eta[4] == 1.0  # value 4 is untried


def test_bo_lookup_transform_equals_skopts_and_the_gp_is_warm_started() -> None:
    pytest.importorskip("skopt")
    from skopt.space import Space

    agent = make_agent("bo", initial_points=4, acquisition_points=50)
    result = archgym.run(agent, "archgym/Synthetic-v0", budget=12, seed=0)
    assert result.counts["simulator"] == 12
    space = agent._opt.space
    xs = space.rvs(n_samples=40, random_state=0)
    assert np.array_equal(space.transform(xs), Space(space.dimensions).transform(xs))
    # The next fit starts from the last fitted kernel (its noise term left for skopt to add).
    last = agent._opt.models[-1].kernel_
    start = agent._opt.base_estimator_.kernel
    assert np.allclose(start.k2.length_scale, last.k1.k2.length_scale)
    assert not np.allclose(start.k2.length_scale, 1.0)  # not the initial kernel
