"""Scores, learning curves, parity plots and model selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from archgym.proxy_models import (
    Dataset,
    ProxyDataError,
    ProxyModel,
    from_records,
    learning_curve,
    parity_plot,
    scores,
    select,
)
from archgym.proxy_models.evaluation import learning_curve_plot


def test_perfect_predictions() -> None:
    y = np.array([1.0, 2.0, 4.0, 8.0])
    s = scores(y, y, y - 0.1, y + 0.1)
    assert (
        s["rmse"] == 0
        and s["r2"] == 1
        and s["kendall_tau"] == pytest.approx(1)
        and s["coverage_90"] == 1
    )


def test_known_errors() -> None:
    s = scores(
        np.array([0.0, 10.0]), np.array([1.0, 9.0]), np.array([0.5, 8.0]), np.array([2.0, 9.5])
    )
    assert s["rmse"] == pytest.approx(1.0)
    assert s["rmse_pct_range"] == pytest.approx(10.0)
    assert s["rmse_pct_mean"] == pytest.approx(20.0)
    assert s["mape_pct"] == pytest.approx(10.0)  # the zero truth is skipped
    assert s["coverage_90"] == 0.0
    assert np.isnan(scores(np.array([1.0, 2.0]), np.array([1.0, 2.0]))["coverage_90"])


def test_no_designs_to_score() -> None:
    with pytest.raises(ProxyDataError, match="no designs"):
        scores(np.array([]), np.array([]))


def test_learning_curve_improves_and_plots(data: Dataset, fast: dict, tmp_path: Path) -> None:
    train, test = data.split((0.75, 0.25))
    rows = learning_curve(
        lambda part: ProxyModel.fit(part, "et", params=fast), train, test, sizes=[10, 90]
    )
    assert [(r["n_train"], r["metric"]) for r in rows] == [
        (10, "cost_au"),
        (10, "area_au"),
        (90, "cost_au"),
        (90, "area_au"),
    ]
    assert rows[3]["rmse"] < rows[1]["rmse"]
    assert learning_curve_plot(rows, tmp_path / "lc.png").stat().st_size > 1000
    with pytest.raises(ProxyDataError, match="outside 1..90"):
        learning_curve(lambda part: None, train, test, sizes=[91])


def test_parity_plot(model_path: Path, data: Dataset, tmp_path: Path) -> None:
    png = parity_plot(
        ProxyModel.load(model_path), data.subset(range(20)), tmp_path / "plots" / "parity.png"
    )
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_select_prefers_the_right_model(data: Dataset, fast: dict) -> None:
    # area_au is linear in the features (kept in identity space by the offset); cost_au is
    # quadratic. The linear baseline should win the first and lose the second.
    shifted = from_records(
        data.space,
        data.metrics,
        data.designs,
        [
            {"cost_au": c, "area_au": a + 100}
            for c, a in zip(data.y("cost_au"), data.y("area_au"), strict=True)
        ],
    )
    assert shifted.transforms()["area_au"] == "identity"
    result = select(shifted, candidates=["linear", "et"], folds=3, params=fast)
    assert result.best["area_au"] == "linear" and result.best["cost_au"] == "et"
    with pytest.raises(ProxyDataError, match="unknown regressor 'svm'"):
        select(data, candidates=["svm"])


def test_select_skips_gp_beyond_its_size(
    data: Dataset, fast: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archgym.proxy_models.regressors import GaussianProcess

    monkeypatch.setattr(GaussianProcess, "max_samples", 10)
    result = select(data, candidates=["gp", "linear"], folds=2, params=fast)
    assert {r["kind"] for r in result.rows if "skipped" in r} == {"gp"}
    assert set(result.best.values()) == {"linear"}
