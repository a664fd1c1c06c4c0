"""The proxy as a cost model: make(..., cost_model="proxy"|"hybrid"), counts, active learning."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import archgym
from archgym.agents import RandomSearch
from archgym.proxy_models import HybridProxy, IncompatibleModelError, ProxyModel, ProxySimulator

ENV = "archgym/Synthetic-v0"


def test_proxy_env_answers_from_the_model(model_path: Path) -> None:
    env = archgym.make(ENV, cost_model="proxy", proxy=model_path)
    assert isinstance(env.simulator, ProxySimulator) and env.simulator.name == "proxy:synthetic"
    designs = [env.space.sample(i) for i in range(5)]
    expected = ProxyModel.load(model_path).predict(designs)
    got = [e.metrics for e in env.evaluate(designs)]
    for g, e in zip(got, expected, strict=True):
        assert g == pytest.approx(e)
    assert env.simulator.evaluate(designs[0]) == pytest.approx(expected[0])
    assert (
        env.space == archgym.make(ENV).space
        and env.space.constraints == archgym.make(ENV).space.constraints
    )


def test_agent_runs_on_the_proxy(model_path: Path, tmp_path: Path) -> None:
    with archgym.Store(tmp_path / "p.db") as store:
        result = archgym.run(
            RandomSearch(),
            archgym.make(ENV, cost_model="proxy", proxy=model_path),
            budget=30,
            seed=0,
            store=store,
        )
        runs = store.runs()
    assert len(result.evaluations) == 30 and math.isfinite(result.best.reward)
    assert runs["simulator"].tolist() == ["proxy:synthetic"]


def test_model_for_another_space_is_refused_by_make(model_path: Path) -> None:
    with pytest.raises(IncompatibleModelError, match="feature spec"):
        archgym.make(ENV, cost_model="proxy", proxy=model_path, simulator_kwargs={"n_integers": 4})
    with pytest.raises(IncompatibleModelError, match="feature spec"):
        archgym.make(ENV, cost_model="hybrid", proxy=model_path, simulator_kwargs={"n_integers": 4})


@pytest.mark.parametrize(("threshold", "expect"), [(0.0, "simulator"), (math.inf, "proxy")])
def test_threshold_extremes(model_path: Path, threshold: float, expect: str) -> None:
    env = archgym.make(
        ENV, cost_model="hybrid", proxy=HybridProxy(model_path, threshold=threshold, refit_every=0)
    )
    env.evaluate([env.space.sample(100 + i) for i in range(10)])
    assert env.evaluator.counts[expect] == 10


def test_hybrid_counts_add_up_and_match_the_store(model_path: Path, tmp_path: Path) -> None:
    hybrid = HybridProxy(model_path, threshold=0.25, refit_every=10)
    env = archgym.make(ENV, cost_model="hybrid", proxy=hybrid)
    space = env.space
    designs = [space.sample(200 + i) for i in range(60)]
    designs += designs[:10]  # repeats: answered from the cache
    with archgym.Store(tmp_path / "h.db") as store:
        with archgym.Run.start(env, "manual", store=store):
            evaluations = env.evaluate(designs)
        counts = env.evaluator.counts
        run_id = env.run_id
        recorded = {s: store.count_evaluations(run_id, s) for s in ("simulator", "cache", "proxy")}
    assert (
        counts["simulator"] + counts["cache"] + counts["proxy"] == len(designs) == len(evaluations)
    )
    assert counts["cache"] == 10
    assert counts["proxy"] == hybrid.answered and counts["simulator"] == hybrid.declined
    assert 0 < counts["proxy"] < 60  # some confident, some not, at this threshold
    assert recorded == {s: counts[s] for s in recorded}
    assert hybrid.observed == counts["simulator"]


def test_active_learning_refits_on_simulator_answers(model_path: Path) -> None:
    hybrid = HybridProxy(model_path, threshold=0.0, refit_every=5)
    before = len(hybrid.model.data)
    env = archgym.make(ENV, cost_model="hybrid", proxy=hybrid)
    for i in range(12):  # one simulator answer at a time, as an agent's steps come
        env.evaluate([env.space.sample(300 + i)])
    assert hybrid.refits == 2 and len(hybrid.model.data) == before + 10


def test_bad_hybrid_settings() -> None:
    with pytest.raises(ValueError, match="threshold"):
        HybridProxy.__init__(object.__new__(HybridProxy), "unused", threshold=-1.0)
    with pytest.raises(ValueError, match="cost_model='nope'"):
        archgym.make(ENV, cost_model="nope", proxy="x")
