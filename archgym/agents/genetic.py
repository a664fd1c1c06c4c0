"""Genetic algorithm over the index genome, with NSGA-II selection for Pareto objectives.

The genome is the space's index vector (one gene per parameter, no binary coding), so every
design is reachable and mutation has no bias towards the ends of a range. Single-objective
runs use tournament selection, crossover, per-gene mutation and elitism; when the objective
is a :class:`~archgym.objective.Pareto` the survivors are chosen by non-dominated rank and
crowding distance (Deb et al., 2002).

Example:
    >>> import archgym
    >>> result = archgym.run(GeneticAlgorithm(population=10), "archgym/Synthetic-v0", budget=40, seed=0)
    >>> result.counts["simulator"]
    40
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from archgym.agents.base import Agent, hyperparameter
from archgym.evaluator import Evaluation
from archgym.indicators import crowding_distance, non_dominated_sort
from archgym.objective import Pareto
from archgym.space import Design

#: How often a child that repeats an evaluated design is mutated again before it is accepted.
MAX_REMUTATIONS = 10


@dataclass
class GeneticAlgorithm(Agent):
    """Generational GA with ``elitism`` survivors; NSGA-II (mu + lambda) under a Pareto objective.

    Example:
        >>> ga = GeneticAlgorithm(population=8, crossover="one_point")
        >>> ga.get_params()["crossover"]
        'one_point'
    """

    name = "ga"
    population: int = hyperparameter(24, low=2, high=1000, log=True)
    tournament: int = hyperparameter(3, low=1, high=16)
    crossover: str = hyperparameter("uniform", choices=("uniform", "one_point"))
    crossover_rate: float = hyperparameter(0.9, low=0.0, high=1.0)
    #: Per-gene mutation probability; 0 means 1 / number of parameters.
    mutation_rate: float = hyperparameter(
        0.0, low=0.0, high=1.0, help="0 means 1/n for a design of n parameters"
    )
    #: Share of ordered-gene mutations that step to an adjacent value (the rest jump uniformly).
    #: 0 by default: with half the mutations stepping, every seed of mapping-edp at budget 1000
    #: stayed in one basin (tile sizes a power of two apart) and ended worse than random search;
    #: the optimum comes from crossover and jumps, and no task measured needed the steps.
    local_mutation: float = hyperparameter(0.0, low=0.0, high=1.0)
    elitism: int = hyperparameter(2, low=0, high=100)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.elitism >= self.population:
            raise ValueError(
                f"GeneticAlgorithm: hyperparameter 'elitism'={self.elitism} must be below "
                f"'population'={self.population} (legal range [0, {self.population - 1}])"
            )

    @property
    def batch_size(self) -> int:  # type: ignore[override]
        return self.population

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        self._pareto = isinstance(objective, Pareto)
        self._parents: list[tuple[np.ndarray, np.ndarray]] = []  # (genome, fitness vector)
        self._queue: list[np.ndarray] = []  # children not yet asked for
        self._brood: list[
            tuple[np.ndarray, np.ndarray]
        ] = []  # evaluated children of this generation
        self._brood_size = 0
        self._seen: set[bytes] = set()
        self._rate = self.mutation_rate or 1.0 / len(space.params)

    # -- fitness -------------------------------------------------------------------------------
    def _fitness(self, ev: Evaluation) -> np.ndarray:
        """Higher is better, compared lexicographically: feasibility first, then the objective(s)."""
        if self._pareto and ev.metrics is not None:
            values = self.objective.vector(ev.metrics)  # type: ignore[union-attr]
        elif self._pareto:
            values = np.full(len(self.objective.metric_names), -np.inf)  # type: ignore[union-attr]
        else:
            values = np.array([ev.reward])
        return np.concatenate([[1.0 if ev.feasible else 0.0], values])

    def _ranks(self, fits: np.ndarray) -> np.ndarray:
        """Rank per individual, 0 = best: single objective by value, Pareto by front then crowding."""
        n = len(fits)
        if not self._pareto:
            order = np.lexsort((-fits[:, 1], -fits[:, 0]))
        else:
            # Constraint-domination: every feasible design before every infeasible one.
            order_list: list[int] = []
            for feasible in (1.0, 0.0):
                group = np.flatnonzero(fits[:, 0] == feasible)
                if group.size == 0:
                    continue
                pts = -np.nan_to_num(fits[group, 1:], neginf=-1e300)  # minimised for the sort
                for front in non_dominated_sort(pts):
                    crowd = crowding_distance(pts[front])
                    order_list.extend(group[front[np.argsort(-crowd, kind="stable")]])
            order = np.asarray(order_list)
        ranks = np.empty(n, dtype=np.int64)
        ranks[order] = np.arange(n)
        return ranks

    # -- variation -----------------------------------------------------------------------------
    def _select(self, ranks: np.ndarray) -> int:
        contenders = self.rng.integers(len(ranks), size=self.tournament)
        return int(contenders[np.argmin(ranks[contenders])])

    def _cross(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if len(a) < 2 or self.rng.random() >= self.crossover_rate:
            return a.copy()
        if self.crossover == "uniform":
            return np.where(self.rng.random(len(a)) < 0.5, a, b)
        cut = int(self.rng.integers(1, len(a)))
        return np.concatenate([a[:cut], b[cut:]])

    def _mutate(self, genome: np.ndarray, force: bool = False) -> np.ndarray:
        space = self._require_setup()
        child = genome.copy()
        hits = self.rng.random(len(child)) < self._rate
        if force and not hits.any():
            hits[int(self.rng.integers(len(child)))] = True
        for i in np.flatnonzero(hits):
            p = space.params[i]
            if p.cardinality < 2:
                continue
            if p.ordered and self.rng.random() < self.local_mutation:
                options = [j for j in (child[i] - 1, child[i] + 1) if 0 <= j < p.cardinality]
            else:  # any other value, uniformly: no pull towards either end of the range
                options = [j for j in range(p.cardinality) if j != child[i]]
            child[i] = options[int(self.rng.integers(len(options)))]
        return child

    def _breed(self) -> None:
        space = self._require_setup()
        if not self._parents:  # the first generation is uniform random
            children = list(space.sample_indices(self.rng, self.population))
        else:
            genomes = np.array([g for g, _ in self._parents])
            ranks = self._ranks(np.array([f for _, f in self._parents]))
            children = []
            while len(children) < self.population - (
                0 if self._pareto else min(self.elitism, len(genomes))
            ):
                child = self._mutate(
                    self._cross(genomes[self._select(ranks)], genomes[self._select(ranks)])
                )
                # A repeat costs no budget but teaches nothing; nudge it until it is new.
                for _ in range(MAX_REMUTATIONS):
                    if child.tobytes() not in self._seen:
                        break
                    child = self._mutate(child, force=True)
                # In a space of a table's rows, the nearest new row to the child (else the child).
                children.append(space.project(child, exclude=lambda g: g.tobytes() in self._seen))
        self._queue = [np.asarray(c, dtype=np.int64) for c in children]
        self._brood, self._brood_size = [], len(self._queue)

    # -- ask / tell ----------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out = []
        for _ in range(n):
            if not self._queue:
                if self._brood:  # asked for more than a generation before being told: close it now
                    self._survive()
                self._breed()
            genome = self._queue.pop(0)
            self._seen.add(genome.tobytes())
            out.append(space.decode(genome))
        return out

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        space = self._require_setup()
        for design, ev in zip(designs, results, strict=True):
            self._brood.append((space.encode(design), self._fitness(ev)))
        if len(self._brood) >= self._brood_size and not self._queue:
            self._survive()

    def _survive(self) -> None:
        """Next parents: NSGA-II keeps the best ``population`` of parents + children; the
        single-objective GA keeps the children plus the ``elitism`` best parents."""
        if self._pareto or not self._parents:
            pool = self._parents + self._brood
        else:
            fits = np.array([f for _, f in self._parents])
            elite = np.argsort(self._ranks(fits))[: self.elitism]
            pool = [self._parents[i] for i in elite] + self._brood
        ranks = self._ranks(np.array([f for _, f in pool]))
        self._parents = [pool[i] for i in np.argsort(ranks)[: self.population]]
        self._brood = []
