"""Analysis: best-so-far curves, success and evaluations to target, regret, the lottery, Pareto."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from archgym.experiments.analysis import analyze, best_so_far, completed_runs
from archgym.experiments.executors import run_sweep
from archgym.indicators import non_dominated_sort
from archgym.simulators.synthetic import Synthetic
from archgym.store import Store

if TYPE_CHECKING:  # the fixture's type, for annotations only
    from tests.experiments.conftest import MakeSpec

ENV = "archgym/Synthetic-v0"


def test_best_so_far_counts_simulator_calls_and_holds_after_an_early_stop() -> None:
    rewards = np.array([-5.0, np.nan, -3.0, -3.0, -4.0])
    sources = np.array(["simulator", "simulator", "simulator", "cache", "simulator"])
    assert best_so_far(rewards, sources, 6).tolist() == [-5.0, -5.0, -3.0, -3.0, -3.0, -3.0]
    assert np.isnan(best_so_far(np.array([np.nan]), np.array(["simulator"]), 2)).all()


def test_tables_over_a_sweep(make_spec: MakeSpec) -> None:
    spec = make_spec(
        seeds=3, budget=20, agents=["random", {"name": "walk", "grid": {"step_size": [1, 3]}}]
    )
    run_sweep(spec, executor="serial")
    with Store(spec.store) as store:
        a = analyze(store)
    assert len(a.trials) == 9
    assert (a.trials["evaluations"] == 20).all()
    # regret against Synthetic's known optimum (reward -cost = -1)
    _, cost = Synthetic().optimum()
    assert np.allclose(a.trials["optimum"], -cost)
    assert np.allclose(a.trials["regret"], -cost - a.trials["best_reward"])
    assert (a.trials["regret"] >= 0).all()
    # the AUC (mean best-so-far) never exceeds the final best
    assert (a.trials["auc"] <= a.trials["best_reward"] + 1e-12).all()
    assert len(a.curves) == 9 * 20
    assert set(a.settings["seeds"]) == {3}
    walk = a.settings[a.settings["agent"] == "walk"]
    assert len(walk) == 2
    row = a.comparison.set_index("agent").loc["walk"]
    assert row["settings"] == 2 and row["best_median"] == walk["best_median"].max()
    lot = a.lottery.set_index("agent").loc["walk"]
    assert lot["settings"] == 2 and lot["spread"] == pytest.approx(lot["best"] - lot["worst"])
    medians = a.trials.groupby(["agent", "config"])["best_reward"].median()
    assert sorted(walk["best_median"]) == sorted(medians.loc["walk"])


def test_explicit_target_gives_success_and_evaluations_to_target(make_spec: MakeSpec) -> None:
    spec = make_spec(seeds=2, budget=20, agents=["random"])
    run_sweep(spec, executor="serial")
    with Store(spec.store) as store:
        easy = analyze(store, {ENV: -1e9}).trials
        hard = analyze(store, {ENV: 0.0}).trials
        a = analyze(store)
        mid = float(a.trials["best_reward"].min()) - 1e-9
        some = analyze(store, {ENV: mid}).trials
    assert (easy["success"] == True).all() and (easy["evals_to_target"] == 1).all()  # noqa: E712
    assert (hard["success"] == False).all() and hard["evals_to_target"].isna().all()  # noqa: E712
    assert some["success"].all()
    for row in some.itertuples():
        curve = a.curves[a.curves["run_id"] == row.run_id]["best"].to_numpy()
        assert curve[int(row.evals_to_target) - 1] >= mid and (
            int(row.evals_to_target) == 1 or curve[int(row.evals_to_target) - 2] < mid
        )


def test_target_objective_success_is_feasibility(make_spec: MakeSpec) -> None:
    target = {"type": "target", "targets": {"cost_au": 6.0}}
    spec = make_spec(seeds=2, budget=20, agents=["random"], envs=[{"id": ENV, "objective": target}])
    run_sweep(spec, executor="serial")
    with Store(spec.store) as store:
        a = analyze(store)
        for row in a.trials.itertuples():
            feasible = [e["feasible"] for e in store.evaluations(row.run_id)]
            assert row.success == any(feasible)
            if any(feasible):
                assert row.evals_to_target == feasible.index(True) + 1
    # the optimum is of the default objective, so no regret under an override
    assert a.trials["regret"].isna().all()


def test_pareto_fronts_and_hypervolume(make_spec: MakeSpec) -> None:
    pareto = {"type": "pareto", "metrics": ["cost_au", "area_au"]}
    spec = make_spec(seeds=2, budget=25, envs=[{"id": ENV, "objective": pareto}])
    run_sweep(spec, executor="serial")
    with Store(spec.store) as store:
        a = analyze(store)
    assert set(a.pareto["agent"]) == {"random", "walk"}
    assert (a.pareto["hypervolume_median"] > 0).all()
    for (env, _agent), front in a.fronts.items():
        assert env == ENV and front.shape[1] == 2
        assert len(non_dominated_sort(front)) == 1  # every point of a front is non-dominated
    assert a.front_metrics[ENV] == ["cost_au", "area_au"]


def test_only_the_latest_finished_run_of_a_trial_counts(make_spec: MakeSpec) -> None:
    spec = make_spec(seeds=1, budget=5, agents=["random"])
    run_sweep(spec, executor="serial")
    with Store(spec.store) as store:
        (key,) = {t.key for t in spec.trials()}
        extra = store.create_run(env_id=ENV, agent="random", seed=0, budget=5, trial_key=key)
        store.finish_run(extra, "failed", "an earlier attempt")
        runs = completed_runs(store)
        assert len(runs) == 1 and runs["status"].tolist() == ["finished"]


def test_empty_store_gives_empty_tables(tmp_path) -> None:
    with Store(tmp_path / "empty.db") as store:
        a = analyze(store)
    assert a.trials.empty and a.comparison.empty and a.lottery.empty and a.pareto.empty
