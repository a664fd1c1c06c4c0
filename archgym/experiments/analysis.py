"""Turn a store of runs into comparison tables (pandas): one row per trial, per setting, per agent.

Every figure is computed from the store alone, so it can be re-made at any time:

* **best reward**: the highest reward a run saw (rewards already carry infeasibility penalties);
* **best-so-far curve**: that maximum after each of the run's simulator evaluations (the budget
  unit; cache hits cost nothing), held flat after a run that stopped early;
* **AUC**: the mean of the best-so-far curve over the budget (higher is better: found good
  designs early);
* **success** and **evaluations to target**: the target is, in order of precedence, a reward
  threshold given by the caller, feasibility for a ``target`` objective (ArchGym's target
  specs), or the optimum where the simulator knows it;
* **regret**: optimum reward minus best reward, where the simulator has ``optimum()`` and the
  run used the env's default objective (the optimum is of that objective);
* **lottery**: each agent's spread of outcomes over its hyperparameter settings;
* **Pareto**: for runs with a ``pareto`` objective, the front each agent found and the
  hypervolume of each run against one reference point per env.

Example:
    >>> import archgym
    >>> from archgym.agents import RandomSearch
    >>> from archgym.store import Store
    >>> store = Store(":memory:")
    >>> _ = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=10, seed=0, store=store)
    >>> result = analyze(store)
    >>> result.trials[["agent", "seed", "evaluations"]].values.tolist()
    [['random', 0, 10]]
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from archgym.experiments.spec import canonical
from archgym.indicators import hypervolume, pareto_front
from archgym.store import Store

#: Relative tolerance for "found the optimum" when the optimum is the target.
OPTIMUM_RTOL = 1e-9


@dataclass
class Analysis:
    """The tables a report shows.

    Rows are grouped by ``env``: the env id, or an id and variant (see :func:`env_labels`).
    ``trials``: one row per trial; ``curves``: best-so-far per simulator evaluation, long form;
    ``settings``: per env x agent x hyperparameter setting; ``comparison``: per env x agent at its
    best setting; ``lottery``: spread over settings; ``pareto``: hypervolume per env x agent x
    setting; ``fronts``: the points of each (env, agent) front (all objectives minimised).
    """

    trials: pd.DataFrame
    curves: pd.DataFrame
    settings: pd.DataFrame
    comparison: pd.DataFrame
    lottery: pd.DataFrame
    pareto: pd.DataFrame
    fronts: dict[tuple[str, str], np.ndarray]
    front_metrics: dict[str, list[str]]


def completed_runs(store: Store) -> pd.DataFrame:
    """The runs to analyse: for each trial key its latest finished run, plus finished runs made
    without a key (``archgym run``), each on its own."""
    runs = store.runs()
    runs = runs[runs["status"] == "finished"].copy()
    keyed = runs[runs["trial_key"].notna()].sort_values("id").groupby("trial_key").tail(1)
    return (
        pd.concat([keyed, runs[runs["trial_key"].isna()]]).sort_values("id").reset_index(drop=True)
    )


def env_labels(runs: pd.DataFrame) -> dict[int, str]:
    """A name per run for its environment: the env id, plus what tells its variant apart (objective,
    env kwargs) when the runs hold several variants of one id.

    Example:
        >>> runs = pd.DataFrame({"id": [1, 2], "env_id": ["e/A-v0"] * 2, "env_kwargs": ["{}"] * 2,
        ...                      "objective": ['{"type":"minimize","metric":"x"}', '{"type":"pareto","metrics":["x","y"]}']})
        >>> env_labels(runs)
        {1: 'e/A-v0 [minimize x]', 2: 'e/A-v0 [pareto x,y]'}
    """
    # The budget is part of the variant: best rewards at different budgets do not compare.
    variants = {
        int(r.id): (
            r.env_id,
            {**json.loads(r.env_kwargs), **_budget_of(r)},
            json.loads(r.objective) if r.objective else {},
        )
        for r in runs.itertuples(index=False)
    }
    labels: dict[int, str] = {}
    for env_id in {v[0] for v in variants.values()}:
        ids = [i for i, v in variants.items() if v[0] == env_id]
        if len({canonical(variants[i][1:]) for i in ids}) == 1:
            labels.update(dict.fromkeys(ids, env_id))
            continue
        objectives_differ = len({canonical(variants[i][2]) for i in ids}) > 1
        keys = sorted({k for i in ids for k in variants[i][1]})
        differing = [k for k in keys if len({canonical(variants[i][1].get(k)) for i in ids}) > 1]
        for i in ids:
            kwargs, objective = variants[i][1], variants[i][2]
            parts = [_short_objective(objective)] if objectives_differ else []
            parts += [f"{k}={canonical(kwargs.get(k))}" for k in differing]
            labels[i] = f"{env_id} [{'; '.join(parts)}]"
    return labels


def _budget_of(run: Any) -> dict[str, int]:
    budget = getattr(run, "budget", None)
    return {} if budget is None or pd.isna(budget) else {"budget": int(budget)}


def _short_objective(objective: Mapping[str, Any]) -> str:
    names = objective.get("metric") or ",".join(
        objective.get("metrics") or objective.get("targets") or objective.get("weights") or []
    )
    return f"{objective.get('type', 'default')} {names}".strip()


def best_so_far(
    rewards: np.ndarray, sources: np.ndarray, budget: int, paid: str = "simulator"
) -> np.ndarray:
    """Best reward after 1..budget simulator evaluations (NaN before the first finite reward).

    ``paid`` is the source the budget counts: ``"proxy"`` for a run on a proxy cost model.

    Example:
        >>> best_so_far(np.array([1.0, 3.0, 3.0, 2.0]), np.array(["simulator", "simulator", "cache", "simulator"]), 4)
        array([1., 3., 3., 3.])
    """
    running = (
        np.fmax.accumulate(np.where(np.isnan(rewards), -np.inf, rewards))
        if len(rewards)
        else rewards
    )
    used = np.cumsum(sources == paid)
    # The evaluation that is last among those made with at most n simulator calls.
    last = np.searchsorted(used, np.arange(1, budget + 1), side="right") - 1
    curve = np.where(
        last >= 0, running[np.clip(last, 0, None)] if len(running) else -np.inf, -np.inf
    )
    return np.where(np.isinf(curve), np.nan, curve)


def analyze(store: Store, targets: Mapping[str, float] | None = None) -> Analysis:
    """Every table for the finished runs in ``store``; ``targets`` maps env id -> reward threshold."""
    runs = completed_runs(store)
    ids = runs["id"].tolist()
    # SQLite caps the variables in one query (32766); past that, read everything and filter here.
    evals = (
        store.to_dataframe(ids)
        if len(ids) < 30_000
        else store.to_dataframe().query("run_id in @ids")
    )
    targets = dict(targets or {})
    rows, curve_rows, pareto_rows = [], [], []
    fronts: dict[tuple[str, str], list[np.ndarray]] = {}
    front_metrics: dict[str, list[str]] = {}
    by_run = dict(tuple(evals.groupby("run_id"))) if len(evals) else {}
    labels = env_labels(runs)
    for run in runs.itertuples(index=False):
        ev = by_run.get(run.id)
        if ev is None or ev.empty:
            continue
        env = labels[run.id]
        objective = json.loads(run.objective) if run.objective else {}
        env_kwargs = json.loads(run.env_kwargs)
        # A run on a proxy cost model spends its budget on proxy answers (recorded as "proxy").
        paid = "proxy" if str(run.simulator or "").startswith("proxy:") else "simulator"
        budget = int(run.budget or (ev["source"] == paid).sum())
        rewards, sources = ev["reward"].to_numpy(float), ev["source"].to_numpy(str)
        curve = best_so_far(rewards, sources, budget, paid)
        used = np.cumsum(sources == paid)
        optimum = _optimum_reward(run.env_id, canonical(env_kwargs), canonical(objective))
        target, hit = _target(
            run.env_id, objective, optimum, targets, curve, ev["feasible"].to_numpy(bool), used
        )
        best = float(np.nanmax(rewards)) if np.isfinite(rewards).any() else math.nan
        config = canonical(json.loads(run.hyperparameters))
        rows.append(
            dict(
                run_id=run.id,
                env=env,
                env_id=run.env_id,
                agent=run.agent,
                config=config,
                seed=run.seed,
                budget=budget,
                evaluations=int(used[-1]),
                best_reward=best,
                auc=float(np.nanmean(curve)) if np.isfinite(curve).any() else math.nan,
                target=target,
                success=(hit is not None) if target is not None else math.nan,
                evals_to_target=hit if hit is not None else math.nan,
                optimum=optimum if optimum is not None else math.nan,
                regret=optimum - best if optimum is not None else math.nan,
            )
        )
        curve_rows.append(
            pd.DataFrame(
                dict(
                    run_id=run.id,
                    env=env,
                    env_id=run.env_id,
                    agent=run.agent,
                    config=config,
                    seed=run.seed,
                    evaluation=np.arange(1, budget + 1),
                    best=curve,
                )
            )
        )
        if objective.get("type") == "pareto":
            points = _pareto_points(run.env_id, canonical(env_kwargs), canonical(objective), ev)
            front_metrics[env] = list(objective["metrics"])
            fronts.setdefault((env, run.agent), []).append(points)
            pareto_rows.append(
                dict(
                    run_id=run.id,
                    env=env,
                    env_id=run.env_id,
                    agent=run.agent,
                    config=config,
                    seed=run.seed,
                    points=points,
                )
            )
    trials = pd.DataFrame(
        rows,
        columns=[
            "run_id",
            "env",
            "env_id",
            "agent",
            "config",
            "seed",
            "budget",
            "evaluations",
            "best_reward",
            "auc",
            "target",
            "success",
            "evals_to_target",
            "optimum",
            "regret",
        ],
    )
    curves = (
        pd.concat(curve_rows, ignore_index=True)
        if curve_rows
        else pd.DataFrame(
            columns=["run_id", "env", "env_id", "agent", "config", "seed", "evaluation", "best"]
        )
    )
    settings = summarize_settings(trials)
    pareto, merged = _pareto_tables(pareto_rows, fronts)
    return Analysis(
        trials,
        curves,
        settings,
        compare(settings),
        lottery(settings),
        pareto,
        merged,
        front_metrics,
    )


def _iqr(x: pd.Series) -> float:
    return float(x.quantile(0.75) - x.quantile(0.25)) if x.notna().any() else math.nan


def summarize_settings(trials: pd.DataFrame) -> pd.DataFrame:
    """Per env x agent x hyperparameter setting: seeds, median/IQR of best reward, success rate,
    median evaluations to target, median AUC and regret."""
    cols = [
        "env",
        "agent",
        "config",
        "seeds",
        "best_median",
        "best_iqr",
        "success_rate",
        "evals_to_target",
        "auc_median",
        "regret_median",
    ]
    if trials.empty:
        return pd.DataFrame(columns=cols)
    grouped = trials.groupby(["env", "agent", "config"], sort=True)
    out = grouped.agg(
        seeds=("seed", "size"),
        best_median=("best_reward", "median"),
        best_iqr=("best_reward", _iqr),
        success_rate=(
            "success",
            lambda s: float(s.astype(float).mean()) if s.notna().any() else math.nan,
        ),
        evals_to_target=("evals_to_target", "median"),
        auc_median=("auc", "median"),
        regret_median=("regret", "median"),
    ).reset_index()
    return out[cols]


def compare(settings: pd.DataFrame) -> pd.DataFrame:
    """Per env x agent at its best setting (highest median best reward; ties go to the higher
    success rate, then the higher AUC): the tuned comparison, ranked the same way, with how many
    settings were tried (the more, the more optimistic the figure)."""
    if settings.empty:
        return settings.assign(settings=pd.Series(dtype=int))
    rank = ["best_median", "success_rate", "auc_median"]
    order = settings.sort_values(
        ["env", "agent", *rank], ascending=[True, True, False, False, False], na_position="last"
    )
    best = order.groupby(["env", "agent"], sort=True).head(1).copy()
    counts = settings.groupby(["env", "agent"]).size()
    best["settings"] = [
        int(counts[(e, a)]) for e, a in zip(best["env"], best["agent"], strict=True)
    ]
    return best.sort_values(
        ["env", *rank], ascending=[True, False, False, False], na_position="last"
    ).reset_index(drop=True)


def lottery(settings: pd.DataFrame) -> pd.DataFrame:
    """The hyperparameter lottery: per env x agent, the median best reward of its worst, median and
    best setting and their spread; a wide spread means the agent's rank depends on tuning."""
    cols = ["env", "agent", "settings", "worst", "median", "best", "spread"]
    if settings.empty:
        return pd.DataFrame(columns=cols)
    g = settings.groupby(["env", "agent"], sort=True)["best_median"]
    out = g.agg(settings="size", worst="min", median="median", best="max").reset_index()
    out["spread"] = out["best"] - out["worst"]
    return out[cols]


def _target(
    env_id: str,
    objective: Mapping[str, Any],
    optimum: float | None,
    targets: Mapping[str, float],
    curve: np.ndarray,
    feasible: np.ndarray,
    used: np.ndarray,
) -> tuple[float | None, int | None]:
    """The reward target of a run and the simulator evaluation at which it was first met."""
    if env_id in targets:
        target = float(targets[env_id])
        hits = np.flatnonzero(curve >= target)
    elif objective.get("type") == "target":
        # ArchGym's target specs: met exactly when a design is feasible; its reward is then its score.
        hit = np.flatnonzero(feasible)
        return 0.0, int(max(used[hit[0]], 1)) if hit.size else None
    elif optimum is not None:
        target = optimum - OPTIMUM_RTOL * max(1.0, abs(optimum))
        hits = np.flatnonzero(curve >= target)
    else:
        return None, None
    return target, int(hits[0]) + 1 if hits.size else None


def _make_env(env_id: str, env_kwargs: str, objective: str | None) -> Any:
    import archgym

    kwargs = {
        k: v for k, v in json.loads(env_kwargs).items() if v is not None and k != "simulator_kwargs"
    }
    sim_kwargs = json.loads(env_kwargs).get("simulator_kwargs")
    if sim_kwargs:
        kwargs["simulator_kwargs"] = sim_kwargs
    if objective is not None:
        kwargs["objective"] = json.loads(objective)
    return archgym.make(env_id, **kwargs)


@lru_cache(maxsize=256)
def _optimum_reward(env_id: str, env_kwargs: str, objective: str) -> float | None:
    """The reward of the simulator's known optimum, when it has one and the run used the default objective."""
    try:
        default = _make_env(env_id, env_kwargs, None)
        optimum = getattr(default.simulator, "optimum", None)
        if optimum is None or canonical(default.objective.to_dict()) != objective:
            return None
        design, _ = optimum()
        return float(default.objective(default.simulator.evaluate(design, default.workload)).reward)
    except Exception:  # an env that can no longer be built (renamed, removed) has no known optimum
        return None


@lru_cache(maxsize=64)
def _pareto_objective(env_id: str, env_kwargs: str, objective: str) -> Any:
    return _make_env(env_id, env_kwargs, objective).objective


def _pareto_points(env_id: str, env_kwargs: str, objective: str, ev: pd.DataFrame) -> np.ndarray:
    """The run's evaluated metric vectors, every objective minimised."""
    obj = _pareto_objective(env_id, env_kwargs, objective)
    cols = [f"metric_{m}" for m in obj.metrics]
    ok = (
        ev[cols].notna().all(axis=1)
        if set(cols) <= set(ev.columns)
        else pd.Series(False, index=ev.index)
    )
    points = [
        -obj.vector(dict(zip(obj.metrics, row, strict=True)))
        for row in ev.loc[ok, cols].to_numpy(float)
    ]
    return np.asarray(points, dtype=float).reshape(-1, len(obj.metrics))


def _pareto_tables(
    rows: list[dict[str, Any]], fronts: dict[tuple[str, str], list[np.ndarray]]
) -> tuple[pd.DataFrame, dict[tuple[str, str], np.ndarray]]:
    cols = [
        "env",
        "agent",
        "config",
        "seeds",
        "hypervolume_median",
        "hypervolume_iqr",
        "front_size",
    ]
    if not rows:
        return pd.DataFrame(columns=cols), {}
    merged = {k: pareto_front(np.vstack(v)) for k, v in fronts.items()}
    # One reference point per env (a little worse than the worst point any agent saw), so every
    # agent's hypervolume on that env is measured against the same box.
    reference = {}
    for env in {r["env"] for r in rows}:
        allpts = np.vstack([r["points"] for r in rows if r["env"] == env and len(r["points"])])
        lo, hi = allpts.min(0), allpts.max(0)
        reference[env] = hi + 0.1 * np.where(hi > lo, hi - lo, 1.0)
    table = pd.DataFrame(
        [
            dict(
                env=r["env"],
                agent=r["agent"],
                config=r["config"],
                hv=hypervolume(r["points"], reference[r["env"]]) if len(r["points"]) else math.nan,
            )
            for r in rows
        ]
    )
    out = (
        table.groupby(["env", "agent", "config"], sort=True)["hv"]
        .agg(seeds="size", hypervolume_median="median", hypervolume_iqr=_iqr)
        .reset_index()
    )
    out["front_size"] = [len(merged[(e, a)]) for e, a in zip(out["env"], out["agent"], strict=True)]
    return out[cols], merged
