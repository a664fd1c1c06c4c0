"""The default ``proxy train`` is fast without losing accuracy: LightGBM boosting with its rounds
tuned on the selection's folds, intervals calibrated from the same folds (no refits), and one
fit for metrics with identical values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from archgym.proxy_models import ProxyModel, ProxyModelError, from_records, select
from archgym.proxy_models import model as model_module
from archgym.proxy_models.regressors import LightGBM
from archgym.simulator import Metric
from archgym.space import DesignSpace, Integer

NOISE = 0.05


def function_data(n: int, seed: int, noise: float = NOISE, signal: float = 1.0):
    """``signal`` x a smooth 3-D function plus Gaussian noise of std ``noise``."""
    space = DesignSpace([Integer(f"x{i}", 0, 40) for i in range(3)])
    rng = np.random.default_rng(seed)
    designs = [space.sample(rng) for _ in range(n)]
    X = space.features(designs) / 40
    y = signal * (np.sin(3 * X[:, 0]) + X[:, 1] ** 2 - 0.5 * X[:, 2]) + rng.normal(0, noise, n)
    return from_records(space, [Metric("y", "au", "min")], designs, [{"y": v} for v in y])


def test_default_calibrates_on_the_selection_folds_without_refits(monkeypatch) -> None:
    def refit(*args, **kwargs):
        raise AssertionError("auto refitted the models to calibrate")

    monkeypatch.setattr(model_module, "calibrate_intervals", refit)
    train, test = function_data(600, seed=1), function_data(1500, seed=2)
    model = ProxyModel.fit(train, "auto")
    assert {r["kind"] for r in model.selection} == {"linear", "et", "rf", "lgbm"}
    pred = model.predict_distribution(test.designs)
    y = test.y("y")
    coverage = np.mean((y >= pred.low["y"]) & (y <= pred.high["y"]))
    assert 0.85 <= coverage <= 0.95, coverage
    # Near the noise's own 90 % half-width, not far above it.
    assert np.median(pred.high["y"] - pred.low["y"]) / 2 < 3 * 1.645 * NOISE


def test_boosting_rounds_are_tuned_on_the_folds() -> None:
    # Pure noise: every round after the first few fits noise, so few rounds win. A smooth
    # noiseless function keeps improving, so many do.
    noise = select(function_data(300, 3, noise=1.0, signal=0.0), candidates=["linear", "lgbm"])
    smooth = select(function_data(300, 3, noise=0.0), candidates=["linear", "lgbm"])
    (noise_row,) = [r for r in noise.rows if r["kind"] == "lgbm"]
    (smooth_row,) = [r for r in smooth.rows if r["kind"] == "lgbm"]
    assert noise_row["n_estimators"] < 40 < 150 < smooth_row["n_estimators"] <= 200
    # The final model uses the tuned count, and says so in its card.
    model = ProxyModel.fit(function_data(300, 3, noise=0.0), "auto", candidates=["linear", "lgbm"])
    assert model.kinds == {"y": "lgbm"}
    assert model.regressors["y"].get_params()["n_estimators"] == smooth_row["n_estimators"]
    card = model.card()["metrics"][0]
    assert card["params"]["n_estimators"] == smooth_row["n_estimators"]


def test_cv_strategy_tunes_rounds_too() -> None:
    result = select(
        function_data(200, 4, noise=1.0, signal=0.0), candidates=["et", "lgbm"], strategy="cv"
    )
    (row,) = [r for r in result.rows if r["kind"] == "lgbm"]
    assert row["folds"] == 5 and 1 <= row["n_estimators"] < 40


def test_metrics_with_identical_values_share_one_fit(tmp_path: Path) -> None:
    base = function_data(200, seed=5)
    y = base.y("y")
    data = from_records(
        base.space,
        [Metric("y", "au", "min"), Metric("y_again", "au", "min"), Metric("z", "au", "min")],
        base.designs,
        [{"y": v, "y_again": v, "z": v**2} for v in y],
    )
    seen: list[str] = []
    model = ProxyModel.fit(data, "auto", progress=lambda d, t, label: seen.append(label))
    assert not any("y_again" in label for label in seen)  # never fitted on its own
    assert model.regressors["y_again"] is model.regressors["y"]
    assert model.interval_scale["y_again"] == model.interval_scale["y"]
    assert [r for r in model.selection if r["metric"] == "y_again"][0]["same_as"] == "y"
    loaded = ProxyModel.load(model.save(tmp_path / "m"))
    designs = function_data(20, seed=6).designs
    assert [p["y"] for p in loaded.predict(designs)] == [
        p["y_again"] for p in model.predict(designs)
    ]
    refitted = loaded.refit()
    assert refitted.regressors["y_again"] is refitted.regressors["y"]
    assert refitted.regressors["z"] is not refitted.regressors["y"]


def test_unreadable_lgbm_file_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "y.lgbm.json"
    bad.write_text('{"mean": "not a model"}')
    with pytest.raises(ProxyModelError, match="y.lgbm.json"):
        LightGBM.load(bad, {}, 3)
    fitted = LightGBM(n_estimators=10).fit(*_xy())
    fitted.save(bad)
    with pytest.raises(ProxyModelError, match="over 4 features"):
        LightGBM.load(bad, fitted.get_params(), 4)


def _xy() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).uniform(size=(60, 3))
    return X, X[:, 0] + X[:, 1]


def test_intervals_cover_designs_the_forest_has_in_effect_seen(monkeypatch) -> None:
    # DRAM-v0 from 10,000 designs on: a forest's trees agree to 1e-14 on most unseen designs
    # (their features match a seen one), and a zero-width interval covered 50-70 % of them.
    data = function_data(300, seed=7, noise=0.0)
    model = ProxyModel.fit(data, "et", params={"et": {"n_estimators": 30}})
    pred = model.predict_distribution(data.designs)
    y = data.y("y")
    assert np.all((pred.low["y"] <= y) & (y <= pred.high["y"]))
    monkeypatch.setattr(model_module, "STD_FLOOR", 0.0)
    pred = model.predict_distribution(data.designs)
    assert not np.all((pred.low["y"] <= y) & (y <= pred.high["y"]))  # what the floor fixes
