"""Action encodings and reward shaping for :class:`~archgym.env.DesignEnv`, as Gymnasium wrappers.

``DesignEnv`` acts on the index encoding (``MultiDiscrete``: one index per parameter). The
other encodings wrap it, and every one reaches every design:

* :class:`BoxActions`: a vector in ``[-1, 1]``, one coordinate per parameter, cut into
  equal-width bins (for SAC, TD3, CMA-ES);
* :class:`FlatActions`: one ``Discrete`` action per design (small spaces, or a table's rows; DQN);
* :class:`EditActions`: one action sets one parameter of the current design to one value
  (one parameter per step; large spaces for DQN). It observes the design it edits.
* :class:`BoxEditActions`: the continuous form of the edit encoding: a ``Box`` vector that
  chooses one parameter and its new value (SAC, TD3 with ``actions="edit"``).

:class:`StandardizeReward`, :class:`RankReward` and :class:`EpisodeLength` shape what a
learner sees; none changes what is evaluated or recorded. :class:`FreshDesigns` sits under an
encoding and replaces a design the learner already proposed by an unseen one nearby, so a
learner whose policy has narrowed keeps exploring around its choice instead of spending steps
on cache hits.

Example:
    >>> import archgym
    >>> env = BoxActions(archgym.make("archgym/Synthetic-v0"))
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    >>> env.design(env.action_space.low) == env.unwrapped.space.decode([0] * 6)
    True
"""

from __future__ import annotations

import bisect
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from archgym.objective import Pareto
from archgym.space import Design, DesignSpace, RowSpace

#: Names :func:`encode` accepts, as ``archgym.make(..., action_encoding=...)`` does.
ENCODINGS = ("multidiscrete", "box", "discrete", "edit", "box-edit")

#: Largest space :class:`FlatActions` enumerates as one action per design.
MAX_FLAT_ACTIONS = 10_000_000

#: Designs an elite-start :class:`EditActions` episode may start from, and the chance an
#: elite- or incumbent-start episode starts from a random design instead.
ELITES = 5
RANDOM_START = 0.2
#: Where an :class:`EditActions` episode starts, and when its current design moves to an edit.
STARTS = ("random", "elite", "incumbent", "restart")
ACCEPTS = ("always", "better")

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


class Restarts:
    """Where the next climb starts: the incumbent until it is stuck, then a climb of its own.

    A hill climb by single-parameter edits ends on a local optimum: once every design one edit
    away from the incumbent is seen, or ``patience`` evaluations (default: as many as it has
    one-edit neighbours) bring no new best, the incumbent is *stuck*. Climbs then start from
    the *climber*, a second current design that persists across episodes (iterated local
    search): it starts from a random design or from an elite design with 2 to 3 parameters
    re-sampled (a kick, so coupled multi-parameter moves are made; on a table's
    :class:`~archgym.space.RowSpace`, from a random row), moves to each edit at
    least as good, and is replaced once it is stuck in turn. A climber that beats the incumbent
    becomes the incumbent, and climbs start from it again. Every design fed to :meth:`record`
    counts as seen.

    Example:
        >>> import archgym
        >>> space = archgym.make("archgym/Synthetic-v0").space
        >>> r = Restarts(space, patience=2)
        >>> r.record(np.zeros(6, dtype=np.int64), 1.0)
        >>> r.anchor(np.random.default_rng(0))[2]  # the incumbent is fresh: climb from it
        False
        >>> r.record(np.ones(6, dtype=np.int64), 0.0); r.record(np.full(6, 2), 0.5)
        >>> r.anchor(np.random.default_rng(0))[2]  # 2 evaluations without a new best: stuck
        True
    """

    def __init__(self, space: DesignSpace, patience: int | None = None) -> None:
        self.space = space
        self._nvec = space.nvec.astype(np.int64)
        self.patience = int(
            patience if patience is not None else max(1, int((self._nvec - 1).sum()))
        )
        self.seen: set[bytes] = set()
        self.elites: list[tuple[float, bytes]] = []  # (reward, index bytes), best first
        self.best: list[bytes] = []  # every design tied with the best reward so far
        self.best_reward = -np.inf
        self._since_best = 0
        self._climber: np.ndarray | None = None
        self._climber_reward = -np.inf
        self._climber_idle = 0

    def record(self, indices: np.ndarray, reward: float) -> None:
        """Count ``indices`` as evaluated with ``reward`` (``-inf`` for a failure)."""
        key = np.asarray(indices, dtype=np.int64).tobytes()
        self.seen.add(key)
        self._since_best += 1
        if not np.isfinite(reward):
            return
        if all(k != key for _, k in self.elites):
            self.elites.append((reward, key))
            self.elites.sort(key=lambda e: -e[0])
            del self.elites[ELITES:]
        if reward > self.best_reward:
            self.best, self.best_reward, self._since_best = [key], reward, 0
        elif reward == self.best_reward and key not in self.best:
            self.best.append(key)  # a new design on the front (dominance scores) is progress
            self._since_best = 0

    def incumbent(self) -> np.ndarray | None:
        """The best design seen so far (the first of any tied), or ``None`` before any."""
        return np.frombuffer(self.best[0], dtype=np.int64).copy() if self.best else None

    def stuck(self, indices: np.ndarray, idle: int) -> bool:
        """Whether a climb at ``indices``, ``idle`` evaluations without progress, is over."""
        if idle >= self.patience:
            return True
        for i, n in enumerate(self._nvec):
            for j in range(int(n)):
                if j != indices[i]:
                    moved = indices.copy()
                    moved[i] = j
                    if moved.tobytes() not in self.seen:
                        return False
        return True

    def anchor(self, rng: np.random.Generator) -> tuple[np.ndarray, float, bool] | None:
        """The design the next climb edits, its reward (``-inf`` if not evaluated), and whether
        it is the climber (pass its edits to :meth:`climbed`); ``None`` before any design."""
        if not self.best:
            return None
        chosen = np.frombuffer(self.best[int(rng.integers(len(self.best)))], dtype=np.int64)
        if not self.stuck(chosen.copy(), self._since_best):
            return chosen.copy(), self.best_reward, False
        if self._climber is None or self.stuck(self._climber, self._climber_idle):
            self._climber, self._climber_reward, self._climber_idle = self._restart(rng), -np.inf, 0
        return self._climber.copy(), self._climber_reward, True

    def _restart(self, rng: np.random.Generator) -> np.ndarray:
        fresh = self.space.sample_indices(rng, 1)[0].astype(np.int64)
        # A kicked row of a table is rarely a row: restart a row space's climbs from a random row.
        if rng.random() < 0.5 or not self.elites or isinstance(self.space, RowSpace):
            return fresh
        start = np.frombuffer(self.elites[int(rng.integers(len(self.elites)))][1], dtype=np.int64)
        start = start.copy()
        d = len(self._nvec)
        genes = rng.choice(d, size=min(d, int(rng.integers(2, 4))), replace=False)
        start[genes] = fresh[genes]
        return start

    def climbed(self, indices: np.ndarray, reward: float) -> None:
        """The climber's edit ``indices`` scored ``reward``: move to it if at least as good."""
        if self._climber is None:
            return
        if reward > self._climber_reward:
            self._climber_idle = 0
        else:
            self._climber_idle += 1
        if reward >= self._climber_reward and np.isfinite(reward):
            self._climber, self._climber_reward = np.asarray(indices, dtype=np.int64).copy(), reward


class EditActions(gym.Wrapper):
    """One action sets one parameter of the current design to one of its values.

    The action space is ``Discrete(sum of cardinalities)``; every design is a few edits away.
    Where an episode starts (``start``):

    * ``"random"``: a fresh random design;
    * ``"elite"``: one of the :data:`ELITES` best designs seen so far;
    * ``"incumbent"``: the best design seen so far (ties broken at random, so under a
      :class:`DominanceReward` any design on the front found so far);
    * ``"restart"``: the incumbent until it is stuck on a local optimum, then a climb that
      persists across episodes from a random or kicked elite design (:class:`Restarts`).

    ``"elite"``, ``"incumbent"`` and ``"restart"`` start from a random design instead with
    probability :data:`RANDOM_START`, and until a design has been seen: restarts from promising
    states, as Go-Explore does. For the first ``warmup`` steps every step edits a fresh random design (a
    warm start from random samples, so the first climbs start from the best of many). With ``accept="better"`` the current design moves to an edited one only if
    that one's reward is at least as high, so an episode is a hill climb whose moves the policy
    chooses; with ``accept="always"`` it moves to every edited design. The observation is the
    last design's metrics, the current design's indices and the incumbent's indices (both
    scaled to ``[-1, 1]``), so a policy sees what it edits and what it must beat.

    Example:
        >>> import archgym
        >>> env = EditActions(archgym.make("archgym/Synthetic-v0"), start="incumbent", accept="better")
        >>> obs, _ = env.reset(seed=0)
        >>> obs.shape  # 2 metrics + 6 current indices + 6 incumbent indices
        (14,)
    """

    def __init__(
        self, env: gym.Env, start: str = "random", accept: str = "always", warmup: int = 0
    ) -> None:
        if start not in STARTS:
            raise ValueError(
                f"EditActions: start={start!r}; legal values are {', '.join(map(repr, STARTS))}"
            )
        if accept not in ACCEPTS:
            raise ValueError(
                f"EditActions: accept={accept!r}; legal values are {', '.join(map(repr, ACCEPTS))}"
            )
        super().__init__(env)
        self.design_space = _space(env)
        self._nvec = self.design_space.nvec
        # Which parameter and which value each action sets.
        self._edits = [(i, j) for i, n in enumerate(self._nvec) for j in range(int(n))]
        self.action_space = gym.spaces.Discrete(len(self._edits))
        n_metrics = gym.spaces.flatdim(env.observation_space)
        self.observation_space = gym.spaces.Box(
            -1.0, 1.0, shape=(n_metrics + 2 * len(self._nvec),), dtype=np.float32
        )
        self._current = np.zeros(len(self._nvec), dtype=np.int64)
        self._current_reward = -np.inf  # unknown for a random start: any edit is accepted
        self.start, self.accept = start, accept
        self.warmup, self._steps = int(warmup), 0
        self.restarts = Restarts(self.design_space)  # what has been seen, elites, incumbent
        self._climbing = False  # whether this episode edits the restarts' climber

    def indices(self, action: Any) -> np.ndarray:
        """The index vector after applying ``action`` to the current design."""
        i, j = self._edits[int(action)]
        out = self._current.copy()
        out[i] = j
        return out

    def incumbent(self) -> np.ndarray | None:
        """The best design seen so far (the first of any tied), or ``None`` before any."""
        return self.restarts.incumbent()

    def _scaled(self, indices: np.ndarray) -> np.ndarray:
        return indices / np.maximum(self._nvec - 1, 1) * 2.0 - 1.0

    def _observe(self, metrics_obs: np.ndarray) -> np.ndarray:
        best = self.incumbent()
        parts = [metrics_obs, self._scaled(self._current)]
        parts.append(self._scaled(best) if best is not None else np.zeros(len(self._nvec)))
        return np.concatenate(parts).astype(np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        rng, r = self.np_random, self.restarts
        self._climbing = False
        pool: list[tuple[float, bytes]] = []
        if self.start == "elite" and len(r.elites) >= ELITES:
            pool = r.elites
        elif self.start in ("incumbent", "restart"):
            pool = [(r.best_reward, key) for key in r.best]
        if pool and self._steps >= self.warmup and rng.random() >= RANDOM_START:
            anchor = r.anchor(rng) if self.start == "restart" else None
            if anchor is not None:
                self._current, self._current_reward, self._climbing = anchor
            else:
                reward, chosen = pool[int(rng.integers(len(pool)))]
                self._current = np.frombuffer(chosen, dtype=np.int64).copy()
                self._current_reward = reward
        else:
            self._current = self.design_space.sample_indices(rng, 1)[0]
            self._current_reward = -np.inf
        return self._observe(obs), info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(self.indices(action))
        # The design evaluated, which a FreshDesigns wrapper below may have moved.
        evaluated = self.design_space.encode(info["design"]).astype(np.int64)
        ok = info.get("error") is None and np.isfinite(float(reward))
        value = float(reward) if ok else -np.inf
        self.restarts.record(evaluated, value)
        if self._climbing:
            self.restarts.climbed(evaluated, value)
        self._steps += 1
        if self._steps < self.warmup:
            self._current = self.design_space.sample_indices(self.np_random, 1)[0]
            self._current_reward = -np.inf
        elif self.accept == "always" or value >= self._current_reward:
            self._current, self._current_reward = evaluated, value
        return self._observe(obs), reward, terminated, truncated, info


class BoxEditActions(EditActions):
    """The continuous form of :class:`EditActions`: a ``Box`` in ``[-1, 1]`` of twice the number
    of parameters. The first half scores the parameters: the one with the highest score is
    edited (``knob_temperature=0``), or one drawn with probability proportional to
    ``exp(score / knob_temperature)`` (a Boltzmann choice). The edited parameter is set to the
    value whose equal-width bin holds its entry in the second half; the others keep theirs.

    The Boltzmann choice is for a deterministic actor (TD3): its small Gaussian action noise
    rarely changes which score is highest, so with the argmax it edits one parameter almost
    every step and its climbs cannot make the moves a trap needs. At temperature 1 a saturated
    score (1 against -1) is still chosen e^2 = 7.4 times as often as each other parameter.

    Same observation, ``start``, ``accept`` and ``warmup`` options as :class:`EditActions`; every design is one edit
    per parameter away from any other.

    Example:
        >>> import archgym
        >>> env = BoxEditActions(archgym.make("archgym/Synthetic-v0"))
        >>> _ = env.reset(seed=0)
        >>> a = np.full(12, -1.0); a[1] = 1.0  # choose x0 (parameter 1), set its first value
        >>> moved = env.indices(a)
        >>> int(moved[1]), bool((np.delete(moved, 1) == np.delete(env._current, 1)).all())
        (0, True)
    """

    def __init__(
        self,
        env: gym.Env,
        start: str = "random",
        accept: str = "always",
        warmup: int = 0,
        knob_temperature: float = 0.0,
    ) -> None:
        if not np.isfinite(knob_temperature) or knob_temperature < 0:
            raise ValueError(
                f"BoxEditActions: knob_temperature={knob_temperature!r}; legal values are "
                "0 (edit the highest-scored parameter) or a positive finite temperature"
            )
        super().__init__(env, start=start, accept=accept, warmup=warmup)
        d = len(self._nvec)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(2 * d,), dtype=np.float32)
        self.knob_temperature = float(knob_temperature)

    def knob(self, scores: np.ndarray) -> int:
        """The parameter an action with these ``scores`` (its first half) edits."""
        if self.knob_temperature == 0:
            return int(np.argmax(scores))
        weights = np.exp((scores - scores.max()) / self.knob_temperature)
        return int(self.np_random.choice(len(scores), p=weights / weights.sum()))

    def indices(self, action: Any) -> np.ndarray:
        a = np.clip(np.asarray(action, dtype=np.float64).reshape(-1), -1.0, 1.0)
        d = len(self._nvec)
        i = self.knob(a[:d])
        out = self._current.copy()
        out[i] = min(int((a[d + i] + 1.0) / 2.0 * self._nvec[i]), int(self._nvec[i]) - 1)
        return out


class FreshDesigns(gym.Wrapper):
    """Index actions that repeat a design proposed before are moved to an unseen design nearby.

    The replacement is the first unseen of: the design's one-step neighbours (in random
    order), random mutations of 2 to 4 parameters, uniform designs. A cache hit costs no
    budget but teaches a learner nothing, and a policy that has narrowed would otherwise spin
    on its favourites until :class:`~archgym.loop.StopRule` declares the search stalled. Once
    every design is seen, actions pass unchanged. ``info["moved"]`` says whether a step moved.

    Example:
        >>> import archgym
        >>> env = FreshDesigns(archgym.make("archgym/Synthetic-v0"))
        >>> _ = env.reset(seed=0)
        >>> a = [0] * 6
        >>> env.step(a)[4]["moved"], env.step(a)[4]["moved"]
        (False, True)
    """

    def __init__(self, env: gym.Env, seed: int = 0) -> None:
        super().__init__(env)
        self.design_space = _space(env)
        self._seen: set[bytes] = set()
        self._rng = np.random.default_rng(seed)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        return self.env.reset(seed=seed, options=options)

    def fresh(self, indices: np.ndarray) -> np.ndarray:
        """``indices`` if unseen, else an unseen design near it (``indices`` once all are seen)."""
        space = self.design_space
        if isinstance(space, RowSpace):  # only a table's rows exist: the nearest unseen row
            if len(self._seen) >= space.size:
                return indices
            return space.project(indices, exclude=lambda r: r.tobytes() in self._seen)
        if indices.tobytes() not in self._seen or len(self._seen) >= space.size:
            return indices
        moves = [(i, j) for i, p in enumerate(space.params) for j in _steps(p, int(indices[i]))]
        for k in self._rng.permutation(len(moves)):
            i, j = moves[k]
            moved = indices.copy()
            moved[i] = j
            if moved.tobytes() not in self._seen:
                return moved
        d = len(space.params)
        for _ in range(100):
            genes = self._rng.choice(d, size=min(d, int(self._rng.integers(2, 5))), replace=False)
            moved = indices.copy()
            moved[genes] = space.sample_indices(self._rng, 1)[0][genes]
            if moved.tobytes() not in self._seen:
                return moved
        for _ in range(10_000):
            moved = space.sample_indices(self._rng, 1)[0]
            if moved.tobytes() not in self._seen:
                return moved
        return indices

    def remember(self, indices: np.ndarray) -> None:
        """Count ``indices`` as proposed (for learners that step the env themselves)."""
        self._seen.add(np.asarray(indices, dtype=np.int64).tobytes())

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        indices = np.asarray(action, dtype=np.int64).reshape(-1)
        chosen = self.fresh(indices)
        self.remember(chosen)
        obs, reward, terminated, truncated, info = self.env.step(chosen)
        return (
            obs,
            reward,
            terminated,
            truncated,
            {**info, "moved": not np.array_equal(chosen, indices)},
        )


def _steps(param: Any, i: int) -> list[int]:
    """Value indices one step from ``i``: adjacent ones if ordered, every other one if not."""
    if param.ordered:
        return [j for j in (i - 1, i + 1) if 0 <= j < param.cardinality]
    return [j for j in range(param.cardinality) if j != i]


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


class RankReward(gym.Wrapper):
    """Reward = the design's quantile among every successful reward so far, scaled to [-1, 1].

    Scale-free: a target's large penalties or one outlier cannot dominate what a learner sees,
    and the signal stays informative late in a search, when rewards differ by fractions of a
    percent. A failed evaluation scores -1. Ties share their mid-rank.

    Example:
        >>> import archgym
        >>> env = RankReward(archgym.make("archgym/Synthetic-v0"))
        >>> env.rank(3.0), env.rank(1.0), env.rank(2.0)
        (0.0, -1.0, 0.0)
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._sorted: list[float] = []

    def rank(self, reward: float, failed: bool = False) -> float:
        """Insert ``reward`` (unless ``failed``) and return its quantile in [-1, 1]."""
        if failed or not np.isfinite(reward):
            return -1.0
        bisect.insort(self._sorted, reward)
        n = len(self._sorted)
        if n == 1:
            return 0.0
        below = bisect.bisect_left(self._sorted, reward)
        ties = bisect.bisect_right(self._sorted, reward) - below
        return float(2.0 * (below + (ties - 1) / 2.0) / (n - 1) - 1.0)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        failed = info.get("error") is not None
        return obs, self.rank(float(reward), failed), terminated, truncated, info


class DominanceReward(gym.Wrapper):
    """Under a :class:`~archgym.objective.Pareto` objective, reward = minus the share of the
    designs seen so far that dominate this one (0 on the front found so far).

    Pareto's scalar reward (the mean of scaled metrics) would steer a learner to one point of
    the front; this score rewards every non-dominated design alike, so the elites and the
    incumbent ties of :class:`EditActions` spread along the front, which is what a hypervolume
    measures. A failed evaluation keeps its reward.

    Example (the score it gives, on objective vectors):
        >>> d = Dominance()
        >>> d.score([1.0, 1.0]), d.score([0.0, 0.0]), d.score([2.0, 0.0])
        (0.0, -1.0, 0.0)
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        objective = env.unwrapped.objective  # type: ignore[attr-defined]
        if not isinstance(objective, Pareto):
            raise ValueError(
                f"DominanceReward needs a Pareto objective, not {type(objective).__name__}"
            )
        self.objective = objective
        self.dominance = Dominance()

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        if info.get("error") is None and info.get("metrics") and np.isfinite(float(reward)):
            reward = self.dominance.score(self.objective.vector(info["metrics"]))
        return obs, reward, terminated, truncated, info


class Dominance:
    """Objective vectors seen so far (higher is better in every component); :meth:`score` adds one."""

    def __init__(self) -> None:
        self._seen: list[np.ndarray] = []

    def score(self, vector: Any) -> float:
        """Minus the share of earlier vectors that dominate ``vector``; then remember it."""
        v = np.asarray(vector, dtype=float)
        if self._seen:
            seen = np.asarray(self._seen)
            dominated = np.all(seen >= v, axis=1) & np.any(seen > v, axis=1)
            out = 0.0 - float(dominated.mean())  # not -0.0
        else:
            out = 0.0
        self._seen.append(v)
        return out


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


def encode(env: gym.Env, encoding: str, **kwargs: Any) -> gym.Env:
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
        "box-edit": BoxEditActions,
    }
    if encoding not in wrappers:
        raise ValueError(
            f"action_encoding={encoding!r}; legal values are {', '.join(map(repr, ENCODINGS))}"
        )
    return wrappers[encoding](env, **kwargs)
