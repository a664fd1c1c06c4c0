"""Ant colony optimisation (MAX-MIN ant system) over the parameters' values.

Each (parameter, value) pair carries pheromone. An ant builds a design by picking every
parameter's value with probability proportional to ``pheromone ** alpha * heuristic ** beta``;
the heuristic is how good the best design seen with that value was (unseen values count as
best, to be tried). After each colony, pheromone evaporates by ``evaporation`` and the
colony's best ants and the best design so far deposit an amount that grows with their reward.
Rewards are always "higher is better" (a minimised metric arrives negated), and the deposit
is the reward's *normalised rank* in [0, 1], so it is never negative whatever the sign or
scale of the reward. Designs are ranked feasibility first, then by reward: an infeasible design
ranks below every feasible one but still by its (penalised) reward, so under tight budgets,
where nearly every early design is infeasible, the colony is steered towards feasibility
instead of learning nothing. Pheromone is kept within ``[tau_min, tau_max]`` so no value becomes
unreachable.

Example:
    >>> import archgym
    >>> archgym.run(AntColony(ants=8), "archgym/Synthetic-v0", budget=24, seed=0).counts["simulator"]
    24
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from archgym.agents.base import Agent, hyperparameter
from archgym.evaluator import Evaluation
from archgym.space import Design

#: Resampling attempts for an ant that built an already-evaluated design.
MAX_RESAMPLES = 10


@dataclass
class AntColony(Agent):
    """MAX-MIN ant system; ``elite`` ants of each colony plus the best-so-far deposit pheromone.

    Example:
        >>> AntColony(alpha=2.0).get_params()["alpha"]
        2.0
    """

    name = "aco"
    ants: int = hyperparameter(16, low=1, high=1000, log=True)
    alpha: float = hyperparameter(1.0, low=0.0, high=10.0)
    #: Weight of the heuristic. 0 by default: on soc-latency-budgets (42 parameters) the
    #: heuristic, which favours untried values and each value's single best design, held the
    #: colony at 0.049 normalised regret at budget 1000, worse than random search (0.025);
    #: pheromone alone reached 0.009.
    beta: float = hyperparameter(0.0, low=0.0, high=10.0)
    evaporation: float = hyperparameter(0.2, low=0.0, high=1.0)
    deposit: float = hyperparameter(1.0, low=0.0, high=100.0)
    elite: int = hyperparameter(3, low=1, high=100)
    #: Pheromone bounds relative to the initial level of 1.
    tau_min: float = hyperparameter(0.05, low=1e-6, high=1.0, log=True)
    tau_max: float = hyperparameter(10.0, low=1.0, high=1e6, log=True)

    @property
    def batch_size(self) -> int:  # type: ignore[override]
        return self.ants

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        self.pheromone = [np.ones(p.cardinality) for p in space.params]
        # Best reward seen with each (parameter, value) in a feasible design, and in an
        # infeasible one; NaN = never seen so.
        self._best_with = [np.full(p.cardinality, np.nan) for p in space.params]
        self._best_infeasible = [np.full(p.cardinality, np.nan) for p in space.params]
        # (indices, (feasible, reward)) told this colony; keys compare feasibility first.
        self._colony: list[tuple[np.ndarray, tuple[bool, float]]] = []
        self._best: tuple[np.ndarray, tuple[bool, float]] | None = None
        self._seen: set[bytes] = set()
        # Every finite reward told, feasible and infeasible apart, to rank deposits.
        self._rewards: dict[bool, list[float]] = {True: [], False: []}

    def _heuristic(self, i: int) -> np.ndarray:
        """Min-max-normalised best reward seen with each value of parameter ``i`` (0.1 .. 1);
        values seen only in infeasible designs get a tenth of that, below every value seen
        feasible (unless none is); unseen -> 1."""
        feasible, infeasible = self._best_with[i], self._best_infeasible[i]
        eta = np.ones_like(feasible)
        only_infeasible = np.isnan(feasible) & ~np.isnan(infeasible)
        below = 0.1 if (~np.isnan(feasible)).any() else 1.0
        for seen, mask, scale in (
            (feasible, ~np.isnan(feasible), 1.0),
            (infeasible, only_infeasible, below),
        ):
            if mask.sum() > 1:
                lo, hi = seen[mask].min(), seen[mask].max()
                if hi > lo:
                    eta[mask] = scale * (0.1 + 0.9 * (seen[mask] - lo) / (hi - lo))
            elif mask.any():
                eta[mask] = scale
        return eta

    def _build(self, cumulative: list[np.ndarray]) -> np.ndarray:
        # Inverse-CDF sampling of every parameter's value from its choice probabilities.
        u = self.rng.random(len(cumulative))
        return np.array(
            [
                min(int(np.searchsorted(c, x * c[-1], side="right")), len(c) - 1)
                for c, x in zip(cumulative, u, strict=True)
            ],
            dtype=np.int64,
        )

    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        cumulative = [
            np.cumsum(self.pheromone[i] ** self.alpha * self._heuristic(i) ** self.beta)
            for i in range(len(space.params))
        ]
        out = []
        for _ in range(n):
            for _attempt in range(MAX_RESAMPLES):
                idx = self._build(cumulative)
                if idx.tobytes() not in self._seen:
                    break
            # In a space of a table's rows, the nearest new row to the ant's path (else the path).
            idx = space.project(idx, exclude=lambda r: r.tobytes() in self._seen)
            self._seen.add(idx.tobytes())
            out.append(space.decode(idx))
        return out

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        space = self._require_setup()
        for design, ev in zip(designs, results, strict=True):
            idx = space.encode(design)
            # Failed designs rank below every other; infeasible ones below every feasible one.
            reward = float(ev.reward) if np.isfinite(ev.reward) and not ev.failed else -np.inf
            key = (bool(ev.feasible) and np.isfinite(reward), reward)
            if np.isfinite(reward):
                self._rewards[key[0]].append(reward)
                best = self._best_with if key[0] else self._best_infeasible
                for i, j in enumerate(idx):
                    old = best[i][j]
                    best[i][j] = reward if np.isnan(old) else max(old, reward)
            self._colony.append((idx, key))
            if self._best is None or key > self._best[1]:
                self._best = (idx, key)
        if len(self._colony) >= self.ants:
            self._update()

    def _quality(self, key: tuple[bool, float]) -> float:
        """Where a (feasible, reward) key ranks among all designs seen, feasibility first:
        0 (worst) .. 1 (best); never negative."""
        feasible, reward = key
        total = len(self._rewards[True]) + len(self._rewards[False])
        if not np.isfinite(reward) or not total:
            return 0.0
        below = len(self._rewards[False]) if feasible else 0
        rank = np.searchsorted(np.sort(self._rewards[feasible]), reward, side="right")
        return float(below + rank) / total

    def _update(self) -> None:
        for tau in self.pheromone:
            tau *= 1.0 - self.evaporation
        ranked = sorted(self._colony, key=lambda t: t[1], reverse=True)[: self.elite]
        if self._best is not None:
            ranked.append(self._best)
        for idx, key in ranked:
            amount = self.deposit * self._quality(key)
            for i, j in enumerate(idx):
                self.pheromone[i][j] += amount
        for tau in self.pheromone:
            np.clip(tau, self.tau_min, self.tau_max, out=tau)
        self._colony = []
