"""Model selection: the best regressor per metric, by successive halving (default) or full k-fold CV.

Successive halving (``strategy="halving"``) scores every candidate on a share of the
training designs against one held-out validation fold, keeps the better half per metric, and
doubles the share until at most :data:`FINALISTS` candidates per metric are left (the last
rung on half the training fold); the finalists are then cross-validated on all designs
(:data:`FINAL_FOLDS` folds), which one small validation fold is too noisy to replace. Slow
candidates that lose early never see the big fits. ``time_budget`` (seconds)
stops promoting once spent and picks the best of the furthest rung. ``strategy="cv"`` is the
thorough table: every candidate on every fold.

Either way a boosting candidate (``lgbm``) is scored at the round count with the lowest mean
validation loss over the folds, which the final model then uses, and the chosen kind's fold
models give the out-of-fold residuals that calibrate its intervals (``SelectionResult.oof``),
so the default's only fits beyond the cross-validation are the final ones. Metrics with
identical values (:func:`twin_metrics`) are selected for once.

Example:
    >>> import archgym
    >>> from archgym.agents import RandomSearch
    >>> from archgym.proxy_models.dataset import from_store
    >>> store = archgym.Store(":memory:")
    >>> _ = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=40, seed=0, store=store)
    >>> result = select(from_store(store, "archgym/Synthetic-v0"), candidates=["linear", "rf"], folds=3)
    >>> sorted(result.best)
    ['area_au', 'cost_au']
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from archgym.proxy_models.dataset import Dataset, ProxyDataError, forward, inverse
from archgym.proxy_models.evaluation import scores
from archgym.proxy_models.physics import constrained_params
from archgym.proxy_models.regressors import REGRESSORS, LightGBM, Regressor, make_regressor

#: Every kind ``strategy="cv"`` tries when no candidates are given, cheapest first.
ALL_CANDIDATES = ("linear", "rf", "et", "lgbm", "gbm", "gp", "mlp")
#: Kinds that train in seconds on tens of thousands of designs: always among the default
#: candidates. Boosting is LightGBM's (``lgbm``): scikit-learn's (``gbm``), the same model,
#: made 87 of the default's fits cost 38 of its 47 CPU seconds on 300 DRAM designs.
FAST_CANDIDATES = ("linear", "et", "rf", "lgbm")
#: The GP and the MLP ensemble are tried only when named: on 100 DRAM designs the GP's fits
#: (its per-feature length scales are optimised) made ``proxy train`` take 185 s against 2.6 s
#: for extra trees, for the same accuracy (``bench_proxy.py``, load average ~25); profiled on
#: 300 designs the MLP took 42 s of 175 s and was chosen for no metric.
SLOW_CANDIDATES = ("gp", "mlp")
#: Kept for callers of the old name: every kind.
DEFAULT_CANDIDATES = ALL_CANDIDATES

#: Candidates per metric that successive halving leaves for the final, which cross-validates
#: them on all designs (``FINAL_FOLDS`` folds): one validation fold of a fifth of the designs
#: is too few to choose by (on 300 and 1,000 DRAM designs it chose a random forest or boosting
#: for latency at 1.5-5x the extra trees' error, ``bench_proxy.py``), and a rung on part of
#: the designs dropped extra trees on 300. So the four fast kinds, the default, are all
#: finalists; halving only cuts longer candidate lists (with ``gp`` or ``mlp`` named).
FINALISTS = 4
FINAL_FOLDS = 3

Progress = Callable[[int, int, str], None]
Strategy = Literal["halving", "cv"]


def default_candidates(n_designs: int) -> tuple[str, ...]:
    """What ``model="auto"`` tries on ``n_designs`` designs.

    >>> default_candidates(100)
    ('linear', 'et', 'rf', 'lgbm')
    """
    return FAST_CANDIDATES


@dataclass
class SelectionResult:
    """``rows``: one per (kind, metric) with its scores; ``best``: kind per metric.

    With halving, a row's ``n_fit`` is the training designs of the last rung it reached and
    ``rung`` that rung (0 = first); ``stopped`` says why selection ended early, if it did.
    ``params``: per metric, hyperparameters the cross-validation tuned for the chosen kind
    (boosting's ``n_estimators``: the round count with the lowest mean validation loss).
    ``oof``: per metric whose chosen kind was cross-validated, its out-of-fold
    ``(target, mean, std)`` in model space, from which the intervals are calibrated without
    refitting (:func:`~archgym.proxy_models.model.interval_scale_from`).
    """

    rows: list[dict[str, Any]]
    best: dict[str, str]
    seconds: float = 0.0
    stopped: str = ""
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    oof: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


def select(
    data: Dataset,
    candidates: Sequence[str] | None = None,
    folds: int = 5,
    seed: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    score: str = "rmse",
    *,
    strategy: Strategy = "halving",
    time_budget: float | None = None,
    progress: Progress | None = None,
    constraints: Mapping[str, Sequence[int]] | None = None,
) -> SelectionResult:
    """Pick the lowest-``score`` candidate per metric (see the module docstring).

    ``candidates`` default to :func:`default_candidates` for halving and to every kind for
    ``"cv"``. Candidates meant for less data than a fold holds (the GP) are skipped, and say
    so in ``rows``. ``progress(done, total, label)`` is called after every fit. ``constraints``:
    per metric, the ``monotonic_cst`` given to kinds that take one (see
    :mod:`~archgym.proxy_models.monotone`). Candidates are fitted with ``fit_mean``: scores
    need means only.
    """
    if strategy not in ("halving", "cv"):
        raise ProxyDataError(f"strategy {strategy!r} is not one of 'halving', 'cv'")
    if time_budget is not None and not time_budget > 0:
        raise ProxyDataError(f"time_budget must be a positive number of seconds, got {time_budget}")
    if candidates:
        candidates = list(dict.fromkeys(candidates))
    elif strategy == "cv":
        candidates = list(ALL_CANDIDATES)
    else:
        candidates = list(default_candidates(len(data)))
    unknown = [c for c in candidates if c not in REGRESSORS]
    if unknown:
        raise ProxyDataError(f"unknown regressor {unknown[0]!r}; known are {sorted(REGRESSORS)}")
    if len(data) < 3:
        raise ProxyDataError(
            f"{len(data)} designs are too few to compare models; fit one kind (e.g. model='et') "
            "or collect more designs"
        )
    twins = twin_metrics(data, constraints or {})
    if twins:
        # Fit each distinct target once (DRAM-v0's average and average read latency are one).
        kept = tuple(m for m in data.metrics if m.name not in twins)
        inner = select(
            replace(data, metrics=kept, values={m.name: data.values[m.name] for m in kept}),
            candidates,
            folds,
            seed,
            params,
            score,
            strategy=strategy,
            time_budget=time_budget,
            progress=progress,
            constraints=constraints,
        )
        return _with_twins(inner, twins)
    folds = max(2, min(folds, len(data)))
    splits = list(data.kfold(folds, seed=seed))
    rows: list[dict[str, Any]] = []
    runnable = []
    for kind in candidates:
        limit = REGRESSORS[kind].max_samples
        if limit is not None and len(splits[0][0]) > limit:
            rows += [
                {"kind": kind, "metric": m, "skipped": f"more than {limit} designs"}
                for m in data.metric_names
            ]
        else:
            runnable.append(kind)
    if not runnable:
        raise ProxyDataError(
            f"no candidate among {candidates} could be fitted to {len(data)} designs"
        )
    fitter = _Fitter(
        data, seed, params or {}, progress, time.perf_counter(), time_budget, constraints or {}
    )
    if strategy == "cv":
        fitter.total = len(runnable) * len(data.metric_names) * folds
        for kind in runnable:
            for m in data.metric_names:
                rows.append(
                    {"kind": kind, "metric": m, "folds": folds, **fitter.cv(kind, m, splits)}
                )
        stopped, best, oof = "", {}, {}
    else:
        scored, finalists, stopped = _halving(fitter, runnable, splits[0], score)
        rows += scored
        latest = {(r["kind"], r["metric"]): r for r in scored}
        best = {}
        oof: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        final_splits = list(data.kfold(FINAL_FOLDS, seed=seed))
        final_rung = 1 + max((r["rung"] for r in scored), default=-1)
        for m, kinds in finalists.items():
            ranked = [k for k in kinds if (k, m) in latest]
            if len(kinds) == 1 or (stopped and ranked):
                # Out of time: the best on its latest (validation-fold) score.
                best[m] = min(
                    ranked or kinds,
                    key=lambda k, m=m: (
                        _nan_last(latest[(k, m)][score]) if (k, m) in latest else math.inf
                    ),
                )
                continue
            finals: list[dict[str, Any]] = []
            fold_models: dict[str, list[Regressor]] = {}
            for kind in kinds:
                # Out of time: stop once this metric has one score to choose by.
                if fitter.out_of_time and finals:
                    stopped = f"time budget of {fitter.time_budget:g} s spent in the final"
                    break
                row = {"kind": kind, "metric": m, "rung": final_rung, "n_fit": len(data)}
                cv_scores, fold_models[kind] = fitter.cv_models(kind, m, final_splits)
                finals.append({**row, "folds": FINAL_FOLDS, **cv_scores})
            rows += finals
            chosen = min(finals, key=lambda r: _nan_last(r[score]))
            best[m] = chosen["kind"]
            # The chosen kind's fold models give the out-of-fold residuals that calibrate
            # its intervals: no refits (they were a third of the default's time).
            oof[m] = fitter.out_of_fold(fold_models[best[m]], m, final_splits)
    if strategy == "cv":
        best = {
            m: min(
                (r for r in rows if r["metric"] == m and "skipped" not in r),
                key=lambda r: _nan_last(r[score]),
            )["kind"]
            for m in data.metric_names
        }
    tuned = {
        m: {"n_estimators": int(r["n_estimators"])}
        for r in rows
        if "n_estimators" in r and best.get(r["metric"]) == r["kind"] and "folds" in r
        for m in [r["metric"]]
    }
    return SelectionResult(rows, best, time.perf_counter() - fitter.start, stopped, tuned, oof)


def twin_metrics(
    data: Dataset, constraints: Mapping[str, Sequence[int]] | None = None
) -> dict[str, str]:
    """Metrics whose values (and monotone ``constraints``) equal an earlier metric's, mapped to
    that metric: one model serves both.

    >>> import numpy as np
    >>> from archgym.proxy_models.dataset import from_records
    >>> from archgym.space import DesignSpace, Integer
    >>> from archgym.simulator import Metric
    >>> space = DesignSpace([Integer("x", 0, 9)])
    >>> metrics = [Metric("a", "ns"), Metric("b", "ns"), Metric("c", "ns")]
    >>> data = from_records(space, metrics, [{"x": i} for i in range(4)],
    ...                     [{"a": i, "b": i, "c": 2 * i} for i in range(4)])
    >>> twin_metrics(data)
    {'b': 'a'}
    """
    constraints = constraints or {}
    twins: dict[str, str] = {}
    names = data.metric_names
    for i, m in enumerate(names):
        for first in names[:i]:
            if (
                first not in twins
                and np.array_equal(data.values[m], data.values[first])
                and constraints.get(m) == constraints.get(first)
            ):
                twins[m] = first
                break
    return twins


def _with_twins(result: SelectionResult, twins: Mapping[str, str]) -> SelectionResult:
    """``result`` with each twin metric given its original's rows, choice, params and residuals."""
    for twin, first in twins.items():
        result.rows += [
            {**r, "metric": twin, "same_as": first} for r in result.rows if r["metric"] == first
        ]
        for table in (result.best, result.params, result.oof):
            if first in table:
                table[twin] = table[first]  # type: ignore[index]
    return result


@dataclass
class _Fitter:
    """Fits and scores one (kind, metric) at a time, counting fits for progress and the budget."""

    data: Dataset
    seed: int
    params: Mapping[str, Mapping[str, Any]]
    progress: Progress | None
    start: float
    time_budget: float | None
    constraints: Mapping[str, Sequence[int]]
    done: int = 0
    total: int = 0

    def __post_init__(self) -> None:
        self.transforms = self.data.transforms()

    @property
    def out_of_time(self) -> bool:
        return self.time_budget is not None and time.perf_counter() - self.start >= self.time_budget

    def _fit(self, kind: str, metric: str, train: Dataset, val: Dataset | None) -> Regressor:
        """A mean-only fit (scores need means only); boosting records its validation curve."""
        t = self.transforms[metric]
        params = constrained_params(kind, self.params.get(kind, {}), self.constraints.get(metric))
        reg = make_regressor(kind, seed=self.seed, **params)
        y = forward(train.y(metric), t)
        if isinstance(reg, LightGBM) and val is not None:
            reg.fit_mean(train.X, y, val=(val.X, forward(val.y(metric), t)))
        else:
            reg.fit_mean(train.X, y)
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done), f"{kind} on {metric}")
        return reg

    def _scores(self, reg: Regressor, metric: str, val: Dataset) -> dict[str, float]:
        out = scores(val.y(metric), inverse(reg.predict(val.X), self.transforms[metric]))
        # No intervals here (predict only), so coverage is left out of the table.
        return {k: v for k, v in out.items() if k != "coverage_90"}

    def score(self, kind: str, metric: str, train: Dataset, val: Dataset) -> dict[str, float]:
        """Scores on ``val`` of ``kind`` fitted to ``train`` (all its rounds, if boosting)."""
        return self._scores(self._fit(kind, metric, train, None), metric, val)

    def cv_models(
        self, kind: str, metric: str, splits: list[tuple[Dataset, Dataset]]
    ) -> tuple[dict[str, float], list[Regressor]]:
        """Mean cross-validated scores and the fold models.

        Boosting is scored at the round count whose validation loss, averaged over the folds,
        is lowest (``n_estimators`` in the scores), as ``lightgbm.cv`` tunes it: on 300 DRAM
        designs latency overfits after about 60 of 200 rounds, energy improves to 200.
        """
        models = [self._fit(kind, metric, train, val) for train, val in splits]
        tuned: dict[str, float] = {}
        curves = [r.curve for r in models if isinstance(r, LightGBM) and r.curve is not None]
        if curves and len(curves) == len(models):
            rounds = 1 + int(np.argmin(np.mean(curves, axis=0)))
            for r in models:
                assert isinstance(r, LightGBM)
                r.use_rounds(rounds)
            tuned = {"n_estimators": rounds}
        fold_scores = [
            self._scores(r, metric, val) for r, (_, val) in zip(models, splits, strict=True)
        ]
        mean = {k: _mean_of_defined([s[k] for s in fold_scores]) for k in fold_scores[0]}
        return {**mean, **tuned}, models

    def cv(self, kind: str, metric: str, splits: list[tuple[Dataset, Dataset]]) -> dict[str, float]:
        return self.cv_models(kind, metric, splits)[0]

    def out_of_fold(
        self, models: list[Regressor], metric: str, splits: list[tuple[Dataset, Dataset]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Model-space targets, means and spreads of ``models`` on their validation folds
        (completing each with :meth:`~Regressor.fit_spread`, e.g. boosting's quantile heads)."""
        t = self.transforms[metric]
        ys, means, stds = [], [], []
        for reg, (train, val) in zip(models, splits, strict=True):
            reg.fit_spread(train.X, forward(train.y(metric), t))
            mean, std = reg.predict_with_std(val.X)
            ys.append(forward(val.y(metric), t))
            means.append(mean)
            stds.append(std)
        return np.concatenate(ys), np.concatenate(means), np.concatenate(stds)


def _halving(
    fitter: _Fitter,
    kinds: list[str],
    split: tuple[Dataset, Dataset],
    fitter_score: str = "rmse",
    eta: int = 2,
) -> tuple[list[dict[str, Any]], dict[str, list[str]], str]:
    """Successive halving on one (train, validation) split: rows, the finalists per metric
    (at most :data:`FINALISTS`), and why it stopped early ("" if it did not)."""
    train, val = split
    n = len(train)
    # Rungs until FINALISTS are left, the last on half the training fold: the finalists are
    # then cross-validated on all designs by the caller.
    rungs = max(0, math.ceil(math.log(len(kinds) / FINALISTS, eta)))
    sizes = sorted({max(min(n, 30), int(n / eta ** (rungs - r))) for r in range(rungs)})
    order = np.random.default_rng(fitter.seed).permutation(n)
    metrics = fitter.data.metric_names
    alive = {m: list(kinds) for m in metrics}
    # Upper bound on fits, for the progress bar: survivors shrink by eta per rung.
    fitter.total = (
        sum(len(metrics) * max(1, math.ceil(len(kinds) / eta**r)) for r in range(len(sizes)))
        + len(metrics) * min(len(kinds), FINALISTS) * FINAL_FOLDS
    )
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    stopped = ""
    for rung, size in enumerate(sizes):
        part = train.subset(order[:size])
        # Kinds outer, metrics inner: after the first kind every metric has a score to fall back on.
        for kind in dict.fromkeys(k for m in metrics for k in alive[m]):
            for m in (m for m in metrics if kind in alive[m]):
                # Out of time: stop, once every metric has at least one score to choose by.
                if fitter.out_of_time and all((a[0], mm) in latest for mm, a in alive.items()):
                    stopped = f"time budget of {fitter.time_budget:g} s spent at rung {rung}"
                    break
                row = {"kind": kind, "metric": m, "rung": rung, "n_fit": size}
                latest[(kind, m)] = {**row, **fitter.score(kind, m, part, val)}
            if stopped:
                break
        if stopped:
            break
        for m in metrics:
            ranked = sorted(alive[m], key=lambda k, m=m: _nan_last(latest[(k, m)][fitter_score]))
            alive[m] = ranked[: max(1, math.ceil(len(ranked) / eta))]
    return list(latest.values()), alive, stopped


def _nan_last(x: float) -> float:
    return math.inf if x is None or math.isnan(x) else x


def _mean_of_defined(values: list[float]) -> float:
    """Mean over the folds where a score is defined (MAPE and R^2 are not on a constant metric); NaN if none."""
    defined = [v for v in values if not np.isnan(v)]
    return float(np.mean(defined)) if defined else float("nan")
