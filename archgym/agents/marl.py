"""Multi-agent RL on :class:`~archgym.multiagent.MultiAgentDesignEnv`: one learner per parameter group.

The formulation of "Multi-Agent Reinforcement Learning for Microprocessor Design Space
Exploration" (Krishnan et al.): every agent owns ``group_size`` consecutive parameters (one
each by default), all agents act at once, and they share one cooperative reward. Learning is
PPO's clipped surrogate, written compactly in torch:

* ``MultiAgentPPO`` — independent learners: each agent has its own policy network.
* ``SharedMultiAgentPPO`` — parameter sharing: one network serves every parameter, told which
  one by a one-hot id; logits of values a parameter does not have are masked out.

A policy is a softmax over all of a parameter's values, so every value of every parameter keeps
a non-zero probability (see :meth:`MultiAgentPPO.probabilities`). A design's reward does not
depend on earlier designs, so each step is its own decision: the advantage is the reward's
centred rank within the rollout (scale-free, so the -1e6 failure reward is just "worst").

With ``edit_incumbent=True`` (the default) each knob-agent edits its knob of the incumbent
(the best design so far): it observes the incumbent, and its logits get a fixed prior bonus on
the incumbent's value, sized so that at the start about one knob in all changes per step
(:func:`keep_bias`). The agents so learn, together, which changes of the best design pay;
one step in five (:data:`~archgym.wrappers.RANDOM_START`), and every step of the first
``warmup`` share of the budget, drops the prior, so whole new designs stay in reach. With
``restarts=True`` (the default) the agents edit, once the incumbent is a local optimum, a
climber restarted from a random or kicked elite design instead, as the single-agent learners'
episodes do (:class:`~archgym.wrappers.Restarts`). ``edit_incumbent=False`` is the paper's formulation: every agent
picks its knob's value outright. Under a Pareto objective a design's reward is its
:class:`~archgym.wrappers.Dominance` score and the incumbent is any design on the front so far.
With ``fresh=True`` (the default) a joint action that repeats a design proposed before is moved
to an unseen neighbour (:class:`~archgym.wrappers.FreshDesigns`) and learned as the action
taken, so policies that have narrowed search around their choice instead of stalling on cache
hits.

Example:
    >>> import archgym
    >>> agent = MultiAgentPPO(n_steps=8, hidden=16)
    >>> archgym.run(agent, "archgym/Synthetic-v0", budget=16, seed=0).counts["simulator"]
    16
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from archgym._optional import import_optional
from archgym.agents.base import Agent, hyperparameter
from archgym.env import DesignEnv
from archgym.loop import StopRule
from archgym.multiagent import MultiAgentDesignEnv
from archgym.objective import Pareto
from archgym.wrappers import RANDOM_START, Dominance, FreshDesigns, Restarts


def _torch() -> Any:
    return import_optional("torch", package="torch==2.13.0", purpose="the multi-agent RL agents")


def keep_bias(cardinality: int, knobs: int) -> float:
    """The logit bonus on a knob's incumbent value that makes a uniform policy keep it with
    probability ``1 - 1/knobs`` (about one knob of all changes per step); 0 where nothing can change.

    Example:
        >>> round(keep_bias(4, 5), 4)  # keep odds 4:1, against 3 other values
        2.4849
    """
    if cardinality < 2 or knobs < 2:
        return 0.0
    return float(np.log((knobs - 1) * (cardinality - 1)))


@dataclass
class MultiAgentPPO(Agent):
    """Independent PPO learners, one per group of ``group_size`` parameters, sharing the reward.

    ``learn`` accepts a :class:`DesignEnv` (grouped by ``group_size``) or a ready
    :class:`MultiAgentDesignEnv` (its own groups are used).

    Example:
        >>> MultiAgentPPO(group_size=2).get_params()["group_size"]
        2
    """

    name = "marl"
    drives_env: ClassVar[bool] = True
    shared: ClassVar[bool] = False

    learning_rate: float = hyperparameter(1e-3, low=1e-6, high=1.0, log=True)
    hidden: int = hyperparameter(32, low=4, high=1024, log=True)
    n_steps: int = hyperparameter(16, low=2, high=8192, log=True)
    n_epochs: int = hyperparameter(4, low=1, high=100)
    clip_range: float = hyperparameter(0.2, low=0.01, high=1.0)
    #: Entropy bonus; it keeps the policies from collapsing onto cached designs on long budgets.
    ent_coef: float = hyperparameter(0.05, low=0.0, high=1.0)
    group_size: int = hyperparameter(1, low=1, high=1000)
    episode_length: int = hyperparameter(8, low=1, high=10_000, log=True)
    #: Move a joint action that repeats a proposed design to an unseen neighbour.
    fresh: bool = hyperparameter(True)
    #: Each knob-agent edits its knob of the incumbent (prior bonus on its value) instead of
    #: choosing the knob's value outright.
    edit_incumbent: bool = hyperparameter(True)
    #: Share of the budget in which no agent is anchored to the incumbent (a warm start from
    #: the freely chosen, at first near-uniform, designs).
    warmup: float = hyperparameter(0.1, low=0.0, high=1.0)
    #: With ``edit_incumbent``, once the incumbent is a local optimum the agents edit a climber
    #: restarted from a random or kicked elite design instead (:class:`~archgym.wrappers.Restarts`).
    restarts: bool = hyperparameter(True)

    # -- networks ------------------------------------------------------------------------------
    def _build(self, menv: MultiAgentDesignEnv) -> None:
        torch = _torch()
        nn = torch.nn
        space = menv.env.space
        self._agents = list(menv.possible_agents)
        # Every (agent, parameter) slot in the order the agent's action vector lists them.
        self._slots = [(a, space.names.index(p)) for a in self._agents for p in menv.groups[a]]
        self._cards = [int(space.nvec[i]) for _, i in self._slots]
        obs_dim = menv.env.observation_space.shape[0]
        if self.edit_incumbent:  # the incumbent's indices, scaled to [-1, 1], follow the metrics
            obs_dim += len(space.params)
        self._scale = np.maximum(space.nvec - 1, 1)
        self._bias = torch.as_tensor(
            [keep_bias(c, len(self._slots)) for c in self._cards], dtype=torch.float32
        )
        if self.shared:
            self._width = max(self._cards)
            self.net = nn.Sequential(
                nn.Linear(obs_dim + len(space.params), self.hidden),
                nn.Tanh(),
                nn.Linear(self.hidden, self.hidden),
                nn.Tanh(),
                nn.Linear(self.hidden, self._width),
            )
            mask = torch.full((len(self._slots), self._width), float("-inf"))
            for s, card in enumerate(self._cards):
                mask[s, :card] = 0.0
            self._mask = mask
            self._ids = torch.eye(len(space.params))[[i for _, i in self._slots]]
        else:
            self.net = nn.ModuleDict(
                {
                    f"agent{k}": nn.Sequential(
                        nn.Linear(obs_dim, self.hidden),
                        nn.Tanh(),
                        nn.Linear(self.hidden, self.hidden),
                        nn.Tanh(),
                        nn.Linear(
                            self.hidden,
                            sum(self._cards[s] for s, (b, _) in enumerate(self._slots) if b == a),
                        ),
                    )
                    for k, a in enumerate(self._agents)
                }
            )
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=self.learning_rate)

    def _logits(self, obs: Any, anchor: Any = None) -> list[Any]:
        """Per slot, logits of shape (batch, cardinality) for observations of shape (batch, obs_dim).

        ``anchor`` (batch, slots): the incumbent's value index per slot, -1 where no prior applies.
        """
        logits = self._raw_logits(obs)
        if anchor is None:
            return logits
        torch = _torch()
        out = []
        for s, x in enumerate(logits):
            on = anchor[:, s] >= 0
            bonus = torch.nn.functional.one_hot(anchor[:, s].clamp(min=0), x.shape[-1])
            out.append(x + bonus * (self._bias[s] * on)[:, None])
        return out

    def _raw_logits(self, obs: Any) -> list[Any]:
        torch = _torch()
        if self.shared:
            n = obs.shape[0]
            inputs = torch.cat(
                [
                    obs[:, None, :].expand(n, len(self._slots), -1),
                    self._ids[None].expand(n, -1, -1),
                ],
                dim=-1,
            )
            out = self.net(inputs) + self._mask  # (batch, slots, width)
            return [out[:, s, :card] for s, card in enumerate(self._cards)]
        logits = []
        for k, a in enumerate(self._agents):
            head = self.net[f"agent{k}"](obs)
            cards = [self._cards[s] for s, (b, _) in enumerate(self._slots) if b == a]
            logits.extend(torch.split(head, cards, dim=-1))
        return logits

    def probabilities(
        self, obs: np.ndarray, incumbent: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Each parameter slot's current choice probabilities (after ``learn``) for the metric
        observation ``obs`` and, with ``edit_incumbent``, an ``incumbent`` index vector to edit."""
        torch = _torch()
        x = self._policy_input(np.asarray(obs, dtype=np.float64), incumbent)
        anchor = None
        if self.edit_incumbent and incumbent is not None:
            anchor = torch.as_tensor(np.asarray(incumbent)[[i for _, i in self._slots]])[None]
        with torch.no_grad():
            return [
                torch.softmax(z, -1)[0].numpy()
                for z in self._logits(torch.as_tensor(x, dtype=torch.float32)[None], anchor)
            ]

    def _policy_input(self, obs: np.ndarray, incumbent: np.ndarray | None) -> np.ndarray:
        """The metric observation, then (with ``edit_incumbent``) the incumbent scaled to [-1, 1]."""
        if not self.edit_incumbent:
            return obs
        scaled = incumbent / self._scale * 2.0 - 1.0 if incumbent is not None else 0 * self._scale
        return np.concatenate([obs, scaled])

    # -- training ------------------------------------------------------------------------------
    def learn(self, env: DesignEnv | MultiAgentDesignEnv, budget: int) -> None:
        torch = _torch()
        if isinstance(env, MultiAgentDesignEnv):
            menv = env
        else:
            names = env.space.names
            menv = MultiAgentDesignEnv(
                env,
                {
                    f"agent_{k // self.group_size}": names[k : k + self.group_size]
                    for k in range(0, len(names), self.group_size)
                },
            )
        evaluator = menv.env.evaluator
        seed = int(self.rng.integers(2**31))
        # Our own torch RNG stream, restored afterwards, so runs are reproducible and leave no trace.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                self._build(menv)
                self._train(menv, evaluator, seed, int(self.warmup * budget))
            finally:
                torch.set_num_threads(before)

    def _train(self, menv: MultiAgentDesignEnv, evaluator: Any, seed: int, warmup: int) -> None:
        torch = _torch()
        space = menv.env.space
        obs_dict, _ = menv.reset(seed=seed)
        metrics_obs = next(iter(obs_dict.values()))
        rule, t = StopRule(evaluator, space.size), 0
        fresh = FreshDesigns(menv.env, seed=seed)
        rng = np.random.default_rng(seed)
        params = [i for _, i in self._slots]
        pareto = menv.env.objective if isinstance(menv.env.objective, Pareto) else None
        dominance = Dominance()
        seen = Restarts(space)  # the incumbent (ties: the front so far) and restarted climbs
        steps = 0
        while True:
            batch_obs, batch_anchor, batch_act, batch_logp, batch_rew = [], [], [], [], []
            for _ in range(self.n_steps):
                if rule.done:
                    break
                anchored = (
                    self.edit_incumbent
                    and bool(seen.best)
                    and steps >= warmup
                    and rng.random() >= RANDOM_START
                )
                climbing = False
                if anchored and self.restarts:
                    incumbent, _, climbing = seen.anchor(rng)  # type: ignore[misc]
                else:
                    incumbent = (
                        np.frombuffer(seen.best[int(rng.integers(len(seen.best)))], dtype=np.int64)
                        if seen.best
                        else None
                    )
                obs = self._policy_input(metrics_obs, incumbent)
                obs_t = torch.as_tensor(obs, dtype=torch.float32)[None]
                steps += 1
                anchor = torch.as_tensor(
                    incumbent[params] if anchored else np.full(len(params), -1)  # type: ignore[index]
                )[None]
                with torch.no_grad():
                    dists = [
                        torch.distributions.Categorical(logits=x[0])
                        for x in self._logits(obs_t, anchor)
                    ]
                    acts = torch.stack([d.sample() for d in dists])
                    if self.fresh:
                        indices = np.zeros(len(space.params), dtype=np.int64)
                        indices[params] = acts.numpy()
                        chosen = fresh.fresh(indices)
                        fresh.remember(chosen)
                        acts = torch.as_tensor(chosen[params])
                    logp = torch.stack([d.log_prob(a) for d, a in zip(dists, acts, strict=True)])
                actions: dict[str, list[int]] = {a: [] for a in self._agents}
                for (agent, _), value in zip(self._slots, acts.tolist(), strict=True):
                    actions[agent].append(value)
                obs_dict, rewards, _, truncs, infos = menv.step(actions)
                rule.update()
                reward = next(iter(rewards.values()))
                info = next(iter(infos.values()))
                if pareto is not None and info["error"] is None and info["metrics"]:
                    reward = dominance.score(pareto.vector(info["metrics"]))
                ok = info["error"] is None and np.isfinite(reward)
                design = space.encode(info["design"]).astype(np.int64)
                seen.record(design, float(reward) if ok else -np.inf)
                if climbing:
                    seen.climbed(design, float(reward) if ok else -np.inf)
                batch_obs.append(obs_t[0])
                batch_anchor.append(anchor[0])
                batch_act.append(acts)
                batch_logp.append(logp)
                batch_rew.append(reward)
                metrics_obs = next(iter(obs_dict.values()))
                t += 1
                if any(truncs.values()) or t >= self.episode_length:
                    obs_dict, _, t = *menv.reset(), 0
                    metrics_obs = next(iter(obs_dict.values()))
            if len(batch_rew) >= 2:
                self._update(
                    torch.stack(batch_obs),
                    torch.stack(batch_anchor),
                    torch.stack(batch_act),
                    torch.stack(batch_logp),
                    np.asarray(batch_rew),
                )
            if len(batch_rew) < self.n_steps:
                return

    def _update(self, obs: Any, anchor: Any, acts: Any, old_logp: Any, rewards: np.ndarray) -> None:
        torch = _torch()
        # Centred ranks in [-0.5, 0.5]: ties share a rank, the scale of rewards does not matter.
        ranks = np.argsort(np.argsort(rewards, kind="stable"), kind="stable").astype(np.float64)
        for value in np.unique(rewards):
            ranks[rewards == value] = ranks[rewards == value].mean()
        adv = torch.as_tensor(ranks / (len(rewards) - 1) - 0.5, dtype=torch.float32)
        # One ratio per agent: the product of its slots' probabilities.
        owner = torch.as_tensor([self._agents.index(a) for a, _ in self._slots])
        for _ in range(self.n_epochs):
            dists = [torch.distributions.Categorical(logits=x) for x in self._logits(obs, anchor)]
            logp = torch.stack([d.log_prob(acts[:, s]) for s, d in enumerate(dists)], dim=1)
            entropy = torch.stack([d.entropy() for d in dists], dim=1).mean()
            per_agent = torch.zeros(len(rewards), len(self._agents)).index_add(
                1, owner, logp - old_logp
            )
            ratio = per_agent.exp()
            clipped = ratio.clamp(1.0 - self.clip_range, 1.0 + self.clip_range)
            loss = (
                -torch.min(ratio * adv[:, None], clipped * adv[:, None]).mean()
                - self.ent_coef * entropy
            )
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()


@dataclass
class SharedMultiAgentPPO(MultiAgentPPO):
    """Parameter-sharing variant: one policy network for every parameter, given its one-hot id.

    Example:
        >>> SharedMultiAgentPPO().get_params()["n_steps"]
        16
    """

    name = "marl-shared"
    shared: ClassVar[bool] = True
