"""The one gate to a cost model: validate, cache, proxy, simulate, score, count, record.

Example:
    >>> import archgym
    >>> env = archgym.make("archgym/Synthetic-v0", budget=3)
    >>> ev = env.evaluator.evaluate(env.space.sample(0))
    >>> ev.source, env.evaluator.counts["simulator"]
    ('simulator', 1)
    >>> env.evaluator.evaluate(ev.design).source
    'cache'
"""

from __future__ import annotations

import math
import time
import traceback
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from archgym.objective import FAILURE_REWARD, Objective
from archgym.simulator import EvaluationError, Simulator
from archgym.space import Design, DesignSpace
from archgym.store import Store


class BudgetExhausted(RuntimeError):
    """The run has used every simulator evaluation it was given."""


#: The largest budget a run may have (the store keeps it as a 64-bit integer; no search needs more).
MAX_BUDGET = 10**12


def check_budget(budget: Any, *, minimum: int = 1) -> int:
    """``budget`` as an ``int``; a fraction, NaN, a bool or an out-of-range count is a ``ValueError``.

    Example:
        >>> check_budget(10.0)
        10
        >>> check_budget(2.7)
        Traceback (most recent call last):
        ...
        ValueError: budget must be a positive whole number of simulator evaluations (at most 1,000,000,000,000), got 2.7
    """
    ok = (
        isinstance(budget, int | float | np.integer | np.floating)
        and not isinstance(budget, bool)
        and math.isfinite(budget)
        and int(budget) == budget
        and minimum <= int(budget) <= MAX_BUDGET
    )
    if not ok:
        kind = "positive" if minimum >= 1 else "non-negative"
        raise ValueError(
            f"budget must be a {kind} whole number of simulator evaluations "
            f"(at most {MAX_BUDGET:,}), got {budget!r}"
        )
    return int(budget)


class Proxy(Protocol):
    """What the evaluator asks of an attached proxy model (see :mod:`archgym.proxy_models`)."""

    def answer(self, designs: Sequence[Design], workload: Any) -> list[dict[str, float] | None]:
        """Predicted metrics per design, or ``None`` where the proxy is not confident."""

    def observe(self, designs: Sequence[Design], metrics: Sequence[Mapping[str, float]]) -> None:
        """Learn from simulator answers (active learning); may do nothing."""


@dataclass
class Evaluation:
    """One scored design, as agents see it and as the store records it."""

    design: Design
    metrics: dict[str, float] | None
    reward: float
    feasible: bool
    source: str
    error: str | None = None
    violations: tuple[str, ...] = ()
    sim_seconds: float = 0.0
    step: int = -1
    #: Who computed the metrics: "simulator" or "proxy" (a cache hit keeps its answer's origin).
    origin: str = "simulator"

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass
class _Outcome:
    metrics: dict[str, float] | None
    error: str | None
    seconds: float = 0.0
    origin: str = "simulator"


@dataclass
class Evaluator:
    """Routes each design through cache -> proxy -> simulator and records it.

    ``budget`` counts simulator calls only; cache hits and proxy answers are counted
    separately in :attr:`counts`. With a ``store`` and ``run_id`` every evaluation is
    recorded; ``flush_every > 1`` batches store writes (call :meth:`flush` at the end).
    """

    simulator: Simulator
    objective: Objective
    workload: Any = None
    space: DesignSpace | None = None
    store: Store | None = None
    run_id: int | None = None
    budget: int | None = None
    proxy: Proxy | None = None
    flush_every: int = 1
    counts: Counter = field(default_factory=Counter)
    step: int = 0
    #: What the store records of the env a run belongs to: ``env_id``, ``env_version``, ``env_kwargs``.
    env_meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.space is None:
            self.space = self.simulator.design_space(self.workload)
        self.objective.bind(self.simulator.metrics)
        # One evaluator serves one simulator version and workload, so a design's values key its
        # cache; the store keeps (simulator, version, workload) per run for sharing across runs.
        self._cache: dict[tuple[Any, ...], _Outcome] = {}
        self._pending: list[dict[str, Any]] = []
        self._replay: list[Evaluation] = []
        self._replayed = 0
        #: Every evaluation this evaluator returned, in order.
        self.history: list[Evaluation] = []
        self.metric_names = [m.name for m in self.simulator.metrics]
        #: Who answers in the simulator's place: "proxy" for a proxy cost model, else "simulator".
        #: Its answers are what the budget counts, and are recorded under this source.
        self.origin: str = getattr(self.simulator, "origin", "simulator")

    # -- budget ----------------------------------------------------------------------------
    @property
    def simulator_calls(self) -> int:
        """Calls to the cost model in the simulator's place (a proxy's, with ``cost_model="proxy"``)."""
        return self.counts[self.origin]

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else max(0, self.budget - self.simulator_calls)

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0

    @property
    def progress(self) -> int:
        """Simulator calls plus replayed evaluations taken: what a search that is not stalled raises."""
        return self.simulator_calls + self._replayed

    # -- evaluation -------------------------------------------------------------------------
    def key(self, design: Design) -> tuple[Any, ...]:
        """Cache key of a validated design (the simulator, version and workload are fixed per evaluator)."""
        return tuple(design.values())

    def evaluate(self, design: Mapping[str, Any]) -> Evaluation:
        """Evaluate one design (raises :class:`BudgetExhausted` if it needs the simulator and none is left)."""
        return self.evaluate_many([design])[0]

    def evaluate_many(self, designs: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
        """Evaluate designs in order; uncached ones go to the simulator as one batch.

        Raises :class:`BudgetExhausted` before simulating if the batch needs more simulator
        calls than remain; nothing of the batch is recorded then.
        """
        valid = [self.space.validate(d) for d in designs]  # type: ignore[union-attr]  # set in __post_init__
        if self.store is not None and self.run_id is None:
            self.open_run()
        replayed = self._take_replayed(valid)
        if replayed:
            return replayed + (
                self.evaluate_many(valid[len(replayed) :]) if len(replayed) < len(valid) else []
            )
        keys = [self.key(d) for d in valid]
        sources: list[str] = []
        outcomes: list[_Outcome | None] = []
        to_simulate: dict[tuple[Any, ...], Design] = {}
        for d, k in zip(valid, keys, strict=True):
            if k in self._cache:
                sources.append("cache")
                outcomes.append(self._cache[k])
            elif k in to_simulate:
                sources.append("cache")  # a duplicate inside the batch: simulated once
                outcomes.append(None)
            else:
                sources.append(self.origin)
                outcomes.append(None)
                to_simulate[k] = d
        if self.proxy is not None and to_simulate:
            answers = self.proxy.answer(list(to_simulate.values()), self.workload)
            for (k, _d), answer in zip(list(to_simulate.items()), answers, strict=True):
                if answer is not None:
                    self._cache[k] = _Outcome(
                        {m: float(answer[m]) for m in self.metric_names}, None, 0.0, "proxy"
                    )
                    del to_simulate[k]
                    for i, key in enumerate(keys):
                        if key == k and sources[i] == self.origin:
                            sources[i] = "proxy"
        if self.budget is not None and len(to_simulate) > self.remaining:  # type: ignore[operator]  # budget is set
            raise BudgetExhausted(
                f"{len(to_simulate)} simulator evaluations needed but only {self.remaining} of the budget "
                f"of {self.budget} remain"
            )
        if to_simulate:
            self._simulate(to_simulate)
        results = []
        for d, k, src, out in zip(valid, keys, sources, outcomes, strict=True):
            outcome = out or self._cache[k]
            results.append(self._score(d, outcome, src))
        return results

    def _simulate(self, designs: Mapping[tuple[Any, ...], Design]) -> None:
        batch = list(designs.values())
        start = time.perf_counter()
        try:
            if len(batch) == 1:  # one design: skip the batch path's vectorisation set-up
                answers: list[Any] = [self.simulator.evaluate(batch[0], self.workload)]
            else:
                answers = self.simulator.evaluate_batch(batch, self.workload)
            if len(answers) != len(batch):
                raise EvaluationError(
                    f"evaluate_batch returned {len(answers)} results for {len(batch)} designs"
                )
        except Exception as err:  # a failing batch falls back to one call per design
            if len(batch) == 1:
                answers = [err]
            else:
                answers = []
                for d in batch:
                    try:
                        answers.append(self.simulator.evaluate(d, self.workload))
                    except Exception as one:
                        answers.append(one)
        seconds = (time.perf_counter() - start) / len(batch)
        good_designs, good_metrics = [], []
        for (k, d), answer in zip(designs.items(), answers, strict=True):
            self.counts[self.origin] += 1
            outcome = self._check(answer)
            outcome.seconds, outcome.origin = seconds, self.origin
            self._cache[k] = outcome
            if outcome.error is None:
                good_designs.append(d)
                good_metrics.append(outcome.metrics)
            else:
                self.counts["failed"] += 1
        if self.proxy is not None and good_designs and hasattr(self.proxy, "observe"):
            self.proxy.observe(good_designs, good_metrics)  # type: ignore[arg-type]  # metrics are set when error is None

    def _check(self, answer: Any) -> _Outcome:
        if isinstance(answer, BaseException):
            if isinstance(answer, EvaluationError):
                return _Outcome(None, str(answer))
            tb = "".join(traceback.format_exception_only(type(answer), answer)).strip()
            return _Outcome(None, f"{self.simulator.name} raised {tb}")
        if not isinstance(answer, Mapping):
            return _Outcome(
                None,
                f"{self.simulator.name} returned {type(answer).__name__}, not a dict of metrics",
            )
        missing = [m for m in self.metric_names if m not in answer]
        if missing:
            return _Outcome(None, f"{self.simulator.name} did not report metric(s) {missing}")
        try:
            metrics = {m: float(answer[m]) for m in self.metric_names}
        except (TypeError, ValueError) as err:
            return _Outcome(None, f"{self.simulator.name} reported a non-numeric metric: {err}")
        # A NaN reward would poison every agent's comparisons, and an infinite one would win them:
        # either way the answer is no measurement, so the evaluation fails with the metric named.
        bad = {m: v for m, v in metrics.items() if not math.isfinite(v)}
        if bad:
            return _Outcome(
                None, f"{self.simulator.name} reported a non-finite value for metric(s) {bad}"
            )
        return _Outcome(metrics, None)

    def _score(
        self, design: Design, outcome: _Outcome, source: str, counted: bool = False
    ) -> Evaluation:
        if source != self.origin and not counted:
            self.counts[source] += 1
        if outcome.error is not None:
            ev = Evaluation(
                design,
                None,
                FAILURE_REWARD,
                False,
                source,
                outcome.error,
                ("evaluation failed",),
                outcome.seconds if source == self.origin else 0.0,
            )
        else:
            metrics = outcome.metrics
            assert metrics is not None  # _check sets the metrics whenever there is no error
            score = self.objective(metrics)
            if not math.isfinite(score.reward):  # finite metrics can still overflow a weighted sum
                if source == self.origin:
                    self.counts["failed"] += 1
                return self._score(
                    design,
                    _Outcome(
                        None,
                        f"the objective gave reward {score.reward} for metrics {outcome.metrics}; "
                        "check its weights and scales",
                        outcome.seconds,
                        outcome.origin,
                    ),
                    source,
                    counted=True,
                )  # counted once, as the evaluation it is
            broken = tuple(self.space.violations(design))  # type: ignore[union-attr]  # set in __post_init__
            ev = Evaluation(
                design,
                dict(metrics),
                score.reward,
                score.feasible and not broken,
                source,
                None,
                broken + score.violations,
                outcome.seconds if source == self.origin else 0.0,
            )
        ev.step = self.step
        ev.origin = outcome.origin
        self.step += 1
        self.history.append(ev)
        self._record(ev)
        return ev

    # -- recording --------------------------------------------------------------------------
    def open_run(
        self,
        agent: str = "manual",
        *,
        hyperparameters: Mapping[str, Any] | None = None,
        seed: int | None = None,
        trial_key: str | None = None,
    ) -> int | None:
        """Open a run in the store (none without a store); later evaluations are recorded under it.

        :class:`archgym.loop.Run` opens runs for ``archgym.run``; an env stepped directly opens
        a ``"manual"`` run on its first recorded evaluation.
        """
        if self.store is None:
            return None
        self.flush()
        self.run_id = self.store.create_run(
            agent=agent,
            seed=seed,
            budget=self.budget,
            hyperparameters=hyperparameters,
            simulator=self.simulator.name,
            simulator_version=self.simulator.version,
            workload=self.simulator.workload_id(self.workload),
            objective=self.objective.to_dict(),
            trial_key=trial_key,
            env_id=self.env_meta.get("env_id", "archgym/Custom-v0"),
            env_version=self.env_meta.get("env_version", 0),
            env_kwargs=self.env_meta.get("env_kwargs"),
        )
        self.step = 0
        return self.run_id

    def _record(self, ev: Evaluation) -> None:
        if self.store is None or self.run_id is None:
            return
        self._pending.append(
            dict(
                step=ev.step,
                design=ev.design,
                metrics=ev.metrics,
                reward=ev.reward,
                feasible=ev.feasible,
                source=ev.source,
                error=ev.error,
                sim_seconds=ev.sim_seconds,
            )
        )
        if len(self._pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write any batched evaluations to the store."""
        if self._pending and self.store is not None and self.run_id is not None:
            rows, self._pending = self._pending, []
            self.store.record_many(self.run_id, rows)

    @property
    def replay_pending(self) -> int:
        """Recorded evaluations of a resumed run that its agent has not proposed again yet."""
        return len(self._replay)

    def replay(self, evaluations: Sequence[Mapping[str, Any]]) -> None:
        """Load a run's recorded evaluations to resume it.

        They count against the budget at once and fill the cache. While the resumed agent
        proposes the same designs in the same order (a seeded agent does), each is answered
        from its record without being simulated or recorded again, so the resumed run ends
        exactly as an uninterrupted one would.
        """
        self._replay = []
        for row in evaluations:
            design = self.space.validate(row["design"])  # type: ignore[union-attr]  # set in __post_init__
            k = self.key(design)
            if row["source"] == "simulator" or (
                row["source"] == "proxy" and row["metrics"] is not None
            ):
                origin = "proxy" if row["source"] == "proxy" else "simulator"
                self._cache.setdefault(
                    k, _Outcome(row["metrics"], row["error"], row.get("sim_seconds") or 0.0, origin)
                )
            self.counts[row["source"]] += 1
            if row["error"] is not None:
                self.counts["failed"] += 1
            self.step = max(self.step, int(row["step"]) + 1)
            self._replay.append(
                Evaluation(
                    design,
                    row["metrics"],
                    row["reward"],
                    row["feasible"],
                    row["source"],
                    row["error"],
                    (),
                    row.get("sim_seconds") or 0.0,
                    int(row["step"]),
                )
            )

    def _take_replayed(self, valid: list[Design]) -> list[Evaluation]:
        """The longest prefix of ``valid`` that matches the replay queue, consumed from it."""
        queue = self._replay
        taken: list[Evaluation] = []
        while (
            queue
            and len(taken) < len(valid)
            and self.key(queue[0].design) == self.key(valid[len(taken)])
        ):
            taken.append(queue.pop(0))
        self._replayed += len(taken)
        if queue and len(taken) < len(valid):
            queue.clear()  # the agent diverged from its record; later answers come from the cache
        self.history.extend(taken)
        return taken
