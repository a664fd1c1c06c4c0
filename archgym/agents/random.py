"""Random search: uniform designs over the index grid (the baseline every agent must beat)."""

from __future__ import annotations

from dataclasses import dataclass

from archgym.agents.base import Agent, hyperparameter
from archgym.space import Design


@dataclass
class RandomSearch(Agent):
    """Samples designs uniformly; ``avoid_repeats`` skips designs it already proposed.

    Example:
        >>> import archgym
        >>> result = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=5, seed=0)
        >>> result.counts["simulator"]
        5
    """

    name = "random"
    avoid_repeats: bool = hyperparameter(True)

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        self._seen: set[tuple[int, ...]] = set()

    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out = []
        for _ in range(n):
            for _attempt in range(100):
                idx = tuple(int(i) for i in space.sample_indices(self.rng, 1)[0])
                if not self.avoid_repeats or idx not in self._seen or len(self._seen) >= space.size:
                    break
            self._seen.add(idx)
            out.append(space.decode(idx))
        return out
