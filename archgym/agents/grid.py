"""Grid search: a coarse grid first, then every remaining design in index order.

Ordered parameters are first visited at ``resolution`` evenly spaced values (ends included),
unordered ones at all their values; once that coarse grid is used up the full grid follows,
skipping designs already proposed. Deterministic: the seed does not matter. Suited to small
spaces (or large budgets); on large spaces the coarse grid sweeps the last parameters first.

Example:
    >>> import archgym
    >>> archgym.run(GridSearch(resolution=2), "archgym/Synthetic-v0", budget=6, seed=0).counts["simulator"]
    6
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from archgym.agents.base import Agent, hyperparameter
from archgym.space import Design


@dataclass
class GridSearch(Agent):
    """Coarse-to-full grid over the index encoding; ``resolution=0`` goes straight to the full grid.

    Example:
        >>> GridSearch(resolution=3).get_params()
        {'resolution': 3}
    """

    name = "grid"
    resolution: int = hyperparameter(4, low=0, high=1000)

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        self._proposed: set[tuple[int, ...]] = set()
        self._points = self._walk()

    def _axes(self) -> list[list[int]]:
        space = self._require_setup()
        axes = []
        for p in space.params:
            if p.ordered and 0 < self.resolution < p.cardinality:
                axes.append(
                    sorted(
                        {
                            int(round(v))
                            for v in np.linspace(0, p.cardinality - 1, max(self.resolution, 2))
                        }
                    )
                )
            else:
                axes.append(list(range(p.cardinality)))
        return axes

    def _walk(self) -> Iterator[tuple[int, ...]]:
        space = self._require_setup()
        coarse = itertools.product(*self._axes())
        full = itertools.product(*(range(int(n)) for n in space.nvec))
        size = space.size
        for idx in itertools.chain(coarse, full):
            if len(self._proposed) >= size:
                return
            # In a space of a table's rows, the nearest row not yet proposed (else the point).
            idx = tuple(
                space.project(idx, exclude=lambda r: tuple(r.tolist()) in self._proposed).tolist()
            )
            if idx not in self._proposed:
                self._proposed.add(idx)
                yield idx

    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out = []
        for _ in range(n):
            # Once every design was proposed, repeat the last one: the runner sees the space is used up.
            idx = next(self._points, None) or self._last
            self._last = idx
            out.append(space.decode(idx))
        return out
