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

import importlib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from archgym.evaluator import Evaluation, Evaluator, Proxy
from archgym.objective import Objective, as_objective
from archgym.simulator import Simulator
from archgym.space import Design, DesignSpace
from archgym.store import Store

ActionEncoding = Literal["multidiscrete", "box"]
CostModel = Literal["simulator", "proxy", "hybrid"]


def squash(metrics: Mapping[str, float] | None, names: Sequence[str], scales: Sequence[float]) -> np.ndarray:
    """Map metrics into (-1, 1) with ``x / (|x| + scale)``; a failed evaluation observes zeros."""
    if metrics is None:
        return np.zeros(len(names), dtype=np.float32)
    # A plain loop: for a handful of metrics it is several times faster than NumPy calls.
    out = []
    for name, scale in zip(names, scales, strict=True):
        x = metrics[name]
        out.append(0.0 if x != x else (1.0 if x == math.inf else -1.0 if x == -math.inf else x / (abs(x) + scale)))
    return np.array(out, dtype=np.float32)


class DesignEnv(gym.Env):
    """Space + evaluator + objective as a ``gymnasium.Env``.

    Action: a design in the space's index encoding (``MultiDiscrete``), or with
    ``action_encoding="box"`` a vector in ``[-1, 1]`` binned so that every value is reachable.
    Observation: the last design's metrics squashed to (-1, 1). Reward: the objective's
    (higher is better). An episode is ``episode_length`` designs. ``info`` holds the design,
    its metrics, ``feasible``, ``source`` (simulator/cache/proxy), ``error`` and the counts.

    Every evaluation is recorded in ``store`` (a :class:`Store` or a path) when one is given.
    :class:`~archgym.evaluator.BudgetExhausted` is raised by ``step`` once ``budget``
    simulator calls are used.
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
        cost_model: CostModel = "simulator",
        proxy: Any = None,
        episode_length: int = 8,
        action_encoding: ActionEncoding = "multidiscrete",
        flush_every: int = 1,
        env_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if action_encoding not in ("multidiscrete", "box"):
            raise ValueError(f"action_encoding={action_encoding!r}; legal values are 'multidiscrete', 'box'")
        if int(episode_length) < 1:
            raise ValueError(f"episode_length must be >= 1, got {episode_length}")
        if budget is not None and int(budget) < 0:
            raise ValueError(f"budget must be >= 0, got {budget}")
        self.env_id, self.env_version = env_id, env_version
        self.env_kwargs = dict(env_kwargs or {})
        self.workload = simulator.load_workload(workload)
        self.objective = as_objective(objective)
        simulator, attached_proxy = _cost_model(cost_model, simulator, proxy, self.workload)
        self.simulator = simulator
        self.space: DesignSpace = simulator.design_space(self.workload)
        if isinstance(store, str | Path):
            store = Store(store)
        self.evaluator = Evaluator(simulator, self.objective, self.workload, self.space, store=store,
                                   budget=None if budget is None else int(budget), proxy=attached_proxy,
                                   flush_every=flush_every)
        self.episode_length = int(episode_length)
        self.action_encoding = action_encoding
        self.action_space = self.space.to_gym() if action_encoding == "multidiscrete" else self.space.to_box()
        self.metric_names = [m.name for m in simulator.metrics]
        self._scales = [m.scale for m in simulator.metrics]
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(len(self.metric_names),), dtype=np.float32)
        self._t = 0

    @classmethod
    def from_spec(cls, spec: Any, *, workload: Any = None, objective: Any = None,
                  simulator_kwargs: Mapping[str, Any] | None = None, **kwargs: Any) -> DesignEnv:
        """Build from a registered :class:`~archgym.registry.EnvSpec` (what ``archgym.make`` calls)."""
        sim = spec.make_simulator(**dict(simulator_kwargs or {}))
        workload_spec = spec.workload if workload is None else workload
        if objective is None:
            objective = spec.objective
            if callable(objective) and not isinstance(objective, Objective):
                objective = objective(sim, sim.load_workload(workload_spec))
        options = {**spec.defaults, **kwargs}
        recorded = {k: v for k, v in options.items() if k in ("episode_length", "action_encoding", "cost_model")}
        if isinstance(options.get("proxy"), str | Path):  # so `archgym run --resume` can rebuild the env
            recorded["proxy"] = str(options["proxy"])
        recorded.update(workload=_plain(workload_spec), simulator_kwargs=dict(simulator_kwargs or {}))
        return cls(sim, workload_spec, objective, env_id=spec.id, env_version=spec.version,
                   env_kwargs=recorded, **options)

    # -- runs -------------------------------------------------------------------------------
    @property
    def store(self) -> Store | None:
        return self.evaluator.store

    @property
    def run_id(self) -> int | None:
        return self.evaluator.run_id

    def start_run(self, agent: str = "manual", *, hyperparameters: Mapping[str, Any] | None = None,
                  seed: int | None = None, budget: int | None = None, trial_key: str | None = None,
                  store: Store | None = None) -> int | None:
        """Open a run in the store; later evaluations are recorded under it. Returns its id."""
        if store is not None:
            self.evaluator.store = store
        if budget is not None:
            self.evaluator.budget = int(budget)
        if self.store is None:
            return None
        self.evaluator.flush()
        self.evaluator.run_id = self.store.create_run(
            env_id=self.env_id, env_version=self.env_version, agent=agent, seed=seed,
            budget=self.evaluator.budget, hyperparameters=hyperparameters, simulator=self.simulator.name,
            simulator_version=self.simulator.version, workload=self.simulator.workload_id(self.workload),
            objective=self.objective.to_dict(), trial_key=trial_key, env_kwargs=self.env_kwargs)
        self.evaluator.step = 0
        return self.evaluator.run_id

    def resume_run(self, run_id: int, store: Store | None = None) -> None:
        """Continue a recorded run: its evaluations fill the cache and count against its budget."""
        if store is not None:
            self.evaluator.store = store
        if self.store is None:
            raise ValueError("resume_run needs a store")
        record = self.store.run(run_id)
        self.evaluator.run_id = run_id
        self.evaluator.budget = record.budget
        self.evaluator.replay(self.store.evaluations(run_id))
        self.store.reopen_run(run_id)

    def finish_run(self, status: str = "finished", message: str | None = None) -> None:
        self.evaluator.flush()
        if self.store is not None and self.run_id is not None:
            self.store.finish_run(self.run_id, status, message)

    # -- evaluation -------------------------------------------------------------------------
    def evaluate(self, designs: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
        """Evaluate designs directly (the ask/tell path); records like ``step`` does."""
        self._ensure_run()
        return self.evaluator.evaluate_many(designs)

    def action_to_design(self, action: Any) -> Design:
        if self.action_encoding == "box":
            return self.space.decode_box(action)
        return self.space.decode(np.asarray(action, dtype=np.int64))

    def design_to_action(self, design: Mapping[str, Any]) -> np.ndarray:
        if self.action_encoding == "box":
            return self.space.encode_box(design)
        return self.space.encode(design)

    def observe(self, evaluation: Evaluation) -> np.ndarray:
        return squash(evaluation.metrics, self.metric_names, self._scales)

    def _ensure_run(self) -> None:
        if self.store is not None and self.run_id is None:
            self.start_run()

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self.action_space.seed(seed)
        self._t = 0
        return np.zeros(len(self.metric_names), dtype=np.float32), {}

    def step(self, action: Any):
        self._ensure_run()
        ev = self.evaluator.evaluate(self.action_to_design(action))
        self._t += 1
        # Everything in info is a function of the design, so a seeded replay gives the same info
        # (Gymnasium's determinism check); whether it was a cache hit is in evaluator.counts.
        info = {"design": ev.design, "metrics": ev.metrics, "reward": ev.reward, "feasible": ev.feasible,
                "source": ev.origin, "error": ev.error, "violations": ev.violations}
        return self.observe(ev), float(ev.reward), False, self._t >= self.episode_length, info

    def close(self) -> None:
        self.evaluator.flush()
        super().close()

    def __repr__(self) -> str:
        return f"DesignEnv({self.env_id!r}, simulator={self.simulator.name!r}, space={self.space!r})"


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def _cost_model(kind: str, simulator: Simulator, proxy: Any, workload: Any) -> tuple[Simulator, Proxy | None]:
    """Which cost model answers: the simulator, a proxy in its place, or both (hybrid)."""
    if kind == "simulator":
        if proxy is not None:
            raise ValueError("proxy= was given but cost_model='simulator'; use cost_model='proxy' or 'hybrid'")
        return simulator, None
    if kind not in ("proxy", "hybrid"):
        raise ValueError(f"cost_model={kind!r}; legal values are 'simulator', 'proxy', 'hybrid'")
    if proxy is None:
        raise ValueError(f"cost_model={kind!r} needs proxy=PATH (a model saved by `archgym proxy train`)")
    proxy_models = importlib.import_module("archgym.proxy_models")
    return proxy_models.attach(kind, simulator, proxy, workload)
