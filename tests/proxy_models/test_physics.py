"""Derived features and monotone constraints: true of the simulator, and kept by the proxy."""

from __future__ import annotations

import numpy as np
import pytest

import archgym
from archgym.proxy_models import ProxyModel, from_records
from archgym.proxy_models.physics import MONOTONE, derived_features, monotonic_cst, with_derived

DRAM = "archgym/DRAM-v0"


@pytest.fixture(scope="module")
def dram() -> archgym.DesignEnv:
    return archgym.make(DRAM)


def _sweep(env: archgym.DesignEnv, feature: str, bases: int, seed: int) -> tuple[list, list]:
    """Designs varying the knob behind ``feature`` over its values, other knobs fixed per base."""
    knob, _, value = feature.partition("=")
    param = next(p for p in env.space.params if p.name == knob)
    if value:  # a one-hot column: off (any other choice) then on
        other = next(v for v in param.values if v != value)  # type: ignore[attr-defined]
        values = [other, value]
    else:
        values = [param.low * 2**k for k in range(int(np.log2(param.high // param.low)) + 1)]  # type: ignore[attr-defined]
    rng = np.random.default_rng(seed)
    fixed = [env.space.sample(rng) for _ in range(bases)]
    designs = [{**base, knob: v} for base in fixed for v in values]
    return designs, values


@pytest.mark.parametrize(
    ("metric", "feature"),
    [(m, f) for m, cst in MONOTONE["dram"].items() for f in cst if f != "InFlight"],
)
def test_dram_constraints_hold_in_the_simulator(
    dram: archgym.DesignEnv, metric: str, feature: str
) -> None:
    designs, values = _sweep(dram, feature, bases=12, seed=3)
    out = dram.simulator.evaluate_batch(designs, dram.workload)
    y = np.array([o[metric] for o in out]).reshape(-1, len(values))
    sign = MONOTONE["dram"][metric][feature]
    steps = sign * np.diff(y, axis=1)
    # Once the queue saturates, the admission order may shift a request by a cycle or two:
    # reversals within 1 % are scheduling noise, not the mechanism running backwards.
    assert np.all(steps >= -0.01 * np.abs(y[:, :-1])), (metric, feature, y)


def test_in_flight_is_the_smaller_queue_limit(dram: archgym.DesignEnv) -> None:
    derived = derived_features("dram", dram.space)
    names = dram.space.feature_names()
    d = {**dram.space.sample(0), "RequestBufferSize": 4, "MaxActiveTransactions": 64}
    X = with_derived(dram.space.features([d]), names, derived)
    assert X.shape[1] == len(names) + 1 and X[0, -1] == 2.0  # log2(min(4, 64))
    assert derived_features("synthetic", dram.space) == []
    with pytest.raises(ValueError, match="derived feature 'bad'"):
        with_derived(X[:, :-1], names, [["bad", "min", "RequestBufferSize", "NoSuchKnob"]])


def test_boosted_proxy_keeps_the_constraints_on_unseen_designs(
    dram: archgym.DesignEnv, tmp_path
) -> None:
    rng = np.random.default_rng(0)
    designs = [dram.space.sample(rng) for _ in range(150)]
    values = dram.simulator.evaluate_batch(designs, dram.workload)
    data = from_records(dram.space, dram.simulator.metrics, designs, values, {"simulator": "dram"})
    assert data.feature_names()[-1] == "InFlight"
    model = ProxyModel.fit(data, "gbm", calibrate=False)
    loaded = ProxyModel.load(model.save(tmp_path / "m"))  # constraints and features survive saving
    cst = monotonic_cst("dram", "avg_latency_ns", data.feature_names())
    assert loaded.regressors["avg_latency_ns"].get_params()["monotonic_cst"] == cst
    for feature in ("MaxActiveTransactions", "RequestBufferSize", "RefreshPolicy=AllBank"):
        sweep, values = _sweep(dram, feature, bases=30, seed=9)
        pred = np.array([p["avg_latency_ns"] for p in loaded.predict(sweep)])
        assert np.all(np.diff(pred.reshape(-1, len(values)), axis=1) >= 0), feature
    # Unconstrained, the same fit breaks the relation somewhere: the constraint is what holds it.
    free = ProxyModel.fit(data, "gbm", calibrate=False, monotone=False)
    sweep, values = _sweep(dram, "MaxActiveTransactions", bases=30, seed=9)
    pred = np.array([p["avg_latency_ns"] for p in free.predict(sweep)])
    assert np.any(np.diff(pred.reshape(-1, len(values)), axis=1) < 0)
