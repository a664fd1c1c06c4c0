"""``archgym.run``: drive any agent on any environment for a budget of simulator evaluations.

Example:
    >>> import archgym
    >>> from archgym.agents import RandomSearch
    >>> result = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=20, seed=1)
    >>> result.best.reward <= -1.0
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archgym.agents.base import Agent
from archgym.env import DesignEnv
from archgym.evaluator import BudgetExhausted, Evaluation
from archgym.registry import make
from archgym.store import Store

if TYPE_CHECKING:
    import pandas as pd

#: Rounds of asking in a row that bring no new simulator call before a run is declared stalled
#: (an agent that only re-proposes cached designs, or a space that is used up).
MAX_IDLE_ROUNDS = 200


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
        import pandas as pd  # here, not at the top: import archgym should not pay for pandas

        rows = []
        for e in self.evaluations:
            rows.append({"step": e.step, "reward": e.reward, "feasible": e.feasible, "source": e.source,
                         "error": e.error, **{f"param_{k}": v for k, v in e.design.items()},
                         **{f"metric_{k}": v for k, v in (e.metrics or {}).items()}})
        return pd.DataFrame(rows)


def run(
    agent: Agent,
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
    """Run ``agent`` on ``env`` (an instance or an id) until ``budget`` simulator calls are used.

    With a ``store`` every evaluation is recorded (committed as it happens). ``resume=RUN_ID``
    continues a recorded run: the agent is re-seeded and replays its recorded evaluations
    without re-simulating them, then goes on to exactly the run's budget.
    """
    if int(budget) < 1:
        raise ValueError(f"budget must be a positive number of simulator evaluations, got {budget}")
    if isinstance(env, str):
        env = make(env, **dict(env_kwargs or {}))
    if isinstance(store, str | Path):
        store = Store(store)
    if resume is not None:
        if store is None:
            raise ValueError("resume= needs the store that holds the run")
        record = store.run(resume)
        if record.env_id != env.env_id or record.agent != agent.name:
            raise ValueError(f"run {resume} is {record.agent!r} on {record.env_id!r}, not {agent.name!r} on {env.env_id!r}")
        seed, budget = record.seed, record.budget
        env.resume_run(resume, store)
    else:
        env.start_run(agent.name, hyperparameters=agent.get_params(), seed=seed, budget=int(budget),
                      trial_key=trial_key, store=store)
    env.evaluator.budget = int(budget)
    agent.setup(env.space, seed=seed, objective=env.objective, budget=int(budget))
    env.reset(seed=seed)
    first = len(env.evaluator.history)
    status = "finished"
    try:
        if agent.drives_env:
            agent.learn(env, int(budget))
        else:
            _ask_tell_loop(agent, env, on_evaluation)
    except KeyboardInterrupt:
        status = "interrupted"
        env.finish_run(status)
        raise
    except BaseException as err:
        env.finish_run("failed", f"{type(err).__name__}: {err}")
        raise
    if env.evaluator.remaining not in (0, None):
        status = "stalled"
    env.finish_run("finished", None if status == "finished" else
                   f"stopped with {env.evaluator.remaining} simulator evaluations unused: no new designs proposed")
    return RunResult(env.run_id, env.evaluator.history[first:], dict(env.evaluator.counts), status, env.env_id, agent.name,
                     agent.get_params())


def _ask_tell_loop(agent: Agent, env: DesignEnv, on_evaluation: Callable[[Evaluation], None] | None) -> None:
    evaluator = env.evaluator
    idle = 0
    while not evaluator.exhausted and idle < MAX_IDLE_ROUNDS:
        if evaluator.simulator_calls >= env.space.size:
            break
        before, pending = evaluator.simulator_calls, evaluator.replay_pending
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
        # A replayed evaluation is progress too: a resumed run re-proposes its whole record first.
        idle = 0 if evaluator.simulator_calls > before or evaluator.replay_pending < pending else idle + 1

