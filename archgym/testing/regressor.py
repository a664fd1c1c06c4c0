"""Named checks for a proxy-model regressor (the interface in
:mod:`archgym.proxy_models.regressors`, in the spirit of scikit-learn's ``check_estimator``);
:func:`check_regressor` runs them all. Small data, a known smooth function.

Example:
    >>> from archgym.proxy_models import make_regressor
    >>> from archgym.testing.regressor import check_regressor
    >>> check_regressor(make_regressor("rf", n_estimators=10))
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from archgym.testing._base import Check, fail, run_all, shared


def _data() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).uniform(-1, 1, size=(60, 3))
    return X, X[:, 0] ** 2 + 0.5 * X[:, 1]


def _fitted(model: Any, repeat: int = 0) -> Any:
    """A fresh clone of ``model`` fitted on the check data (shared within check_regressor)."""
    return shared(("fit", repeat), lambda: model.clone().fit(*_data()))


def _refuses(call: Any) -> bool:
    from archgym.proxy_models.regressors import ProxyModelError

    try:
        call()
    except ProxyModelError:
        return True
    return False


def check_predict_before_fit_refused(model: Any) -> None:
    """``predict`` on an unfitted model raises ProxyModelError."""
    if not _refuses(lambda: model.clone().predict(_data()[0])):
        fail(f"{model.kind}: predict before fit must raise ProxyModelError")


def check_bad_data_refused(model: Any) -> None:
    """``fit`` raises ProxyModelError on empty data, mismatched lengths and NaN features."""
    X, y = _data()
    for bad_X, bad_y, why in (
        (X[:0], y[:0], "empty data"),
        (X, y[:-1], "mismatched lengths"),
        (np.where(X > 0.9, np.nan, X), y, "NaN features"),
    ):
        if not _refuses(lambda bad_X=bad_X, bad_y=bad_y: model.clone().fit(bad_X, bad_y)):
            fail(f"{model.kind}: fit on {why} must raise ProxyModelError")


def check_predict_with_std(model: Any) -> None:
    """After ``fit``: ``n_features`` is set, means and stds have the right shape, are finite, std >= 0,
    and ``predict`` equals ``predict_with_std``'s mean."""
    name, X = model.kind, _data()[0]
    fitted = _fitted(model)
    if fitted.n_features != 3:
        fail(f"{name}: n_features not set by fit")
    mean, std = fitted.predict_with_std(X[:7])
    if not (mean.shape == (7,) and std.shape == (7,)):
        fail(f"{name}: predict_with_std shapes {mean.shape}, {std.shape}")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std >= 0)):
        fail(f"{name}: bad std")
    if not np.allclose(fitted.predict(X[:7]), mean):
        fail(f"{name}: predict disagrees with predict_with_std")


def check_fit_deterministic(model: Any) -> None:
    """Two fits of clones (same seed) predict the same."""
    X = _data()[0]
    if not np.allclose(_fitted(model, 1).predict(X[:7]), _fitted(model).predict(X[:7])):
        fail(f"{model.kind}: same seed, different model")


def check_fits_better_than_mean(model: Any) -> None:
    """The model beats predicting the mean on x0^2 + 0.5 x1 (not run on the linear baseline)."""
    X, y = _data()
    if not np.mean((_fitted(model).predict(X) - y) ** 2) < 0.5 * np.var(y):
        fail(f"{model.kind}: fits no better than the mean")


def check_wrong_feature_count_refused(model: Any) -> None:
    """Predicting with a different number of features than fitted raises ProxyModelError."""
    fitted = _fitted(model)
    if not _refuses(lambda: fitted.predict(_data()[0][:, :2])):
        fail(
            f"{model.kind}: predicting with the wrong number of features must raise ProxyModelError"
        )


def check_save_load(model: Any, tmp_dir: str | Path | None = None) -> None:
    """``save`` then ``load`` predicts the same; ``get_params`` is JSON. Writes one file in ``tmp_dir``
    (a temporary directory when None)."""
    if tmp_dir is None:
        with tempfile.TemporaryDirectory() as tmp:
            check_save_load(model, tmp)
        return
    name, X = model.kind, _data()[0]
    fitted = _fitted(model)
    path = Path(tmp_dir) / f"check_{name}{model.suffix}"
    fitted.save(path)
    loaded = type(model).load(path, fitted.get_params(), 3)
    if not np.allclose(loaded.predict_with_std(X[:7])[0], fitted.predict_with_std(X[:7])[0]):
        fail(f"{name}: save/load changes predictions")
    json.dumps(fitted.get_params())  # hyperparameters must go into the JSON card


CHECKS: tuple[Check, ...] = (
    check_predict_before_fit_refused,
    check_bad_data_refused,
    check_predict_with_std,
    check_fit_deterministic,
    check_fits_better_than_mean,
    check_wrong_feature_count_refused,
    check_save_load,
)


def checks(model: Any) -> list[Check]:
    """The checks that apply: all but the fit-quality one for the linear baseline (it cannot fit x^2)."""
    return [c for c in CHECKS if not (c is check_fits_better_than_mean and model.kind == "linear")]


def check_regressor(model: Any, tmp_dir: str | Path | None = None) -> None:
    """Check one regressor against the interface; raises :class:`ConformanceError` naming the broken rule.

    Writes one file in ``tmp_dir`` (a temporary directory when None)."""
    run_all(checks(model), model, {"tmp_dir": tmp_dir}, "regressor")
