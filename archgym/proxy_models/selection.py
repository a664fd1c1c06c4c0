"""Model selection: the best regressor per metric by k-fold cross-validated error.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.proxy_models.dataset import Dataset, ProxyDataError, forward, inverse
from archgym.proxy_models.evaluation import scores
from archgym.proxy_models.regressors import REGRESSORS, make_regressor

#: What ``model="auto"`` tries, cheapest first.
DEFAULT_CANDIDATES = ("linear", "rf", "et", "gbm", "gp", "mlp")


@dataclass
class SelectionResult:
    """``rows``: one per (kind, metric) with the mean cross-validated scores; ``best``: kind per metric."""

    rows: list[dict[str, Any]]
    best: dict[str, str]


def select(
    data: Dataset,
    candidates: Sequence[str] | None = None,
    folds: int = 5,
    seed: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    score: str = "rmse",
) -> SelectionResult:
    """Cross-validate every candidate on every metric and pick the lowest mean ``score`` per metric.

    Candidates meant for less data than a fold holds (the GP) are skipped, and say so in ``rows``.
    """
    candidates = list(candidates or DEFAULT_CANDIDATES)
    unknown = [c for c in candidates if c not in REGRESSORS]
    if unknown:
        raise ProxyDataError(f"unknown regressor {unknown[0]!r}; known are {sorted(REGRESSORS)}")
    folds = min(folds, len(data))
    splits = list(data.kfold(folds, seed=seed))
    transforms = data.transforms()
    rows: list[dict[str, Any]] = []
    for kind in candidates:
        limit = REGRESSORS[kind].max_samples
        if limit is not None and len(splits[0][0]) > limit:
            rows += [
                {"kind": kind, "metric": m, "skipped": f"more than {limit} designs"}
                for m in data.metric_names
            ]
            continue
        for m in data.metric_names:
            fold_scores = []
            for train, val in splits:
                reg = make_regressor(kind, seed=seed, **dict((params or {}).get(kind, {})))
                reg.fit(train.X, forward(train.y(m), transforms[m]))
                fold_scores.append(scores(val.y(m), inverse(reg.predict(val.X), transforms[m])))
            # No intervals here (predict only), so coverage is left out of the table.
            names = [k for k in fold_scores[0] if k != "coverage_90"]
            rows.append(
                {
                    "kind": kind,
                    "metric": m,
                    "folds": folds,
                    **{k: _mean_of_defined([s[k] for s in fold_scores]) for k in names},
                }
            )
    best = {}
    for m in data.metric_names:
        scored = [r for r in rows if r["metric"] == m and "skipped" not in r]
        if not scored:
            raise ProxyDataError(
                f"no candidate among {candidates} could be fitted to {len(data)} designs"
            )
        best[m] = min(scored, key=lambda r: r[score])["kind"]
    return SelectionResult(rows, best)


def _mean_of_defined(values: list[float]) -> float:
    """Mean over the folds where a score is defined (MAPE and R^2 are not on a constant metric); NaN if none."""
    defined = [v for v in values if not np.isnan(v)]
    return float(np.mean(defined)) if defined else float("nan")
