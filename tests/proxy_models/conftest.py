"""Shared small data: Synthetic-v0 runs in a store, and fast hyperparameters for every regressor."""

from __future__ import annotations

from pathlib import Path

import pytest

import archgym
from archgym.agents import RandomSearch
from archgym.proxy_models import Dataset, ProxyModel, from_store

ENV = "archgym/Synthetic-v0"

#: Small settings so every regressor fits in well under a second on test data.
FAST = {
    "rf": {"n_estimators": 20},
    "et": {"n_estimators": 20},
    "gbm": {"max_iter": 30},
    "lgbm": {"n_estimators": 30},
    "gp": {"n_restarts_optimizer": 0},
    "mlp": {"members": 2, "epochs": 80, "hidden": [16]},
    "linear": {},
}


@pytest.fixture(scope="session")
def fast() -> dict[str, dict]:
    return FAST


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("proxy") / "runs.db"
    with archgym.Store(path) as store:
        archgym.run(RandomSearch(), ENV, budget=120, seed=0, store=store)
    return path


@pytest.fixture(scope="session")
def other_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Designs from another seed, for evaluating on designs not seen in training."""
    path = tmp_path_factory.mktemp("proxy") / "other.db"
    with archgym.Store(path) as store:
        archgym.run(RandomSearch(), ENV, budget=40, seed=7, store=store)
    return path


@pytest.fixture(scope="session")
def data(store_path: Path) -> Dataset:
    with archgym.Store(store_path) as store:
        return from_store(store, ENV)


@pytest.fixture(scope="session")
def model_path(data: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = ProxyModel.fit(data, "et", params=FAST)
    return model.save(tmp_path_factory.mktemp("model") / "synthetic")
