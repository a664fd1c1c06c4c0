"""``archgym.testing`` from a user's own test suite: a correct simulator passes, and each
common mistake fails with a message that says what to fix."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from byo_support import CACHE_SPACE, PyCache, make_cachesim

import archgym
from archgym.testing import ConformanceError, check_env, check_simulator


class Noisy(PyCache):
    def evaluate(self, design: dict[str, Any], workload: Any = None) -> dict[str, float]:
        out = super().evaluate(design, workload)
        return {**out, "amat_ns": out["amat_ns"] + random.random()}


class RaisesKeyError(PyCache):
    def evaluate(self, design: dict[str, Any], workload: Any = None) -> dict[str, float]:
        return {"amat_ns": design["ways"]}


class ReturnsNaN(PyCache):
    def evaluate(self, design: dict[str, Any], workload: Any = None) -> dict[str, float]:
        return {**super().evaluate(design, workload), "area_mm2": float("nan")}


class ForgetsAMetric(PyCache):
    def evaluate(self, design: dict[str, Any], workload: Any = None) -> dict[str, float]:
        out = super().evaluate(design, workload)
        del out["miss_rate"]
        return out


class NumpyMetrics(PyCache):
    """numpy scalars are numbers too: this one must pass."""

    def evaluate(self, design: dict[str, Any], workload: Any = None) -> dict[str, float]:
        return {k: np.float32(v) for k, v in super().evaluate(design, workload).items()}


class BatchSwallowsErrors(PyCache):
    def evaluate(self, design: dict[str, Any], workload: Any = None) -> dict[str, float]:
        if design["policy"] == "fifo":
            raise archgym.EvaluationError("fifo is not modelled")
        return super().evaluate(design, workload)

    def evaluate_batch(self, designs: Any, workload: Any = None) -> list[Any]:
        return [super(BatchSwallowsErrors, self).evaluate(d, workload) for d in designs]


@pytest.mark.parametrize(
    ("sim", "message"),
    [
        (Noisy(), r"not deterministic: .* seed any randomness from the design"),
        (
            RaisesKeyError(),
            r"RaisesKeyError.evaluate\(.*\) raised KeyError: 'ways'; .* must raise archgym.EvaluationError",
        ),
        (ReturnsNaN(), r"reported area_mm2=nan; metrics must be finite numbers"),
        (
            ForgetsAMetric(),
            r"did not report metric 'miss_rate'; it reported \['amat_ns', 'area_mm2'\]",
        ),
        (
            BatchSwallowsErrors(),
            r"evaluate raised EvaluationError on .* but evaluate_batch returned \{.*must put the "
            r"EvaluationError in that design's place",
        ),
    ],
)
def test_mistakes_are_named(sim: archgym.Simulator, message: str) -> None:
    with pytest.raises(ConformanceError, match=message):
        check_simulator(sim)


def test_numpy_scalars_are_accepted() -> None:
    check_simulator(NumpyMetrics())


def test_a_binary_that_cannot_start_fails_the_check(tmp_path: Path) -> None:
    """The commonest mistake with a binary: a wrong path. Every design fails, and the check says why."""
    with pytest.raises(
        ConformanceError, match=r"all 8 sampled designs failed, e.g. \"cannot start"
    ):
        check_simulator(make_cachesim(tmp_path / "cachesim"), "loop")


def test_check_env_refuses_an_instance() -> None:
    env = archgym.DesignEnv(PyCache(), objective=archgym.Minimize("amat_ns"))
    with pytest.raises(ConformanceError, match="needs an env id or a zero-argument factory"):
        check_env(env)
    assert env.space == CACHE_SPACE


def test_check_env_names_the_step_where_a_noisy_simulator_diverges() -> None:
    archgym.register_env("mylab/Noisy-v0", Noisy, objective=archgym.Minimize("amat_ns"))
    with pytest.raises(
        ConformanceError,
        match=r"the same seed gave different results at step 0 for design \{.*"
        r"reward .* then .*the simulator must be deterministic",
    ):
        check_env("mylab/Noisy-v0")
