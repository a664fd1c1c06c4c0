"""Searches that spend a slow simulator's calls where they matter.

- :func:`hybrid_search`: seed a proxy with a few random simulator calls, then in rounds let
  an agent search the proxy (free) and simulate the candidates (its proposals, and the whole
  space when it is small) of highest expected improvement over the best simulated design,
  refitting the proxy after each round (active learning); the last calls refine around the
  best; the reported best is a simulated one.
- :func:`multi_fidelity_search`: search on a cheap low-fidelity model of the same design
  space (e.g. the analytical accelerator model), then run the slow simulator only on the
  low-fidelity front-runners.

Both count every simulator call against ``budget``.

Example:
    >>> import archgym
    >>> from archgym.agents import make_agent
    >>> make = lambda **kw: archgym.make("archgym/Synthetic-v0", **kw)
    >>> r = hybrid_search(make_agent("random"), make, budget=12, seed=0, proposals=20)
    >>> r.simulator_calls <= 12 and r.best.source == "simulator"
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

#: Spaces of at most this many designs are ranked whole by the proxy in every round of
#: :func:`hybrid_search`: predicting them takes well under a second, less than one slow call.
WHOLE_SPACE = 20_000


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
    batch: int = 2,
    refine: int | None = None,
    proposals: int = 100,
    whole_space: int = WHOLE_SPACE,
    model: str = "et",
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> SearchResult:
    """``agent`` searching through a proxy that learns from at most ``budget`` simulator calls.

    ``make_env(**kwargs)`` builds the env (plain with no kwargs). ``initial`` random designs
    (default: a quarter of the budget, at least 3) are simulated to train the first proxy
    (one ``model`` regressor per metric, on the space's model features, with log targets where
    a metric is skewed, as :meth:`ProxyModel.fit` does). Then, in rounds of ``batch`` calls,
    refitting the proxy after each round (active learning):

    1. the agent searches the proxy (``cost_model="proxy"``, ``proposals`` answers, free);
    2. every distinct design it proposed, every design of the space when it has at most
       ``whole_space`` designs (predicting thousands costs less than one slow call; else
       :data:`SAMPLED` random ones and hill-climbs on the proxy from the best), and the
       neighbours of the best simulated designs are scored on the proxy by **expected
       improvement** of the reward over the best simulated one (the reward's mean from the
       metrics' predicted means, its spread from the optimistic end of their calibrated 90 %
       intervals): a design is simulated because it is likely better, or because the proxy is
       unsure where being wrong could pay. A batch alternates the highest expected improvement
       with the best predicted reward;
    3. the last ``refine`` calls (default: a quarter of the budget) refine around the best
       simulated design: only designs within two steps of it compete, scored alike.

    The reported best is the best simulated design, so a proxy error can cost calls but never
    report a wrong answer. Run by ``benchmarks/bench_proxy.py``.
    """
    start = time.perf_counter()
    initial = max(3, budget // 4) if initial is None else int(initial)
    if not 2 <= initial < budget:
        raise ValueError(
            f"initial={initial} must be at least 2 and leave room in budget={budget} for the search"
        )
    refine = max(1, budget // 4) if refine is None else int(refine)
    if batch < 1 or proposals < 1 or refine < 0:
        raise ValueError(
            f"batch and proposals must be >= 1 and refine >= 0, got {batch}, {proposals}, {refine}"
        )
    if model == "et" and params is None:
        # On tens of designs 30 trees spread as well as 100, and scikit-learn pays
        # milliseconds of Python per tree: refits in every round must stay cheap next to
        # the simulator calls they save.
        params = {"et": {"n_estimators": 30}}
    from archgym.loop import run

    plain = make_env()
    space, objective = plain.space, plain.objective
    # A stream of its own: the agent, seeded alike, would otherwise propose these same designs.
    rng = np.random.default_rng([seed, 16])
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    while len(first) < min(initial, space.size):
        d = space.sample(rng)
        first.setdefault(tuple(d.values()), d)
    simulated = plain.evaluate(list(first.values()))
    everything = _whole_space(space, whole_space)
    provenance = {"simulator": plain.simulator.name}
    answers = refits = scored = r = 0
    while (left := budget - len(simulated)) > 0:
        good = [e for e in simulated if e.metrics is not None]
        fitted = ProxyModel.fit(
            from_records(
                space,
                plain.simulator.metrics,
                [e.design for e in good],
                [e.metrics for e in good],
                provenance,
            ),
            model,
            seed=seed,
            params=params,
        )
        refits += 1
        done = {tuple(e.design.values()) for e in simulated}
        incumbent = _best(simulated)
        if left <= refine:
            # Refine: only designs within two steps of the incumbent compete (two, since
            # one step from a local optimum is by definition no better).
            near = space.neighbors(incumbent.design)
            pool = _new_feasible(space, near + [d for n in near for d in space.neighbors(n)], done)
        else:
            found = run(
                agent,
                make_env(cost_model="proxy", proxy=fitted),
                budget=proposals,
                seed=seed + 7919 * (r + 1),
            )
            answers += found.counts.get("proxy", 0)
            starts = [e.design for e in sorted(good, key=lambda e: -e.reward)[:3]]
            pool = _new_feasible(
                space,
                [e.design for e in found.evaluations if e.metrics is not None]
                + (everything or space.sample(rng, SAMPLED))
                + [d for s in starts for d in space.neighbors(s)],
                done,
            )
            if not everything:
                # The proxy's own local optima near the best candidates, found by
                # hill-climbing on its predicted reward: where a search of the proxy ends.
                pool = _new_feasible(
                    space, pool + _climb(fitted, objective, space, pool, starts), done
                )
        scored += len(pool)
        picks = _rank(fitted, objective, pool, incumbent.reward, min(batch, max(1, left - refine)))
        if not picks:  # nothing new to propose: explore at random
            picks = [
                d
                for d in (space.sample(rng) for _ in range(4 * batch))
                if tuple(d.values()) not in done
            ][:1]
            if not picks:
                break
        simulated += plain.evaluate(picks)
        r += 1
    return SearchResult(
        _best(simulated),
        len(simulated),
        time.perf_counter() - start,
        proxy_answers=answers,
        details={"refits": refits, "initial": len(first), "scored": scored},
    )


#: Designs sampled at random into the candidates of every round when the space is too big to
#: rank whole.
SAMPLED = 2000


def _new_feasible(
    space: Any, designs: list[dict[str, Any]], done: set[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """The distinct feasible ``designs`` not in ``done``, in order."""
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for d in designs:
        k = tuple(d.values())
        if k not in done:
            unique.setdefault(k, d)
    pool = list(unique.values())
    return [d for d, ok in zip(pool, space.feasible_many(pool), strict=True) if ok] if pool else []


def _climb(
    model: ProxyModel,
    objective: Any,
    space: Any,
    pool: list[dict[str, Any]],
    starts: list[dict[str, Any]],
    top: int = 5,
    steps: int = 20,
) -> list[dict[str, Any]]:
    """Every design visited by steepest-ascent hill-climbs on the predicted reward, from
    ``starts`` and the ``top`` best predicted designs of ``pool``."""
    if pool:
        mean = _rewards(model, objective, pool)[0]
        starts = starts + [pool[i] for i in np.argsort(-mean)[:top]]
    visited: list[dict[str, Any]] = []
    for here in starts:
        here_reward = _rewards(model, objective, [here])[0][0]
        for _ in range(steps):
            near = space.neighbors(here)
            if not near:
                break
            rewards = _rewards(model, objective, near)[0]
            visited += near
            i = int(np.argmax(rewards))
            if rewards[i] <= here_reward:
                break
            here, here_reward = near[i], rewards[i]
    return visited


def _whole_space(space: Any, limit: int) -> list[dict[str, Any]]:
    """Every design of ``space`` if it has at most ``limit`` (feasible or not), else none."""
    return list(space.enumerate()) if space.size <= limit else []


def _rewards(
    model: ProxyModel, objective: Any, designs: list[dict[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per design, the reward of the predicted metrics and the reward at the optimistic end of
    every metric's calibrated 90 % interval (infeasible designs far below everything)."""
    with np.errstate(over="ignore"):
        # On a few designs a log-space interval can be wide enough that its upper end
        # overflows to inf: that design is simply unsure, which is what the inf says.
        pred = model.predict_distribution(designs)
    names = model.metric_names
    mean = np.empty(len(designs))
    hope = np.empty(len(designs))
    for i in range(len(designs)):
        m = objective({k: float(pred.mean[k][i]) for k in names})
        o = objective(
            {
                k: float((pred.low if objective.direction(k) == "min" else pred.high)[k][i])
                for k in names
            }
        )
        penalty = 0.0 if m.feasible else -1e12
        mean[i] = m.reward + penalty
        hope[i] = (o.reward if np.isfinite(o.reward) else 1e12) + penalty
    return mean, hope


def _rank(
    model: ProxyModel,
    objective: Any,
    candidates: list[dict[str, Any]],
    best: float,
    n: int,
) -> list[dict[str, Any]]:
    """The ``n`` candidates of highest expected improvement over reward ``best``.

    The reward's mean is the objective of the metrics' predicted means; its standard deviation
    the distance to the objective at the optimistic end of every metric's calibrated 90 %
    interval, over 1.645 (the reward is not Gaussian, but EI only needs its scale).
    """
    if not candidates or n < 1:
        return []
    from scipy.stats import norm

    mean, hope = _rewards(model, objective, candidates)
    sigma = np.maximum(hope - mean, 0.0) / 1.645
    gain = mean - best
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, gain / sigma, 0.0)
    score = np.where(sigma > 0, gain * norm.cdf(z) + sigma * norm.pdf(z), np.maximum(gain, 0.0))
    # Ties at zero (certain and no better): the best predicted goes first.
    score = score + 1e-12 * (mean - mean.min()) / (np.ptp(mean) or 1.0)
    by_ei, by_mean = np.argsort(-score, kind="stable"), np.argsort(-mean, kind="stable")
    chosen: list[int] = []
    for i in (j for pair in zip(by_ei, by_mean, strict=True) for j in pair):
        if len(chosen) == n:
            break
        if i not in chosen:
            chosen.append(int(i))
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
