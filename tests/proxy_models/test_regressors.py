"""Every regressor honours one interface (check_regressor, in the spirit of check_estimator)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from archgym.proxy_models import REGRESSORS, ProxyModelError, make_regressor
from archgym.testing import check_regressor


@pytest.mark.parametrize("kind", sorted(REGRESSORS))
def test_conformance(kind: str, tmp_path: Path, fast: dict[str, dict]) -> None:
    check_regressor(make_regressor(kind, **fast[kind]), tmp_path)


def test_every_kind_has_fast_settings(fast: dict[str, dict]) -> None:
    assert set(fast) == set(REGRESSORS)


def test_unknown_kind_is_named() -> None:
    with pytest.raises(ProxyModelError, match=r"unknown regressor 'svm'.*known are"):
        make_regressor("svm")


def test_unknown_hyperparameter_is_named() -> None:
    with pytest.raises(ProxyModelError, match=r"rf: unknown hyperparameter 'depth'"):
        make_regressor("rf", depth=3)


def test_gp_refuses_large_data() -> None:
    gp = make_regressor("gp")
    n = gp.max_samples + 1
    with pytest.raises(ProxyModelError, match=r"gp is meant for at most"):
        gp.fit(np.zeros((n, 1)), np.zeros(n))


def test_forest_uncertainty_grows_away_from_data() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(80, 1))
    model = make_regressor("gp").fit(X, np.sin(6 * X[:, 0]))
    _, std = model.predict_with_std(np.array([[0.5], [3.0]]))
    assert std[1] > std[0]


def test_check_regressor_catches_a_broken_model(tmp_path: Path) -> None:
    class Constant(type(make_regressor("linear"))):  # fits nothing: predicts zero
        kind = "constant"

        def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.zeros(len(X)), np.zeros(len(X))

    with pytest.raises(AssertionError, match="constant"):
        check_regressor(Constant(), tmp_path)


@pytest.mark.parametrize("kind", ["rf", "et"])
def test_packed_forest_matches_scikit_learn(kind: str) -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(120, 5))
    model = make_regressor(kind, n_estimators=15).fit(X, np.sin(4 * X[:, 0]) + X[:, 1])
    X_new = rng.uniform(size=(40, 5))
    assert np.array_equal(model.predict(X_new), model.models["forest"].predict(X_new))
