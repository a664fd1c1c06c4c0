"""Searches that spend a slow simulator's calls where they matter.

- :func:`hybrid_search`: seed a proxy with a few random simulator calls, then in rounds let
  an agent search the proxy (free) and simulate a batch of its candidates: the best
  predicted, and the most hopeful of those the proxy is unsure of (active learning), the
  proxy refitted after each batch; the reported best is a simulated one.
- :func:`multi_fidelity_search`: search on a cheap low-fidelity model of the same design
  space (e.g. the analytical accelerator model), then run the slow simulator only on the
  low-fidelity front-runners.

Both count every simulator call against ``budget``.

Example:
    >>> import archgym
    >>> from archgym.agents import make_agent
    >>> make = lambda **kw: archgym.make("archgym/Synthetic-v0", **kw)
    >>> r = hybrid_search(make_agent("random"), make, budget=30, seed=0, threshold=0.2)
    >>> r.simulator_calls <= 30 and r.best.source == "simulator"
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archgym.proxy_models.dataset import ProxyDataError, from_records
from archgym.proxy_models.model import ProxyModel
from archgym.proxy_models.simulator import DEFAULT_THRESHOLD


@dataclass
class SearchResult:
    """The best simulated design, what it cost in simulator calls and seconds, and how the
    proxy or low-fidelity model helped (``proxy_answers``, ``low_fidelity_calls``)."""

    best: Any
    simulator_calls: int
    seconds: float
    proxy_answers: int = 0
    low_fidelity_calls: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def best_reward(self) -> float:
        return float(self.best.reward)


def _best(evaluations: list[Any]) -> Any:
    simulated = [e for e in evaluations if e.source == "simulator" and e.metrics is not None]
    if not simulated:
        raise ProxyDataError("the search simulated no design successfully")
    feasible = [e for e in simulated if e.feasible]
    return max(feasible or simulated, key=lambda e: e.reward)


def hybrid_search(
    agent: Any,
    make_env: Callable[..., Any],
    budget: int,
    *,
    seed: int = 0,
    initial: int | None = None,
    rounds: int | None = None,
    proposals: int = 300,
    threshold: float = DEFAULT_THRESHOLD,
    model: str = "et",
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> SearchResult:
    """``agent`` searching through a proxy that learns from at most ``budget`` simulator calls.

    ``make_env(**kwargs)`` builds the env (plain with no kwargs). ``initial`` random designs
    (default: a quarter of the budget, at least 3) are simulated to train the first proxy.
    Then, for ``rounds`` rounds (default: batches of two), the agent searches the proxy
    (``cost_model="proxy"``, ``proposals`` answers, free) and the rest of the budget is spent
    in equal batches on its candidates, the proxy refitted after each batch (active learning):

    - half of each batch goes to the proxy's best candidates by predicted reward (a search
      needs its best design simulated to report it);
    - the other half to the candidates whose reward at the optimistic end of their calibrated
      90 % intervals is highest, among those the proxy is not sure of (interval wider than
      ``threshold`` relative error, as :class:`HybridProxy` decides): where it might be
      wrong about a better design, a simulator answer teaches it most.

    The reported best is the best simulated design. Run by ``benchmarks/bench_proxy.py``.
    """
    start = time.perf_counter()
    initial = max(3, budget // 4) if initial is None else int(initial)
    if not 2 <= initial < budget:
        raise ValueError(
            f"initial={initial} must be at least 2 and leave room in budget={budget} for the search"
        )
    if rounds is None:
        rounds = max(1, (budget - initial + 1) // 2)
    if model == "et" and params is None:
        # On tens of designs 30 trees spread as well as 100, and scikit-learn pays
        # milliseconds of Python per tree: refits in every round must stay cheap next to
        # the simulator calls they save.
        params = {"et": {"n_estimators": 30}}
    if rounds < 1 or proposals < 1:
        raise ValueError(f"rounds and proposals must be >= 1, got {rounds} and {proposals}")
    from archgym.loop import run

    plain = make_env()
    objective = plain.objective
    # A stream of its own: the agent, seeded alike, would otherwise propose these same designs.
    rng = np.random.default_rng([seed, 16])
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    while len(seen) < min(initial, plain.space.size):
        d = plain.space.sample(rng)
        seen.setdefault(tuple(d.values()), d)
    simulated = plain.evaluate(list(seen.values()))
    provenance = {"simulator": plain.simulator.name}
    answers = refits = 0
    for r in range(rounds):
        left = budget - len(simulated)
        if left <= 0:
            break
        batch = max(1, -(-left // (rounds - r)))  # the rest spread over the rounds left
        good = [e for e in simulated if e.metrics is not None]
        data = from_records(
            plain.space,
            plain.simulator.metrics,
            [e.design for e in good],
            [e.metrics for e in good],
            provenance,
        )
        fitted = ProxyModel.fit(data, model, seed=seed, params=params)
        refits += 1
        proxy_env = make_env(cost_model="proxy", proxy=fitted)
        found = run(agent, proxy_env, budget=proposals, seed=seed + 7919 * (r + 1))
        answers += found.counts.get("proxy", 0)
        done = {tuple(e.design.values()) for e in simulated}
        candidates = list(
            {
                tuple(e.design.values()): e.design
                for e in found.evaluations
                if e.metrics is not None and tuple(e.design.values()) not in done
            }.values()
        )
        picks = _pick(fitted, objective, candidates, batch, threshold)
        if not picks:  # the agent proposed nothing new: explore at random
            picks = [
                d
                for d in (plain.space.sample(rng) for _ in range(4 * batch))
                if tuple(d.values()) not in done
            ][:batch]
        simulated += plain.evaluate(picks)
    return SearchResult(
        _best(simulated),
        len(simulated),
        time.perf_counter() - start,
        proxy_answers=answers,
        details={"refits": refits, "initial": len(seen)},
    )


def _pick(
    model: ProxyModel,
    objective: Any,
    candidates: list[dict[str, Any]],
    n: int,
    threshold: float,
) -> list[dict[str, Any]]:
    """``n`` candidates to simulate: half by predicted reward, half by optimistic reward among
    the designs the proxy is unsure of (see :func:`hybrid_search`)."""
    if not candidates:
        return []
    with np.errstate(over="ignore"):
        # On a few designs a log-space interval can be wide enough that its upper end
        # overflows to inf: that design is simply unsure, which is what the inf says.
        pred = model.predict_distribution(candidates)
    names = model.metric_names

    def reward(i: int, optimistic: bool) -> float:
        values = {}
        for m in names:
            if optimistic:
                values[m] = float(
                    (pred.low if objective.direction(m) == "min" else pred.high)[m][i]
                )
            else:
                values[m] = float(pred.mean[m][i])
        result = objective(values)
        return float(result.reward) + (0.0 if result.feasible else -1e12)

    unsure = (
        np.max(
            [
                (pred.high[m] - pred.low[m]) / 2 / np.maximum(np.abs(pred.mean[m]), 1e-300)
                for m in objective.metric_names
            ],
            axis=0,
        )
        > threshold
    )
    by_mean = sorted(range(len(candidates)), key=lambda i: -reward(i, False))
    by_hope = sorted(
        (i for i in range(len(candidates)) if unsure[i]), key=lambda i: -reward(i, True)
    )
    chosen: list[int] = []
    exploit = max(1, n - n // 2)
    for i in by_mean:
        if len(chosen) == exploit:
            break
        chosen.append(i)
    for i in by_hope + by_mean:  # the rest: hopeful unsure designs, else the next best
        if len(chosen) == n:
            break
        if i not in chosen:
            chosen.append(i)
    return [candidates[i] for i in chosen]


def multi_fidelity_search(
    agent: Any,
    low_env: Any,
    high_env: Any,
    low_budget: int,
    high_budget: int,
    *,
    seed: int = 0,
    keep: Callable[[Mapping[str, Any]], bool] | None = None,
) -> SearchResult:
    """``agent`` searches ``low_env`` (cheap) for ``low_budget`` calls; the ``high_budget`` best
    distinct designs it found (feasible first, and passing ``keep`` if given: e.g. only what
    the slow simulator can run) are then simulated on ``high_env``, and the best of those is
    the answer. Designs the high-fidelity simulator fails on still count as calls."""
    from archgym.loop import run

    start = time.perf_counter()
    low = run(agent, low_env, budget=low_budget, seed=seed)
    ranked = sorted(
        (e for e in low.evaluations if e.metrics is not None),
        key=lambda e: (e.feasible, e.reward),
        reverse=True,
    )
    picks: dict[tuple[Any, ...], Any] = {}
    for e in ranked:
        if len(picks) == high_budget:
            break
        if keep is not None and not keep(e.design):
            continue
        picks.setdefault(tuple(e.design.values()), e.design)
    high = high_env.evaluate(list(picks.values()))
    return SearchResult(
        _best(high),
        len(high),
        time.perf_counter() - start,
        low_fidelity_calls=low.counts.get("simulator", 0),
    )
