from __future__ import annotations

import pytest

import archgym
from archgym.agents import RandomSearch, RandomWalk, make_agent
from archgym.simulators.synthetic import Synthetic
from archgym.store import Store
from archgym.testing import check_agent


@pytest.mark.parametrize("factory", [RandomSearch, RandomWalk])
def test_foundation_agents_pass_check_agent(factory):
    check_agent(factory)


def test_run_records_every_evaluation_and_is_reproducible(tmp_path):
    store = Store(tmp_path / "runs.db")
    a = archgym.run(RandomWalk(), "archgym/Synthetic-v0", budget=40, seed=3, store=store)
    b = archgym.run(RandomWalk(), "archgym/Synthetic-v0", budget=40, seed=3, store=store)
    assert a.counts["simulator"] == 40 and a.status == "finished"
    assert [e.design for e in a.evaluations] == [e.design for e in b.evaluations]
    df = store.to_dataframe(run_ids=[a.run_id])
    assert len(df) == len(a.evaluations) and df["reward"].max() == a.best.reward
    run = store.run(a.run_id)
    assert run.status == "finished" and run.hyperparameters == RandomWalk().get_params() and run.seed == 3


def test_resume_replays_without_resimulating(tmp_path):
    store = Store(tmp_path / "runs.db")
    full = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=30, seed=5)
    partial = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=30, seed=5, store=store)
    # simulate a crash after 12 evaluations: drop the rest and mark the run as still running
    store._write("DELETE FROM evaluations WHERE run_id = ? AND step >= 12", (partial.run_id,))
    store.reopen_run(partial.run_id)
    sim = Synthetic()
    calls = []
    original = sim.evaluate
    sim.evaluate = lambda design, workload=None: calls.append(1) or original(design, workload)
    env = archgym.DesignEnv(sim, objective=archgym.Minimize("cost_au"), env_id="archgym/Synthetic-v0")
    resumed = archgym.run(RandomSearch(), env, budget=999, store=store, resume=partial.run_id)
    assert sum(calls) == 18  # only the lost evaluations are simulated again
    assert resumed.counts["simulator"] == 30
    assert [r["design"] for r in store.evaluations(partial.run_id)] == [e.design for e in full.evaluations]


def test_small_space_stops_when_exhausted():
    from archgym.space import DesignSpace, Integer

    class Tiny(Synthetic):
        def design_space(self, workload=None):
            return DesignSpace([Integer("x0", 0, 3)])

        def evaluate_batch(self, designs, workload=None):
            return [{"cost_au": float(d["x0"]), "area_au": 0.0} for d in designs]

    env = archgym.DesignEnv(Tiny(), objective=archgym.Minimize("cost_au"))
    result = archgym.run(RandomWalk(), env, budget=50, seed=0)
    assert result.counts["simulator"] == 4 and result.status == "stalled"


def test_bad_agent_arguments():
    with pytest.raises(ValueError, match="hyperparameter 'step_size'=0 is outside its range"):
        RandomWalk(step_size=0)
    with pytest.raises(KeyError, match="no agent 'sgd'"):
        make_agent("sgd")
    with pytest.raises(ValueError, match="budget must be a positive"):
        archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=0)
