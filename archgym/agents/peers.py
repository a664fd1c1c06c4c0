"""Peers: Optuna and Nevergrad optimisers wrapped as ask/tell agents over the same design space.

So users can compare archgym's agents with what they already know, under the same budget and
store. Each parameter is offered over its value indices: an integer (ordered parameters) or a
categorical choice (unordered ones); single-valued parameters are fixed. The libraries are
imported when an agent is set up, with a message naming what to install if one is missing.

* ``OptunaTPE``, ``OptunaCMAES`` (needs the ``cmaes`` package), ``OptunaGP``, ``OptunaNSGAII``:
  an Optuna study per run; under a :class:`~archgym.objective.Pareto` objective the study is
  multi-objective (TPE, GP and NSGA-II support it).
* ``NevergradNGOpt``, ``NevergradOnePlusOne``: a Nevergrad optimiser with the run's budget
  (NGOpt, and the discrete (1+1) evolution strategy).

A failed evaluation is told as a value a little worse than the worst success, so the
optimiser learns to avoid it without the -1e6 failure reward distorting its model.

Example:
    >>> import archgym
    >>> archgym.run(OptunaTPE(), "archgym/Synthetic-v0", budget=5, seed=0).counts["simulator"]
    5
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from archgym._optional import import_optional
from archgym.agents.base import Agent, hyperparameter
from archgym.evaluator import Evaluation
from archgym.objective import Pareto
from archgym.space import Design

#: Repeats of evaluated designs in a row before an unseen random design is offered instead.
MAX_REPEATS = 3


def _penalty(worst: np.ndarray | None, size: int) -> np.ndarray:
    """What a failed design is told: a bit worse than the worst success (higher is better),
    rather than the -1e6 failure reward that would flatten a model everywhere else."""
    if worst is None:
        return np.full(size, -1.0)
    return worst - np.maximum(1.0, 0.1 * np.abs(worst))


@dataclass
class OptunaAgent(Agent):
    """An Optuna study driven by ask/tell; subclasses choose the sampler.

    A trial that repeats an evaluated design is told its known value at once (no simulation)
    and another is asked; after ``MAX_REPEATS`` repeats in a row an unseen random design is
    enqueued, so a sampler that keeps proposing one point cannot stall the run.
    """

    name = "optuna"
    sampler: ClassVar[str] = "tpe"
    multi_objective: ClassVar[bool] = True
    #: Offer unordered parameters as integers over their value indices too (for samplers that
    #: hand categorical parameters to an independent random sampler).
    categorical_as_int: ClassVar[bool] = False

    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        raise NotImplementedError

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        optuna = import_optional("optuna", extra="optuna", purpose=f"the {self.name} agent")
        optuna.logging.set_verbosity(logging.WARNING)
        self._optuna = optuna
        self._pareto = isinstance(objective, Pareto) and self.multi_objective
        self._width = len(objective.metric_names) if self._pareto else 1  # type: ignore[union-attr]
        self._restarts = 0
        self._study = self._new_study()
        self._trials: list[Any] = []  # asked, not yet told, in order
        self._known: dict[tuple[int, ...], list[float]] = {}
        self._worst: np.ndarray | None = None

    def _new_study(self) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature warnings from some samplers
            return self._optuna.create_study(
                directions=["maximize"] * self._width,
                sampler=self._make_sampler(self._optuna, int(self.rng.integers(2**31))),
            )

    def _stalled(self) -> bool:
        """Called after ``MAX_REPEATS`` repeats in a row; True if the agent restarted its sampler
        (then the next trial comes from the new one), False to go on with an unseen random design."""
        return False

    def _suggest(self, trial: Any) -> tuple[int, ...]:
        idx = []
        for p in self._require_setup().params:
            if p.cardinality == 1:
                idx.append(0)
            elif p.ordered or self.categorical_as_int:
                idx.append(trial.suggest_int(p.name, 0, p.cardinality - 1))
            else:
                idx.append(trial.suggest_categorical(p.name, list(range(p.cardinality))))
        # In a space of a table's rows the trial stands for its nearest row, so repeats are seen.
        return tuple(self._require_setup().project(idx).tolist())

    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(n):
                for _attempt in range(MAX_REPEATS):
                    trial = self._study.ask()
                    idx = self._suggest(trial)
                    if idx not in self._known:
                        break
                    self._study.tell(trial, self._known[idx])  # a repeat, answered from the record
                else:
                    if self._stalled():
                        trial = self._study.ask()
                        idx = self._suggest(trial)
                    if idx in self._known and len(self._known) < space.size:
                        while idx in self._known:
                            idx = tuple(int(i) for i in space.sample_indices(self.rng, 1)[0])
                        self._study.enqueue_trial(
                            {
                                p.name: i
                                for p, i in zip(space.params, idx, strict=True)
                                if p.cardinality > 1
                            }
                        )
                    trial = self._study.ask()
                    idx = self._suggest(trial)
                self._trials.append(trial)
                out.append(space.decode(idx))
        return out

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        space = self._require_setup()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for design, ev in zip(designs, results, strict=True):
                if ev.failed or not np.isfinite(ev.reward):
                    values = _penalty(self._worst, self._width)
                else:
                    values = (
                        self.objective.vector(ev.metrics) if self._pareto else np.array([ev.reward])
                    )  # type: ignore[union-attr]
                    self._worst = values if self._worst is None else np.minimum(self._worst, values)
                told = [float(v) for v in values]
                self._known.setdefault(tuple(int(i) for i in space.encode(design)), told)
                trial = self._trials.pop(0)
                trial.study.tell(trial, told)  # its own study (a restart may have replaced it)
            # Asked but never told (the budget ran out mid-batch): leave no trial running.
            for trial in self._trials:
                trial.study.tell(trial, state=self._optuna.trial.TrialState.FAIL)
        self._trials = []


@dataclass
class OptunaTPE(OptunaAgent):
    """Optuna's tree-structured Parzen estimator (its default sampler).

    Example:
        >>> OptunaTPE(startup_trials=5).get_params()
        {'startup_trials': 5, 'multivariate': True}
    """

    name = "optuna-tpe"
    startup_trials: int = hyperparameter(10, low=0, high=10_000, log=False)
    multivariate: bool = hyperparameter(True)

    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        return optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=self.startup_trials, multivariate=self.multivariate
        )


@dataclass
class OptunaCMAES(OptunaAgent):
    """Optuna's CMA-ES sampler, set up for discrete spaces, with IPOP restarts.

    Every parameter is offered as an integer over its value indices (Optuna's CMA-ES hands
    categorical parameters to an independent random sampler, which left the unordered half of
    DRAM-v0's knobs to chance); with ``with_margin`` the sampler is CMA-ES with margin (Hamano et
    al., GECCO 2022), which keeps each integer's marginal probability of leaving its current
    value above a floor, so the search does not freeze on one design. Once the sampler only
    repeats evaluated designs (``MAX_REPEATS`` in a row, i.e. it has converged) it restarts
    with a fresh study and twice the population (IPOP-CMA-ES, Auger and Hansen 2005; Optuna 4.4
    dropped its own ``restart_strategy``).

    Example:
        >>> OptunaCMAES().get_params()
        {'sigma0': 0.0, 'with_margin': True, 'restarts': True}
    """

    name = "optuna-cmaes"
    multi_objective = False
    categorical_as_int = True
    #: Initial step size in index units; 0 lets Optuna choose (a sixth of each range).
    sigma0: float = hyperparameter(0.0, low=0.0, high=1000.0)
    #: CMA-ES with margin for the integer parameters (Optuna's ``with_margin``).
    with_margin: bool = hyperparameter(True)
    #: Restart with twice the population once the sampler has converged (IPOP).
    restarts: bool = hyperparameter(True)

    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        # Optuna's CMA-ES sampler needs it; say so before the first trial
        import_optional("cmaes", purpose=f"the {self.name} agent")
        free = sum(p.cardinality > 1 for p in self._require_setup().params)
        default = 4 + int(3 * np.log(max(free, 1)))  # CMA-ES's default population
        return optuna.samplers.CmaEsSampler(
            seed=seed,
            sigma0=self.sigma0 or None,
            warn_independent_sampling=False,
            with_margin=self.with_margin,
            popsize=default * 2**self._restarts,
        )

    def _stalled(self) -> bool:
        if not self.restarts:
            return False
        self._restarts += 1
        self._study = self._new_study()
        return True


@dataclass
class OptunaGP(OptunaAgent):
    """Optuna's Gaussian-process sampler, fitted on a bounded history.

    Optuna's ``GPSampler`` refits its GP on every completed trial before each proposal, so a
    trial's cost grows with the trials (CPU seconds per trial on synthetic-cost, measured at
    load ~5: 0.47 at trial 100, 2.3 at trial 200; a run of 1000 would take hours). Here the
    GP sees at most ``history_best`` best trials (under a Pareto objective, trials of the
    current front) plus the ``history_recent`` most recent ones, so each trial costs what a
    trial near ``history_best + history_recent`` costs and a budget of 1000 takes minutes. The
    best trials keep the model sharp where the optimum is; the recent ones carry what the last
    proposals learned. 0 for both gives Optuna's sampler unchanged (every trial).

    Example:
        >>> OptunaGP(startup_trials=4).get_params()
        {'startup_trials': 4, 'history_best': 40, 'history_recent': 40}
    """

    name = "optuna-gp"
    startup_trials: int = hyperparameter(10, low=0, high=10_000)
    #: Best trials the GP is fitted on (0 with ``history_recent`` 0: every trial) ...
    history_best: int = hyperparameter(40, low=0, high=100_000)
    #: ... and the most recent trials besides them.
    history_recent: int = hyperparameter(40, low=0, high=100_000)

    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        import_optional("torch", purpose=f"the {self.name} agent")
        best, recent = self.history_best, self.history_recent

        class BoundedGPSampler(optuna.samplers.GPSampler):  # type: ignore[name-defined,misc]
            # The one place GPSampler takes its completed trials (Optuna 4.x-5.x); a test pins it.
            def _sample_relative_impl(
                self, study: Any, completed: list[Any], running: list[Any], space: Any
            ) -> Any:
                return super()._sample_relative_impl(
                    study, OptunaGP.bounded_history(study, completed, best, recent), running, space
                )

        return BoundedGPSampler(
            seed=seed,
            n_startup_trials=self.startup_trials,
            deterministic_objective=True,
            warn_independent_sampling=False,
        )

    @staticmethod
    def bounded_history(study: Any, completed: list[Any], best: int, recent: int) -> list[Any]:
        """The ``best`` best of ``completed`` trials (single objective: highest value first; several
        objectives: the study's current front) and the ``recent`` latest, in trial order.

        All of them when ``best + recent`` is 0 or covers every trial.
        """
        if best + recent == 0 or len(completed) <= best + recent:
            return completed
        chosen = {t.number for t in completed[len(completed) - recent :]} if recent else set()
        if best:
            if len(study.directions) == 1:
                sign = 1.0 if study.direction.name == "MAXIMIZE" else -1.0
                ranked = sorted(completed, key=lambda t: -sign * t.value)
            else:
                ranked = study.best_trials  # the front, over the completed trials
            chosen.update(t.number for t in ranked[:best])
        return [t for t in completed if t.number in chosen]


@dataclass
class OptunaNSGAII(OptunaAgent):
    """Optuna's NSGA-II sampler (multi-objective under a Pareto objective), with defaults for
    discrete spaces and a budget.

    * ``population`` (0: a twentieth of the budget, between 8 and 50, Optuna's default; 50 at
      budget 1000, so 20 generations);
    * ``mutation_prob`` (0: one over the number of free parameters, Optuna's default): a
      mutated gene is re-drawn uniformly (Optuna's default mutation), a jump rather than a step;
    * Optuna's default uniform crossover, which swaps whole genes between two parents: the
      right crossover for integer and categorical genes (a blend such as SBX would invent
      values between the parents' indices);
    * ``unique`` (default): each generation's survivors are chosen among *distinct* designs, as
      pymoo's ``eliminate_duplicates`` does. The repeats this agent answers from the record are
      completed trials, so without it the survivors filled up with copies of the best design
      within a few generations and every child was one mutation from it: a local search that
      ended on mapping-edp's trap in 2 of 3 seeds at budget 1000.

    Example:
        >>> OptunaNSGAII(population=20).get_params()["population"]
        20
    """

    name = "optuna-nsga2"
    #: Individuals per generation; 0 sizes it by the budget (``budget // 20``, within [8, 50]).
    population: int = hyperparameter(0, low=0, high=10_000)
    #: Chance each gene of a child is re-drawn; 0 is one over the number of free parameters.
    mutation_prob: float = hyperparameter(0.0, low=0.0, high=1.0)
    crossover_prob: float = hyperparameter(0.9, low=0.0, high=1.0)
    #: Choose each generation's survivors among distinct designs only.
    unique: bool = hyperparameter(True)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.population == 1:
            raise ValueError(
                "OptunaNSGAII: hyperparameter 'population'=1; legal values are 0 (sized by the "
                "budget) or at least 2"
            )

    def population_size(self) -> int:
        """The population this run uses (``population``, or sized by the budget)."""
        if self.population:
            return self.population
        return int(np.clip((self.budget or 1000) // 20, 8, 50))

    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        class DistinctNSGAII(optuna.samplers.NSGAIISampler):
            """NSGA-II whose generations leave out trials that repeat an earlier trial's design,
            so survivors are chosen among distinct designs."""

            def get_population(self, study: Any, generation: int) -> list[Any]:
                first: dict[tuple[tuple[str, Any], ...], int] = {}
                for trial in study.get_trials(deepcopy=False):
                    first.setdefault(tuple(sorted(trial.params.items())), trial.number)
                return [
                    t
                    for t in super().get_population(study, generation)
                    if first[tuple(sorted(t.params.items()))] == t.number
                ]

        sampler = DistinctNSGAII if self.unique else optuna.samplers.NSGAIISampler
        return sampler(
            seed=seed,
            population_size=self.population_size(),
            mutation_prob=self.mutation_prob or None,
            crossover_prob=self.crossover_prob,
        )


@dataclass
class NevergradAgent(Agent):
    """A Nevergrad optimiser from its registry, over one integer array of value indices.

    Repeats are handled as in :class:`OptunaAgent`: told from the record, and after
    ``MAX_REPEATS`` in a row an unseen random design is suggested to the optimiser.
    """

    name = "nevergrad"
    optimizer: ClassVar[str] = "NGOpt"

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        ng = import_optional("nevergrad", extra="nevergrad", purpose=f"the {self.name} agent")
        self._free = [p for p in space.params if p.cardinality > 1]
        self._free_at = [i for i, p in enumerate(space.params) if p.cardinality > 1]
        self._opt: Any = None
        if self._free:
            # One integer array over the free parameters' value indices, each index owning a unit
            # interval. Per-parameter Choice/TransitionChoice containers cost nevergrad ~2 s per
            # ask at 42 parameters (its parameter-tree bookkeeping), which made budgets of 1000
            # take hours; and a default Choice draws its value from softmax weights, so the same
            # candidate is a different design each time and NGOpt picks a noise-handling
            # optimiser that re-draws the categorical genes at random. An unordered parameter's
            # indices get an arbitrary order, which the discrete mutations NGOpt selects for
            # such arrays (a gene redrawn, not stepped) do not rely on.
            cards = np.array([p.cardinality for p in self._free], dtype=np.float64)
            param = ng.p.Array(
                init=(cards - 1) / 2, lower=-0.5, upper=cards - 0.5
            ).set_integer_casting()
            param.random_state = np.random.RandomState(int(self.rng.integers(2**32)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._opt = ng.optimizers.registry[self.optimizer](
                    parametrization=param, budget=budget or 1000, num_workers=1
                )
        self._pending: list[Any] = []
        self._known: dict[tuple[int, ...], float] = {}  # index vector -> loss told
        self._worst: np.ndarray | None = None  # worst successful reward so far

    def ask(self, n: int = 1) -> list[Design]:
        space = self._require_setup()
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(n):
                if self._opt is None:
                    out.append(space.decode([0] * len(space.params)))
                    continue
                for _attempt in range(MAX_REPEATS):
                    candidate = self._opt.ask()
                    idx = self._indices(candidate)
                    if idx not in self._known:
                        break
                    self._opt.tell(
                        candidate, self._known[idx]
                    )  # a repeat, answered from the record
                else:
                    # A (1+1) strategy that has converged keeps proposing its parent; offer it an
                    # unseen random design instead, so the run goes on learning.
                    if len(self._known) < space.size:
                        while idx in self._known:
                            idx = tuple(int(i) for i in space.sample_indices(self.rng, 1)[0])
                        self._opt.suggest(np.array([idx[i] for i in self._free_at]))
                    candidate = self._opt.ask()
                    idx = self._indices(candidate)
                self._pending.append(candidate)
                out.append(space.decode(idx))
        return out

    def _indices(self, candidate: Any) -> tuple[int, ...]:
        space = self._require_setup()
        idx = np.zeros(len(space.params), dtype=np.int64)
        top = np.array([p.cardinality - 1 for p in self._free])
        idx[self._free_at] = np.clip(np.asarray(candidate.value, dtype=np.int64), 0, top)
        # In a space of a table's rows a candidate stands for its nearest row, so repeats are seen.
        return tuple(space.project(idx).tolist())

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        if self._opt is None:
            return
        space = self._require_setup()
        for design, ev in zip(designs, results, strict=True):
            if ev.failed or not np.isfinite(ev.reward):
                loss = -float(_penalty(self._worst, 1)[0])
            else:
                loss = -float(ev.reward)
                reward = np.array([ev.reward])
                self._worst = reward if self._worst is None else np.minimum(self._worst, reward)
            self._known.setdefault(tuple(int(i) for i in space.encode(design)), loss)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._opt.tell(self._pending.pop(0), loss)
        self._pending = []  # candidates the budget cut off are dropped


@dataclass
class NevergradNGOpt(NevergradAgent):
    """Nevergrad's NGOpt, which picks an algorithm for the space and budget.

    Example:
        >>> NevergradNGOpt().get_params()
        {}
    """

    name = "nevergrad-ngopt"
    optimizer = "NGOpt"


@dataclass
class NevergradOnePlusOne(NevergradAgent):
    """Nevergrad's (1+1) evolution strategy, in its discrete form (``DiscreteOnePlusOne``).

    The child redraws each gene of the parent with probability 1/d (uniform mutation, the
    (1+1)-EA of discrete optimisation) and replaces the parent when it is no worse. Nevergrad's
    continuous ``OnePlusOne`` (Gaussian steps under the one-fifth rule) is the wrong variant for
    an integer array: its step size shrinks below one index step and every child rounds back to
    the parent; at budget 1000 it ended worse than random search on dram-energy-latency.

    Example:
        >>> NevergradOnePlusOne().get_params()
        {}
    """

    name = "nevergrad-oneplusone"
    optimizer = "DiscreteOnePlusOne"
