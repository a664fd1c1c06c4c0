"""The run: ``archgym.run``, what it returns, and the lifecycle of a run in the store.

A :class:`Run` opens a run in the store, or resumes a recorded one by replaying its
evaluations, and finishes it with a status. It is the only writer of an evaluator's budget
(the env's constructor only sets the first value). :class:`StopRule` is the one place that
decides when a search is over, for the ask/tell loop and for agents that drive the env.

Example:
    >>> import archgym
    >>> from archgym.agents import RandomSearch
    >>> result = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=20, seed=1)
    >>> result.best.reward <= -1.0, result.status
    (True, 'finished')
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from archgym._procs import interruption
from archgym.env import DesignEnv
from archgym.evaluator import BudgetExhausted, Evaluation, Evaluator, check_budget
from archgym.objective import Objective
from archgym.registry import make
from archgym.space import Design, DesignSpace
from archgym.store import RunRecord, Store

if TYPE_CHECKING:
    import pandas as pd

#: How :func:`run` turns an agent name into an agent: ``(name) -> agent``, or ``"module:function"``
#: imported on first use. archgym's facade registers ``archgym.agents.make_agent``; the core never
#: imports a subpackage itself.
_agent_factory: Callable[[str], SearchAgent] | str | None = None


def register_agent_factory(factory: Callable[[str], SearchAgent] | str) -> None:
    """Let :func:`run` accept an agent by name (``archgym.run("random", ...)``)."""
    global _agent_factory
    _agent_factory = factory


def _as_agent(agent: SearchAgent | str) -> SearchAgent:
    global _agent_factory
    if isinstance(agent, str):
        if _agent_factory is None:
            raise TypeError(
                f"archgym.run got the agent name {agent!r} but no agent factory is registered; "
                "pass an agent: archgym.agents.make_agent(name, **hyperparameters)"
            )
        if isinstance(_agent_factory, str):
            module, _, attr = _agent_factory.partition(":")
            _agent_factory = getattr(importlib.import_module(module), attr)
        return _agent_factory(agent)  # type: ignore[operator]  # resolved just above
    if not all(hasattr(agent, a) for a in ("name", "setup", "ask", "tell", "learn")):
        raise TypeError(
            f"archgym.run needs a search agent or an agent name, got {type(agent).__name__}; "
            "pass e.g. 'random' or archgym.agents.make_agent('ga', population=16)"
        )
    return agent


#: Rounds in a row that bring neither a new simulator call nor a replayed evaluation before a
#: search is declared stalled (an agent that only re-proposes cached designs, or a used-up space).
MAX_IDLE_ROUNDS = 200

#: Largest legal seed: NumPy's legacy seeding (used by SB3 and several peers) takes 32 bits.
MAX_SEED = 2**32 - 1


def check_seed(seed: object) -> int | None:
    """``seed`` if it is ``None`` or an integer in [0, :data:`MAX_SEED`]; a clear ``ValueError`` otherwise.

    Runs call it before they open a run in the store, so a bad seed leaves no ``running`` row.

    Example:
        >>> check_seed(7), check_seed(None)
        (7, None)
        >>> check_seed(-1)
        Traceback (most recent call last):
        ...
        ValueError: seed must be an integer in [0, 4294967295] (NumPy's seed range), got -1
    """
    if seed is None:
        return None
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= seed <= MAX_SEED
    ):
        raise ValueError(
            f"seed must be an integer in [0, {MAX_SEED}] (NumPy's seed range), got {seed!r}"
        )
    return int(seed)


class SearchAgent(Protocol):
    """What :func:`run` asks of an agent (:class:`archgym.agents.Agent` implements it)."""

    name: ClassVar[str]
    drives_env: ClassVar[bool]
    batch_size: ClassVar[int]

    def get_params(self) -> dict[str, Any]: ...

    def setup(
        self,
        space: DesignSpace,
        *,
        seed: int | None = None,
        objective: Objective | None = None,
        budget: int | None = None,
    ) -> None: ...

    def ask(self, n: int = 1) -> list[Design]: ...

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None: ...

    def learn(self, env: Any, budget: int) -> None: ...


@dataclass
class StopRule:
    """When a search is over: the budget is used, every design of the space has been simulated,
    or :data:`MAX_IDLE_ROUNDS` rounds in a row made no progress.

    Progress is a new simulator call or a replayed evaluation of a resumed run, so a resumed
    run that re-proposes its record is never mistaken for a stalled one.

    Example:
        >>> import archgym
        >>> env = archgym.make("archgym/Synthetic-v0", budget=1)
        >>> rule = StopRule(env.evaluator, env.space.size)
        >>> rule.done
        False
        >>> _ = env.evaluate([env.space.sample(0)]); rule.update(); rule.done
        True
    """

    evaluator: Evaluator
    space_size: int
    idle: int = 0
    _seen: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._seen = self.evaluator.progress

    def update(self) -> None:
        """Call once per round (an ask/tell batch, or one env step)."""
        progress = self.evaluator.progress
        self.idle = 0 if progress > self._seen else self.idle + 1
        self._seen = progress

    @property
    def done(self) -> bool:
        ev = self.evaluator
        return ev.exhausted or ev.simulator_calls >= self.space_size or self.idle >= MAX_IDLE_ROUNDS


class Run:
    """One run of an env in its store: :meth:`start` or :meth:`resume`, then :meth:`finish`.

    Used as a context manager, a run that raises is finished as ``"failed"`` (or
    ``"interrupted"`` on Ctrl-C) with the error, and the error propagates.

    Example:
        >>> import archgym
        >>> env = archgym.make("archgym/Synthetic-v0", store=":memory:")
        >>> with Run.start(env, "manual", budget=2) as run:
        ...     _ = env.evaluate(env.space.sample(0, 2))
        >>> env.store.run(run.id).status, env.store.count_evaluations(run.id)
        ('finished', 2)
    """

    def __init__(self, env: DesignEnv, run_id: int | None) -> None:
        self.env, self.id = env, run_id

    @classmethod
    def start(
        cls,
        env: DesignEnv,
        agent: str = "manual",
        *,
        hyperparameters: Mapping[str, Any] | None = None,
        seed: int | None = None,
        budget: int | None = None,
        trial_key: str | None = None,
        store: Store | None = None,
    ) -> Run:
        """Open a run: later evaluations are recorded under it and count against ``budget``.

        The seed is checked first: a bad one raises before any row is written."""
        seed = check_seed(seed)
        evaluator = env.evaluator
        if store is not None:
            evaluator.store = store
        if budget is not None:
            evaluator.budget = check_budget(budget, minimum=0)
        run_id = evaluator.open_run(
            agent, hyperparameters=hyperparameters, seed=seed, trial_key=trial_key
        )
        return cls(env, run_id)

    @classmethod
    def resume(cls, env: DesignEnv, run_id: int, store: Store | None = None) -> Run:
        """Continue a recorded run: its evaluations fill the cache, count against its budget, and
        answer the agent's proposals while it re-proposes them in order (see ``Evaluator.replay``)."""
        evaluator = env.evaluator
        if store is not None:
            evaluator.store = store
        if evaluator.store is None:
            raise ValueError("resuming a run needs the store that holds it")
        record = evaluator.store.run(run_id)
        evaluator.flush()
        evaluator.run_id = run_id
        evaluator.budget = record.budget
        evaluator.replay(evaluator.store.evaluations(run_id))
        evaluator.store.reopen_run(run_id)
        return cls(env, run_id)

    def finish(self, status: str = "finished", message: str | None = None) -> None:
        """Write any batched evaluations and the run's final status."""
        evaluator = self.env.evaluator
        evaluator.flush()
        if evaluator.store is not None and self.id is not None:
            evaluator.store.finish_run(self.id, status, message)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        if err is None:
            self.finish()
        elif isinstance(err, KeyboardInterrupt):
            self.finish("interrupted")
        else:
            self.finish("failed", f"{type(err).__name__}: {err}")


@dataclass
class RunResult:
    """What a run produced: its id in the store, every evaluation in order, the best one, the counts."""

    run_id: int | None
    evaluations: list[Evaluation]
    counts: dict[str, int]
    status: str
    env_id: str
    agent: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> Evaluation:
        """Best feasible evaluation by reward (or best overall when none is feasible)."""
        if not self.evaluations:
            raise ValueError("the run has no evaluations")
        feasible = [e for e in self.evaluations if e.feasible]
        return max(feasible or self.evaluations, key=lambda e: e.reward)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per evaluation: step, reward, feasible, source, error, ``param_*`` and ``metric_*``."""
        import pandas as pd

        rows = []
        for e in self.evaluations:
            rows.append(
                {
                    "step": e.step,
                    "reward": e.reward,
                    "feasible": e.feasible,
                    "source": e.source,
                    "error": e.error,
                    **{f"param_{k}": v for k, v in e.design.items()},
                    **{f"metric_{k}": v for k, v in (e.metrics or {}).items()},
                }
            )
        return pd.DataFrame(rows)


def run(
    agent: SearchAgent | str,
    env: DesignEnv | str,
    budget: int,
    seed: int | None = 0,
    store: Store | str | Path | None = None,
    *,
    resume: int | None = None,
    trial_key: str | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
    on_evaluation: Callable[[Evaluation], None] | None = None,
) -> RunResult:
    """Run ``agent`` (an agent or a registered name) on ``env`` (an instance or an id) until
    ``budget`` simulator calls are used.

    With a ``store`` every evaluation is recorded (committed as it happens). ``resume=RUN_ID``
    continues a recorded run: the agent is re-seeded and replays its recorded evaluations
    without re-simulating them, then goes on to exactly the run's budget.
    """
    budget = check_budget(budget)
    if resume is None:
        seed = check_seed(seed)
    agent = _as_agent(agent)
    if isinstance(env, str):
        env = make(env, **dict(env_kwargs or {}))
    if not isinstance(env, DesignEnv):
        raise TypeError(
            f"archgym.run needs a DesignEnv or an env id, got {type(env).__name__}; "
            "for a wrapped env pass env.unwrapped (agents choose their own encodings)"
        )
    if isinstance(store, str | Path):
        store = Store(store)
    if resume is not None:
        if store is None:
            raise ValueError("resume= needs the store that holds the run")
        record = store.run(resume)
        if record.env_id != env.env_id or record.agent != agent.name:
            raise ValueError(
                f"run {resume} is {record.agent!r} on {record.env_id!r}, not {agent.name!r} on {env.env_id!r}"
            )
        if record.status == "finished":
            # Nothing to do: report the run as recorded, and leave its row untouched.
            return _recorded_result(record, store.evaluations(resume), agent)
        seed, budget = check_seed(record.seed), record.budget or int(budget)
        the_run = Run.resume(env, resume, store)
    else:
        the_run = Run.start(
            env,
            agent.name,
            hyperparameters=agent.get_params(),
            seed=seed,
            budget=int(budget),
            trial_key=trial_key,
            store=store,
        )
    evaluator = env.evaluator
    first = len(evaluator.history)
    # From here the run is open in the store: any error, Ctrl-C or SIGTERM (which the CLI turns
    # into KeyboardInterrupt) must close it as failed or interrupted, never leave it "running".
    try:
        agent.setup(env.space, seed=seed, objective=env.objective, budget=int(budget))
        env.reset(seed=seed)
        first = len(evaluator.history)
        if agent.drives_env:
            agent.learn(env, int(budget))
        else:
            _ask_tell_loop(agent, env, on_evaluation)
    except BaseException as err:
        stop = interruption(err)
        the_run.__exit__(type(stop), stop, stop.__traceback__)
        if stop is err:
            raise
        raise stop from err
    status = "finished" if evaluator.remaining in (0, None) else "stalled"
    the_run.finish(
        "finished",
        None
        if status == "finished"
        else f"stopped with {evaluator.remaining} simulator evaluations unused: no new designs proposed",
    )
    return RunResult(
        the_run.id,
        evaluator.history[first:],
        dict(evaluator.counts),
        status,
        env.env_id,
        agent.name,
        agent.get_params(),
    )


def _recorded_result(
    record: RunRecord, rows: Sequence[Mapping[str, Any]], agent: SearchAgent
) -> RunResult:
    """A finished run as the store holds it (what ``run(..., resume=ID)`` of a finished run returns)."""
    evaluations = [
        Evaluation(
            r["design"],
            r["metrics"],
            r["reward"] if r["reward"] is not None else float("nan"),
            bool(r["feasible"]),
            r["source"],
            r["error"],
            (),
            r.get("sim_seconds") or 0.0,
            int(r["step"]),
        )
        for r in rows
    ]
    counts = Counter(e.source for e in evaluations)
    counts.update(failed=sum(e.error is not None for e in evaluations))
    counts = +counts  # drop zero counts, as a live run's counts have none
    return RunResult(
        record.id,
        evaluations,
        dict(counts),
        "finished",
        record.env_id,
        record.agent,
        dict(record.hyperparameters or agent.get_params()),
    )


def _ask_tell_loop(
    agent: SearchAgent, env: DesignEnv, on_evaluation: Callable[[Evaluation], None] | None
) -> None:
    evaluator = env.evaluator
    rule = StopRule(evaluator, env.space.size)
    while not rule.done:
        n = max(1, min(agent.batch_size, evaluator.remaining or agent.batch_size))
        designs = agent.ask(n)
        try:
            results = env.evaluate(designs)
        except BudgetExhausted:
            # A batch larger than what remains: evaluate one by one up to the budget.
            results = []
            for d in designs:
                try:
                    results.extend(env.evaluate([d]))
                except BudgetExhausted:
                    break
            designs = designs[: len(results)]
        agent.tell(designs, results)
        if on_evaluation is not None:
            for ev in results:
                on_evaluation(ev)
        rule.update()
