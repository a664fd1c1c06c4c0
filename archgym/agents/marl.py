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
from archgym.wrappers import FreshDesigns


def _torch() -> Any:
    return import_optional("torch", package="torch==2.13.0", purpose="the multi-agent RL agents")


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

    def _logits(self, obs: Any) -> list[Any]:
        """Per slot, logits of shape (batch, cardinality) for observations of shape (batch, obs_dim)."""
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

    def probabilities(self, obs: np.ndarray) -> list[np.ndarray]:
        """Each parameter slot's current choice probabilities for one observation (after ``learn``)."""
        torch = _torch()
        with torch.no_grad():
            return [
                torch.softmax(x, -1)[0].numpy()
                for x in self._logits(torch.as_tensor(obs, dtype=torch.float32)[None])
            ]

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
                self._train(menv, evaluator, seed)
            finally:
                torch.set_num_threads(before)

    def _train(self, menv: MultiAgentDesignEnv, evaluator: Any, seed: int) -> None:
        torch = _torch()
        obs_dict, _ = menv.reset(seed=seed)
        obs = next(iter(obs_dict.values()))
        rule, t = StopRule(evaluator, menv.env.space.size), 0
        fresh = FreshDesigns(menv.env, seed=seed)
        params = [i for _, i in self._slots]
        while True:
            batch_obs, batch_act, batch_logp, batch_rew = [], [], [], []
            for _ in range(self.n_steps):
                if rule.done:
                    break
                obs_t = torch.as_tensor(obs, dtype=torch.float32)[None]
                with torch.no_grad():
                    dists = [
                        torch.distributions.Categorical(logits=x[0]) for x in self._logits(obs_t)
                    ]
                    acts = torch.stack([d.sample() for d in dists])
                    if self.fresh:
                        indices = np.zeros(len(menv.env.space.params), dtype=np.int64)
                        indices[params] = acts.numpy()
                        chosen = fresh.fresh(indices)
                        fresh.remember(chosen)
                        acts = torch.as_tensor(chosen[params])
                    logp = torch.stack([d.log_prob(a) for d, a in zip(dists, acts, strict=True)])
                actions: dict[str, list[int]] = {a: [] for a in self._agents}
                for (agent, _), value in zip(self._slots, acts.tolist(), strict=True):
                    actions[agent].append(value)
                obs_dict, rewards, _, truncs, _ = menv.step(actions)
                rule.update()
                batch_obs.append(obs_t[0])
                batch_act.append(acts)
                batch_logp.append(logp)
                batch_rew.append(next(iter(rewards.values())))
                obs = next(iter(obs_dict.values()))
                t += 1
                if any(truncs.values()) or t >= self.episode_length:
                    obs_dict, _, t = *menv.reset(), 0
                    obs = next(iter(obs_dict.values()))
            if len(batch_rew) >= 2:
                self._update(
                    torch.stack(batch_obs),
                    torch.stack(batch_act),
                    torch.stack(batch_logp),
                    np.asarray(batch_rew),
                )
            if len(batch_rew) < self.n_steps:
                return

    def _update(self, obs: Any, acts: Any, old_logp: Any, rewards: np.ndarray) -> None:
        torch = _torch()
        # Centred ranks in [-0.5, 0.5]: ties share a rank, the scale of rewards does not matter.
        ranks = np.argsort(np.argsort(rewards, kind="stable"), kind="stable").astype(np.float64)
        for value in np.unique(rewards):
            ranks[rewards == value] = ranks[rewards == value].mean()
        adv = torch.as_tensor(ranks / (len(rewards) - 1) - 0.5, dtype=torch.float32)
        # One ratio per agent: the product of its slots' probabilities.
        owner = torch.as_tensor([self._agents.index(a) for a, _ in self._slots])
        for _ in range(self.n_epochs):
            dists = [torch.distributions.Categorical(logits=x) for x in self._logits(obs)]
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
