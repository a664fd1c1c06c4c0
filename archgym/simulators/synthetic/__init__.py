"""A synthetic cost model whose global optimum is known, for testing agents.

The space mixes a categorical, integers and powers of two; the cost has interactions (the best
buffer size depends on an integer, the best bank count on the categorical) and one local
optimum per categorical value, so greedy search can get stuck.

Example:
    >>> sim = Synthetic()
    >>> design, cost = sim.optimum()
    >>> sim.evaluate(design)["cost_au"] == cost
    True
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from archgym.simulator import Metric, Simulator
from archgym.space import Categorical, Design, DesignSpace, Integer, PowerOfTwo

#: Cost added by each dataflow; "c" holds the global optimum, the others local optima.
DATAFLOW_OFFSET = {"a": 3.0, "b": 1.0, "c": 0.0, "d": 2.0}
#: log2 of the best bank count for each dataflow.
DATAFLOW_BANKS_LOG2 = {"a": 1, "b": 2, "c": 3, "d": 4}


class Synthetic(Simulator):
    """Cost = 1 + dataflow offset + weighted squared distances + interaction terms.

    ``n_integers`` sets the number of integer knobs (0..15 each) so agents can be tested on
    small and large spaces; ``seed`` moves the optimum; ``delay_s`` makes each design take
    that long, to stand in for a slow simulator in framework tests.
    """

    name = "synthetic"
    version = "1"
    metrics = (
        Metric(
            "cost_au", "au", "min", scale=5.0, description="cost in arbitrary units; optimum 1.0"
        ),
        Metric("area_au", "au", "min", scale=10.0, description="a conflicting second objective"),
    )

    def __init__(self, n_integers: int = 3, seed: int = 0, delay_s: float = 0.0) -> None:
        if not 1 <= int(n_integers) <= 64:
            raise ValueError(f"n_integers must be in 1..64, got {n_integers}")
        if delay_s < 0:
            raise ValueError(f"delay_s must be >= 0, got {delay_s}")
        self.delay_s = float(delay_s)
        self.n_integers = int(n_integers)
        self.seed = int(seed)
        rng = np.random.default_rng(seed)
        self.centres = rng.integers(2, 14, size=self.n_integers)
        self.weights = rng.uniform(0.5, 2.0, size=self.n_integers)
        self._centres = [int(c) for c in self.centres]
        self._weights = [float(w) for w in self.weights]
        self._space = DesignSpace(
            [Categorical("dataflow", list(DATAFLOW_OFFSET))]
            + [Integer(f"x{i}", 0, 15) for i in range(self.n_integers)]
            + [PowerOfTwo("buffer_kb", 1, 1024), PowerOfTwo("banks", 1, 64)]
        )

    def workload_id(self, workload: Any) -> str:
        return f"n{self.n_integers}-s{self.seed}"

    def design_space(self, workload: Any = None) -> DesignSpace:
        return self._space

    def evaluate(self, design: Design, workload: Any = None) -> dict[str, float]:
        # Plain Python for one design (NumPy's per-call cost dominates at this size);
        # evaluate_batch is the vectorised path and check_simulator holds the two equal.
        if self.delay_s:
            time.sleep(self.delay_s)
        x = [design[f"x{i}"] for i in range(self.n_integers)]
        buffer_log2 = math.log2(design["buffer_kb"])
        banks_log2 = math.log2(design["banks"])
        cost = 1.0 + DATAFLOW_OFFSET[design["dataflow"]]
        cost += sum(
            w * ((xi - c) / 4.0) ** 2
            for w, xi, c in zip(self._weights, x, self._centres, strict=True)
        )
        cost += 0.25 * (buffer_log2 - (6 + x[0] - self._centres[0])) ** 2
        cost += 0.5 * (banks_log2 - DATAFLOW_BANKS_LOG2[design["dataflow"]]) ** 2
        area = buffer_log2 + 1.5 * banks_log2 + 0.1 * sum(x)
        return {"cost_au": float(cost), "area_au": float(area)}

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float]]:
        n = len(designs)
        if self.delay_s:
            time.sleep(self.delay_s * n)
        x = np.array(
            [[d[f"x{i}"] for i in range(self.n_integers)] for d in designs], dtype=float
        ).reshape(n, -1)
        offset = np.array([DATAFLOW_OFFSET[d["dataflow"]] for d in designs])
        banks_target = np.array([DATAFLOW_BANKS_LOG2[d["dataflow"]] for d in designs], dtype=float)
        buffer_log2 = np.log2([d["buffer_kb"] for d in designs])
        banks_log2 = np.log2([d["banks"] for d in designs])
        dist = (x - self.centres) / 4.0
        cost = 1.0 + offset + (self.weights * dist**2).sum(1)
        # The best buffer size moves with x0: 64 KB at x0's centre, halving/doubling per step.
        cost += 0.25 * (buffer_log2 - (6 + x[:, 0] - self.centres[0])) ** 2
        cost += 0.5 * (banks_log2 - banks_target) ** 2
        area = buffer_log2 + 1.5 * banks_log2 + 0.1 * x.sum(1)
        return [{"cost_au": float(c), "area_au": float(a)} for c, a in zip(cost, area, strict=True)]

    def optimum(self) -> tuple[Design, float]:
        """The global minimum of ``cost_au`` and its value (1.0)."""
        design: Design = {
            "dataflow": "c",
            **{f"x{i}": int(c) for i, c in enumerate(self.centres)},
            "buffer_kb": 64,
            "banks": 8,
        }
        return design, 1.0

    def __repr__(self) -> str:
        return f"Synthetic(n_integers={self.n_integers}, seed={self.seed}, size={self._space.size:.3g})"
