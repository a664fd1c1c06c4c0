"""A benchmark task: an env, a workload, an objective and the reference a result is scored against.

A :class:`Task` fixes everything an agent comparison needs to be repeatable: the env id, its
``archgym.make`` keyword arguments, the objective (dict form), and a :class:`Reference` — the
optimum (or best-known) reward and design, the reference front of a multi-objective task, the
reward distribution of uniformly random designs (the normaliser of regret), and ``how`` the
reference was obtained.

Regret is ``reference.reward - reward`` (0 at the optimum; negative only if a run beats a
best-known reference). Normalised regret divides it by the gap between the optimum and the
median random design, so 1 is "as good as a typical random design" on every task, which is what
the interquartile mean across tasks aggregates. Multi-objective tasks are scored by hypervolume
regret ``1 - HV(found) / HV(reference front)`` in an objective space normalised by the
reference front's ideal point and the task's nadir bound.

Example:
    >>> import archgym.tasks as tasks
    >>> task = tasks.get("synthetic-cost")
    >>> task.regret(-1.0), task.within(-1.005)
    (0.0, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archgym.indicators import hypervolume, pareto_front
from archgym.objective import Objective, Pareto, as_objective


@dataclass(frozen=True)
class RandomBaseline:
    """Rewards of ``n`` uniformly random designs: quantiles and the share meeting the task's target."""

    n: int
    median_reward: float
    quantiles: dict[str, float] = field(default_factory=dict)
    feasible_fraction: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "median_reward": self.median_reward,
            "quantiles": self.quantiles,
            "feasible_fraction": self.feasible_fraction,
        }


@dataclass(frozen=True)
class Reference:
    """What a task's results are scored against.

    ``reward``/``design``/``metrics``: the optimum (``exact``) or best-known design. ``front``:
    for multi-objective tasks, the reference front in minimised, normalised objective space
    (each column ``(x - ideal) / (nadir - ideal)``, see :attr:`Task.bounds`), and ``bounds``
    the (ideal, nadir) in raw "higher is better" objective units. ``how`` says how it was found.
    """

    reward: float
    how: str
    exact: bool = False
    design: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    random: RandomBaseline | None = None
    front: tuple[tuple[float, ...], ...] = ()
    bounds: tuple[tuple[float, ...], tuple[float, ...]] | None = None

    @property
    def hypervolume(self) -> float:
        """The reference front's hypervolume against the point (1, ..., 1) of normalised space."""
        if not self.front:
            raise ValueError("this reference has no front (it is a single-objective task)")
        return hypervolume(np.asarray(self.front), np.ones(len(self.front[0])))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reward": self.reward,
            "how": self.how,
            "exact": self.exact,
            "design": self.design,
            "metrics": self.metrics,
        }
        if self.random is not None:
            out["random"] = self.random.to_dict()
        if self.front:
            out["front"] = [list(p) for p in self.front]
            out["bounds"] = [list(b) for b in self.bounds or ()]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reference:
        random = data.get("random")
        bounds = data.get("bounds")
        return cls(
            reward=float(data["reward"]),
            how=str(data["how"]),
            exact=bool(data.get("exact", False)),
            design=dict(data.get("design", {})),
            metrics={k: float(v) for k, v in data.get("metrics", {}).items()},
            random=RandomBaseline(
                int(random["n"]),
                float(random["median_reward"]),
                {k: float(v) for k, v in random.get("quantiles", {}).items()},
                float(random.get("feasible_fraction", float("nan"))),
            )
            if random
            else None,
            front=tuple(tuple(float(x) for x in p) for p in data.get("front", ())),
            bounds=(tuple(map(float, bounds[0])), tuple(map(float, bounds[1]))) if bounds else None,
        )


@dataclass(frozen=True)
class Task:
    """One benchmark task; see the module docstring.

    ``kwargs`` are ``archgym.make`` keyword arguments (``workload``, ``simulator_kwargs``);
    ``objective`` is an objective's dict form, or ``None`` for the env's registered default
    (ArchGym's original targets).
    """

    name: str
    env_id: str
    kwargs: dict[str, Any]
    objective: dict[str, Any] | None
    reference: Reference
    description: str = ""
    tags: tuple[str, ...] = ()

    @property
    def how(self) -> str:
        """How the reference was obtained (e.g. "enumerated 38,400 designs")."""
        return self.reference.how

    @property
    def multi_objective(self) -> bool:
        return bool(self.objective and self.objective.get("type") == "pareto")

    @property
    def workload(self) -> Any:
        return self.kwargs.get("workload")

    def make_kwargs(self) -> dict[str, Any]:
        """The keyword arguments for ``archgym.make`` (objective included when the task sets one)."""
        return {
            **self.kwargs,
            **({"objective": self.objective} if self.objective is not None else {}),
        }

    def make(self, **overrides: Any) -> Any:
        """The task's :class:`~archgym.env.DesignEnv`; ``overrides`` replace ``archgym.make`` kwargs.

        Example:
            >>> import archgym.tasks as tasks
            >>> tasks.get("synthetic-cost").make().space.size
            1261568
        """
        from archgym.registry import make

        return make(self.env_id, **{**self.make_kwargs(), **overrides})

    # -- scoring ------------------------------------------------------------------------------
    def regret(self, reward: float) -> float:
        """``reference.reward - reward`` for a single-objective task (0 at the optimum)."""
        self._single("regret")
        return float(self.reference.reward - float(reward))

    def normalized_regret(self, reward: float) -> float:
        """Regret divided by the gap between the reference and the median random design (1 = typical random)."""
        return self.regret(reward) / self._random_gap()

    def within(self, reward: float, tolerance: float = 0.01) -> bool:
        """True when ``reward`` is within ``tolerance`` (relative) of the reference.

        Relative to ``|reference.reward|``; where the reference reward is 0 (a met "meet"
        target) relative to the random gap instead, so "within 1 %" stays meaningful.
        """
        scale = abs(self.reference.reward) or self._random_gap()
        return self.regret(reward) <= tolerance * scale

    def objective_vectors(self, metrics: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Minimised, normalised objective vectors of metric dicts (multi-objective tasks)."""
        objective = self._pareto()
        raw = -np.array([objective.vector(m) for m in metrics], dtype=float).reshape(
            len(metrics), len(objective.metrics)
        )
        ideal, nadir = self._bounds()
        return (raw - ideal) / (nadir - ideal)

    def hv_regret(self, metrics: Sequence[Mapping[str, float]]) -> float:
        """``1 - HV(found) / HV(reference front)`` for the metric dicts of a run (multi-objective tasks).

        0 means the run's points dominate as much of the normalised box as the reference front;
        1 means they dominate none of it.
        """
        points = self.objective_vectors(metrics)
        found = hypervolume(pareto_front(points), np.ones(points.shape[1])) if len(points) else 0.0
        return 1.0 - found / self.reference.hypervolume

    def run_regret(
        self, rewards: Sequence[float], metrics: Sequence[Mapping[str, float] | None] = ()
    ) -> float:
        """The score of a run, comparable across tasks (0 best): normalised regret of its best
        reward, or the hypervolume regret of its evaluations for a multi-objective task."""
        if self.multi_objective:
            return self.hv_regret([m for m in metrics if m])
        finite = [r for r in rewards if r is not None and math.isfinite(r)]
        if not finite:
            return float("nan")
        return self.normalized_regret(max(finite))

    # -- helpers ------------------------------------------------------------------------------
    def build_objective(self) -> Objective | None:
        return None if self.objective is None else as_objective(self.objective)

    def _single(self, what: str) -> None:
        if self.multi_objective:
            raise ValueError(
                f"task {self.name!r} is multi-objective: use hv_regret(metrics) or run_regret(...) "
                f"instead of {what}()"
            )

    def _random_gap(self) -> float:
        random = self.reference.random
        if random is None:
            raise ValueError(f"task {self.name!r} has no random baseline in its reference data")
        gap = self.reference.reward - random.median_reward
        return gap if gap > 0 else 1.0

    def _pareto(self) -> Pareto:
        objective = self.build_objective()
        if not isinstance(objective, Pareto):
            raise ValueError(f"task {self.name!r} is single-objective: use regret(reward)")
        return objective

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if self.reference.bounds is None:
            raise ValueError(f"task {self.name!r} has no objective bounds in its reference data")
        ideal, nadir = (np.asarray(b, dtype=float) for b in self.reference.bounds)
        return ideal, nadir

    def summary(self) -> dict[str, Any]:
        """One row for ``archgym bench list``."""
        random = self.reference.random
        return {
            "task": self.name,
            "env": self.env_id,
            "workload": str(self.workload) if self.workload is not None else "(default)",
            "objective": _describe(self.objective),
            "reference": f"front of {len(self.reference.front)} points"
            if self.multi_objective
            else f"{self.reference.reward:.6g}" + ("" if self.reference.exact else " (best known)"),
            "random meets": f"{random.feasible_fraction:.3%}" if random else "",
            "how": self.how,
        }


def _describe(objective: Mapping[str, Any] | None) -> str:
    if objective is None:
        return "env default (ArchGym's target)"
    kind = objective.get("type")
    if kind in ("minimize", "maximize"):
        return f"{kind} {objective['metric']}"
    if kind == "weighted_sum":
        return "min " + " + ".join(f"{w:g}*{m}" for m, w in objective["weights"].items())
    if kind == "target":
        return "meet " + ", ".join(f"{m}<={t:.4g}" for m, t in objective["targets"].items())
    if kind == "constrained":
        budgets = ", ".join(f"{m}<={b:.4g}" for m, b in objective["budgets"].items())
        return f"{_describe(objective['objective'])} s.t. {budgets}"
    if kind == "pareto":
        return "pareto " + " vs ".join(objective["metrics"])
    return str(kind)
