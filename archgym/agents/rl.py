"""Single-agent reinforcement learning with stable-baselines3 on a :class:`~archgym.env.DesignEnv`.

The action is a whole design. PPO and A2C act on the ``MultiDiscrete`` index encoding, SAC
and TD3 on the ``Box`` encoding (equal-width bins, every value reachable), and DQN on one
flat ``Discrete`` action per design when the space has at most ``max_flat_actions`` designs;
on larger spaces DQN's action instead sets one parameter to one value of the current design
(``Discrete(sum of cardinalities)``), which still reaches every design.

A design's reward does not depend on the designs before it, so ``gamma`` defaults to 0 (each
step is its own decision); raise it to treat an episode of ``episode_length`` designs as a
sequence. Rewards are standardised with running statistics (a failed evaluation counts as the
worst reward seen) so the -1e6 failure reward cannot swamp learning. Training stops the moment
the budget of simulator calls is used (cache hits are free), or when
:data:`~archgym.agents.runner.MAX_IDLE_ROUNDS` steps in a row bring no new simulation.

Example:
    >>> import archgym
    >>> agent = PPO(n_steps=16, batch_size=16, hidden=16)
    >>> archgym.run(agent, "archgym/Synthetic-v0", budget=20, seed=0).counts["simulator"]
    20
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from archgym.agents.base import Agent, hyperparameter
from archgym.agents.runner import MAX_IDLE_ROUNDS
from archgym.env import DesignEnv

#: Clip for standardised rewards (in standard deviations).
REWARD_CLIP = 5.0


def _require_sb3() -> Any:
    try:
        import stable_baselines3
    except ImportError as err:
        raise ImportError("the RL agents need stable-baselines3 and torch: pip install 'stable-baselines3>=2'") from err
    return stable_baselines3


class DesignActions(gym.Env):
    """A view of a :class:`DesignEnv` with another action encoding, standardised rewards and
    its own episode length. ``encoding`` is "multidiscrete", "box", "discrete" (one action per
    design) or "edit" (one action sets one parameter to one value of the current design).

    Example:
        >>> import archgym
        >>> view = DesignActions(archgym.make("archgym/Synthetic-v0"), "edit", episode_length=4)
        >>> int(view.action_space.n)  # 4 dataflows + 3 * 16 integers + 11 buffers + 7 bank counts
        70
    """

    metadata = {"render_modes": []}

    def __init__(self, env: DesignEnv, encoding: str, episode_length: int) -> None:
        super().__init__()
        self.env, self.encoding, self.episode_length = env, encoding, int(episode_length)
        space = env.space
        self._nvec = space.nvec
        if encoding == "multidiscrete":
            self.action_space = space.to_gym()
        elif encoding == "box":
            self.action_space = space.to_box()
        elif encoding == "discrete":
            self.action_space = gym.spaces.Discrete(space.size)
        elif encoding == "edit":
            self.action_space = gym.spaces.Discrete(int(self._nvec.sum()))
            # Which parameter and which value each action sets.
            self._edit = [(i, j) for i, n in enumerate(self._nvec) for j in range(int(n))]
        else:
            raise ValueError(f"encoding={encoding!r}; legal values are 'multidiscrete', 'box', 'discrete', 'edit'")
        n_metrics = env.observation_space.shape[0]
        # The edit encoding needs to see the design it edits: metrics + indices scaled to [-1, 1].
        extra = len(self._nvec) if encoding == "edit" else 0
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(n_metrics + extra,), dtype=np.float32)
        self._current = np.zeros(len(self._nvec), dtype=np.int64)
        self._t = 0
        self._count, self._mean, self._m2, self._worst = 0, 0.0, 0.0, None

    def _observe(self, metrics_obs: np.ndarray) -> np.ndarray:
        if self.encoding != "edit":
            return metrics_obs.astype(np.float32)
        scaled = self._current / np.maximum(self._nvec - 1, 1) * 2.0 - 1.0
        return np.concatenate([metrics_obs, scaled]).astype(np.float32)

    def indices(self, action: Any) -> np.ndarray:
        """The design (index vector) an action stands for."""
        if self.encoding == "multidiscrete":
            return np.asarray(action, dtype=np.int64).reshape(-1)
        if self.encoding == "box":
            return self.env.space.box_to_indices(action)
        if self.encoding == "discrete":
            return np.array(np.unravel_index(int(action), tuple(self._nvec)), dtype=np.int64)
        i, j = self._edit[int(action)]
        idx = self._current.copy()
        idx[i] = j
        return idx

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._t = 0
        obs, info = self.env.reset(seed=seed)
        if self.encoding == "edit":  # each episode edits a fresh random design
            self._current = self.env.space.sample_indices(self.np_random, 1)[0]
        return self._observe(obs), info

    def step(self, action: Any):
        idx = self.indices(action)
        self._current = idx
        obs, reward, _, _, info = self.env.step(self.env.design_to_action(self.env.space.decode(idx)))
        self._t += 1
        return self._observe(obs), self._standardise(reward, info["error"] is not None), False, \
            self._t >= self.episode_length, info

    def _standardise(self, reward: float, failed: bool) -> float:
        """Running (Welford) standardisation; a failure scores as the worst success so far."""
        if failed or not np.isfinite(reward):
            reward = self._worst if self._worst is not None else 0.0
        else:
            self._worst = reward if self._worst is None else min(self._worst, reward)
            self._count += 1
            delta = reward - self._mean
            self._mean += delta / self._count
            self._m2 += delta * (reward - self._mean)
        std = np.sqrt(self._m2 / self._count) if self._count > 1 else 1.0
        return float(np.clip((reward - self._mean) / (std if std > 0 else 1.0), -REWARD_CLIP, REWARD_CLIP))


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Tiny networks run fastest on one thread; restore the caller's setting afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class SB3Agent(Agent):
    """Common ground of the stable-baselines3 agents: build the view, the model, train to the budget."""

    name = "sb3"
    drives_env: ClassVar[bool] = True
    #: stable-baselines3 class name and the action encoding it acts on.
    algorithm: ClassVar[str] = ""
    encoding: ClassVar[str] = "multidiscrete"

    learning_rate: float = hyperparameter(3e-4, low=1e-6, high=1.0, log=True)
    hidden: int = hyperparameter(64, low=4, high=1024, log=True)
    layers: int = hyperparameter(2, low=1, high=4)
    gamma: float = hyperparameter(0.0, low=0.0, high=1.0)
    episode_length: int = hyperparameter(8, low=1, high=10_000, log=True)

    def algorithm_kwargs(self) -> dict[str, Any]:
        """Algorithm-specific keyword arguments for the stable-baselines3 constructor."""
        return {}

    def action_encoding(self, env: DesignEnv) -> str:
        return self.encoding

    def learn(self, env: DesignEnv, budget: int) -> None:
        sb3 = _require_sb3()
        from stable_baselines3.common.callbacks import BaseCallback

        evaluator = env.evaluator
        size = env.space.size

        class StopAtBudget(BaseCallback):
            """Ends training once the budget is used, the space is used up, or learning only
            revisits cached designs; ``done`` tells the outer loop not to resume."""

            def __init__(self) -> None:
                super().__init__()
                self.done, self.idle, self.calls = False, 0, evaluator.simulator_calls

            def _on_step(self) -> bool:
                calls = evaluator.simulator_calls
                self.idle = 0 if calls > self.calls else self.idle + 1
                self.calls = calls
                self.done = evaluator.exhausted or calls >= size or self.idle >= MAX_IDLE_ROUNDS
                return not self.done

        view = DesignActions(env, self.action_encoding(env), self.episode_length)
        seed = int(self.rng.integers(2**31))
        policy_kwargs = {"net_arch": [self.hidden] * self.layers}
        with _one_thread():
            self.model = getattr(sb3, self.algorithm)(
                "MlpPolicy", view, learning_rate=self.learning_rate, gamma=self.gamma, seed=seed, verbose=0,
                policy_kwargs=policy_kwargs, device="cpu", **self.algorithm_kwargs())
            stop = StopAtBudget()
            first = True
            # Each round is sized to the simulator calls left, so SB3's schedules (exploration,
            # learning rate) follow the budget; cache hits can leave calls over, hence the loop.
            while not stop.done:
                self.model.learn(total_timesteps=max(1, evaluator.remaining or budget), callback=stop,
                                 reset_num_timesteps=first)
                first = False


def _check_batch(owner: SB3Agent, batch_size: int, n_steps: int) -> None:
    if batch_size > n_steps:
        raise ValueError(f"{type(owner).__name__}: hyperparameter 'batch_size'={batch_size} must not exceed "
                         f"'n_steps'={n_steps} (legal range [2, {n_steps}])")


@dataclass
class PPO(SB3Agent):
    """Proximal policy optimisation on the ``MultiDiscrete`` encoding.

    Example:
        >>> PPO(n_steps=64, batch_size=32).get_params()["n_steps"]
        64
    """

    name = "ppo"
    algorithm = "PPO"
    n_steps: int = hyperparameter(32, low=2, high=8192, log=True)
    batch_size: int = hyperparameter(32, low=2, high=8192, log=True)  # type: ignore[assignment]
    n_epochs: int = hyperparameter(4, low=1, high=100)
    ent_coef: float = hyperparameter(0.01, low=0.0, high=1.0)
    clip_range: float = hyperparameter(0.2, low=0.01, high=1.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_batch(self, self.batch_size, self.n_steps)

    def algorithm_kwargs(self) -> dict[str, Any]:
        return dict(n_steps=self.n_steps, batch_size=self.batch_size, n_epochs=self.n_epochs,
                    ent_coef=self.ent_coef, clip_range=self.clip_range, gae_lambda=1.0)


@dataclass
class A2C(SB3Agent):
    """Advantage actor-critic on the ``MultiDiscrete`` encoding.

    Example:
        >>> A2C(n_steps=8).get_params()["ent_coef"]
        0.05
    """

    name = "a2c"
    algorithm = "A2C"
    learning_rate: float = hyperparameter(7e-4, low=1e-6, high=1.0, log=True)
    n_steps: int = hyperparameter(8, low=1, high=8192, log=True)
    #: Higher than PPO's: with 0.01 A2C's policy collapsed onto cached designs within 1000 steps.
    ent_coef: float = hyperparameter(0.05, low=0.0, high=1.0)

    def algorithm_kwargs(self) -> dict[str, Any]:
        return dict(n_steps=self.n_steps, ent_coef=self.ent_coef, gae_lambda=1.0)


@dataclass
class DQN(SB3Agent):
    """Deep Q-learning on one ``Discrete`` action per design (small spaces) or per parameter edit.

    Example:
        >>> DQN(max_flat_actions=1024).get_params()["max_flat_actions"]
        1024
    """

    name = "dqn"
    algorithm = "DQN"
    learning_rate: float = hyperparameter(1e-3, low=1e-6, high=1.0, log=True)
    buffer_size: int = hyperparameter(10_000, low=10, high=10_000_000, log=True)
    learning_starts: int = hyperparameter(32, low=0, high=100_000)
    batch_size: int = hyperparameter(32, low=1, high=4096, log=True)  # type: ignore[assignment]
    exploration_fraction: float = hyperparameter(0.3, low=0.0, high=1.0)
    target_update_interval: int = hyperparameter(50, low=1, high=100_000, log=True)
    #: Largest space DQN acts on with one action per design; above it, actions edit one parameter.
    max_flat_actions: int = hyperparameter(4096, low=1, high=1_000_000, log=True)

    def action_encoding(self, env: DesignEnv) -> str:
        return "discrete" if env.space.size <= self.max_flat_actions else "edit"

    def algorithm_kwargs(self) -> dict[str, Any]:
        return dict(buffer_size=self.buffer_size, learning_starts=self.learning_starts, batch_size=self.batch_size,
                    exploration_fraction=self.exploration_fraction, target_update_interval=self.target_update_interval,
                    train_freq=1)


@dataclass
class SAC(SB3Agent):
    """Soft actor-critic on the ``Box`` encoding.

    Example:
        >>> SAC(batch_size=16).get_params()["batch_size"]
        16
    """

    name = "sac"
    algorithm = "SAC"
    encoding = "box"
    learning_rate: float = hyperparameter(1e-3, low=1e-6, high=1.0, log=True)
    learning_starts: int = hyperparameter(32, low=0, high=100_000)
    batch_size: int = hyperparameter(64, low=1, high=4096, log=True)  # type: ignore[assignment]
    buffer_size: int = hyperparameter(10_000, low=10, high=10_000_000, log=True)

    def algorithm_kwargs(self) -> dict[str, Any]:
        return dict(learning_starts=self.learning_starts, batch_size=self.batch_size, buffer_size=self.buffer_size)


@dataclass
class TD3(SB3Agent):
    """Twin delayed DDPG on the ``Box`` encoding, with Gaussian exploration noise ``action_noise``.

    Example:
        >>> TD3(action_noise=0.3).get_params()["action_noise"]
        0.3
    """

    name = "td3"
    algorithm = "TD3"
    encoding = "box"
    learning_rate: float = hyperparameter(1e-3, low=1e-6, high=1.0, log=True)
    learning_starts: int = hyperparameter(32, low=0, high=100_000)
    batch_size: int = hyperparameter(64, low=1, high=4096, log=True)  # type: ignore[assignment]
    buffer_size: int = hyperparameter(10_000, low=10, high=10_000_000, log=True)
    action_noise: float = hyperparameter(0.2, low=0.0, high=2.0)

    def algorithm_kwargs(self) -> dict[str, Any]:
        from stable_baselines3.common.noise import ActionNoise

        n, sigma = len(self._require_setup().params), self.action_noise
        rng = np.random.default_rng(self.rng.integers(2**31))

        class SeededNormalNoise(ActionNoise):
            # SB3's NormalActionNoise draws from the global NumPy state; this one is seeded by the agent.
            def __call__(self) -> np.ndarray:
                return rng.normal(0.0, sigma, size=n).astype(np.float32)

        return dict(learning_starts=self.learning_starts, batch_size=self.batch_size, buffer_size=self.buffer_size,
                    action_noise=SeededNormalNoise())
