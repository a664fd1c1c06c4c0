"""Forest-surrogate search: archgym's own model-based agent, readable top to bottom.

Sequential model-based optimisation in the style of SMAC, kept fast enough for budgets of
thousands of evaluations:

1. The first ``initial_points`` designs are uniform random.
2. Every step an extra-trees ensemble (scikit-learn) is fitted on the space's model features
   (log2 for powers of two, one-hot for categoricals) of every design evaluated so far. Its
   target is the rank of each reward mapped to normal scores, so heavy-tailed rewards (a
   target's penalty, the -1e6 failure reward) cannot flatten the model; a failed design ranks
   below every success.
3. Candidates come from three proposers: ``candidates`` uniform designs; as many drawn from a
   per-parameter density of the best designs so far (TPE's "good" density ``l(x)``, Bergstra
   2011: each parameter's values counted over the top quarter, smoothed by a uniform prior and,
   for ordered parameters, by a kernel over adjacent values), which recombines what the good
   designs share even where the forest is flat (single objective only); and the neighbourhood of the ``elites`` best
   designs: every design one step away, and as many random multi-gene mutations. Designs
   already proposed are never candidates, so no step is wasted on a cache hit.
4. The candidate with the highest expected improvement (mean and spread over the trees) is
   proposed.

The uniform candidates keep exploring; the elite neighbourhood finishes the search locally,
which is what reaches the optimum on long budgets. Under a
:class:`~archgym.objective.Pareto` objective each fit scores designs by an augmented
Chebyshev scalarisation of the normalised objectives with fresh random weights (ParEGO,
Knowles 2006), so successive fits pull towards different parts of the front.

Example:
    >>> import archgym
    >>> result = archgym.run(ForestSearch(initial_points=5), "archgym/Synthetic-v0", budget=12, seed=0)
    >>> result.counts["simulator"]
    12
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from archgym.agents.base import Agent, hyperparameter
from archgym.evaluator import Evaluation
from archgym.objective import Pareto
from archgym.space import Design, DesignSpace, RowSpace

#: Weight of the sum term of ParEGO's augmented Chebyshev scalarisation.
PAREGO_RHO = 0.05


def feature_tables(space: DesignSpace) -> list[np.ndarray]:
    """Per parameter, the model features of each of its values (row = value index).

    Example:
        >>> from archgym.space import Categorical, DesignSpace, PowerOfTwo
        >>> tables = feature_tables(DesignSpace([Categorical("c", "ab"), PowerOfTwo("p", 1, 4)]))
        >>> [t.tolist() for t in tables]
        [[[1.0, 0.0], [0.0, 1.0]], [[0.0], [1.0], [2.0]]]
    """
    return [np.array([p.features(v) for v in p.values], dtype=np.float64) for p in space.params]


def index_features(tables: Sequence[np.ndarray], indices: np.ndarray) -> np.ndarray:
    """Feature matrix of index vectors (one row each), by table lookup: no design dicts built."""
    indices = np.atleast_2d(indices)
    return np.hstack([t[indices[:, i]] for i, t in enumerate(tables)])


def normal_scores(values: np.ndarray) -> np.ndarray:
    """Ranks mapped to standard-normal quantiles (ties share a rank): a scale-free target."""
    ranks = np.argsort(np.argsort(values, kind="stable"), kind="stable").astype(np.float64)
    for v in np.unique(values):
        ranks[values == v] = ranks[values == v].mean()
    return norm.ppf((ranks + 0.5) / len(values))


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """EI of maximisation over ``best``; where the trees agree (std 0) it is the plain gain."""
    gain = mean - best
    safe = np.maximum(std, 1e-12)
    z = gain / safe
    ei = gain * norm.cdf(z) + safe * norm.pdf(z)
    return np.where(std > 1e-12, ei, np.maximum(gain, 0.0))


@dataclass
class ForestSearch(Agent):
    """Extra-trees surrogate, expected improvement over random plus elite-neighbourhood candidates.

    Example:
        >>> ForestSearch(trees=16).get_params()["trees"]
        16
    """

    name = "forest"
    initial_points: int = hyperparameter(10, low=1, high=1000, log=True)
    trees: int = hyperparameter(32, low=2, high=1000, log=True)
    #: Uniform random candidates scored per proposal.
    candidates: int = hyperparameter(500, low=0, high=100_000)
    #: Candidates drawn from the density of the best designs (TPE's l(x)) per proposal; single
    #: objective only (under ParEGO each fit ranks by fresh random weights, and drawing from one
    #: scalarisation's best quarter narrowed the front). 500 kept Synthetic-v0 off its optimum.
    density_candidates: int = hyperparameter(200, low=0, high=100_000)
    #: Share of the evaluations whose designs make up that density (at least ``elites`` designs).
    good_fraction: float = hyperparameter(0.25, low=0.0, high=1.0)
    #: Best designs whose neighbourhoods (one-step moves and random mutations) are scored too.
    elites: int = hyperparameter(5, low=0, high=100)
    #: Per-gene probability of the elites' random mutations (0 means 2 / number of parameters).
    mutation_rate: float = hyperparameter(0.0, low=0.0, high=1.0)
    #: The model is refitted once the evaluations grew by this share since the last fit (and by
    #: at least one): every step early on, every 50th at 1000. Fitting dominates the agent's cost.
    refit_fraction: float = hyperparameter(0.05, low=0.0, high=1.0)

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        self._tables = feature_tables(space)
        self._seen: set[bytes] = set()  # every index vector proposed (a repeat would waste a step)
        self._x: list[np.ndarray] = []  # evaluated index vectors ...
        self._y: list[float] = []  # ... and their rewards (nan when the evaluation failed)
        self._pareto = isinstance(objective, Pareto)
        self._vectors: list[np.ndarray] = []  # objective vectors under a Pareto objective
        self._ranking = np.empty(0)  # what the last fit ranked designs by (elites come first)
        self._model: tuple[object, float] | None = None  # (fitted ensemble, best target)
        self._fitted = 0  # evaluations the model was fitted on

    # -- candidates ----------------------------------------------------------------------------
    def _neighbours(self, genome: np.ndarray) -> list[np.ndarray]:
        """Every design one step away: adjacent values of ordered parameters, any other value
        of unordered ones (as :meth:`DesignSpace.neighbors`, on index vectors)."""
        space = self._require_setup()
        out = []
        for i, p in enumerate(space.params):
            if p.ordered:
                values = [j for j in (genome[i] - 1, genome[i] + 1) if 0 <= j < p.cardinality]
            else:
                values = [j for j in range(p.cardinality) if j != genome[i]]
            for j in values:
                moved = genome.copy()
                moved[i] = j
                out.append(moved)
        return out

    def _mutants(self, genome: np.ndarray, n: int) -> np.ndarray:
        """``n`` copies of ``genome`` with random genes redrawn (at least one each)."""
        space = self._require_setup()
        d = len(space.params)
        rate = self.mutation_rate or min(1.0, 2.0 / d)
        hits = self.rng.random((n, d)) < rate
        hits[np.arange(n), self.rng.integers(d, size=n)] = True
        return np.where(hits, space.sample_indices(self.rng, n), genome[None, :])

    def _from_density(self, good: np.ndarray, n: int) -> np.ndarray:
        """``n`` designs drawn parameter by parameter from the values of the ``good`` index vectors,
        smoothed by a uniform prior of weight 1 and, for ordered parameters, by spreading half of
        each count over the adjacent values (so the density can move past the best values seen)."""
        space = self._require_setup()
        out = np.empty((n, len(space.params)), dtype=np.int64)
        for i, p in enumerate(space.params):
            weights = np.full(p.cardinality, 1.0 / p.cardinality)
            counts = np.bincount(good[:, i], minlength=p.cardinality).astype(np.float64)
            if p.ordered and p.cardinality > 1:
                spread = np.zeros_like(counts)
                spread[1:] += counts[:-1] / 4
                spread[:-1] += counts[1:] / 4
                counts = counts / 2 + spread
            weights += counts
            out[:, i] = self.rng.choice(p.cardinality, size=n, p=weights / weights.sum())
        return out

    def _candidates(self) -> np.ndarray:
        space = self._require_setup()
        pool = [space.sample_indices(self.rng, self.candidates)]
        if len(self._ranking):
            order = np.argsort(-np.nan_to_num(self._ranking, nan=-np.inf), kind="stable")
        if self.density_candidates and len(self._ranking) and not self._pareto:
            top = max(self.elites, 1, int(np.ceil(self.good_fraction * len(order))))
            good = np.array([self._x[k] for k in order[:top]], dtype=np.int64)
            pool.append(self._from_density(good, self.density_candidates))
        if self.elites and len(self._ranking):
            for k in order[: self.elites]:
                near = self._neighbours(self._x[k])
                pool.append(np.array(near, dtype=np.int64).reshape(-1, len(space.params)))
                pool.append(self._mutants(self._x[k], max(1, len(near))))
        rows = np.vstack(pool).astype(np.int64)
        if isinstance(space, RowSpace):  # only a table's rows exist: the nearest row of each
            rows = np.array([space.project(r) for r in rows], dtype=np.int64)
        fresh: dict[bytes, np.ndarray] = {}
        for row in rows:
            key = row.tobytes()
            if key not in self._seen:
                fresh.setdefault(key, row)
        return np.array(list(fresh.values()), dtype=np.int64).reshape(-1, len(space.params))

    def _random_unseen(self) -> np.ndarray:
        space = self._require_setup()
        for _ in range(1000):
            row = space.sample_indices(self.rng, 1)[0]
            if row.tobytes() not in self._seen:
                return row
        return row  # the space is (almost) used up: a repeat is answered from the cache

    # -- the model -----------------------------------------------------------------------------
    def _fit(self) -> tuple[object, float]:
        from sklearn.ensemble import ExtraTreesRegressor

        n = len(self._y)
        if self._model is None or n - self._fitted >= max(1.0, self.refit_fraction * n):
            y = self._scalarised() if self._pareto else np.asarray(self._y)
            self._ranking = y
            failed = np.isnan(y)
            y = np.where(failed, np.nanmin(y) - 1.0 if (~failed).any() else 0.0, y)
            target = normal_scores(y)
            model = ExtraTreesRegressor(
                n_estimators=self.trees, random_state=int(self.rng.integers(2**31)), n_jobs=1
            )
            model.fit(index_features(self._tables, np.array(self._x)), target)
            self._model, self._fitted = (model, float(target.max())), n
        return self._model

    def _scalarised(self) -> np.ndarray:
        """ParEGO: minus the augmented Chebyshev distance of each design's normalised objectives
        under random weights (higher is better; nan where the evaluation failed)."""
        v = np.array(self._vectors)  # higher is better per objective
        ok = np.isfinite(v).all(axis=1)
        if not ok.any():
            return np.full(len(v), np.nan)
        low, high = v[ok].min(axis=0), v[ok].max(axis=0)
        gap = (high - v) / np.where(high > low, high - low, 1.0)  # 0 at the best, 1 at the worst
        weights = self.rng.dirichlet(np.ones(v.shape[1]))
        s = (weights * gap).max(axis=1) + PAREGO_RHO * (weights * gap).sum(axis=1)
        return np.where(ok, -s, np.nan)

    def _score(self, cands: np.ndarray) -> np.ndarray:
        model, best = self._fit()
        feats = index_features(self._tables, cands)
        per_tree = np.stack([t.predict(feats) for t in model.estimators_])  # type: ignore[attr-defined]
        return expected_improvement(per_tree.mean(0), per_tree.std(0), best)

    # -- ask / tell ----------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out = []
        for _ in range(n):
            row = None
            if len(self._y) >= self.initial_points:
                cands = self._candidates()
                if len(cands):
                    row = cands[int(np.argmax(self._score(cands)))]
            if row is None:
                row = self._random_unseen()
            self._seen.add(row.tobytes())
            out.append(space.decode(row))
        return out

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        space = self._require_setup()
        for design, ev in zip(designs, results, strict=True):
            row = space.encode(design)
            self._seen.add(row.tobytes())
            self._x.append(row)
            self._y.append(float(ev.reward) if not ev.failed and np.isfinite(ev.reward) else np.nan)
            if self._pareto:
                objective: Pareto = self.objective  # type: ignore[assignment]
                self._vectors.append(
                    objective.vector(ev.metrics)
                    if ev.metrics is not None and not ev.failed
                    else np.full(len(objective.metrics), np.nan)
                )
