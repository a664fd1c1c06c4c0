"""The proxy as a cost model: ``ProxySimulator`` (in place of the simulator) and ``HybridProxy``
(answers where confident, learns from the simulator where not).

Example:
    >>> import archgym, tempfile
    >>> from archgym.agents import RandomSearch
    >>> from archgym.proxy_models import ProxyModel, from_store
    >>> store = archgym.Store(":memory:")
    >>> _ = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=60, seed=0, store=store)
    >>> path = ProxyModel.fit(from_store(store, "archgym/Synthetic-v0"), "rf").save(tempfile.mkdtemp() + "/m")
    >>> env = archgym.make("archgym/Synthetic-v0", cost_model="proxy", proxy=path)
    >>> env.simulator.name
    'proxy:synthetic'
    >>> hybrid = archgym.make("archgym/Synthetic-v0", cost_model="hybrid", proxy=HybridProxy(path, threshold=0.2))
    >>> _ = hybrid.evaluate([hybrid.space.sample(i) for i in range(20)])
    >>> sum(hybrid.evaluator.counts[s] for s in ("simulator", "cache", "proxy"))
    20
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archgym.objective import Objective
from archgym.proxy_models.dataset import from_records
from archgym.proxy_models.model import Prediction, ProxyModel, as_model
from archgym.simulator import Simulator
from archgym.space import Design, DesignSpace


class ProxySimulator(Simulator):
    """A :class:`~archgym.simulator.Simulator` that answers from a :class:`ProxyModel`.

    Given the real ``simulator`` (as ``archgym.make(..., cost_model="proxy")`` does) it first
    checks that the model was made for it, then borrows its design space (with constraints),
    metrics and workloads, so it drops in anywhere that simulator did. Its answers are recorded
    with source ``"proxy"`` and count against the budget in the simulator's place.
    """

    #: What the evaluator records and counts this cost model's answers as.
    origin = "proxy"

    def __init__(
        self,
        model: ProxyModel | str | Path,
        simulator: Simulator | None = None,
        workload: Any = None,
    ) -> None:
        self.model = as_model(model)
        if simulator is not None:
            self.model.check_compatible(simulator, workload)
        self.simulator = simulator
        self.name = f"proxy:{self.model.provenance.get('simulator') or 'unknown'}"
        # The data hash in the version keeps cache entries of two proxies of one simulator apart.
        self.version = (
            f"{self.model.provenance.get('simulator_version')}+{self.model.data.hash()[:12]}"
        )
        self.metrics = simulator.metrics if simulator is not None else self.model.metrics
        self.default_workload = simulator.default_workload if simulator is not None else None
        self._space = (
            simulator.design_space(workload) if simulator is not None else self.model.space
        )

    def design_space(self, workload: Any = None) -> DesignSpace:
        return self._space

    def evaluate(self, design: Design, workload: Any = None) -> dict[str, float]:
        return self.model.predict([design])[0]

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float]]:
        return self.model.predict(designs)

    def workloads(self) -> list[str]:
        return self.simulator.workloads() if self.simulator is not None else []

    def load_workload(self, spec: Any = None) -> Any:
        return self.simulator.load_workload(spec) if self.simulator is not None else spec

    def workload_id(self, workload: Any) -> str:
        if self.simulator is not None:
            return self.simulator.workload_id(workload)
        return str(self.model.provenance.get("workload"))


#: Default :attr:`HybridProxy.threshold`: the proxy answers when its calibrated 90 % interval
#: is within ±5 % of its prediction on every checked metric. From ``benchmarks/bench_proxy.py``'s
#: threshold table on the slow cache simulator (random search, 50 proposals, 3 seeds): every
#: threshold from 0.01 to 0.2 gave the same median 32 simulator calls and best design (-1.889
#: against -1.885 with 60 calls all simulated), since screening saves the calls; 0.05 keeps
#: answers within a few percent where the proxy does answer.
DEFAULT_THRESHOLD = 0.05


def relative_metrics(model: ProxyModel) -> list[str]:
    """The metrics a relative-error threshold can be checked on: those whose training values
    are all of one sign and never zero. A rate that is often 0 (DRAM-v0's row hit and conflict
    rates) has no relative error (any interval around 0 is infinitely wide relative to it),
    and checking it made the hybrid answer none of 2,000 DRAM designs at any threshold with
    session 3's model (47 % at 0.2 with today's, against 71 % without the rates). If every
    metric touches zero, all are checked.

    >>> import numpy as np
    >>> from archgym.proxy_models.dataset import from_records
    >>> from archgym.simulators.synthetic import Synthetic
    >>> sim = Synthetic()
    >>> ds = [sim.design_space().sample(i) for i in range(20)]
    >>> relative_metrics(ProxyModel.fit(from_records(sim.design_space(), sim.metrics, ds, sim.evaluate_batch(ds)), "et"))
    ['cost_au', 'area_au']
    """
    names = [
        m
        for m in model.metric_names
        if np.all(model.data.values[m] > 0) or np.all(model.data.values[m] < 0)
    ]
    return names or list(model.metric_names)


class HybridProxy:
    """The evaluator's proxy for ``cost_model="hybrid"``: confident answers only, plus active learning.

    A design the model was trained on, or that the simulator answered since, gets its
    simulated metrics back. Any other design is predicted when, for every metric in
    ``metrics`` (default: :func:`relative_metrics`, those whose relative error means
    something), the model's calibrated 90 % interval lies within
    ``± threshold`` of its prediction (half-width / |prediction|): ``threshold`` is a
    relative error, and about nine predictions in ten are within it of the simulator
    (``threshold=0.05``: 5 %). ``threshold=0`` predicts nothing; a large one (say 10)
    predicts everything. Otherwise the
    design goes to the simulator, whose answers are kept and, every ``refit_every`` of them,
    the model is refitted on all data so far (``refit_every=0`` never refits): that is the
    active learning, since the simulator is asked exactly where the model is unsure.

    Given the search's ``objective``, the proxy also screens: a design whose reward, taken at
    the optimistic end of every metric's 90 % interval, is still below the best simulated
    reward so far cannot be the answer of the search, so its prediction is given without a
    simulator call (counted in ``screened``). This is where a search saves most calls: most
    designs an agent proposes are clearly worse than its best.
    ``answered``/``declined``/``observed``/``refits``/``screened`` count what happened.
    """

    def __init__(
        self,
        model: ProxyModel | str | Path,
        threshold: float = DEFAULT_THRESHOLD,
        refit_every: int = 50,
        metrics: Sequence[str] | None = None,
        objective: Objective | None = None,
    ) -> None:
        if not (isinstance(threshold, int | float) and threshold >= 0):  # NaN fails too
            raise ValueError(
                f"threshold must be a relative error >= 0 (0.05 = within 5 %), got {threshold!r}"
            )
        if refit_every < 0:
            raise ValueError(f"refit_every must be >= 0, got {refit_every!r}")
        self.model = as_model(model)
        unknown = [m for m in metrics or () if m not in self.model.metric_names]
        if unknown:
            raise ValueError(
                f"metrics: unknown metric {unknown[0]!r}; the model predicts {self.model.metric_names}"
            )
        self.metrics = list(metrics or relative_metrics(self.model))
        self.threshold = float(threshold)
        self.refit_every = int(refit_every)
        self._new_designs: list[Design] = []
        self._new_values: list[dict[str, float]] = []
        # Simulated answers the model learned from, by design: given back exactly, never predicted.
        self._known = {
            tuple(d.values()): {
                m: float(self.model.data.values[m][i]) for m in self.model.metric_names
            }
            for i, d in enumerate(self.model.data.designs)
        }
        self.objective = objective
        if objective is not None:
            objective.bind(self.model.metrics)
        self.best_reward = (
            max((objective(v).reward for v in self._known.values()), default=-np.inf)
            if objective is not None
            else -np.inf
        )
        self.answered = self.declined = self.observed = self.refits = self.screened = 0

    def relative_error(self, designs: Sequence[Design]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per design, the worst relative 90 % half-width over the checked metrics; and the means."""
        return self._relative_error(self.model.predict_distribution(designs))

    def _relative_error(self, pred: Prediction) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        rel = np.stack(
            [
                (pred.high[m] - pred.low[m]) / 2 / np.maximum(np.abs(pred.mean[m]), 1e-300)
                for m in self.metrics
            ]
        )
        return rel.max(axis=0), pred.mean

    def _hopeless(self, pred: Prediction, i: int) -> bool:
        """Whether even the optimistic end of every 90 % interval scores below the best simulated reward."""
        if self.objective is None or not np.isfinite(self.best_reward):
            return False
        names = self.model.metric_names
        optimistic = {
            m: float((pred.low if self.objective.direction(m) == "min" else pred.high)[m][i])
            for m in names
        }
        return bool(self.objective(optimistic).reward < self.best_reward)

    def check_compatible(self, simulator: Simulator, workload: Any = None) -> None:
        self.model.check_compatible(simulator, workload)

    def answer(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float] | None]:
        if not designs:
            return []
        pred = self.model.predict_distribution(designs)
        worst, mean = self._relative_error(pred)
        out: list[dict[str, float] | None] = []
        for i, u in enumerate(worst):
            known = self._known.get(tuple(self.model.space.validate(designs[i]).values()))
            if known is not None:
                out.append(dict(known))
            elif u <= self.threshold:
                out.append({m: float(mean[m][i]) for m in self.model.metric_names})
            elif self._hopeless(pred, i):
                self.screened += 1
                out.append({m: float(mean[m][i]) for m in self.model.metric_names})
            else:
                out.append(None)
        self.answered += sum(a is not None for a in out)
        self.declined += sum(a is None for a in out)
        return out

    def observe(self, designs: Sequence[Design], metrics: Sequence[Mapping[str, float]]) -> None:
        self._new_designs += [dict(d) for d in designs]
        self._new_values += [dict(m) for m in metrics]
        for d, m in zip(designs, metrics, strict=True):
            self._known[tuple(self.model.space.validate(d).values())] = dict(m)
            if self.objective is not None:
                self.best_reward = max(self.best_reward, self.objective(m).reward)
        self.observed += len(designs)
        if self.refit_every and len(self._new_designs) >= self.refit_every:
            extra = from_records(
                self.model.space, self.model.metrics, self._new_designs, self._new_values
            )
            self.model = self.model.refit(extra)
            self._new_designs, self._new_values = [], []
            self.refits += 1
