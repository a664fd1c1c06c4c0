"""Small simulators the agent checks run on; the testing package imports no built-in simulator."""

from __future__ import annotations

import math
from typing import Any

from archgym.simulator import EvaluationError, Metric, Simulator
from archgym.space import Categorical, DesignSpace, Integer, PowerOfTwo

_DATAFLOW_COST = {"a": 3.0, "b": 1.0, "c": 0.0, "d": 2.0}


class Wide(Simulator):
    """30 parameters of three kinds (a categorical, 27 integers, two powers of two); a separable bowl."""

    name, version = "check-wide", "1"
    metrics = (Metric("cost_au", "au", "min"),)
    _space = DesignSpace(
        [Categorical("dataflow", list(_DATAFLOW_COST))]
        + [Integer(f"x{i}", 0, 15) for i in range(27)]
        + [PowerOfTwo("buffer_kb", 1, 1024), PowerOfTwo("banks", 1, 64)]
    )

    def design_space(self, workload: Any = None) -> DesignSpace:
        return self._space

    def evaluate(self, design: dict, workload: Any = None) -> dict[str, float]:
        cost = _DATAFLOW_COST[design["dataflow"]]
        cost += sum((design[f"x{i}"] - (2 + i % 12)) ** 2 for i in range(27)) / 16
        cost += (math.log2(design["buffer_kb"]) - 6) ** 2 / 4 + (
            math.log2(design["banks"]) - 3
        ) ** 2 / 2
        return {"cost_au": float(cost)}


class OneParam(Simulator):
    name, version = "check-one-param", "1"
    metrics = (Metric("cost_au", "au", "min"),)

    def design_space(self, workload: Any = None) -> DesignSpace:
        return DesignSpace([Integer("x", 0, 31)])

    def evaluate(self, design: dict, workload: Any = None) -> dict[str, float]:
        return {"cost_au": float((design["x"] - 21) ** 2)}


class Flaky(Simulator):
    """Fails on half the designs, to check agents survive errors (an agent cannot dodge them all)."""

    name, version = "check-flaky", "1"
    metrics = (Metric("cost_au", "au", "min"),)

    def design_space(self, workload: Any = None) -> DesignSpace:
        return DesignSpace([Integer(f"x{i}", 0, 9) for i in range(4)])

    def evaluate(self, design: dict, workload: Any = None) -> dict[str, float]:
        if sum(design.values()) % 2 == 0:
            raise EvaluationError(f"simulated crash on {design}")
        return {"cost_au": float(sum((v - 4) ** 2 for v in design.values()))}
