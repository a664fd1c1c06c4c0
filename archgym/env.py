"""``DesignEnv``: a Gymnasium environment whose action is a whole design.

Example:
    >>> import archgym
    >>> env = archgym.make("archgym/Synthetic-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    >>> sorted(info)[:4]
    ['design', 'error', 'feasible', 'metrics']
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsFloat

import gymnasium as gym
import numpy as np

from archgym import costmodel
from archgym._plain import plain
from archgym.evaluator import Evaluation, Evaluator, check_budget
from archgym.objective import Objective, as_objective
from archgym.simulator import Simulator
from archgym.space import Design, DesignSpace, InvalidDesignError
from archgym.store import Store

if TYPE_CHECKING:
    from archgym.registry import EnvSpec


def squash(
    metrics: Mapping[str, float] | None, names: Sequence[str], scales: Sequence[float]
) -> np.ndarray:
    """Map metrics into (-1, 1) with ``x / (|x| + scale)``; a failed evaluation observes zeros."""
    if metrics is None:
        return np.zeros(len(names), dtype=np.float32)
    # A plain loop: for a handful of metrics it is several times faster than NumPy calls.
    out = []
    for name, scale in zip(names, scales, strict=True):
        x = metrics[name]
        out.append(
            0.0
            if x != x
            else (1.0 if x == math.inf else -1.0 if x == -math.inf else x / (abs(x) + scale))
        )
    return np.array(out, dtype=np.float32)


class DesignEnv(gym.Env):
    """Space + evaluator + objective as a ``gymnasium.Env``.

    Action: a design in the space's index encoding (``MultiDiscrete``); the other encodings
    are wrappers in :mod:`archgym.wrappers` (``archgym.make(..., action_encoding="box")``).
    Observation: the last design's metrics squashed to (-1, 1). Reward: the objective's
    (higher is better). An episode is ``episode_length`` designs. ``info`` holds the design,
    its metrics, ``feasible``, ``source`` (simulator/cache/proxy), ``error`` and the counts.

    Every evaluation is recorded in ``store`` (a :class:`Store` or a path) when one is given,
    under the run :func:`archgym.run` opens (:class:`archgym.loop.Run`), or a ``"manual"`` run
    opened on the first step. :class:`~archgym.evaluator.BudgetExhausted` is raised by
    ``step`` once ``budget`` simulator calls are used.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        simulator: Simulator,
        workload: Any = None,
        objective: Objective | Mapping[str, Any] | None = None,
        *,
        env_id: str = "archgym/Custom-v0",
        env_version: int = 0,
        store: Store | str | Path | None = None,
        budget: int | None = None,
        cost_model: str = "simulator",
        proxy: Any = None,
        episode_length: int = 8,
        flush_every: int = 1,
        env_kwargs: Mapping[str, Any] | None = None,
        action_encoding: str = "multidiscrete",
    ) -> None:
        super().__init__()
        if action_encoding != "multidiscrete":
            raise TypeError(
                f"DesignEnv(action_encoding={action_encoding!r}): other encodings are wrappers now; use "
                f"archgym.make(env_id, action_encoding={action_encoding!r}) or archgym.wrappers.encode(env, "
                f"{action_encoding!r})"
            )
        if int(episode_length) < 1:
            raise ValueError(f"episode_length must be >= 1, got {episode_length}")
        if budget is not None:
            budget = check_budget(budget, minimum=0)
        self.env_id, self.env_version = env_id, env_version
        self.env_kwargs = dict(env_kwargs or {})
        self.workload = simulator.load_workload(workload)
        self.objective = as_objective(objective)
        simulator, attached_proxy = costmodel.resolve(cost_model, simulator, proxy, self.workload)
        self.simulator = simulator
        self.space: DesignSpace = simulator.design_space(self.workload)
        if isinstance(store, str | Path):
            store = Store(store)
        # The budget's first value; from then on only archgym.loop.Run changes it.
        self.evaluator = Evaluator(
            simulator,
            self.objective,
            self.workload,
            self.space,
            store=store,
            budget=None if budget is None else int(budget),
            proxy=attached_proxy,
            flush_every=flush_every,
            env_meta={"env_id": env_id, "env_version": env_version, "env_kwargs": self.env_kwargs},
        )
        self.episode_length = int(episode_length)
        self.action_space = self.space.to_gym()
        self.metric_names = [m.name for m in simulator.metrics]
        self._scales = [m.scale for m in simulator.metrics]
        self.observation_space = gym.spaces.Box(
            -1.0, 1.0, shape=(len(self.metric_names),), dtype=np.float32
        )
        self._t = 0

    @classmethod
    def from_spec(
        cls,
        spec: EnvSpec,
        *,
        workload: Any = None,
        objective: Any = None,
        simulator_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> DesignEnv:
        """Build from a registered :class:`~archgym.registry.EnvSpec` (what ``archgym.make`` calls)."""
        if simulator_kwargs is not None and not isinstance(simulator_kwargs, Mapping):
            raise TypeError(
                f"simulator_kwargs must be a mapping of simulator options, got {simulator_kwargs!r}"
            )
        sim = spec.make_simulator(**dict(simulator_kwargs or {}))
        workload_spec = spec.workload if workload is None else workload
        if objective is None:
            objective = spec.objective
            if callable(objective) and not isinstance(objective, Objective):
                objective = objective(sim, sim.load_workload(workload_spec))
        options = {**spec.defaults, **kwargs}
        recorded = {k: v for k, v in options.items() if k in ("episode_length", "cost_model")}
        proxy = options.get("proxy")
        if isinstance(proxy, str | Path | Mapping):  # so `archgym run --resume` can rebuild the env
            recorded["proxy"] = plain(proxy) if isinstance(proxy, Mapping) else str(proxy)
        recorded.update(
            workload=plain(workload_spec), simulator_kwargs=dict(simulator_kwargs or {})
        )
        return cls(
            sim,
            workload_spec,
            objective,
            env_id=spec.id,
            env_version=spec.version,
            env_kwargs=recorded,
            **options,
        )

    # -- the store ------------------------------------------------------------------------------
    @property
    def store(self) -> Store | None:
        return self.evaluator.store

    @property
    def run_id(self) -> int | None:
        return self.evaluator.run_id

    # -- evaluation -------------------------------------------------------------------------
    def evaluate(self, designs: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
        """Evaluate designs directly (the ask/tell path); records like ``step`` does."""
        return self.evaluator.evaluate_many(designs)

    def action_to_design(self, action: Any) -> Design:
        """The design an index-vector action stands for; a fractional index is refused, not floored."""
        indices = np.asarray(action)
        if indices.dtype.kind not in "iuf":
            raise InvalidDesignError(
                f"an action is a vector of {len(self.space.params)} integer indices "
                f"(the env's MultiDiscrete{self.space.nvec.tolist()}), got {action!r}"
            )
        return self.space.decode(indices)

    def design_to_action(self, design: Mapping[str, Any]) -> np.ndarray:
        """The index-vector action for a design."""
        return self.space.encode(design)

    def observe(self, evaluation: Evaluation) -> np.ndarray:
        """The observation of an evaluation: its metrics squashed to (-1, 1)."""
        return squash(evaluation.metrics, self.metric_names, self._scales)

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self.action_space.seed(seed)
        self._t = 0
        return np.zeros(len(self.metric_names), dtype=np.float32), {}

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        ev = self.evaluator.evaluate(self.action_to_design(action))
        self._t += 1
        # Everything in info is a function of the design, so a seeded replay gives the same info
        # (Gymnasium's determinism check); whether it was a cache hit is in evaluator.counts.
        info = {
            "design": ev.design,
            "metrics": ev.metrics,
            "reward": ev.reward,
            "feasible": ev.feasible,
            "source": ev.origin,
            "error": ev.error,
            "violations": ev.violations,
        }
        return self.observe(ev), float(ev.reward), False, self._t >= self.episode_length, info

    def close(self) -> None:
        self.evaluator.flush()
        super().close()

    def __repr__(self) -> str:
        return (
            f"DesignEnv({self.env_id!r}, simulator={self.simulator.name!r}, space={self.space!r})"
        )

    def __getattr__(self, name: str) -> Any:
        # start_run / resume_run / finish_run moved to archgym.loop.Run; kept for one release.
        if name in _MOVED_TO_RUN:
            warnings.warn(
                f"DesignEnv.{name} moved to archgym.Run.{_MOVED_TO_RUN[name]}; the old method goes in "
                "the next release",
                DeprecationWarning,
                stacklevel=2,
            )
            from archgym.loop import Run

            def start_run(agent: str = "manual", **kwargs: Any) -> int | None:
                return Run.start(self, agent, **kwargs).id

            def resume_run(run_id: int, store: Store | None = None) -> None:
                Run.resume(self, run_id, store)

            def finish_run(status: str = "finished", message: str | None = None) -> None:
                Run(self, self.run_id).finish(status, message)

            return {"start_run": start_run, "resume_run": resume_run, "finish_run": finish_run}[
                name
            ]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


_MOVED_TO_RUN = {"start_run": "start", "resume_run": "resume", "finish_run": "finish"}
