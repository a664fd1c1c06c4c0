from __future__ import annotations

import re

import pytest

from archgym.evaluator import BudgetExhausted, Evaluator
from archgym.objective import FAILURE_REWARD, Minimize
from archgym.simulator import EvaluationError, Metric, Simulator
from archgym.simulators.synthetic import Synthetic
from archgym.space import DesignSpace, Integer, InvalidDesignError
from archgym.store import Store


class Flaky(Simulator):
    name, version = "flaky", "1"
    metrics = (Metric("cost_au", "au", "min"),)

    def __init__(self):
        self.calls = 0

    def design_space(self, workload=None):
        return DesignSpace([Integer("x", 0, 9)])

    def evaluate(self, design, workload=None):
        self.calls += 1
        if design["x"] == 3:
            raise EvaluationError("boom on 3")
        if design["x"] == 4:
            raise ZeroDivisionError("bug in the model")
        if design["x"] == 5:
            return {"wrong": 1.0}
        return {"cost_au": float(design["x"])}


def test_cache_budget_and_counts():
    store = Store(":memory:")
    run = store.create_run(env_id="t/T-v0", agent="manual")
    sim = Flaky()
    ev = Evaluator(sim, Minimize("cost_au"), store=store, run_id=run, budget=3)
    assert ev.evaluate({"x": 1}).source == "simulator"
    assert ev.evaluate({"x": 1}).source == "cache"
    batch = ev.evaluate_many([{"x": 2}, {"x": 2}, {"x": 1}])
    assert [e.source for e in batch] == ["simulator", "cache", "cache"]
    assert sim.calls == 2 and ev.counts == {"simulator": 2, "cache": 3}
    ev.evaluate({"x": 6})
    with pytest.raises(BudgetExhausted, match="only 0 of the budget of 3 remain"):
        ev.evaluate({"x": 7})
    assert ev.evaluate({"x": 6}).source == "cache"  # cache hits stay free after the budget
    assert store.count_evaluations(run) == 7
    assert [r["step"] for r in store.evaluations(run)] == list(range(7))


@pytest.mark.parametrize(
    "x,match",
    [
        (3, "boom on 3"),
        (4, "ZeroDivisionError: bug in the model"),
        (5, r"did not report metric\(s\) \['cost_au'\]"),
    ],
)
def test_failures_are_recorded_infeasible_and_never_raise(x, match):
    store = Store(":memory:")
    run = store.create_run(env_id="t/T-v0", agent="manual")
    ev = Evaluator(Flaky(), Minimize("cost_au"), store=store, run_id=run)
    out = ev.evaluate({"x": x})
    assert not out.feasible and out.reward == FAILURE_REWARD and out.metrics is None
    assert out.error is not None and re.search(match, out.error)
    row = store.evaluations(run)[0]
    assert row["error"] == out.error and not row["feasible"] and row["metrics"] is None
    assert ev.counts["failed"] == 1


def test_invalid_design_raises_and_records_nothing():
    store = Store(":memory:")
    run = store.create_run(env_id="t/T-v0", agent="manual")
    ev = Evaluator(Flaky(), Minimize("cost_au"), store=store, run_id=run)
    with pytest.raises(InvalidDesignError, match="'x'"):
        ev.evaluate({"x": 42})
    assert store.count_evaluations(run) == 0


class HalfConfidentProxy:
    """Answers only even designs; learns nothing."""

    def __init__(self):
        self.observed = []

    def answer(self, designs, workload):
        return [{"cost_au": -1.0} if d["x"] % 2 == 0 else None for d in designs]

    def observe(self, designs, metrics):
        self.observed.extend(designs)


def test_proxy_answers_where_confident_and_learns_from_the_rest():
    proxy = HalfConfidentProxy()
    ev = Evaluator(Flaky(), Minimize("cost_au"), proxy=proxy, budget=10)
    out = ev.evaluate_many([{"x": 0}, {"x": 1}, {"x": 2}])
    assert [e.source for e in out] == ["proxy", "simulator", "proxy"]
    assert [e.origin for e in out] == ["proxy", "simulator", "proxy"]
    assert ev.counts == {"proxy": 2, "simulator": 1}
    assert proxy.observed == [{"x": 1}]
    assert ev.evaluate({"x": 0}).source == "cache" and ev.counts["proxy"] == 2


def test_batches_go_to_evaluate_batch_once():
    sim = Synthetic()
    calls = []
    original = sim.evaluate_batch
    sim.evaluate_batch = lambda designs, workload=None: (
        calls.append(len(designs)) or original(designs, workload)
    )
    ev = Evaluator(sim, Minimize("cost_au"))
    ev.evaluate_many(sim.design_space().sample(0, 16))
    assert calls == [16]
