"""``archgym bench``: run agents on the benchmark tasks and score them against the tasks' references.

:func:`bench_specs` turns (tasks, agents, budgets, seeds) into one experiment spec per budget,
so every (task, agent, seed, budget) is a keyed trial: :func:`run_bench` skips finished trials
and resumes interrupted ones. :func:`collect` reads a store back into one row per run with its
regret, normalised regret (0 = the reference optimum, 1 = a median random design; hypervolume
regret on multi-objective tasks) and the simulator evaluations it took to come within 1 % of the
optimum. :func:`aggregate` gives each agent's interquartile mean (IQM) of normalised regret across
tasks with a stratified-bootstrap 95 % interval, and :func:`performance_profiles` the share of
runs within each regret threshold (Agarwal et al., "Deep RL at the edge of the statistical
precipice", 2021).

Example:
    >>> from archgym.experiments.bench import bench_specs, run_bench, collect, aggregate
    >>> specs = bench_specs(["synthetic-cost"], ["random", "walk"], [50], 3, "bench.db")  # doctest: +SKIP
    >>> run_bench(specs, executor="serial")  # doctest: +SKIP
    >>> aggregate(collect("bench.db"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym.experiments.executors import SweepProgress, SweepResult, run_sweep
from archgym.experiments.spec import AgentEntry, EnvEntry, ExperimentSpec, SpecError, Trial
from archgym.indicators import iqm, stratified_bootstrap_ci
from archgym.store import Store
from archgym.tasks import Task, get, list_tasks

#: Relative distance to the reference counted as "within 1 %".
WITHIN = 0.01
#: Regret thresholds of the performance profiles: 0, then log-spaced (most runs end well below 1).
TAUS = np.concatenate([[0.0], np.logspace(-4, 0, 100)])


def resolve_tasks(names: Sequence[str] | str | None) -> list[Task]:
    """Tasks by name; ``None``/"default" is the default set, "all" every task, "archgym" ArchGym's targets."""
    if names is None or names == "default":
        chosen = list_tasks("default")
    elif names in ("all", "archgym"):
        chosen = list_tasks(None if names == "all" else "archgym")
    else:
        chosen = [
            n.strip() for n in (names.split(",") if isinstance(names, str) else names) if n.strip()
        ]
    out = []
    for name in chosen:
        try:
            out.append(get(name))
        except KeyError as err:
            raise SpecError(str(err.args[0])) from None
    return out


def env_entry(task: Task) -> EnvEntry:
    """The experiment-spec env entry of a task (its trial keys depend on env id, kwargs, objective)."""
    return EnvEntry(task.env_id, dict(task.kwargs), task.objective)


def bench_specs(
    tasks: Sequence[str] | str | None,
    agents: Sequence[str],
    budgets: Sequence[int],
    seeds: int | Sequence[int],
    store: str | Path,
    *,
    executor: str = "local",
    workers: int | None = None,
) -> list[ExperimentSpec]:
    """One spec per budget over the tasks x agents (default hyperparameters) x seeds."""
    if not agents:
        raise SpecError("--agents must name at least one agent")
    if not budgets or any(int(b) < 1 for b in budgets):
        raise SpecError(f"budgets must be positive integers, got {list(budgets)}")
    seed_list = tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds)
    if not seed_list:
        raise SpecError("seeds must be a positive count or a non-empty list")
    from archgym.agents import agent_class

    entries = []
    for name in agents:
        try:
            agent_class(name)
        except KeyError as err:
            raise SpecError(f"agent {name!r}: {err.args[0]}") from None
        entries.append(AgentEntry(name))
    envs = tuple(env_entry(t) for t in resolve_tasks(tasks))
    return [
        ExperimentSpec(
            envs=envs,
            agents=tuple(entries),
            seeds=seed_list,
            budget=int(budget),
            store=Path(store),
            name=f"bench-{budget}",
            executor=executor,
            workers=workers,
        )
        for budget in sorted(set(int(b) for b in budgets))
    ]


def run_bench(
    specs: Iterable[ExperimentSpec],
    *,
    executor: str | None = None,
    on_progress: Callable[[SweepProgress], None] | None = None,
) -> list[SweepResult]:
    """Run every spec's unfinished trials (finished ones are skipped)."""
    return [run_sweep(spec, executor=executor, on_progress=on_progress) for spec in specs]


def _match(runs: pd.DataFrame, tasks: Sequence[Task]) -> dict[int, Task]:
    """Each bench run's task, found by recomputing trial keys from the run's agent, settings, seed, budget."""
    entries = [(t, env_entry(t)) for t in tasks]
    out: dict[int, Task] = {}
    for run in runs.itertuples():
        if not run.trial_key:
            continue
        hp = json.loads(run.hyperparameters) if isinstance(run.hyperparameters, str) else {}
        for task, entry in entries:
            if task.env_id != run.env_id:
                continue
            version = str(run.simulator_version or "")
            trial = Trial(entry, run.agent, hp, int(run.seed), int(run.budget), version)
            if trial.key == run.trial_key:
                out[int(run.id)] = task
                break
    return out


def _run_row(task: Task, space: Any, evaluations: list[dict[str, Any]]) -> dict[str, Any]:
    """Regret, normalised regret and evaluations-to-within-1 % of one run's recorded evaluations."""
    sims = [e for e in evaluations if e["source"] == "simulator"]
    rewards, metrics = [], []
    for e in sims:
        design = e["design"]
        legal = not space.constraints or space.is_feasible(design)
        ok = legal and e["metrics"] is not None and math.isfinite(e["reward"])
        rewards.append(float(e["reward"]) if ok else -math.inf)
        metrics.append(e["metrics"] if ok else None)
    to_within: float = math.nan
    if task.multi_objective:
        score = task.hv_regret([m for m in metrics if m]) if any(metrics) else 1.0
        regret = score
        # hypervolume regret only falls as points are added: find the first step at or below 1 %
        if score <= WITHIN:
            lo, hi = 1, len(metrics)
            while lo < hi:
                mid = (lo + hi) // 2
                if task.hv_regret([m for m in metrics[:mid] if m] or [{}]) <= WITHIN:
                    hi = mid
                else:
                    lo = mid + 1
            to_within = lo
        best = math.nan
    else:
        best = max(rewards) if rewards else -math.inf
        regret = task.regret(best) if math.isfinite(best) else math.inf
        score = task.normalized_regret(best) if math.isfinite(best) else math.inf
        running = np.maximum.accumulate(rewards) if rewards else np.array([])
        hits = [i for i, r in enumerate(running) if math.isfinite(r) and task.within(r, WITHIN)]
        to_within = hits[0] + 1 if hits else math.nan
    return {
        "best_reward": best,
        "regret": regret,
        "normalized_regret": score,
        "evals_to_1pct": to_within,
        "evaluations": len(sims),
    }


def collect(store: str | Path | Store, tasks: Sequence[Task] | None = None) -> pd.DataFrame:
    """One row per finished bench run in ``store``: task, agent, budget, seed and its scores."""
    tasks = list(tasks) if tasks is not None else [get(n) for n in list_tasks()]
    own = not isinstance(store, Store)
    db = Store(store) if not isinstance(store, Store) else store
    try:
        runs = db.runs()
        runs = runs[runs["status"] == "finished"]
        matched = _match(runs, tasks)
        spaces: dict[str, Any] = {}
        rows = []
        for run in runs.itertuples():
            task = matched.get(int(run.id))
            if task is None:
                continue
            if task.name not in spaces:
                spaces[task.name] = task.make().space
            row = _run_row(task, spaces[task.name], db.evaluations(int(run.id)))
            rows.append(
                {
                    "task": task.name,
                    "env": task.env_id,
                    "agent": run.agent,
                    "budget": int(run.budget),
                    "seed": int(run.seed),
                    "run_id": int(run.id),
                    **row,
                }
            )
    finally:
        if own:
            db.close()
    columns = ["task", "env", "agent", "budget", "seed", "run_id", "best_reward", "regret"]
    columns += ["normalized_regret", "evals_to_1pct", "evaluations"]
    return pd.DataFrame(rows, columns=columns)


def regret_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per task, agent and budget: median regret and normalised regret over seeds, their IQR, the
    share of runs within 1 % of the optimum and the median evaluations it took them."""

    def summarise(g: pd.DataFrame) -> pd.Series:
        q1, q3 = g["normalized_regret"].quantile([0.25, 0.75])
        within = g["evals_to_1pct"].notna()
        return pd.Series(
            {
                "seeds": len(g),
                "median regret": g["regret"].median(),
                "median norm. regret": g["normalized_regret"].median(),
                "IQR norm. regret": q3 - q1,
                "within 1 %": within.mean(),
                "evals to 1 %": g.loc[within, "evals_to_1pct"].median()
                if within.any()
                else math.nan,
            }
        )

    if runs.empty:
        return pd.DataFrame()
    return (
        runs.groupby(["task", "budget", "agent"])
        .apply(summarise, include_groups=False)
        .reset_index()
    )


def aggregate(runs: pd.DataFrame, *, seed: int = 0, n_resamples: int = 2000) -> pd.DataFrame:
    """Per agent and budget: IQM of normalised regret over every task's runs, with a 95 %
    stratified-bootstrap interval (tasks are the strata), and the median for reference."""
    rows = []
    for (agent, budget), g in runs.groupby(["agent", "budget"]):
        groups = [t["normalized_regret"].clip(upper=10.0).to_numpy() for _, t in g.groupby("task")]
        ci = stratified_bootstrap_ci(groups, iqm, seed=seed, n_resamples=n_resamples)
        rows.append(
            {
                "agent": agent,
                "budget": budget,
                "tasks": len(groups),
                "runs": len(g),
                "IQM norm. regret": ci.estimate,
                "CI low": ci.low,
                "CI high": ci.high,
                "median": float(np.median(np.concatenate(groups))),
            }
        )
    return pd.DataFrame(rows).sort_values(["budget", "IQM norm. regret"]).reset_index(drop=True)


def performance_profiles(runs: pd.DataFrame, taus: np.ndarray = TAUS) -> pd.DataFrame:
    """Share of each agent's runs (every task, at each budget) with normalised regret <= tau."""
    rows = []
    for (agent, budget), g in runs.groupby(["agent", "budget"]):
        scores = g["normalized_regret"].to_numpy()
        for tau in taus:
            rows.append(
                {
                    "agent": agent,
                    "budget": budget,
                    "tau": float(tau),
                    "fraction": float(np.mean(scores <= tau)),
                }
            )
    return pd.DataFrame(rows)


def separated(summary: pd.DataFrame) -> pd.DataFrame:
    """Per budget: pairs of agents whose IQM intervals do not overlap (a clear difference)."""
    rows = []
    for budget, g in summary.groupby("budget"):
        items = g.to_dict("records")
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if a["CI high"] < b["CI low"] or b["CI high"] < a["CI low"]:
                    better, worse = (
                        (a, b) if a["IQM norm. regret"] < b["IQM norm. regret"] else (b, a)
                    )
                    rows.append(
                        {"budget": budget, "better": better["agent"], "worse": worse["agent"]}
                    )
    return pd.DataFrame(rows, columns=["budget", "better", "worse"])


def task_separation(runs: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Per task and budget: whether some pair of agents' 95 % bootstrap intervals of the median
    normalised regret are disjoint (the agents separate on that task)."""
    from archgym.indicators import bootstrap_ci

    rows = []
    for (task, budget), g in runs.groupby(["task", "budget"]):
        cis = {}
        for agent, a in g.groupby("agent"):
            values = a["normalized_regret"].to_numpy()
            cis[agent] = bootstrap_ci(values, np.median, seed=seed) if len(values) > 1 else None
        known = {k: v for k, v in cis.items() if v is not None}
        pairs = sum(
            1
            for i, (_, x) in enumerate(known.items())
            for _, y in list(known.items())[i + 1 :]
            if x.high < y.low or y.high < x.low
        )
        rows.append({"task": task, "budget": budget, "agents": len(cis), "separated pairs": pairs})
    return pd.DataFrame(rows)
