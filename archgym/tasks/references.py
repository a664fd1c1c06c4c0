"""Compute a task's reference: enumerate the space, or sample it at random and refine by local search.

Everything goes through the simulators' vectorised ``evaluate_batch`` in chunks, scored by the
task's objective exactly as the env scores a design. Designs that break the space's constraints
never count as a reference (an env marks them infeasible).

Example:
    >>> from archgym.tasks.catalog import definition
    >>> from dataclasses import replace
    >>> small = replace(definition("synthetic-cost"), kwargs={"simulator_kwargs": {"n_integers": 1}})
    >>> compute_reference(small).reward
    -1.0
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.indicators import pareto_front
from archgym.objective import FAILURE_REWARD, Pareto
from archgym.simulator import EvaluationError
from archgym.tasks.catalog import TaskDefinition
from archgym.tasks.task import RandomBaseline, Reference

#: Designs per ``evaluate_batch`` call.
CHUNK = 2_000
QUANTILES = (0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


@dataclass
class Scored:
    """Designs with their rewards, objective feasibility, metrics and (multi-objective) vectors."""

    designs: list[dict[str, Any]]
    rewards: np.ndarray
    feasible: np.ndarray
    metrics: list[dict[str, float] | None]
    vectors: np.ndarray | None = None

    def best(self) -> int:
        return int(np.argmax(self.rewards))


class Scorer:
    """Scores designs of one task's env in batches, counting evaluations (with a cache)."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.space = env.space
        self.objective = env.objective
        self.evaluations = 0
        self._cache: dict[tuple[Any, ...], tuple[float, bool, dict[str, float] | None]] = {}

    def score(self, designs: Sequence[dict[str, Any]], keep_metrics: bool = False) -> Scored:
        keys = [tuple(d.values()) for d in designs]
        todo = list(
            {k: d for k, d in zip(keys, designs, strict=True) if k not in self._cache}.items()
        )
        for start in range(0, len(todo), CHUNK):
            part = todo[start : start + CHUNK]
            answers = self.env.simulator.evaluate_batch([d for _, d in part], self.env.workload)
            # constraints checked for the whole chunk at once: one may cost a simulator call
            legal = self.space.feasible_many([d for _, d in part])
            self.evaluations += len(part)
            for (key, _), answer, ok in zip(part, answers, legal, strict=True):
                self._cache[key] = self._one(answer, bool(ok))
        rows = [self._cache[k] for k in keys]
        out = Scored(
            list(designs),
            np.array([r[0] for r in rows], dtype=float),
            np.array([r[1] for r in rows], dtype=bool),
            [r[2] for r in rows] if keep_metrics or isinstance(self.objective, Pareto) else [],
        )
        if isinstance(self.objective, Pareto):
            out.vectors = np.array(
                [
                    -self.objective.vector(m)
                    if m is not None
                    else np.full(len(self.objective.metrics), np.inf)
                    for m in out.metrics
                ]
            ).reshape(len(rows), len(self.objective.metrics))
        return out

    def _one(self, answer: Any, legal: bool) -> tuple[float, bool, dict[str, float] | None]:
        if isinstance(answer, EvaluationError) or not isinstance(answer, dict):
            return (FAILURE_REWARD, False, None)
        if not legal:
            return (-math.inf, False, None)  # not a legal design: never a reference
        metrics = {k: float(v) for k, v in answer.items()}
        score = self.objective(metrics)
        return (float(score.reward), bool(score.feasible), metrics)


def sample(space: Any, n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [space.decode(row) for row in space.sample_indices(rng, n)]


def chunks(
    designs: Iterable[dict[str, Any]], size: int = CHUNK * 5
) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for d in designs:
        batch.append(d)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_in_parts(
    scorer: Scorer,
    designs: list[dict[str, Any]],
    progress: Callable[[int], None],
    deadline: float = math.inf,
) -> Scored:
    """:meth:`Scorer.score` over ``designs`` in parts of ``CHUNK * 5``, reporting the count done after each
    (a DRAM sample of 10^5 designs takes tens of minutes). Stops after the part that passes
    ``deadline`` (a ``time.monotonic()`` value): the result then covers a prefix of ``designs``."""
    parts: list[Scored] = []
    for part in chunks(designs):
        parts.append(scorer.score(part))
        progress(sum(len(p.designs) for p in parts))
        if time.monotonic() > deadline:
            break
    designs = [d for p in parts for d in p.designs]
    vectors = [p.vectors for p in parts if p.vectors is not None]
    return Scored(
        designs,
        np.concatenate([p.rewards for p in parts]),
        np.concatenate([p.feasible for p in parts]),
        [m for p in parts for m in p.metrics],
        np.concatenate(vectors) if vectors else None,
    )


def local_search(
    scorer: Scorer, start: dict[str, Any], max_evaluations: int = 20_000
) -> tuple[dict[str, Any], float]:
    """Steepest-ascent hill climbing over :meth:`DesignSpace.neighbors` until no neighbour improves."""
    design = start
    reward = float(scorer.score([start]).rewards[0])
    budget_end = scorer.evaluations + max_evaluations
    while scorer.evaluations < budget_end:
        neighbours = scorer.space.neighbors(design)
        scored = scorer.score(neighbours)
        i = scored.best()
        if scored.rewards[i] <= reward:
            break
        design, reward = neighbours[i], float(scored.rewards[i])
    return design, reward


def pareto_local_search(
    scorer: Scorer, designs: list[dict[str, Any]], vectors: np.ndarray, max_rounds: int = 50
) -> np.ndarray:
    """The non-dominated vectors of ``designs``, grown by adding every non-dominated neighbour of a
    front design until a round adds none (Paquete et al.'s Pareto local search)."""
    ok = np.isfinite(vectors).all(1)
    pool = {
        tuple(d.values()): (d, v) for d, v, good in zip(designs, vectors, ok, strict=True) if good
    }
    expanded: set[tuple[Any, ...]] = set()
    for _ in range(max_rounds):
        keys = list(pool)
        matrix = np.array([pool[k][1] for k in keys])
        front_keys = [keys[i] for i in np.flatnonzero(_nondominated(matrix))]
        pool = {k: pool[k] for k in front_keys}
        fresh = [k for k in front_keys if k not in expanded]
        if not fresh:
            break
        for key in fresh:
            expanded.add(key)
            neighbours = scorer.space.neighbors(pool[key][0])
            scored = scorer.score(neighbours)
            assert scored.vectors is not None
            for n, v in zip(neighbours, scored.vectors, strict=True):
                if np.isfinite(v).all():
                    pool.setdefault(tuple(n.values()), (n, v))
    return pareto_front(np.array([v for _, v in pool.values()]))


def _nondominated(matrix: np.ndarray) -> np.ndarray:
    import moocore

    return np.asarray(moocore.is_nondominated(matrix, keep_weakly=True))


def _baseline(rewards: np.ndarray, feasible: np.ndarray) -> RandomBaseline:
    finite = rewards[np.isfinite(rewards)]
    return RandomBaseline(
        n=int(len(rewards)),
        median_reward=float(np.median(finite)),
        quantiles={f"{q:g}": float(np.quantile(finite, q)) for q in QUANTILES},
        feasible_fraction=float(np.mean(feasible)),
    )


def compute_reference(
    d: TaskDefinition,
    *,
    seed: int = 0,
    log: Callable[[str], None] = lambda _: None,
    random_seconds: float | None = None,
) -> Reference:
    """The reference of task definition ``d`` by its ``method`` (see :class:`TaskDefinition`).

    ``random_seconds`` caps the random sample's scoring time: the sample is then the first
    designs scored of the ``d.random`` drawn (a prefix of the same seeded sequence, so
    ``--random`` with that count reproduces it), and ``how`` gives the count actually used.
    """
    from archgym.registry import make

    env = make(d.env_id, **d.kwargs, **({"objective": d.objective} if d.objective else {}))
    scorer = Scorer(env)
    space = env.space
    multi = isinstance(env.objective, Pareto)

    if d.method == "enumerate":
        best_reward, best_design, rewards, feasible = -math.inf, None, [], []
        vectors = []
        for batch in chunks(space.enumerate(limit=50_000_000)):
            scored = scorer.score(batch)
            rewards.append(scored.rewards)
            feasible.append(scored.feasible)
            if multi:
                assert scored.vectors is not None
                legal = np.isfinite(scored.rewards)
                vectors.append(
                    pareto_front(scored.vectors[legal & np.isfinite(scored.vectors).all(1)])
                )
            i = scored.best()
            if scored.rewards[i] > best_reward:
                best_reward, best_design = float(scored.rewards[i]), batch[i]
            scorer._cache.clear()
            log(f"{d.name}: enumerated {scorer.evaluations:,} of {space.size:,}")
        all_rewards, all_feasible = np.concatenate(rewards), np.concatenate(feasible)
        how = f"enumerated all {space.size:,} designs"
        exact = True
        # the random baseline of an enumerated space: every design counts once (uniform sampling)
        baseline = _baseline(all_rewards, all_feasible)
        front_raw = pareto_front(np.concatenate(vectors)) if multi else None
    else:
        designs = sample(space, d.random, seed)
        deadline = math.inf if random_seconds is None else time.monotonic() + random_seconds
        scored = score_in_parts(
            scorer, designs, lambda n: log(f"{d.name}: {n:,} random designs scored"), deadline
        )
        designs, n_random = scored.designs, len(scored.designs)
        # uniform sampling draws some designs twice; the count of distinct ones says so
        sampled = (
            f"{n_random:,} random designs ({len({tuple(x.values()) for x in designs}):,} distinct)"
        )
        baseline = _baseline(scored.rewards, scored.feasible)
        log(f"{d.name}: {n_random:,} random designs, {baseline.feasible_fraction:.3%} feasible")
        order = np.argsort(-scored.rewards)[: d.starts]
        best_reward, best_design = float(scored.rewards[order[0]]), designs[int(order[0])]
        for i in order:
            found, reward = local_search(scorer, designs[int(i)])
            if reward > best_reward:
                best_reward, best_design = reward, found
        log(
            f"{d.name}: local search from the best {len(order)} -> {best_reward:.6g} ({scorer.evaluations:,} evaluations)"
        )
        exact = d.method == "target" and best_reward >= 0.0
        if d.method == "target":
            how = (
                f"meet target: reward 0 (every target met) is the maximum; {baseline.feasible_fraction:.3%} "
                f"of {sampled} meet it"
            )
        else:
            how = (
                f"best known: best of {sampled}, then steepest-ascent local search "
                f"from the best {len(order)} ({scorer.evaluations:,} evaluations in all)"
            )
        front_raw = None
        if multi:
            assert scored.vectors is not None
            front_raw = pareto_local_search(scorer, designs, scored.vectors)
            how = (
                f"best-known front: non-dominated designs of {sampled}, refined by Pareto "
                f"local search until no neighbour of a front design joins the front "
                f"({scorer.evaluations:,} evaluations in all)"
            )

    if best_design is None:
        raise RuntimeError(f"task {d.name!r}: no design could be evaluated")
    metrics = scorer.score([best_design], keep_metrics=True).metrics[0] or {}
    front: tuple[tuple[float, ...], ...] = ()
    bounds = None
    if multi and front_raw is not None:
        ideal, worst = front_raw.min(0), front_raw.max(0)
        nadir = worst + 0.1 * np.where(worst > ideal, worst - ideal, np.abs(worst) + 1.0)
        norm = (front_raw - ideal) / (nadir - ideal)
        front = tuple(tuple(float(x) for x in p) for p in norm)
        bounds = (tuple(float(x) for x in ideal), tuple(float(x) for x in nadir))
        how += f"; reference front of {len(front)} points"
    return Reference(
        reward=best_reward,
        how=how,
        exact=exact,
        design={k: _plain(v) for k, v in best_design.items()},
        metrics=metrics,
        random=baseline,
        front=front,
        bounds=bounds,
    )


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
