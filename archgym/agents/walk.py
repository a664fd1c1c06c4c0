"""Random walk: a chain of single-parameter moves that returns to the best design after a stall."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from archgym.agents.base import Agent, hyperparameter
from archgym.evaluator import Evaluation
from archgym.space import Design


@dataclass
class RandomWalk(Agent):
    """Moves ``step_size`` parameters at a time to a neighbouring value; after ``patience``
    proposals without improvement it jumps back to the best design seen (or restarts at a
    random one with probability ``restart_probability``).

    Example:
        >>> import archgym
        >>> archgym.run(RandomWalk(step_size=2), "archgym/Synthetic-v0", budget=5, seed=0).counts["simulator"]
        5
    """

    name = "walk"
    step_size: int = hyperparameter(1, low=1, high=8)
    patience: int = hyperparameter(20, low=1, high=10_000, log=True)
    restart_probability: float = hyperparameter(0.1, low=0.0, high=1.0)

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        self._current: Design | None = None
        self._best: tuple[float, Design] | None = None
        self._stall = 0

    def _move(self, design: Design) -> Design:
        space = self._require_setup()
        here = space.encode(design)
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
        return space.decode(space.project(moved, exclude=lambda r: bool((r == here).all())))

    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out = []
        for _ in range(n):
            if self._current is None:
                self._current = space.sample(self.rng)
            else:
                self._current = self._move(self._current)
            out.append(self._current)
        return out

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        for design, ev in zip(designs, results, strict=True):
            if self._best is None or ev.reward > self._best[0]:
                self._best = (ev.reward, design)
                self._stall = 0
            else:
                self._stall += 1
        if self._stall >= self.patience and self._best is not None:
            self._stall = 0
            if self.rng.random() < self.restart_probability:
                self._current = self._require_setup().sample(self.rng)
            else:
                self._current = self._best[1]
