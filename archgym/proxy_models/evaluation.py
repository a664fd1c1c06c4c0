"""How good a proxy is: error, ranking and interval scores, learning curves, parity plots.

Example:
    >>> import numpy as np
    >>> s = scores(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.9, 3.0]))
    >>> round(s["rmse"], 4), round(s["kendall_tau"], 2)
    (0.0816, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archgym.proxy_models.dataset import Dataset, ProxyDataError

#: Score names, in report order; "rmse_pct_range" is the figure ArchGym reported (0.61 % on DRAM).
SCORE_NAMES = (
    "rmse",
    "rmse_pct_range",
    "rmse_pct_mean",
    "mape_pct",
    "r2",
    "kendall_tau",
    "coverage_90",
)
#: Short column headers for tables.
SCORE_LABELS = {
    "rmse": "RMSE",
    "rmse_pct_range": "RMSE %range",
    "rmse_pct_mean": "RMSE %mean",
    "mape_pct": "MAPE %",
    "r2": "R2",
    "kendall_tau": "tau",
    "coverage_90": "cover90",
}


def scores(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
) -> dict[str, float]:
    """Per-metric scores of predictions against truth (metric units, not model targets).

    ``rmse_pct_range``/``rmse_pct_mean``: RMSE as % of the true values' range / |mean|;
    ``mape_pct`` skips zero truths; ``kendall_tau`` is the rank agreement that search relies
    on; ``coverage_90`` is the share of truths inside ``[low, high]`` (nominal 90 %).
    """
    from scipy.stats import kendalltau

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.size == 0:
        raise ProxyDataError("no designs to score")
    err = y_pred - y_true
    rmse = float(np.sqrt(np.mean(err**2)))
    span = float(y_true.max() - y_true.min())
    mean = float(abs(y_true.mean()))
    nonzero = y_true != 0
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    tau = kendalltau(y_true, y_pred).statistic if y_true.size > 1 else np.nan
    out = {
        "rmse": rmse,
        "rmse_pct_range": 100 * rmse / span if span > 0 else float("nan"),
        "rmse_pct_mean": 100 * rmse / mean if mean > 0 else float("nan"),
        "mape_pct": float(100 * np.mean(np.abs(err[nonzero] / y_true[nonzero])))
        if nonzero.any()
        else float("nan"),
        "r2": 1 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan"),
        "kendall_tau": float(tau) if tau is not None else float("nan"),
        "coverage_90": float("nan"),
    }
    if low is not None and high is not None:
        out["coverage_90"] = float(
            np.mean((y_true >= np.asarray(low)) & (y_true <= np.asarray(high)))
        )
    return out


def evaluate_model(model: Any, data: Dataset) -> dict[str, dict[str, float]]:
    """Scores of a fitted :class:`~archgym.proxy_models.model.ProxyModel` on ``data``, per metric."""
    pred = model.predict_distribution(data.designs)
    return {
        name: scores(data.y(name), pred.mean[name], pred.low[name], pred.high[name])
        for name in model.metric_names
        if name in data.values
    }


def learning_curve(
    fit: Callable[[Dataset], Any],
    train: Dataset,
    test: Dataset,
    sizes: Sequence[int] | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Test scores of models fitted on growing random subsets of ``train``.

    ``fit(dataset) -> model``; one row per (size, metric). Default sizes: 10 %, 25 %, 50 %, 100 %.
    """
    n = len(train)
    if sizes is None:
        sizes = sorted({min(n, max(8, int(n * f))) for f in (0.1, 0.25, 0.5, 1.0)})
    order = np.random.default_rng(seed).permutation(n)
    rows = []
    for size in sizes:
        if not 1 <= size <= n:
            raise ProxyDataError(f"learning-curve size {size} is outside 1..{n} training designs")
        model = fit(train.subset(order[:size]))
        for metric, s in evaluate_model(model, test).items():
            rows.append({"n_train": int(size), "metric": metric, **s})
    return rows


def parity_plot(model: Any, data: Dataset, path: str | Path, title: str = "") -> Path:
    """Predicted vs simulated values, one panel per metric, with the 90 % intervals; writes a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pred = model.predict_distribution(data.designs)
    names = [m for m in model.metric_names if m in data.values]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        truth, mean = data.y(name), pred.mean[name]
        ax.errorbar(
            truth,
            mean,
            yerr=[np.maximum(mean - pred.low[name], 0), np.maximum(pred.high[name] - mean, 0)],
            fmt="o",
            ms=3,
            alpha=0.5,
            elinewidth=0.6,
        )
        lo, hi = float(min(truth.min(), mean.min())), float(max(truth.max(), mean.max()))
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        s = scores(truth, mean)
        ax.set_title(
            f"{name}\nRMSE {s['rmse_pct_range']:.2f} % of range, R² {s['r2']:.3f}", fontsize=9
        )
        ax.set_xlabel("simulator")
        ax.set_ylabel(f"proxy ({model.kinds[name]})")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def learning_curve_plot(
    rows: Sequence[dict[str, Any]], path: str | Path, score: str = "rmse_pct_range"
) -> Path:
    """RMSE % of range vs training-set size, one line per metric; writes a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for metric in dict.fromkeys(r["metric"] for r in rows):
        pts = [(r["n_train"], r[score]) for r in rows if r["metric"] == metric]
        ax.plot(*zip(*pts, strict=True), "o-", label=metric)
    ax.set_xscale("log")
    ax.set_xlabel("training designs")
    ax.set_ylabel(score)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
