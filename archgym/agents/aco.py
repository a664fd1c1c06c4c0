"""Ant colony optimisation (MAX-MIN ant system) over the parameters' values.

Each (parameter, value) pair carries pheromone. An ant builds a design by picking every
parameter's value with probability proportional to ``pheromone ** alpha * heuristic ** beta``;
the heuristic is how good the best design seen with that value was (unseen values count as
best, to be tried). After each colony, pheromone evaporates by ``evaporation`` and the
colony's best ants and the best design so far deposit an amount that grows with their reward.
Rewards are always "higher is better" (a minimised metric arrives negated), and the deposit
is the reward's *normalised rank* in [0, 1], so it is never negative whatever the sign or
scale of the reward. Pheromone is kept within ``[tau_min, tau_max]`` so no value becomes
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
    beta: float = hyperparameter(1.0, low=0.0, high=10.0)
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
        # Best reward seen with each (parameter, value); NaN = never tried.
        self._best_with = [np.full(p.cardinality, np.nan) for p in space.params]
        self._colony: list[tuple[np.ndarray, float]] = []  # (indices, reward) told this colony
        self._best: tuple[np.ndarray, float] | None = None
        self._seen: set[bytes] = set()
        self._rewards: list[float] = []  # every finite reward told, to normalise deposits

    def _heuristic(self, i: int) -> np.ndarray:
        """Rank-normalised best reward seen with each value of parameter ``i``; unseen -> 1."""
        seen = self._best_with[i]
        known = ~np.isnan(seen)
        eta = np.ones_like(seen)
        if known.sum() > 1:
            lo, hi = np.nanmin(seen), np.nanmax(seen)
            if hi > lo:
                eta[known] = 0.1 + 0.9 * (seen[known] - lo) / (hi - lo)
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
            # Failed or infeasible designs rank below every feasible one.
            reward = ev.reward if ev.feasible and np.isfinite(ev.reward) else -np.inf
            if np.isfinite(reward):
                self._rewards.append(reward)
                for i, j in enumerate(idx):
                    old = self._best_with[i][j]
                    self._best_with[i][j] = reward if np.isnan(old) else max(old, reward)
            self._colony.append((idx, reward))
            if self._best is None or reward > self._best[1]:
                self._best = (idx, reward)
        if len(self._colony) >= self.ants:
            self._update()

    def _quality(self, reward: float) -> float:
        """Where ``reward`` ranks among all rewards seen: 0 (worst) .. 1 (best); never negative."""
        if not np.isfinite(reward) or not self._rewards:
            return 0.0
        return float(np.searchsorted(np.sort(self._rewards), reward, side="right")) / len(
            self._rewards
        )

    def _update(self) -> None:
        for tau in self.pheromone:
            tau *= 1.0 - self.evaporation
        ranked = sorted(self._colony, key=lambda t: -t[1])[: self.elite]
        if self._best is not None:
            ranked.append(self._best)
        for idx, reward in ranked:
            amount = self.deposit * self._quality(reward)
            for i, j in enumerate(idx):
                self.pheromone[i][j] += amount
        for tau in self.pheromone:
            np.clip(tau, self.tau_min, self.tau_max, out=tau)
        self._colony = []
