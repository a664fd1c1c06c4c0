"""Objectives turn a simulator's metrics into a reward ("higher is better") and a feasibility flag.

Example:
    >>> from archgym.objective import Target
    >>> from archgym.simulator import Metric
    >>> obj = Target({"power_mw": 1000.0, "latency_ns": 50.0}).bind(
    ...     [Metric("power_mw", "mW"), Metric("latency_ns", "ns")])
    >>> obj({"power_mw": 900.0, "latency_ns": 60.0})
    Score(reward=-0.2, feasible=False, violations=('latency_ns 60 > 50',))
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

from archgym.simulator import Metric

#: Reward given to a design whose evaluation failed (finite, so learners do not blow up).
FAILURE_REWARD = -1e6


class Score(NamedTuple):
    reward: float
    feasible: bool
    violations: tuple[str, ...] = ()


class ObjectiveError(ValueError):
    """An objective names a metric the simulator does not report, or is malformed."""


def _finite(values: Mapping[str, Any], what: str, positive: bool = False) -> dict[str, float]:
    """``values`` as floats; a NaN, an infinity or a non-number is an error naming the metric."""
    if not isinstance(values, Mapping):
        raise ObjectiveError(f"{what}s must map metric names to numbers, got {values!r}")
    out = {}
    for name, v in values.items():
        ok = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        if not ok or not math.isfinite(v) or (positive and v <= 0):
            legal = "a finite positive number" if positive else "a finite number"
            raise ObjectiveError(f"{what} for {name!r} must be {legal}, got {v!r}")
        out[name] = float(v)
    return out


class Objective:
    """Base class. ``bind(metrics)`` checks the named metrics exist and learns their directions."""

    kind = "objective"

    def __init__(self) -> None:
        self._directions: dict[str, str] = {}

    @property
    def metric_names(self) -> list[str]:
        raise NotImplementedError

    def bind(self, metrics: Sequence[Metric]) -> Objective:
        known: dict[str, str] = {m.name: m.direction for m in metrics}
        for name in self.metric_names:
            if name not in known:
                raise ObjectiveError(
                    f"objective uses metric {name!r}; the simulator reports {sorted(known)}"
                )
        self._directions = known
        return self

    def direction(self, name: str) -> str:
        return self._directions.get(name, "min")

    def __call__(self, metrics: Mapping[str, float]) -> Score:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()})"


class Minimize(Objective):
    """Reward is minus the metric."""

    kind = "minimize"

    def __init__(self, metric: str) -> None:
        super().__init__()
        self.metric = metric

    @property
    def metric_names(self) -> list[str]:
        return [self.metric]

    def __call__(self, metrics: Mapping[str, float]) -> Score:
        return Score(-float(metrics[self.metric]), True)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "metric": self.metric}


class Maximize(Minimize):
    """Reward is the metric."""

    kind = "maximize"

    def __call__(self, metrics: Mapping[str, float]) -> Score:
        return Score(float(metrics[self.metric]), True)


class WeightedSum(Objective):
    """Reward = -sum(w * x / scale) over metrics, with the sign flipped for "max" metrics."""

    kind = "weighted_sum"

    def __init__(
        self, weights: Mapping[str, float], scales: Mapping[str, float] | None = None
    ) -> None:
        super().__init__()
        if not weights:
            raise ObjectiveError("WeightedSum needs at least one weight")
        # one NaN weight would make every reward NaN
        self.weights = _finite(weights, "WeightedSum weight")
        self.scales = _finite(scales or {}, "WeightedSum scale", positive=True)

    @property
    def metric_names(self) -> list[str]:
        return list(self.weights)

    def __call__(self, metrics: Mapping[str, float]) -> Score:
        total = 0.0
        for name, w in self.weights.items():
            x = float(metrics[name]) / self.scales.get(name, 1.0)
            total += w * (x if self.direction(name) == "min" else -x)
        return Score(-total, True)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "weights": self.weights, "scales": self.scales}


class Target(Objective):
    """ArchGym's target specs.

    ``style="meet"``: each metric is a budget; the distance is ``(x - t) / t`` past the
    budget (in the metric's bad direction) and zero once met. ``style="match"``: distance is
    ``|x - t| / t``. Reward is minus the summed distance; a design meets the target (is
    feasible) when every "meet" budget holds, or every "match" distance is within ``tolerance``.
    """

    kind = "target"

    def __init__(
        self,
        targets: Mapping[str, float],
        style: Literal["meet", "match"] = "meet",
        tolerance: float = 0.0,
    ) -> None:
        super().__init__()
        if style not in ("meet", "match"):
            raise ObjectiveError(f"Target style must be 'meet' or 'match', got {style!r}")
        if not targets:
            raise ObjectiveError("Target needs at least one metric target")
        for name, t in targets.items():
            if not (isinstance(t, int | float) and math.isfinite(t) and t != 0):
                raise ObjectiveError(
                    f"target for {name!r} must be a finite non-zero number, got {t!r}"
                )
        self.targets = {k: float(v) for k, v in targets.items()}
        self.style = style
        self.tolerance = _finite({"tolerance": tolerance}, "Target")["tolerance"]

    @property
    def metric_names(self) -> list[str]:
        return list(self.targets)

    def __call__(self, metrics: Mapping[str, float]) -> Score:
        total, violations = 0.0, []
        for name, t in self.targets.items():
            x = float(metrics[name])
            if self.style == "match":
                d = abs(x - t) / abs(t)
                if d > self.tolerance:
                    violations.append(f"{name} {x:g} != {t:g}")
            else:
                excess = (x - t) if self.direction(name) == "min" else (t - x)
                d = max(0.0, excess / abs(t))
                if d > 0:
                    sign = ">" if self.direction(name) == "min" else "<"
                    violations.append(f"{name} {x:g} {sign} {t:g}")
            total += d
        return Score(0.0 - total, not violations, tuple(violations))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "targets": self.targets,
            "style": self.style,
            "tolerance": self.tolerance,
        }


class Constrained(Objective):
    """An inner objective plus budgets: ``{metric: limit}`` (upper limit for "min" metrics,
    lower for "max"). A design over budget is infeasible and its reward is lowered by
    ``penalty`` times its relative excess."""

    kind = "constrained"

    def __init__(
        self, objective: Objective, budgets: Mapping[str, float], penalty: float = 1.0
    ) -> None:
        super().__init__()
        self.objective = objective
        self.budgets = _finite(budgets, "Constrained budget")
        self.penalty = _finite({"penalty": penalty}, "Constrained")["penalty"]

    @property
    def metric_names(self) -> list[str]:
        return list(dict.fromkeys([*self.objective.metric_names, *self.budgets]))

    def bind(self, metrics: Sequence[Metric]) -> Constrained:
        super().bind(metrics)
        self.objective.bind(metrics)
        return self

    def __call__(self, metrics: Mapping[str, float]) -> Score:
        inner = self.objective(metrics)
        excess, violations = 0.0, list(inner.violations)
        for name, limit in self.budgets.items():
            x = float(metrics[name])
            over = (x - limit) if self.direction(name) == "min" else (limit - x)
            if over > 0:
                excess += over / abs(limit) if limit else over
                violations.append(f"{name} {x:g} over budget {limit:g}")
        return Score(
            inner.reward - self.penalty * excess,
            inner.feasible and not violations,
            tuple(violations),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "objective": self.objective.to_dict(),
            "budgets": self.budgets,
            "penalty": self.penalty,
        }


class Pareto(Objective):
    """Several metrics optimised at once. The scalar reward (for agents that need one) is minus
    the mean of the metrics divided by ``scales``, direction-corrected; multi-objective agents
    use :meth:`vector` (all components "higher is better")."""

    kind = "pareto"

    def __init__(self, metrics: Sequence[str], scales: Mapping[str, float] | None = None) -> None:
        super().__init__()
        if len(metrics) < 2:
            raise ObjectiveError("Pareto needs at least two metrics")
        self.metrics = list(metrics)
        self.scales = _finite(scales or {}, "Pareto scale", positive=True)

    @property
    def metric_names(self) -> list[str]:
        return list(self.metrics)

    def vector(self, metrics: Mapping[str, float]) -> np.ndarray:
        out = []
        for name in self.metrics:
            x = float(metrics[name]) / self.scales.get(name, 1.0)
            out.append(-x if self.direction(name) == "min" else x)
        return np.asarray(out)

    def __call__(self, metrics: Mapping[str, float]) -> Score:
        return Score(float(np.mean(self.vector(metrics))), True)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "metrics": self.metrics, "scales": self.scales}


def objective_from_dict(spec: Mapping[str, Any]) -> Objective:
    """Rebuild an objective from :meth:`Objective.to_dict` output (as written in YAML specs)."""
    kind = spec.get("type")
    try:
        if kind == "minimize":
            return Minimize(spec["metric"])
        if kind == "maximize":
            return Maximize(spec["metric"])
        if kind == "weighted_sum":
            return WeightedSum(spec["weights"], spec.get("scales"))
        if kind == "target":
            return Target(spec["targets"], spec.get("style", "meet"), spec.get("tolerance", 0.0))
        if kind == "constrained":
            return Constrained(
                objective_from_dict(spec["objective"]), spec["budgets"], spec.get("penalty", 1.0)
            )
        if kind == "pareto":
            return Pareto(spec["metrics"], spec.get("scales"))
    except KeyError as missing:
        raise ObjectiveError(f"objective of type {kind!r} lacks field {missing}") from None
    raise ObjectiveError(
        f"unknown objective type {kind!r}; legal types are minimize, maximize, weighted_sum, target, constrained, pareto"
    )


def as_objective(
    spec: Objective | Mapping[str, Any] | None, default: Objective | None = None
) -> Objective:
    """Accept an Objective, its dict form, or ``None`` (-> ``default``)."""
    if spec is None:
        if default is None:
            raise ObjectiveError("no objective given and the environment has no default")
        return default
    if isinstance(spec, Objective):
        return spec
    if isinstance(spec, Mapping):
        return objective_from_dict(spec)
    raise ObjectiveError(f"objective must be an Objective or a dict, got {type(spec).__name__}")


# Moved to archgym.indicators (moocore-backed, any dimension); old name -> new name.
_MOVED = {
    "non_dominated_sort": "non_dominated_sort",
    "pareto_front": "pareto_front",
    "hypervolume": "hypervolume",
    "adrs": "adrs_relative",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        new = _MOVED[name]
        warnings.warn(
            f"archgym.objective.{name} moved to archgym.indicators.{new}; the old name will be "
            "removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        from archgym import indicators

        return getattr(indicators, new)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
