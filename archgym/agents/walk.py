"""Random walk: a chain of single-parameter moves that returns to the best design after a stall."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from archgym.agents.base import Agent, hyperparameter
from archgym.evaluator import Evaluation
from archgym.indicators import crowding_distance
from archgym.objective import Pareto
from archgym.space import Design

#: Moves tried before accepting one to a design the walk already visited.
MOVE_ATTEMPTS = 20


@dataclass
class RandomWalk(Agent):
    """Starts from the best of ``initial_points`` uniform designs, then moves ``step_size``
    parameters at a time to a neighbouring value, never to a design it already visited while an
    unvisited move exists (a revisit is a wasted step); after ``patience`` proposals without
    improvement it jumps back to the best design seen (or restarts at a random one with
    probability ``restart_probability``). Under a :class:`~archgym.objective.Pareto` objective
    a design improves when no design seen dominates it, and the walk returns to a member of the
    front found so far drawn by NSGA-II's crowding distance (its ends and widest gaps first), so
    it spreads along the front instead of one scalarisation.

    Example:
        >>> import archgym
        >>> archgym.run(RandomWalk(step_size=2), "archgym/Synthetic-v0", budget=5, seed=0).counts["simulator"]
        5
    """

    name = "walk"
    step_size: int = hyperparameter(1, low=1, high=8)
    patience: int = hyperparameter(20, low=1, high=10_000, log=True)
    restart_probability: float = hyperparameter(0.1, low=0.0, high=1.0)
    #: Uniform designs evaluated before the walk starts from the best of them (a random start
    #: is a median design; the best of ten is a top-10 % one).
    initial_points: int = hyperparameter(10, low=1, high=1000, log=True)

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        self._current: Design | None = None
        self._best: tuple[float, Design] | None = None
        self._stall = 0
        self._visited: set[bytes] = set()  # index vectors proposed so far
        self._pareto = objective if isinstance(objective, Pareto) else None
        self._front: list[tuple[np.ndarray, Design]] = []  # non-dominated (vector, design) so far

    def _move(self, design: Design) -> Design:
        space = self._require_setup()
        here = space.encode(design)
        for _ in range(MOVE_ATTEMPTS):
            moved = here.copy()
            names = self.rng.choice(
                len(space.params), size=min(self.step_size, len(space.params)), replace=False
            )
            for i in names:
                param = space.params[int(i)]
                idx = int(moved[i])
                if param.ordered:
                    options = [j for j in (idx - 1, idx + 1) if 0 <= j < param.cardinality]
                else:
                    options = [j for j in range(param.cardinality) if j != idx]
                if options:
                    moved[i] = options[int(self.rng.integers(len(options)))]
            # In a space of a table's rows, the nearest other row to the moved point (else the point).
            moved = space.project(moved, exclude=lambda r: bool((r == here).all()))
            if moved.tobytes() not in self._visited:
                break
        return space.decode(moved)

    def _sample(self) -> Design:
        space = self._require_setup()
        for _ in range(MOVE_ATTEMPTS):
            row = space.sample_indices(self.rng, 1)[0]
            if row.tobytes() not in self._visited:
                break
        return space.decode(row)

    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out = []
        for _ in range(n):
            if len(self._visited) < self.initial_points:
                design = self._sample()
            else:
                if self._current is None:  # the start: the best of the initial designs
                    self._current = self._best[1] if self._best else self._sample()
                self._current = self._move(self._current)
                design = self._current
            self._visited.add(space.encode(design).tobytes())
            out.append(design)
        return out

    def _joins_front(self, design: Design, ev: Evaluation) -> bool:
        """Under a Pareto objective: whether the design is dominated by none seen (it then
        joins the front, and the designs it dominates leave)."""
        if self._pareto is None or ev.failed or ev.metrics is None:
            return False
        v = self._pareto.vector(ev.metrics)  # higher is better per objective
        if not np.isfinite(v).all():
            return False
        if any((f >= v).all() for f, _ in self._front):
            return False
        self._front = [(f, d) for f, d in self._front if not (v >= f).all()] + [(v, design)]
        return True

    def _sparse_member(self) -> int:
        """A front member drawn in proportion to its crowding distance (the ends count as twice
        the widest interior gap), so the walk extends the front where it is thinnest."""
        crowd = crowding_distance(np.array([f for f, _ in self._front]))
        finite = crowd[np.isfinite(crowd)]
        weights = np.where(np.isfinite(crowd), crowd, 2.0 * (finite.max() if len(finite) else 1.0))
        weights = weights + 1e-12  # a front of identical points is drawn uniformly
        return int(self.rng.choice(len(weights), p=weights / weights.sum()))

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        for design, ev in zip(designs, results, strict=True):
            improved = self._best is None or ev.reward > self._best[0]
            if improved:
                self._best = (ev.reward, design)
            if self._joins_front(design, ev) or improved:
                self._stall = 0
            else:
                self._stall += 1
        if self._current is None:
            return  # still sampling the initial designs
        if self._stall >= self.patience and self._best is not None:
            self._stall = 0
            if self.rng.random() < self.restart_probability:
                self._current = self._sample()
            elif self._front:
                self._current = self._front[self._sparse_member()][1]
            else:
                self._current = self._best[1]
