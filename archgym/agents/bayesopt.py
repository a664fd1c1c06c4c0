"""Bayesian optimisation on scikit-optimize's ``Optimizer`` ask/tell, one simulator call per candidate.

Each parameter becomes one skopt dimension over its value indices: ``Integer`` for ordered
parameters (so the surrogate sees their order), ``Categorical`` for unordered ones. In a
discrete space the acquisition often proposes a design that was already evaluated; such a
proposal is answered from the agent's record (told to the surrogate again, never sent to the
simulator), and after ``max_repeats`` repeats in a row the agent proposes an unseen random
design instead, so a run never spins on duplicates.

A GP's fit costs the cube of the evaluations, so past ``gp_max_points`` evaluations the GP
hands over to an extra-trees surrogate of ``forest_trees`` trees (skopt's "ET"), fitted on the
whole record every ``forest_refit`` evaluations. Its target is each value's rank mapped to
normal scores (as archgym's ``forest`` agent does): the rewards of Mapping-v0 span 0.1 to 1e3,
and on raw values the trees' spread was largest far from the good designs, so expected
improvement sent every proposal there. Each proposal is the unseen design of highest expected
improvement (skopt's acquisition on the last fitted forest) among ``forest_acquisition_points`` random candidates and the neighbourhoods of the ``elites``
best designs so far: every one-knob edit (an adjacent value of an ordered parameter, any other
value of an unordered one) and ``pair_edits`` random two-knob edits of each. Uniform candidates
alone stalled the search at a local optimum two coupled knobs from the optimum (on mapping-edp,
regret 0.031 from evaluation 150 to 1000, seed 0); the two-knob edits step over such a trap, and
an elite whose neighbourhood is used up simply contributes no candidates. Edits can also walk a
plateau of equal values for ever (knobs a workload ignores), so once ``stall_window``
evaluations bring no new best, every other proposal is scored on uniform candidates only. That keeps a budget of
1000 within minutes (``benchmarks/bench_agent_quality.py --agents bo --budgets 1000`` prints the
wall time).

Two costs skopt would add are cut without changing what it computes: each GP fit starts its
kernel-hyperparameter search from the previous fit's kernel (a warm start; skopt starts from
the initial kernel every time), and skopt's space transform (one-hot per categorical through
scikit-learn's ``label_binarize``, a third of the run's time at 42 parameters) is replaced by
a lookup in a table of each dimension's transformed values, computed once by skopt itself.

Example:
    >>> import archgym
    >>> bo = BayesianOptimization(initial_points=5, acquisition_points=200)
    >>> archgym.run(bo, "archgym/Synthetic-v0", budget=8, seed=0).counts["simulator"]
    8
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from archgym._optional import import_optional
from archgym.agents.base import Agent, hyperparameter
from archgym.evaluator import Evaluation
from archgym.space import Design


@dataclass
class BayesianOptimization(Agent):
    """GP / random-forest / extra-trees / GBRT surrogate with EI, PI, LCB or gp_hedge acquisition.

    Example:
        >>> BayesianOptimization(surrogate="RF", acquisition="EI").get_params()["surrogate"]
        'RF'
    """

    name = "bo"
    surrogate: str = hyperparameter("GP", choices=("GP", "RF", "ET", "GBRT"))
    acquisition: str = hyperparameter("gp_hedge", choices=("gp_hedge", "EI", "PI", "LCB"))
    initial_points: int = hyperparameter(10, low=1, high=1000, log=True)
    #: Exploration of EI/PI (``xi``) ...
    xi: float = hyperparameter(0.01, low=0.0, high=10.0)
    #: ... and of LCB (``kappa``).
    kappa: float = hyperparameter(1.96, low=0.0, high=100.0)
    #: Random candidates scored by the acquisition function per proposal.
    acquisition_points: int = hyperparameter(2000, low=10, high=100_000, log=True)
    #: Restarts of the GP kernel-hyperparameter fit (skopt's default is 2; each costs a full fit).
    gp_restarts: int = hyperparameter(0, low=0, high=20)
    #: Proposals of already-evaluated designs in a row before a random unseen design is used.
    max_repeats: int = hyperparameter(3, low=1, high=100)
    #: Evaluations after which a GP surrogate hands over to extra trees (its cost grows as n^3).
    gp_max_points: int = hyperparameter(150, low=10, high=100_000, log=True)
    #: Trees of the surrogate the GP hands over to ...
    forest_trees: int = hyperparameter(32, low=2, high=1000, log=True)
    #: ... the candidates its acquisition scores per proposal ...
    forest_acquisition_points: int = hyperparameter(500, low=10, high=100_000, log=True)
    #: ... and how many evaluations it is told between refits.
    forest_refit: int = hyperparameter(5, low=1, high=1000)
    #: Best designs whose one-knob edits (all) and two-knob edits are scored after the hand-over ...
    elites: int = hyperparameter(5, low=0, high=100)
    #: ... and the random two-knob edits drawn per elite and proposal.
    pair_edits: int = hyperparameter(100, low=0, high=100_000)
    #: Evaluations without a new best after which every other proposal is scored on uniform
    #: candidates only: the elites' edits can walk a plateau of equal values for ever (on
    #: soc-latency-budgets, seed 0, 742 of 850 proposals tied the incumbent's value).
    stall_window: int = hyperparameter(50, low=1, high=100_000)

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        import_optional("skopt", package="scikit-optimize", purpose="BayesianOptimization")
        from skopt import Optimizer
        from skopt.space import Categorical as SkCategorical
        from skopt.space import Integer as SkInteger
        from skopt.utils import cook_estimator

        # Single-valued parameters are fixed; skopt cannot represent a dimension of one value.
        self._free = [i for i, p in enumerate(space.params) if p.cardinality > 1]
        dims = [
            SkInteger(0, space.params[i].cardinality - 1)
            if space.params[i].ordered
            else SkCategorical(list(range(space.params[i].cardinality)))
            for i in self._free
        ]
        self._dims = dims
        self._sizes = [space.params[i].cardinality for i in self._free]
        self._ordered = [space.params[i].ordered for i in self._free]
        self._opt: Any = None
        self._forest: Any = None  # the extra-trees surrogate a GP hands over to, once fitted
        self._forest_best = 0.0  # its lowest target (the incumbent's normal score)
        self._best_y = np.inf  # the lowest value told so far ...
        self._improved_at = 0  # ... and how many designs were known when it was found
        self._uniform_turn = False  # in a stall, proposals alternate: edits, uniform only, ...
        if dims:
            seed = int(self.rng.integers(2**31))
            surrogate = (
                cook_estimator(
                    self.surrogate,
                    space=dims,
                    random_state=seed,
                    n_restarts_optimizer=self.gp_restarts,
                )
                if self.surrogate == "GP"
                else self.surrogate
            )
            self._opt = Optimizer(
                dims,
                base_estimator=surrogate,
                n_initial_points=self.initial_points,
                acq_func=self.acquisition,
                acq_optimizer="sampling",
                acq_func_kwargs={"xi": self.xi, "kappa": self.kappa},
                acq_optimizer_kwargs={"n_points": self.acquisition_points},
                random_state=seed,
                model_queue_size=1,  # skopt keeps every fitted model otherwise
            )
            self._fast_transform(self._opt)
        self._known: dict[
            tuple[int, ...], float
        ] = {}  # index vector -> value told to skopt (minimised)
        self._worst: float | None = None  # worst successful value told so far

    def _fast_transform(self, opt: Any) -> None:
        """Give ``opt``'s space a table-lookup transform: per dimension, skopt's transform of
        each value index, computed once (the result is identical, at a fraction of the cost)."""
        sizes = [
            len(d.categories) if hasattr(d, "categories") else d.high + 1
            for d in opt.space.dimensions
        ]  # our dimensions are Integer(0, n - 1) or Categorical(range(n))
        tables = [
            np.asarray(d.transform(list(range(n))), dtype=np.float64).reshape(n, -1)
            for d, n in zip(opt.space.dimensions, sizes, strict=True)
        ]

        def transform(xs: Sequence[Sequence[int]]) -> np.ndarray:
            idx = np.asarray(xs, dtype=np.int64).reshape(-1, len(tables))
            return np.hstack([t[idx[:, j]] for j, t in enumerate(tables)])

        opt.space.transform = transform

    def _full(self, x: Sequence[int]) -> tuple[int, ...]:
        idx = [0] * len(self._require_setup().params)
        for i, v in zip(self._free, x, strict=True):
            idx[i] = int(v)
        return tuple(idx)

    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out: list[Design] = []
        for _ in range(n):
            idx = self._propose(exclude={space.encode(d).tobytes() for d in out})
            out.append(space.decode(idx))
        return out

    def _forest_propose(self, exclude: set[bytes]) -> tuple[int, ...] | None:
        """The unseen candidate of highest EI under the last fitted forest (None if all are seen)."""
        from skopt.acquisition import _gaussian_acquisition

        opt = self._opt
        stalled = len(self._known) - self._improved_at >= self.stall_window
        self._uniform_turn = stalled and not self._uniform_turn
        edits = np.empty((0, len(self._free)), dtype=np.int64)
        xs = np.vstack(
            [
                np.asarray(
                    opt.space.rvs(
                        n_samples=self.forest_acquisition_points,
                        random_state=int(self.rng.integers(2**31)),
                    ),
                    dtype=np.int64,
                ).reshape(-1, len(self._free)),
                edits if self._uniform_turn else self._elite_edits(),
            ]
        )
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            acq = _gaussian_acquisition(
                opt.space.transform(xs),
                self._forest,
                y_opt=self._forest_best,
                acq_func="EI",
                acq_func_kwargs={"xi": self.xi},
            )
        space = self._require_setup()
        for k in np.argsort(acq, kind="stable")[:64]:  # skopt minimises the negated EI
            # In a space of a table's rows, the nearest new row to the candidate.
            idx = tuple(
                space.project(
                    self._full([int(v) for v in xs[k]]),
                    exclude=lambda r: tuple(r.tolist()) in self._known or r.tobytes() in exclude,
                ).tolist()
            )
            if idx not in self._known and np.asarray(idx).tobytes() not in exclude:
                return idx
        return None

    def _moves(self, x: np.ndarray, j: int) -> list[int]:
        """The values free dimension ``j`` of ``x`` moves to in one step: the adjacent values of
        an ordered parameter, every other value of an unordered one."""
        n = self._sizes[j]
        if self._ordered[j]:
            return [v for v in (int(x[j]) - 1, int(x[j]) + 1) if 0 <= v < n]
        return [v for v in range(n) if v != x[j]]

    def _elite_edits(self) -> np.ndarray:
        """Free-dimension index vectors one knob (all) and two knobs (``pair_edits`` at random)
        away from each of the ``elites`` best designs evaluated so far."""
        d = len(self._free)
        ranked = sorted(self._known.items(), key=lambda item: item[1])[: self.elites]
        out: list[np.ndarray] = []
        for idx, _ in ranked:
            x = np.array([idx[i] for i in self._free], dtype=np.int64)
            for j in range(d):
                for v in self._moves(x, j):
                    moved = x.copy()
                    moved[j] = v
                    out.append(moved)
            if d < 2:
                continue
            for _ in range(self.pair_edits):
                moved = x.copy()
                for j in self.rng.choice(d, size=2, replace=False):
                    moves = self._moves(x, int(j))
                    if moves:
                        moved[j] = moves[int(self.rng.integers(len(moves)))]
                out.append(moved)
        return np.array(out, dtype=np.int64).reshape(-1, d)

    def _propose(self, exclude: set[bytes]) -> tuple[int, ...]:
        space = self._require_setup()
        if self._opt is None:
            return self._full([])
        for _ in range(self.max_repeats if self._forest is None else 0):
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore")  # skopt warns about repeated points; we handle them
                x = [int(v) for v in self._opt.ask()]
            # In a space of a table's rows, the nearest new row to the proposal (else the proposal).
            idx = tuple(
                space.project(
                    self._full(x),
                    exclude=lambda r: tuple(r.tolist()) in self._known or r.tobytes() in exclude,
                ).tolist()
            )
            if idx not in self._known and np.asarray(idx).tobytes() not in exclude:
                return idx
            if idx in self._known:
                # A repeat: answer it from the record so the surrogate moves on, no simulation.
                self._tell_skopt(idx, self._known[idx])
        if self._forest is not None:
            found = self._forest_propose(exclude)
            if found is not None:
                return found
        if len(self._known) + len(exclude) >= space.size:
            return self._full([0] * len(self._free))  # every design is known: a cache hit
        while True:  # the space still holds unseen designs; draw one
            idx = tuple(int(i) for i in space.sample_indices(self.rng, 1)[0])
            if idx not in self._known and np.asarray(idx).tobytes() not in exclude:
                return idx

    def _fit_forest(self) -> None:
        """Fit the extra-trees surrogate on the whole record, its target the normal scores of
        the values' ranks (scale-free: a few huge values cannot flatten it)."""
        from skopt.utils import cook_estimator

        from archgym.agents.forest import normal_scores

        if self._forest is None:
            self._forest = cook_estimator(
                "ET",
                n_estimators=self.forest_trees,
                random_state=int(self.rng.integers(2**31)),
                n_jobs=1,
            )
        target = normal_scores(np.array(list(self._known.values())))
        xs = self._opt.space.transform([[idx[i] for i in self._free] for idx in self._known])
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            self._forest.fit(xs, target)
        self._forest_best = float(target.min())

    def _tell_skopt(self, idx: tuple[int, ...], y: float) -> None:
        # One BLAS thread: the GP's small matrices gain nothing from more, and on a busy
        # machine oversubscribed threads made each fit ten times slower.
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            self._opt.tell([idx[i] for i in self._free], y)
        if self.surrogate == "GP" and self._opt.models:
            # The next GP fit starts its kernel search where this one ended (warm start); skopt
            # adds its own noise term to the kernel at each fit, so that part is left out.
            from sklearn.gaussian_process.kernels import Sum, WhiteKernel

            kernel = self._opt.models[-1].kernel_
            if isinstance(kernel, Sum) and isinstance(kernel.k2, WhiteKernel):
                kernel = kernel.k1
            self._opt.base_estimator_.set_params(kernel=kernel)

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        space = self._require_setup()
        for design, ev in zip(designs, results, strict=True):
            idx = tuple(int(i) for i in space.encode(design))
            if ev.failed or not np.isfinite(ev.reward):
                # A failed design is told as a bit worse than the worst success seen, not as the
                # -1e6 failure reward, which would flatten the surrogate everywhere else.
                worst = 0.0 if self._worst is None else self._worst
                y = worst + max(1.0, 0.1 * abs(worst))
            else:
                y = -ev.reward  # skopt minimises; the objective already penalises infeasibility
                self._worst = y if self._worst is None else max(self._worst, y)
            if idx in self._known:
                continue  # already told (a cache hit of a design this agent proposed before)
            self._known[idx] = y
            if y < self._best_y:
                self._best_y, self._improved_at = y, len(self._known)
            if self._opt is None:
                continue
            if self._forest is not None:
                if len(self._known) % self.forest_refit == 0:
                    self._fit_forest()
            elif self.surrogate == "GP" and len(self._known) > self.gp_max_points:
                self._fit_forest()  # the GP hands over; the forest is told the whole record
            else:
                self._tell_skopt(idx, y)
