"""Single-agent reinforcement learning with stable-baselines3 on a :class:`~archgym.env.DesignEnv`.

By default (``actions="edit"``) a learner edits a current design that it observes, next to
the incumbent (the best design so far): PPO, A2C and DQN set one parameter to one value per
step (``Discrete(sum of cardinalities)``), SAC and TD3 choose one parameter and its value with a
``Box`` vector (TD3, whose actor is deterministic, draws the parameter by a Boltzmann choice over
its scores, ``knob_temperature``). The first ``warmup`` share of the budget edits fresh random designs; after it
each episode starts from the incumbent (one time in five from a random design) and moves to an
edited design only if it is at least as good (``accept="better"``), so an episode is a hill
climb whose moves the policy chooses, and the policy learns, across episodes, which edits
improve good designs; every design stays reachable. Once the incumbent is a local optimum
(every one-edit neighbour seen, or as many evaluations without a new best),
``start="restart"`` (the default) starts episodes from a climb of its own that persists across
episodes, restarted from a random design or an elite one with 2-3 parameters re-sampled
(:class:`~archgym.wrappers.Restarts`): so a trap two coupled edits from the optimum is left. Under a Pareto objective a design is
scored by how many designs found so far dominate it
(:class:`~archgym.wrappers.DominanceReward`), so the climbs spread along the front. With
``actions="native"`` the action is a whole design: PPO and A2C act on the ``MultiDiscrete``
index encoding, SAC and TD3 on the ``Box`` encoding (equal-width bins, every value reachable),
and DQN on one flat ``Discrete`` action per design when the space has at most
``max_flat_actions`` designs (the edit encoding above that).

A design's reward does not depend on the designs before it, so ``gamma`` defaults to 0 (each
step is its own decision); raise it to treat an episode of ``episode_length`` designs as a
sequence. A learner sees each reward as its quantile among the rewards so far
(:class:`~archgym.wrappers.RankReward`; ``reward="standardize"`` uses running mean and
deviation instead), so neither a target's penalties nor the -1e6 failure reward swamp learning,
and the signal stays informative late in a search. With ``fresh=True`` (the default) a design
the learner proposed before is moved to an unseen neighbour
(:class:`~archgym.wrappers.FreshDesigns`): a policy that has narrowed then searches around its
favourites instead of spending steps on cache hits. Training stops the moment
the budget of simulator calls is used (cache hits are free), or when
:class:`~archgym.loop.StopRule` sees :data:`~archgym.loop.MAX_IDLE_ROUNDS` steps in a row
bring nothing new.

Example:
    >>> import archgym
    >>> agent = PPO(n_steps=16, batch_size=16, hidden=16)
    >>> archgym.run(agent, "archgym/Synthetic-v0", budget=20, seed=0).counts["simulator"]
    20
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from archgym._optional import import_optional
from archgym.agents.base import Agent, hyperparameter
from archgym.env import DesignEnv
from archgym.loop import StopRule
from archgym.objective import Pareto
from archgym.wrappers import (
    ACCEPTS,
    STARTS,
    DominanceReward,
    EpisodeLength,
    FreshDesigns,
    RankReward,
    StandardizeReward,
    encode,
)

#: How a learner sees rewards: quantile among rewards so far, or running standardisation.
REWARD_SHAPES = ("rank", "standardize")


def _require_sb3() -> Any:
    return import_optional(
        "stable_baselines3", package="'stable-baselines3>=2' torch", purpose="the RL agents"
    )


def learner_view(
    env: DesignEnv,
    encoding: str,
    episode_length: int,
    *,
    reward: str = "standardize",
    fresh: bool = False,
    start: str = "random",
    accept: str = "always",
    warmup: int = 0,
    knob_temperature: float = 0.0,
) -> gym.Env:
    """What an SB3 learner acts on: ``env`` (with repeats moved to fresh designs if ``fresh``)
    in ``encoding`` (edit encodings with ``start``, ``accept`` and ``warmup`` as for
    :class:`~archgym.wrappers.EditActions`; ``"box-edit"`` with ``knob_temperature`` as for
    :class:`~archgym.wrappers.BoxEditActions`), rewards shaped by ``reward`` (``"rank"`` or
    ``"standardize"``; under a Pareto objective, of the :class:`~archgym.wrappers.DominanceReward`
    score), episodes of ``episode_length`` designs (see :mod:`archgym.wrappers`).

    Example:
        >>> import archgym
        >>> learner_view(archgym.make("archgym/Synthetic-v0"), "edit", 4).action_space
        Discrete(70)
    """
    if reward not in REWARD_SHAPES:
        raise ValueError(
            f"reward={reward!r}; legal values are {', '.join(map(repr, REWARD_SHAPES))}"
        )
    base: gym.Env = DominanceReward(env) if isinstance(env.objective, Pareto) else env
    base = FreshDesigns(base) if fresh else base
    edits: dict[str, Any] = dict(start=start, accept=accept, warmup=warmup)
    if encoding == "box-edit":
        edits["knob_temperature"] = knob_temperature
    encoded = (
        encode(base, encoding, **edits)
        if encoding in ("edit", "box-edit")
        else encode(base, encoding)
    )
    shaped = (RankReward if reward == "rank" else StandardizeReward)(encoded)
    return EpisodeLength(shaped, episode_length)


def DesignActions(env: DesignEnv, encoding: str, episode_length: int) -> gym.Env:  # noqa: N802  old class name
    """Deprecated: use :func:`learner_view`, or the wrappers in :mod:`archgym.wrappers`."""
    warnings.warn(
        "archgym.agents.rl.DesignActions is now archgym.agents.rl.learner_view (a stack of "
        "archgym.wrappers); the old name goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return learner_view(env, encoding, episode_length)


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
    #: How the learner sees rewards: "rank" (quantile so far) or "standardize" (running z-score).
    reward: str = hyperparameter("rank", choices=REWARD_SHAPES)
    #: Move a design proposed before to an unseen neighbour instead of answering from the cache.
    fresh: bool = hyperparameter(True)
    #: Where an episode of the edit encoding starts: a random design, one of the best so far,
    #: the best so far (the incumbent), or the incumbent until it is a local optimum and then
    #: restarted climbs (:class:`~archgym.wrappers.Restarts`); all but the first start at
    #: random one time in five.
    start: str = hyperparameter("restart", choices=STARTS)
    #: When the edited design becomes the current one: "always", or only if at least as good
    #: ("better": an episode is a hill climb whose moves the policy chooses).
    accept: str = hyperparameter("better", choices=ACCEPTS)
    #: Share of the budget spent first on random designs (edit encodings), so the first climbs
    #: start from the best of many rather than from the basin of the first good design.
    warmup: float = hyperparameter(0.1, low=0.0, high=1.0)
    #: The action encoding: "edit" changes the current design (one parameter per discrete
    #: action, every parameter by a Box vector), "native" is the algorithm's whole-design one.
    actions: str = hyperparameter("edit", choices=("native", "edit"))

    def algorithm_kwargs(self) -> dict[str, Any]:
        """Algorithm-specific keyword arguments for the stable-baselines3 constructor."""
        return {}

    def view_kwargs(self) -> dict[str, Any]:
        """Algorithm-specific keyword arguments for :func:`learner_view`."""
        return {}

    def action_encoding(self, env: DesignEnv) -> str:
        if self.actions == "native":
            return self.encoding
        return "box-edit" if self.encoding == "box" else "edit"

    def learn(self, env: DesignEnv, budget: int) -> None:
        sb3 = _require_sb3()
        from stable_baselines3.common.callbacks import BaseCallback
        from stable_baselines3.common.logger import Logger

        evaluator = env.evaluator
        rule = StopRule(evaluator, env.space.size)

        class StopAtBudget(BaseCallback):
            """Ends training when archgym's stop rule says so; ``done`` tells the outer loop not to resume."""

            def __init__(self) -> None:
                super().__init__()
                self.done = rule.done

            def _on_step(self) -> bool:
                rule.update()
                self.done = rule.done
                return not self.done

        view = learner_view(
            env,
            self.action_encoding(env),
            self.episode_length,
            reward=self.reward,
            fresh=self.fresh,
            start=self.start,
            accept=self.accept,
            warmup=int(self.warmup * budget),
            **self.view_kwargs(),
        )
        self._action_space = view.action_space  # what algorithm_kwargs may size things by
        seed = int(self.rng.integers(2**31))
        policy_kwargs = {"net_arch": [self.hidden] * self.layers}
        with _one_thread():
            self.model = getattr(sb3, self.algorithm)(
                "MlpPolicy",
                view,
                learning_rate=self.learning_rate,
                gamma=self.gamma,
                seed=seed,
                verbose=0,
                policy_kwargs=policy_kwargs,
                device="cpu",
                **self.algorithm_kwargs(),
            )
            # SB3's default logger makes an SB3-<date> dir in the temp dir on every learn(), even
            # with nothing to write; archgym's record is the store, so log nowhere.
            self.model.set_logger(Logger(folder=None, output_formats=[]))
            stop = StopAtBudget()
            first = True
            # Each round is sized to the simulator calls left, so SB3's schedules (exploration,
            # learning rate) follow the budget; cache hits can leave calls over, hence the loop.
            while not stop.done:
                self.model.learn(
                    total_timesteps=max(1, evaluator.remaining or budget),
                    callback=stop,
                    reset_num_timesteps=first,
                )
                first = False


def _check_batch(owner: SB3Agent, batch_size: int, n_steps: int) -> None:
    if batch_size > n_steps:
        raise ValueError(
            f"{type(owner).__name__}: hyperparameter 'batch_size'={batch_size} must not exceed "
            f"'n_steps'={n_steps} (legal range [2, {n_steps}])"
        )


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
        return dict(
            n_steps=self.n_steps,
            batch_size=self.batch_size,
            n_epochs=self.n_epochs,
            ent_coef=self.ent_coef,
            clip_range=self.clip_range,
            gae_lambda=1.0,
        )


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
        if self.actions == "edit" or env.space.size > self.max_flat_actions:
            return "edit"
        return "discrete"

    def algorithm_kwargs(self) -> dict[str, Any]:
        return dict(
            buffer_size=self.buffer_size,
            learning_starts=self.learning_starts,
            batch_size=self.batch_size,
            exploration_fraction=self.exploration_fraction,
            target_update_interval=self.target_update_interval,
            train_freq=1,
        )


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
        return dict(
            learning_starts=self.learning_starts,
            batch_size=self.batch_size,
            buffer_size=self.buffer_size,
        )


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
    #: How the edit encoding picks the parameter to edit from the actor's scores: 0 edits the
    #: highest-scored one; above 0, a Boltzmann draw at this temperature
    #: (:class:`~archgym.wrappers.BoxEditActions`). The deterministic actor's small noise
    #: rarely changes the argmax, so with 0 it edited one parameter in two of three steps and
    #: stayed on mapping-edp's trap in 2 of 3 seeds at budget 1000.
    knob_temperature: float = hyperparameter(1.0, low=0.0, high=100.0)

    def view_kwargs(self) -> dict[str, Any]:
        return {"knob_temperature": self.knob_temperature} if self.actions == "edit" else {}

    def algorithm_kwargs(self) -> dict[str, Any]:
        from stable_baselines3.common.noise import ActionNoise

        n, sigma = int(np.prod(self._action_space.shape)), self.action_noise
        rng = np.random.default_rng(self.rng.integers(2**31))

        class SeededNormalNoise(ActionNoise):
            # SB3's NormalActionNoise draws from the global NumPy state; this one is seeded by the agent.
            def __call__(self) -> np.ndarray:
                return rng.normal(0.0, sigma, size=n).astype(np.float32)

        return dict(
            learning_starts=self.learning_starts,
            batch_size=self.batch_size,
            buffer_size=self.buffer_size,
            action_noise=SeededNormalNoise(),
        )
