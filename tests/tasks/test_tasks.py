"""Benchmark tasks: references recomputed on small variants, stored references checked against
fresh random designs, and the regret arithmetic on hand-computed cases."""

from __future__ import annotations

import doctest
import math
from dataclasses import replace

import numpy as np
import pytest

import archgym.tasks as tasks
from archgym.simulators.synthetic import Synthetic
from archgym.tasks.catalog import definition
from archgym.tasks.references import Scorer, compute_reference, local_search, sample
from archgym.tasks.task import RandomBaseline, Reference, Task

ALL = tasks.list_tasks()


def test_every_built_in_env_has_a_default_task_and_the_archgym_targets_are_kept() -> None:
    envs = {tasks.get(n).env_id for n in tasks.list_tasks("default")}
    assert envs == {
        "archgym/DRAM-v0",
        "archgym/Accelerator-v0",
        "archgym/SoC-v0",
        "archgym/Mapping-v0",
        "archgym/LLMRoofline-v0",
        "archgym/Synthetic-v0",
    }
    archgym_tasks = {n: tasks.get(n) for n in tasks.list_tasks("archgym")}
    assert {"dram-archgym-target", "accelerator-archgym-target", "soc-archgym-target"} <= set(
        archgym_tasks
    )
    # ArchGym's tasks are the envs' registered default objectives, unchanged
    assert all(t.objective is None for t in archgym_tasks.values())
    assert any(tasks.get(n).multi_objective for n in tasks.list_tasks("default"))


def test_unknown_task_names_the_legal_ones() -> None:
    with pytest.raises(KeyError, match="no task 'dram'; tasks are .*dram-archgym-target"):
        tasks.get("dram")


def test_enumeration_finds_the_known_optimum_of_a_small_synthetic_space() -> None:
    small = replace(
        definition("synthetic-cost"), kwargs={"simulator_kwargs": {"n_integers": 2, "seed": 3}}
    )
    ref = compute_reference(small)
    design, cost = Synthetic(n_integers=2, seed=3).optimum()
    assert ref.exact and ref.reward == -cost and ref.design == design
    assert ref.how.startswith("enumerated all") and ref.random is not None
    assert ref.random.n == Synthetic(n_integers=2, seed=3).design_space().size


def test_search_reference_beats_independent_random_designs_on_a_small_variant() -> None:
    small = replace(
        definition("synthetic-cost"),
        kwargs={"simulator_kwargs": {"n_integers": 2, "seed": 1}},
        method="search",
        random=300,
        starts=3,
    )
    ref = compute_reference(small, seed=0)
    env = tasks.get("synthetic-cost").make(simulator_kwargs={"n_integers": 2, "seed": 1})
    rewards = Scorer(env).score(sample(env.space, 300, seed=99)).rewards
    assert ref.reward >= rewards.max()
    assert not ref.exact and "local search" in ref.how
    # and it is a real design's score: never better than the space's known optimum
    assert ref.reward <= -Synthetic(n_integers=2, seed=1).optimum()[1]


def test_a_time_capped_random_sample_is_a_reproducible_prefix_and_says_so() -> None:
    small = replace(
        definition("synthetic-cost"),
        kwargs={"simulator_kwargs": {"n_integers": 2, "seed": 1}},
        method="search",
        random=25_000,
        starts=1,
    )
    capped = compute_reference(small, seed=0, random_seconds=0.0)  # stops after the first part
    assert capped.random is not None and capped.random.n == 10_000
    assert "best of 10,000 random designs (" in capped.how
    prefix = compute_reference(replace(small, random=10_000), seed=0)
    assert capped.to_dict() == prefix.to_dict()


def test_local_search_climbs_to_a_local_optimum() -> None:
    env = tasks.get("synthetic-cost").make(simulator_kwargs={"n_integers": 2})
    scorer = Scorer(env)
    start = sample(env.space, 1, seed=5)[0]
    design, reward = local_search(scorer, start)
    neighbours = scorer.score(env.space.neighbors(design)).rewards
    assert reward >= scorer.score([start]).rewards[0] and (neighbours <= reward).all()


def test_pareto_reference_front_is_the_enumerated_front_on_a_small_space() -> None:
    from archgym.indicators import pareto_front

    small = replace(
        definition("synthetic-cost"),
        kwargs={"simulator_kwargs": {"n_integers": 1}},
        objective={"type": "pareto", "metrics": ["cost_au", "area_au"], "scales": {}},
        method="enumerate",
    )
    ref = compute_reference(small)
    env = tasks.get("synthetic-cost").make(
        simulator_kwargs={"n_integers": 1}, objective=small.objective
    )
    designs = list(env.space.enumerate())
    metrics = env.simulator.evaluate_batch(designs, env.workload)
    truth = pareto_front(np.array([[m["cost_au"], m["area_au"]] for m in metrics]))
    assert ref.bounds is not None
    ideal, nadir = (np.array(b) for b in ref.bounds)
    np.testing.assert_allclose(np.array(ref.front) * (nadir - ideal) + ideal, truth)
    task = Task(
        "small",
        env.spec_id if hasattr(env, "spec_id") else "archgym/Synthetic-v0",
        {"simulator_kwargs": {"n_integers": 1}},
        small.objective,
        ref,
    )
    # every design of the space together scores zero hypervolume regret; one design scores more
    assert task.hv_regret(metrics) == pytest.approx(0.0, abs=1e-12)
    assert task.hv_regret(metrics[:1]) > 0.0


@pytest.mark.parametrize("name", ALL)
def test_stored_reference_is_reproducible_and_beats_random_designs(name: str) -> None:
    task = tasks.get(name)
    env = task.make()
    scorer = Scorer(env)
    fresh = sample(env.space, 40, seed=12345)
    if task.multi_objective:
        metrics = [m for m in scorer.score(fresh, keep_metrics=True).metrics if m is not None]
        assert 0.0 <= task.hv_regret(metrics) <= 1.0
        assert len(task.reference.front) >= 5
        return
    rewards = scorer.score(fresh).rewards
    assert task.reference.reward >= rewards.max() - 1e-9
    # the stored design scores the stored reward when evaluated again
    again = scorer.score([env.space.validate(task.reference.design)]).rewards[0]
    assert again == pytest.approx(task.reference.reward, rel=1e-9, abs=1e-12)
    if task.objective is not None and task.objective.get("type") == "target":
        assert (
            task.reference.random is not None and task.reference.random.feasible_fraction <= 0.001
        )


def test_regret_normalisation_and_within_on_hand_computed_values() -> None:
    ref = Reference(-2.0, "hand", True, random=RandomBaseline(100, -10.0))
    task = Task("t", "archgym/Synthetic-v0", {}, None, ref)
    assert task.regret(-3.0) == 1.0
    assert task.normalized_regret(-6.0) == 0.5  # 4 of the 8 between optimum and median random
    assert task.within(-2.019) and not task.within(-2.021)
    met = Task(
        "m",
        "archgym/Synthetic-v0",
        {},
        None,
        Reference(0.0, "hand", True, random=RandomBaseline(10, -4.0)),
    )
    assert met.within(-0.039) and not met.within(-0.041)  # 1 % of the random gap (4.0)
    assert task.run_regret([-7.0, -6.0, float("nan")]) == 0.5


def test_hypervolume_regret_on_a_hand_computed_front() -> None:
    objective = {"type": "pareto", "metrics": ["cost_au", "area_au"], "scales": {}}
    # reference front (0, 0.5), (0.5, 0) in normalised space: HV against (1, 1) = 0.75
    ref = Reference(
        0.0, "hand", True, front=((0.0, 0.5), (0.5, 0.0)), bounds=((0.0, 0.0), (10.0, 10.0))
    )
    task = Task("p", "archgym/Synthetic-v0", {}, objective, ref)
    assert ref.hypervolume == pytest.approx(0.75)
    # one point at raw (5, 5) -> normalised (0.5, 0.5): HV 0.25, regret 1 - 0.25 / 0.75
    assert task.hv_regret([{"cost_au": 5.0, "area_au": 5.0}]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="multi-objective: use hv_regret"):
        task.regret(0.0)


def test_task_module_examples_run() -> None:
    import archgym.tasks.catalog as catalog
    import archgym.tasks.references as references
    import archgym.tasks.task as module

    for mod in (module, tasks, catalog, references):
        assert doctest.testmod(mod).failed == 0, mod.__name__


def test_objective_vectors_are_minimised_and_normalised() -> None:
    objective = {"type": "pareto", "metrics": ["cost_au", "area_au"], "scales": {}}
    ref = Reference(0.0, "hand", True, front=((0.0, 1.0),), bounds=((1.0, 2.0), (3.0, 4.0)))
    vectors = Task("p", "archgym/Synthetic-v0", {}, objective, ref).objective_vectors(
        [{"cost_au": 2.0, "area_au": 4.0}]
    )
    assert vectors.tolist() == [[0.5, 1.0]]
    assert not math.isnan(vectors.sum())
