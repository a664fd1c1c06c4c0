"""Named checks for an environment, given as an env id or a zero-argument factory (so each
check can build fresh copies); :func:`check_env` runs them all, as ``archgym check`` does.

Example:
    >>> from archgym.testing.env import check_env_deterministic
    >>> check_env_deterministic("archgym/Synthetic-v0", steps=3)
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from archgym.testing._base import Check, fail, run_all
from archgym.testing.space import check_space


def _builder(env_or_id: Any, make_kwargs: dict[str, Any]) -> Callable[[], Any]:
    import archgym
    from archgym.env import DesignEnv

    if isinstance(env_or_id, DesignEnv):
        fail("check_env needs an env id or a zero-argument factory, so it can build fresh copies")
    return lambda: env_or_id() if callable(env_or_id) else archgym.make(env_or_id, **make_kwargs)


def check_env_space(env_or_id: Any, *, seed: int = 0, **make_kwargs: Any) -> None:
    """The env's design space passes :func:`~archgym.testing.check_space`."""
    check_space(_builder(env_or_id, make_kwargs)().space, seed=seed)


def check_gymnasium_api(env_or_id: Any, **make_kwargs: Any) -> None:
    """Gymnasium's own ``check_env`` passes."""
    from gymnasium.utils.env_checker import check_env as gym_check_env

    env = _builder(env_or_id, make_kwargs)()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gym_check_env(env, skip_render_check=True)


def check_sb3_api(env_or_id: Any, **make_kwargs: Any) -> None:
    """Stable-Baselines3's ``check_env`` passes."""
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = _builder(env_or_id, make_kwargs)()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sb3_check_env(env, warn=False)


def check_pettingzoo_api(env_or_id: Any, *, steps: int = 6, **make_kwargs: Any) -> None:
    """PettingZoo's ``parallel_api_test`` passes on the multi-agent view (and its simulator grouping)."""
    from pettingzoo.test import parallel_api_test

    from archgym.multiagent import MultiAgentDesignEnv

    build = _builder(env_or_id, make_kwargs)
    env = build()
    with contextlib.redirect_stdout(
        io.StringIO()
    ):  # it prints "Passed ..." into the user's test output
        parallel_api_test(MultiAgentDesignEnv(env), num_cycles=steps)
        if hasattr(env.simulator, "param_groups"):
            parallel_api_test(MultiAgentDesignEnv(build(), groups="simulator"), num_cycles=steps)


def check_box_encoding(env_id: str, **make_kwargs: Any) -> None:
    """The env made with ``action_encoding="box"`` passes Gymnasium's ``check_env`` (env ids only)."""
    from gymnasium.utils.env_checker import check_env as gym_check_env

    import archgym

    if not isinstance(env_id, str):
        raise TypeError(
            f"check_box_encoding needs an env id (it makes the env with action_encoding='box'), "
            f"got {type(env_id).__name__}"
        )
    box_env = archgym.make(env_id, action_encoding="box", **make_kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gym_check_env(box_env, skip_render_check=True)


def check_env_deterministic(
    env_or_id: Any, *, seed: int = 0, steps: int = 6, **make_kwargs: Any
) -> None:
    """Two fresh envs reset with the same seed and stepped the same way give the same designs and results."""
    build = _builder(env_or_id, make_kwargs)
    first, second = _rollout(build(), seed, steps), _rollout(build(), seed, steps)
    if first != second:
        step = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
        (obs_a, reward_a, _, design_a), (obs_b, reward_b, _, design_b) = first[step], second[step]
        if design_a != design_b:
            fail(
                f"the same seed proposed different designs at step {step}: {dict(design_a)} vs {dict(design_b)}; "
                "the env must draw its randomness from reset(seed=...)"
            )
        fail(
            f"the same seed gave different results at step {step} for design {dict(design_a)}: reward {reward_a} "
            f"then {reward_b}, observation {obs_a} then {obs_b}; the simulator must be deterministic "
            "(check_simulator pinpoints it)"
        )


def _rollout(env: Any, seed: int, steps: int) -> list[tuple]:
    env.reset(seed=seed)
    out = []
    for _ in range(steps):
        obs, reward, term, trunc, info = env.step(env.action_space.sample())
        out.append(
            (
                tuple(np.round(obs, 12)),
                reward,
                info["source"],
                tuple(sorted(info["design"].items())),
            )
        )
        if term or trunc:
            env.reset()
    return out


def checks(env_or_id: Any) -> list[Check]:
    """The checks that apply: SB3's only where it is installed, the Box one only for env ids."""
    out: list[Check] = [check_env_space, check_gymnasium_api]
    if importlib.util.find_spec("stable_baselines3") is not None:
        out.append(check_sb3_api)
    out.append(check_pettingzoo_api)
    if isinstance(env_or_id, str):
        out.append(check_box_encoding)
    out.append(check_env_deterministic)
    return out


def check_env(env_or_id: Any, *, seed: int = 0, steps: int = 6, **make_kwargs: Any) -> None:
    """What ``archgym check`` runs: Gymnasium's and SB3's checkers, PettingZoo's parallel API
    test on the multi-agent view, encode/decode checks, and determinism under a seed."""
    run_all(checks(env_or_id), env_or_id, {"seed": seed, "steps": steps, **make_kwargs}, "env")
