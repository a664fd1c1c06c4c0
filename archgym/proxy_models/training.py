"""The proxy workflows ``archgym proxy train`` and ``archgym proxy eval`` run, as plain functions.

Example:
    >>> import archgym, tempfile
    >>> from archgym.agents import RandomSearch
    >>> from archgym.proxy_models.dataset import from_store
    >>> store = archgym.Store(":memory:")
    >>> _ = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=60, seed=0, store=store)
    >>> data = from_store(store, "archgym/Synthetic-v0")
    >>> model, test = fit_and_test(data, "et", test_fraction=0.25)
    >>> (model.scores["n_train"], model.scores["n_test"]) == (len(data) - len(test), len(test))
    True
    >>> len(unseen_designs(model, data)) == len(test)  # the held-out designs, which it never saw
    True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archgym.proxy_models.dataset import Dataset, env_simulator
from archgym.proxy_models.evaluation import evaluate_model, learning_curve
from archgym.proxy_models.model import ProxyModel, fit_regressor
from archgym.proxy_models.selection import Progress, Strategy

#: Fewest held-out designs whose scores mean something (R^2 and Kendall tau need several; a
#: 90 % coverage on fewer than ten designs can only be 0 %, 10 %, ... or 100 %).
MIN_TEST_DESIGNS = 10


class SmallDataWarning(UserWarning):
    """Too few designs for honest held-out scores; the model is fitted, its scores are not given."""


def fit_and_test(
    data: Dataset,
    model: str = "auto",
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
    folds: int = 5,
    candidates: Sequence[str] | None = None,
    strategy: Strategy = "halving",
    time_budget: float | None = None,
    progress: Progress | None = None,
) -> tuple[ProxyModel, Dataset | None]:
    """Fit on all but a random ``test_fraction`` of ``data`` and score the fit on the rest.

    Returns the model and the held-out designs (``None`` when ``test_fraction`` is 0, or when
    fewer than :data:`MIN_TEST_DESIGNS` would be held out: then all designs train the model, a
    :class:`SmallDataWarning` says so, and the scores record why they are missing under
    ``"warning"`` instead of NaN). The model's ``scores`` record the held-out scores per metric
    (``"test"``), ``"n_train"``, ``"n_test"`` and the ``"seed"`` of the split, so a saved
    model's card carries them. The other arguments are those of :meth:`ProxyModel.fit`.
    """
    fit_on, test = data, None
    small = ""
    if test_fraction > 0:
        n_test = round(test_fraction * len(data))
        if n_test < MIN_TEST_DESIGNS:
            small = (
                f"{len(data)} designs hold out {n_test} at test_fraction={test_fraction:g}, fewer "
                f"than the {MIN_TEST_DESIGNS} that honest held-out scores need; the model is "
                f"trained on all {len(data)} and has no test scores. Collect at least "
                f"{math.ceil(MIN_TEST_DESIGNS / test_fraction)} designs for them"
            )
            warnings.warn(small, SmallDataWarning, stacklevel=2)
        else:
            fit_on, test = data.split((1 - test_fraction, test_fraction), seed=seed)
    fitted = ProxyModel.fit(
        fit_on,
        model,
        seed=seed,
        folds=folds,
        candidates=candidates,
        strategy=strategy,
        time_budget=time_budget,
        progress=progress,
    )
    if small:
        fitted.scores = {"warning": small, "n_train": len(fit_on), "n_test": 0, "seed": seed}
    if test is not None:
        fitted.scores = {
            "test": evaluate_model(fitted, test),
            "n_train": len(fit_on),
            "n_test": len(test),
            "seed": seed,
        }
    return fitted, test


def load_for_env(path: str | Path) -> ProxyModel:
    """A saved model, refused (:class:`~archgym.proxy_models.model.IncompatibleModelError`) if the
    simulator or workload its env id builds today is not the one it was trained for."""
    fitted = ProxyModel.load(path)
    env_id = fitted.provenance["env_id"]
    sim, workload = env_simulator(env_id, fitted.provenance.get("env_kwargs"))
    fitted.check_compatible(sim, workload, env_id)
    return fitted


def unseen_designs(model: ProxyModel, data: Dataset) -> Dataset | None:
    """The designs of ``data`` that ``model`` was not trained on (``None`` if it saw them all)."""
    seen = {tuple(d.values()) for d in model.data.designs}
    unseen = [i for i, d in enumerate(data.designs) if tuple(d.values()) not in seen]
    return data.subset(unseen) if unseen else None


def refit_learning_curve(
    model: ProxyModel, test: Dataset, *, seed: int = 0
) -> list[dict[str, Any]]:
    """:func:`~archgym.proxy_models.evaluation.learning_curve` of ``model``'s regressor kinds and
    hyperparameters, refitted on growing subsets of its own training data and scored on ``test``."""

    def refit_on(part: Dataset) -> ProxyModel:
        regs = {
            m: fit_regressor(r.clone(), part, m, model.transforms[m])
            for m, r in model.regressors.items()
        }
        return ProxyModel(part, regs, model.transforms)

    return learning_curve(refit_on, model.data, test, seed=seed)
