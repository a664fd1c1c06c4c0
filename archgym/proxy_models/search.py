"""Searches that spend a slow simulator's calls where they matter.

- :func:`hybrid_search`: seed a proxy with a few random simulator calls, then let an agent
  search through ``cost_model="hybrid"`` (exact cache -> confident proxy -> simulator, the
  proxy refitted on every few new simulator answers), and finally simulate the best designs
  the proxy answered, so the reported best is a simulated one.
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
from archgym.proxy_models.simulator import DEFAULT_THRESHOLD, HybridProxy


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
    verify: int = 3,
    threshold: float = DEFAULT_THRESHOLD,
    refit_every: int = 10,
    model: str = "et",
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> SearchResult:
    """``agent`` on ``make_env(cost_model="hybrid", proxy=...)`` within ``budget`` simulator calls.

    ``make_env(**kwargs)`` builds the env (plain with no kwargs). ``initial`` random designs
    (default: a third of the budget) train the first proxy; ``verify`` calls at the end
    simulate the best proxy-answered designs. The proxy answers where it is within
    ``threshold`` (a relative error) on the objective's metrics, and screens out designs that
    cannot beat the best simulated one (see :class:`HybridProxy`).
    """
    start = time.perf_counter()
    initial = max(2, budget // 3) if initial is None else int(initial)
    if not 2 <= initial < budget - verify:
        raise ValueError(
            f"initial={initial} must be at least 2 and leave room in budget={budget} "
            f"for the search and verify={verify}"
        )
    plain = make_env()
    # A stream of its own: the agent, seeded alike, would otherwise propose these same designs.
    rng = np.random.default_rng([seed, 16])
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    while len(seen) < min(initial, plain.space.size):
        d = plain.space.sample(rng)
        seen.setdefault(tuple(d.values()), d)
    first = plain.evaluate(list(seen.values()))
    good = [e for e in first if e.metrics is not None]
    data = from_records(
        plain.space, plain.simulator.metrics, [e.design for e in good], [e.metrics for e in good]
    )
    fitted = ProxyModel.fit(data, model, seed=seed, params=params)
    hybrid = HybridProxy(
        fitted,
        threshold,
        refit_every=refit_every,
        metrics=plain.objective.metric_names,
        objective=plain.objective,
    )
    env = make_env(cost_model="hybrid", proxy=hybrid)
    from archgym.loop import run

    result = run(agent, env, budget=budget - len(first) - verify, seed=seed)
    answered = sorted(
        (e for e in result.evaluations if e.source == "proxy"),
        key=lambda e: (e.feasible, e.reward),
        reverse=True,
    )
    simulated = {
        tuple(e.design.values()) for e in first + result.evaluations if e.source == "simulator"
    }
    checks = []
    for e in answered:
        if len(checks) == verify:
            break
        if tuple(e.design.values()) not in simulated:
            simulated.add(tuple(e.design.values()))
            checks.append(e.design)
    verified = plain.evaluate(checks) if checks else []
    calls = len(first) + result.counts.get("simulator", 0) + len(verified)
    return SearchResult(
        _best(first + result.evaluations + verified),
        calls,
        time.perf_counter() - start,
        proxy_answers=result.counts.get("proxy", 0),
        details={
            "refits": hybrid.refits,
            "screened": hybrid.screened,
            "initial": len(first),
            "verified": len(verified),
        },
    )


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
