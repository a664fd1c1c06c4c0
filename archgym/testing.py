"""Conformance checks users run on their own simulators, environments and agents.

Each check raises :class:`ConformanceError` with a message saying what to fix.

Example:
    >>> from archgym.testing import check_env
    >>> check_env("archgym/Synthetic-v0")
"""

from __future__ import annotations

import contextlib
import io
import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from archgym.simulator import EvaluationError, Metric, Simulator
from archgym.space import DesignSpace, InvalidDesignError


class ConformanceError(AssertionError):
    """A simulator, environment or agent breaks the archgym contract."""


def _fail(message: str) -> NoReturn:
    raise ConformanceError(message)


def _evaluate(simulator: Simulator, design: dict[str, Any], workload: Any) -> Any:
    """``simulator.evaluate``, turning an unexpected exception into advice on what to raise instead."""
    try:
        return simulator.evaluate(dict(design), workload)
    except EvaluationError:
        raise
    except Exception as err:
        _fail(f"{type(simulator).__name__}.evaluate({design}) raised {type(err).__name__}: {err}; a design the "
              "model cannot score must raise archgym.EvaluationError (a run records it as a failed evaluation)")


def check_simulator(simulator: Simulator, workload: Any = None, *, samples: int = 8, seed: int = 0) -> None:
    """Check a :class:`Simulator`: metadata, a design space, finite deterministic metrics, batch = loop."""
    name = type(simulator).__name__
    if not isinstance(simulator, Simulator):
        _fail(f"{name} must subclass archgym.Simulator")
    if not simulator.name or not isinstance(simulator.name, str):
        _fail(f"{name}.name must be a non-empty string")
    if not isinstance(simulator.version, str):
        _fail(f"{name}.version must be a string (bump it when results change; it keys the cache)")
    if not simulator.metrics or not all(isinstance(m, Metric) for m in simulator.metrics):
        _fail(f"{name}.metrics must be a non-empty tuple of archgym.Metric")
    names = [m.name for m in simulator.metrics]
    if len(set(names)) != len(names):
        _fail(f"{name}.metrics has duplicate names: {names}")
    loaded = simulator.load_workload(workload)
    space = simulator.design_space(loaded)
    if not isinstance(space, DesignSpace):
        _fail(f"{name}.design_space() must return a DesignSpace, got {type(space).__name__}")
    if not isinstance(simulator.workload_id(loaded), str):
        _fail(f"{name}.workload_id() must return a string")
    designs = space.sample(np.random.default_rng(seed), samples)
    single: list[dict[str, float] | None] = []
    errors: list[str] = []
    for d in designs:
        try:
            out = _evaluate(simulator, d, loaded)
        except EvaluationError as err:
            single.append(None)
            errors.append(str(err).splitlines()[0])
            continue
        if not isinstance(out, dict):
            _fail(f"{name}.evaluate must return a dict of metrics, got {type(out).__name__}")
        for m in names:
            if m not in out:
                _fail(f"{name}.evaluate({d}) did not report metric {m!r}; it reported {sorted(out)}")
            if isinstance(out[m], bool) or not isinstance(out[m], numbers.Real) or not math.isfinite(float(out[m])):
                _fail(f"{name}.evaluate({d}) reported {m}={out[m]!r}; metrics must be finite numbers "
                      "(raise archgym.EvaluationError for a design the model cannot score)")
        try:
            again = _evaluate(simulator, d, loaded)
        except EvaluationError as err:
            _fail(f"{name}.evaluate is not deterministic: {d} gave {out}, then raised {err}")
        if any(float(again[m]) != float(out[m]) for m in names):
            _fail(f"{name}.evaluate is not deterministic: {d} gave {out} then {again}; seed any randomness "
                  "from the design (results are cached by design)")
        single.append(out)
    if errors and len(errors) == len(designs):
        _fail(f"{name}: all {len(designs)} sampled designs failed, e.g. {errors[0]!r}; fix the simulator (or, for a "
              "sparse table, pass more samples=)")
    batch = simulator.evaluate_batch([dict(d) for d in designs], loaded)
    if len(batch) != len(designs):
        _fail(f"{name}.evaluate_batch returned {len(batch)} results for {len(designs)} designs")
    for d, one, many in zip(designs, single, batch, strict=True):
        if one is None:
            if not isinstance(many, EvaluationError):
                _fail(f"{name}: evaluate raised EvaluationError on {d} but evaluate_batch returned {many!r}; "
                      "evaluate_batch must put the EvaluationError in that design's place")
            continue
        if isinstance(many, BaseException):
            _fail(f"{name}: evaluate_batch failed on {d} where evaluate succeeded: {many}")
        for m in names:
            if not math.isclose(float(many[m]), float(one[m]), rel_tol=1e-9, abs_tol=1e-12):
                _fail(f"{name}: evaluate_batch and evaluate disagree on {m} for {d}: {many[m]} vs {one[m]}")


def check_space(space: DesignSpace, *, samples: int = 32, seed: int = 0) -> None:
    """Encode/decode round-trips, box bins reach every value, bad designs are refused."""
    rng = np.random.default_rng(seed)
    for d in space.sample(rng, samples):
        if space.decode(space.encode(d)) != space.validate(d):
            _fail(f"encode/decode does not round-trip {d}")
        if space.decode_box(space.encode_box(d)) != space.decode(space.encode(d)):
            _fail(f"box encode/decode does not round-trip {d}")
    for p in space.params:
        for i in range(p.cardinality):
            idx = space.encode(space.sample(rng))
            idx[space.names.index(p.name)] = i
            x = space.encode_box(space.decode(idx))
            if space.box_to_indices(x)[space.names.index(p.name)] != i:
                _fail(f"value {p.values[i]!r} of {p.name!r} is unreachable from the Box encoding")
    try:
        space.validate({**space.sample(rng), "__not_a_parameter__": 0})
    except InvalidDesignError:
        pass
    else:
        _fail("validate accepted a design with an unknown parameter")


def check_env(env_or_id: Any, *, seed: int = 0, steps: int = 6, **make_kwargs: Any) -> None:
    """What ``archgym check`` runs: Gymnasium's and SB3's checkers, PettingZoo's parallel API
    test on the multi-agent view, encode/decode checks, and determinism under a seed."""
    import archgym
    from archgym.env import DesignEnv

    def build() -> DesignEnv:
        return env_or_id() if callable(env_or_id) else archgym.make(env_or_id, **make_kwargs)

    if isinstance(env_or_id, DesignEnv):
        _fail("check_env needs an env id or a zero-argument factory, so it can build fresh copies")
    env = build()
    check_space(env.space, seed=seed)
    from gymnasium.utils.env_checker import check_env as gym_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gym_check_env(env, skip_render_check=True)
        try:
            from stable_baselines3.common.env_checker import check_env as sb3_check_env
        except ImportError:
            sb3_check_env = None
        if sb3_check_env is not None:
            sb3_check_env(build(), warn=False)
    from pettingzoo.test import parallel_api_test

    from archgym.multiagent import MultiAgentDesignEnv

    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Passed ..." into the user's test output
        parallel_api_test(MultiAgentDesignEnv(build()), num_cycles=steps)
    if hasattr(env.simulator, "param_groups"):
        parallel_api_test(MultiAgentDesignEnv(build(), groups="simulator"), num_cycles=steps)
    box_env = archgym.make(env_or_id, action_encoding="box", **make_kwargs) if isinstance(env_or_id, str) else None
    if box_env is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gym_check_env(box_env, skip_render_check=True)
    first, second = _rollout(build(), seed, steps), _rollout(build(), seed, steps)
    if first != second:
        step = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
        (obs_a, reward_a, _, design_a), (obs_b, reward_b, _, design_b) = first[step], second[step]
        if design_a != design_b:
            _fail(f"the same seed proposed different designs at step {step}: {dict(design_a)} vs {dict(design_b)}; "
                  "the env must draw its randomness from reset(seed=...)")
        _fail(f"the same seed gave different results at step {step} for design {dict(design_a)}: reward {reward_a} "
              f"then {reward_b}, observation {obs_a} then {obs_b}; the simulator must be deterministic "
              "(check_simulator pinpoints it)")


def _rollout(env: Any, seed: int, steps: int) -> list[tuple]:
    env.reset(seed=seed)
    out = []
    for _ in range(steps):
        obs, reward, term, trunc, info = env.step(env.action_space.sample())
        out.append((tuple(np.round(obs, 12)), reward, info["source"], tuple(sorted(info["design"].items()))))
        if term or trunc:
            env.reset()
    return out


def check_agent(agent_factory: Callable[[], Any], *, budget: int = 12, seed: int = 0) -> None:
    """Agent conformance: exact budget, valid designs only, reproducible, survives failures,
    works on a 1-parameter and a 30-parameter space."""
    import archgym
    from archgym.agents.base import Agent
    from archgym.simulators.synthetic import Synthetic

    agent = agent_factory()
    if not isinstance(agent, Agent):
        _fail(f"agent factory returned {type(agent).__name__}, not an archgym Agent")
    name = type(agent).__name__
    for hp in agent.hyperparameters().values():
        hp.check(hp.default, name)

    def trajectory(sim: Simulator, n: int) -> list[tuple]:
        env = archgym.DesignEnv(sim, objective=archgym.Minimize(sim.metrics[0].name), env_id="archgym/Check-v0")
        result = archgym.run(agent_factory(), env, budget=n, seed=seed)
        if result.counts.get("simulator", 0) != n and result.status != "stalled":
            _fail(f"{name} used {result.counts.get('simulator', 0)} simulator calls for a budget of {n}")
        for ev in result.evaluations:
            env.space.validate(ev.design)
        return [(tuple(sorted(e.design.items())), e.source) for e in result.evaluations]

    big = Synthetic(n_integers=27)  # 27 integers + dataflow + buffer + banks = 30 parameters
    if trajectory(big, budget) != trajectory(big, budget):
        _fail(f"{name} is not reproducible under a seed")
    tiny = _OneParam()
    trajectory(tiny, min(budget, tiny.design_space().size))
    flaky = _Flaky()
    env = archgym.DesignEnv(flaky, objective=archgym.Minimize("cost_au"), env_id="archgym/Check-v0")
    result = archgym.run(agent_factory(), env, budget=budget, seed=seed)
    if not any(e.error for e in result.evaluations):
        _fail(f"{name}: the flaky simulator never failed in {budget} evaluations; check harness problem")
    if result.counts.get("simulator", 0) != budget:
        _fail(f"{name} stopped early after simulator failures")


class _OneParam(Simulator):
    name, version = "check-one-param", "1"
    metrics = (Metric("cost_au", "au", "min"),)

    def design_space(self, workload: Any = None) -> DesignSpace:
        from archgym.space import Integer

        return DesignSpace([Integer("x", 0, 31)])

    def evaluate(self, design: dict, workload: Any = None) -> dict[str, float]:
        return {"cost_au": float((design["x"] - 21) ** 2)}


class _Flaky(Simulator):
    """Fails on half the designs, to check agents survive errors (an agent cannot dodge them all)."""

    name, version = "check-flaky", "1"
    metrics = (Metric("cost_au", "au", "min"),)

    def design_space(self, workload: Any = None) -> DesignSpace:
        from archgym.space import Integer

        return DesignSpace([Integer(f"x{i}", 0, 9) for i in range(4)])

    def evaluate(self, design: dict, workload: Any = None) -> dict[str, float]:
        if sum(design.values()) % 2 == 0:
            raise EvaluationError(f"simulated crash on {design}")
        return {"cost_au": float(sum((v - 4) ** 2 for v in design.values()))}
