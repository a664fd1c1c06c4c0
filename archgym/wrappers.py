"""Action encodings and reward shaping for :class:`~archgym.env.DesignEnv`, as Gymnasium wrappers.

``DesignEnv`` acts on the index encoding (``MultiDiscrete``: one index per parameter). The
other encodings wrap it, and every one reaches every design:

* :class:`BoxActions`: a vector in ``[-1, 1]``, one coordinate per parameter, cut into
  equal-width bins (for SAC, TD3, CMA-ES);
* :class:`FlatActions`: one ``Discrete`` action per design (small spaces, or a table's rows; DQN);
* :class:`EditActions`: one action sets one parameter of the current design to one value
  (one parameter per step; large spaces for DQN). It observes the design it edits.

:class:`StandardizeReward` and :class:`EpisodeLength` shape what a learner sees; neither
changes what is evaluated or recorded.

Example:
    >>> import archgym
    >>> env = BoxActions(archgym.make("archgym/Synthetic-v0"))
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    >>> env.design(env.action_space.low) == env.unwrapped.space.decode([0] * 6)
    True
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from archgym.space import Design, DesignSpace

#: Names :func:`encode` accepts, as ``archgym.make(..., action_encoding=...)`` does.
ENCODINGS = ("multidiscrete", "box", "discrete", "edit")

#: Largest space :class:`FlatActions` enumerates as one action per design.
MAX_FLAT_ACTIONS = 10_000_000

#: Clip for standardised rewards, in standard deviations.
REWARD_CLIP = 5.0


def _space(env: gym.Env) -> DesignSpace:
    space = getattr(env.unwrapped, "space", None)
    if not isinstance(space, DesignSpace):
        raise TypeError(
            f"{type(env.unwrapped).__name__} is not an archgym DesignEnv (it has no DesignSpace)"
        )
    return space


class DesignActions(gym.ActionWrapper):
    """Base of the encodings: ``action(a)`` gives the index vector ``DesignEnv.step`` takes."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.design_space = _space(env)

    def action(self, action: Any) -> np.ndarray:
        raise NotImplementedError

    def design(self, action: Any) -> Design:
        """The design an action stands for."""
        return self.design_space.decode(self.action(action))


class BoxActions(DesignActions):
    """A ``Box`` in ``[-1, 1]`` per parameter, binned so every value is reachable."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.action_space = self.design_space.to_box()

    def action(self, action: Any) -> np.ndarray:
        return self.design_space.box_to_indices(action)


class FlatActions(DesignActions):
    """One ``Discrete`` action per design, in the space's enumeration order (row-major order of
    the index vectors; the row number in a :class:`~archgym.space.RowSpace`)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        size = self.design_space.size
        if size > MAX_FLAT_ACTIONS:
            raise ValueError(
                f"FlatActions: the space has {size:,} designs, more than {MAX_FLAT_ACTIONS:,} "
                "flat actions; use EditActions (one parameter per step) or BoxActions"
            )
        self.action_space = gym.spaces.Discrete(size)

    def action(self, action: Any) -> np.ndarray:
        return self.design_space.flat_to_indices(int(action))


class EditActions(gym.Wrapper):
    """One action sets one parameter of the current design to one of its values.

    The action space is ``Discrete(sum of cardinalities)``; every design is a few edits away.
    Each episode edits a fresh random design. The observation is the metrics followed by the
    current design's indices scaled to ``[-1, 1]``, so a policy sees what it edits.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.design_space = _space(env)
        self._nvec = self.design_space.nvec
        # Which parameter and which value each action sets.
        self._edits = [(i, j) for i, n in enumerate(self._nvec) for j in range(int(n))]
        self.action_space = gym.spaces.Discrete(len(self._edits))
        n_metrics = gym.spaces.flatdim(env.observation_space)
        self.observation_space = gym.spaces.Box(
            -1.0, 1.0, shape=(n_metrics + len(self._nvec),), dtype=np.float32
        )
        self._current = np.zeros(len(self._nvec), dtype=np.int64)

    def indices(self, action: Any) -> np.ndarray:
        """The index vector after applying ``action`` to the current design."""
        i, j = self._edits[int(action)]
        out = self._current.copy()
        out[i] = j
        return out

    def _observe(self, metrics_obs: np.ndarray) -> np.ndarray:
        scaled = self._current / np.maximum(self._nvec - 1, 1) * 2.0 - 1.0
        return np.concatenate([metrics_obs, scaled]).astype(np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        self._current = self.design_space.sample_indices(self.np_random, 1)[0]
        return self._observe(obs), info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        self._current = self.indices(action)
        obs, reward, terminated, truncated, info = self.env.step(self._current)
        return self._observe(obs), reward, terminated, truncated, info


class StandardizeReward(gym.Wrapper):
    """Rewards standardised by running (Welford) statistics and clipped to ``REWARD_CLIP`` deviations.

    A failed evaluation (``info["error"]`` set) scores as the worst success so far, so the
    -1e6 failure reward cannot swamp learning. Unlike Gymnasium's ``NormalizeReward`` this
    scales rewards, not discounted returns: a design's reward does not depend on earlier ones.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.count, self.mean, self.m2 = 0, 0.0, 0.0
        self.worst: float | None = None

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return (
            obs,
            self.standardize(float(reward), info.get("error") is not None),
            terminated,
            truncated,
            info,
        )

    def standardize(self, reward: float, failed: bool) -> float:
        """Update the statistics with ``reward`` (unless ``failed``) and return it standardised."""
        if failed or not np.isfinite(reward):
            reward = self.worst if self.worst is not None else 0.0
        else:
            self.worst = reward if self.worst is None else min(self.worst, reward)
            self.count += 1
            delta = reward - self.mean
            self.mean += delta / self.count
            self.m2 += delta * (reward - self.mean)
        std = float(np.sqrt(self.m2 / self.count)) if self.count > 1 else 1.0
        return float(
            np.clip((reward - self.mean) / (std if std > 0 else 1.0), -REWARD_CLIP, REWARD_CLIP)
        )


class EpisodeLength(gym.Wrapper):
    """Episodes of exactly ``length`` steps, whatever the wrapped env's own episode length."""

    def __init__(self, env: gym.Env, length: int) -> None:
        if int(length) < 1:
            raise ValueError(f"EpisodeLength: length must be >= 1, got {length}")
        super().__init__(env)
        self.length, self._t = int(length), 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict]:
        self._t = 0
        return self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, _, info = self.env.step(action)
        self._t += 1
        return obs, reward, terminated, self._t >= self.length, info


def encode(env: gym.Env, encoding: str) -> gym.Env:
    """``env`` with the named action encoding (``"multidiscrete"`` is the env itself).

    Example:
        >>> import archgym
        >>> encode(archgym.make("archgym/Synthetic-v0"), "edit").action_space
        Discrete(70)
    """
    if encoding == "multidiscrete":
        return env
    wrappers: dict[str, type[gym.Wrapper]] = {
        "box": BoxActions,
        "discrete": FlatActions,
        "edit": EditActions,
    }
    if encoding not in wrappers:
        raise ValueError(
            f"action_encoding={encoding!r}; legal values are {', '.join(map(repr, ENCODINGS))}"
        )
    return wrappers[encoding](env)
