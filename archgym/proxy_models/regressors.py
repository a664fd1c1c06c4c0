"""Regressors behind one small interface, each with an uncertainty estimate.

Every regressor maps a feature matrix to one target and honours:

- ``fit(X, y) -> self``
- ``predict(X) -> mean``
- ``predict_with_std(X) -> (mean, std)``: ``std`` is the model's own spread (per-tree spread
  for forests, quantile heads for gradient boosting, the posterior for the GP and the
  Bayesian linear model, ensemble spread for the MLP); ``mean ± 1.645 std`` is its 90 % interval
- ``save(path)`` / ``Regressor.load(path, params)`` without pickle, ``get_params()`` as JSON

:func:`archgym.testing.check_regressor` checks a regressor against this contract (in the spirit
of scikit-learn's ``check_estimator``); the tests run it over every entry of :data:`REGRESSORS`.

Example:
    >>> import numpy as np
    >>> X = np.linspace(0, 1, 40).reshape(-1, 1)
    >>> model = make_regressor("rf", n_estimators=20).fit(X, 3 * X[:, 0])
    >>> mean, std = model.predict_with_std(X[:2])
    >>> mean.shape, bool(np.all(std >= 0))
    ((2,), True)
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

#: z-score of the two-sided 90 % interval that ``std`` describes.
Z90 = 1.6448536269514722


class ProxyModelError(ValueError):
    """A model used before fitting, given malformed data, or loaded from a refused file."""


_CONTROLLER: Any = None


def _one_thread() -> Any:
    """Limit BLAS/OpenMP pools to one thread: on small data, thread start-up and spinning
    against other busy processes cost far more than they save (seconds per call on a loaded
    machine). The controller is built once: scanning the loaded libraries takes milliseconds."""
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg  # noqa: F401  load the BLAS and OpenMP pools first, so the
        import sklearn.ensemble  # noqa: F401  controller finds and limits them
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1)


def _check_X(X: Any, n_features: int | None = None) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ProxyModelError(f"features must be a 2-D matrix, got shape {X.shape}")
    if X.shape[0] == 0:
        raise ProxyModelError("empty feature matrix: no designs to fit or predict")
    if not np.all(np.isfinite(X)):
        raise ProxyModelError("features contain NaN or infinity")
    if n_features is not None and X.shape[1] != n_features:
        raise ProxyModelError(f"model was fitted on {n_features} features, got {X.shape[1]}")
    return X


def _check_y(y: Any, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64).ravel()
    if y.shape[0] != n:
        raise ProxyModelError(f"{n} feature rows but {y.shape[0]} targets")
    if not np.all(np.isfinite(y)):
        raise ProxyModelError("targets contain NaN or infinity")
    return y


class Regressor(ABC):
    """The interface every proxy regressor honours (see the module docstring)."""

    kind: ClassVar[str]
    #: Largest training set the method is meant for (``None``: no limit); selection skips it beyond.
    max_samples: ClassVar[int | None] = None
    #: File suffix of :meth:`save`.
    suffix: ClassVar[str]
    #: Whether predicting goes through a BLAS/OpenMP pool (then it is held to one thread).
    threaded: ClassVar[bool] = False

    def __init__(self, seed: int = 0, **params: Any) -> None:
        self.seed = int(seed)
        self.params = {**self.default_params(), **params}
        unknown = sorted(set(params) - set(self.default_params()))
        if unknown:
            raise ProxyModelError(
                f"{self.kind}: unknown hyperparameter {unknown[0]!r}; "
                f"known are {sorted(self.default_params())}"
            )
        self.n_features: int | None = None

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {}

    def get_params(self) -> dict[str, Any]:
        """JSON-friendly hyperparameters (with ``seed``), enough to rebuild an unfitted copy."""
        return {"seed": self.seed, **self.params}

    def clone(self) -> Self:
        """An unfitted copy with the same hyperparameters."""
        return type(self)(**self.get_params())

    def fit(self, X: Any, y: Any) -> Self:
        X = _check_X(X)
        y = _check_y(y, X.shape[0])
        if self.max_samples is not None and X.shape[0] > self.max_samples:
            raise ProxyModelError(
                f"{self.kind} is meant for at most {self.max_samples} designs, got {X.shape[0]}; "
                "use rf, et or gbm"
            )
        with _one_thread():
            self._fit(X, y)
        self.n_features = X.shape[1]
        return self

    def fit_mean(self, X: Any, y: Any) -> Self:
        """Fit only what :meth:`predict` needs (model selection scores means, not intervals).

        The default is :meth:`fit`; a regressor whose uncertainty costs extra fits (gradient
        boosting's quantile heads) skips them. :meth:`predict_with_std` then refuses.
        """
        return self.fit(X, y)

    def fit_spread(self, X: Any, y: Any) -> Self:
        """Complete a :meth:`fit_mean` fit (same data) with what :meth:`predict_with_std` needs.

        A no-op where ``fit_mean`` already gives a spread (forests, linear, GP, MLP).
        """
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Mean prediction only: skips the uncertainty, which is what makes a proxy fast."""
        if self.n_features is None:
            raise ProxyModelError(f"{self.kind} regressor is not fitted; call fit(X, y) first")
        X = _check_X(X, self.n_features)
        if self.threaded:
            with _one_thread():
                return np.asarray(self._predict_mean(X), dtype=np.float64).ravel()
        return np.asarray(self._predict_mean(X), dtype=np.float64).ravel()

    def predict_with_std(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        if self.n_features is None:
            raise ProxyModelError(f"{self.kind} regressor is not fitted; call fit(X, y) first")
        X = _check_X(X, self.n_features)
        if self.threaded:
            with _one_thread():
                mean, std = self._predict(X)
        else:
            mean, std = self._predict(X)
        return np.asarray(mean, dtype=np.float64).ravel(), np.maximum(
            np.asarray(std, dtype=np.float64).ravel(), 0.0
        )

    @abstractmethod
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None: ...

    @abstractmethod
    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def _predict_mean(self, X: np.ndarray) -> np.ndarray:
        return self._predict(X)[0]

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write the fitted state to ``path`` (no pickle)."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path, params: dict[str, Any], n_features: int) -> Self:
        """Rebuild a fitted regressor saved by :meth:`save` with hyperparameters ``params``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"


# -- scikit-learn based --------------------------------------------------------------------

#: Types a skops file may hold beyond skops' own defaults. Anything else is refused on load.
SKOPS_ALLOWED = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.gaussian_process.kernels.ConstantKernel",
    "sklearn.gaussian_process.kernels.Matern",
    "sklearn.gaussian_process.kernels.Product",
    "sklearn.gaussian_process.kernels.Sum",
    "sklearn.gaussian_process.kernels.WhiteKernel",
)


def skops_load(path: Path) -> Any:
    """Load a skops file, refusing any type outside skops' defaults and :data:`SKOPS_ALLOWED`."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as err:  # a truncated or foreign file
        raise ProxyModelError(
            f"{path}: not a readable skops file ({type(err).__name__}: {err})"
        ) from None
    refused = sorted(set(untrusted) - set(SKOPS_ALLOWED))
    if refused:
        raise ProxyModelError(f"{path}: refusing to load untrusted type(s) {refused}")
    return sio.load(path, trusted=list(untrusted))


class _SklearnRegressor(Regressor):
    """Holds named scikit-learn estimators in ``self.models``; saved together with skops."""

    suffix = ".skops"

    def __init__(self, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.models: dict[str, Any] = {}

    def save(self, path: Path) -> None:
        import skops.io as sio

        if not self.models:
            raise ProxyModelError(f"{self.kind} regressor is not fitted; nothing to save")
        sio.dump(self.models, path)

    @classmethod
    def load(cls, path: Path, params: dict[str, Any], n_features: int) -> Self:
        model = cls(**params)
        models = skops_load(path)
        if not isinstance(models, dict) or not models:
            raise ProxyModelError(
                f"{path}: expected a dict of estimators, got {type(models).__name__}"
            )
        model.models = models
        model.n_features = n_features
        return model


class _Forest(_SklearnRegressor):
    """A tree ensemble whose uncertainty is the spread of its trees' predictions."""

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {"n_estimators": 100, "min_samples_leaf": 1, "max_features": 1.0}

    @abstractmethod
    def _estimator(self) -> Any:
        """The unfitted scikit-learn ensemble."""

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self.models = {"forest": self._estimator().fit(X, y)}

    #: Trees of a forest fitted to be scored (:meth:`fit_mean`): scikit-learn pays milliseconds
    #: of Python per tree, which on a few hundred designs is most of a fit; the mean of a
    #: quarter of the trees ranks kinds as the full forest would, a little less accurately.
    SCORING_TREES = 25

    def fit_mean(self, X: Any, y: Any) -> Self:
        n = int(self.params["n_estimators"])
        if n <= self.SCORING_TREES:
            return self.fit(X, y)
        scored = type(self)(
            **{**self.get_params(), "n_estimators": max(self.SCORING_TREES, n // 4)}
        )
        scored.fit(X, y)
        self.models, self.n_features = scored.models, scored.n_features
        return self

    def _per_tree(self, X: np.ndarray) -> np.ndarray:
        from archgym.proxy_models.forest import PackedForest

        forest = self.models["forest"]
        # Packed once per fitted (or loaded) forest; derived data, so never saved.
        if getattr(self, "_packed_from", None) is not forest:
            self._packed, self._packed_from = PackedForest.from_sklearn(forest), forest
        return self._packed.per_tree(X)

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        per_tree = self._per_tree(X)
        return per_tree.mean(0), per_tree.std(0)

    def _predict_mean(self, X: np.ndarray) -> np.ndarray:
        return self._per_tree(X).mean(0)


class RandomForest(_Forest):
    """Random forest (bootstrap) with per-tree spread; ArchGym's DRAM proxy was one."""

    kind = "rf"

    def _estimator(self) -> Any:
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(random_state=self.seed, n_jobs=1, **self.params)


class ExtraTrees(_Forest):
    """Extremely randomised trees with per-tree spread; smoother than a random forest."""

    kind = "et"

    def _estimator(self) -> Any:
        from sklearn.ensemble import ExtraTreesRegressor

        return ExtraTreesRegressor(random_state=self.seed, n_jobs=1, **self.params)


class GradientBoosting(_SklearnRegressor):
    """Histogram gradient boosting: a squared-error head for the mean, two quantile heads for the 90 % interval."""

    kind = "gbm"
    threaded = True

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {
            "max_iter": 200,
            "learning_rate": 0.1,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 5,
            # Per feature +1 / -1 / 0 (see archgym.proxy_models.physics). Only boosting takes
            # them: scikit-learn's constrained forests clip leaf values split by split, which
            # on 300 DRAM designs raised the extra trees' latency RMSE from 4.8 % to 6.6 % of
            # range, where boosting's fell from 4.7 % to 3.6 %.
            "monotonic_cst": None,
        }

    def _head(self, X: np.ndarray, y: np.ndarray, **loss: Any) -> Any:
        from sklearn.ensemble import HistGradientBoostingRegressor

        params = dict(self.params)
        if loss:
            # The quantile heads only shape the interval (its width is calibrated afterwards,
            # see calibrate_intervals), and each of their iterations takes a percentile per
            # leaf: a quarter of the iterations at twice the step costs a tenth as much.
            params["max_iter"] = max(20, int(params["max_iter"]) // 4)
            params["learning_rate"] = min(0.5, 2 * float(params["learning_rate"]))
        # No early stopping: its internal validation split would make small fits erratic.
        return HistGradientBoostingRegressor(
            random_state=self.seed, early_stopping=False, **loss, **params
        ).fit(X, y)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self.models = {
            "mean": self._head(X, y),
            "low": self._head(X, y, loss="quantile", quantile=0.05),
            "high": self._head(X, y, loss="quantile", quantile=0.95),
        }

    def fit_mean(self, X: Any, y: Any) -> Self:
        X = _check_X(X)
        y = _check_y(y, X.shape[0])
        with _one_thread():
            self.models = {"mean": self._head(X, y)}
        self.n_features = X.shape[1]
        return self

    def fit_spread(self, X: Any, y: Any) -> Self:
        X, y = _check_X(X, self.n_features), _check_y(y, len(X))
        with _one_thread():
            self.models["low"] = self._head(X, y, loss="quantile", quantile=0.05)
            self.models["high"] = self._head(X, y, loss="quantile", quantile=0.95)
        return self

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if "low" not in self.models:
            raise ProxyModelError("gbm was fitted with fit_mean (no intervals); call fit(X, y)")
        mean = self.models["mean"].predict(X)
        low, high = self.models["low"].predict(X), self.models["high"].predict(X)
        # Quantile heads can cross; the width, not its sign, is the uncertainty.
        return mean, np.abs(high - low) / (2 * Z90)

    def _predict_mean(self, X: np.ndarray) -> np.ndarray:
        return self.models["mean"].predict(X)


class LightGBM(Regressor):
    """LightGBM gradient boosting: a squared-error booster for the mean, two quantile boosters
    for the 90 % interval; the default's boosting kind.

    The same model as ``gbm`` (histogram trees, monotone constraints) at a fraction of the
    cost: scikit-learn's grower pays tens of microseconds of Python per tree node, which on a
    few hundred designs is nearly all of a fit (4-6x slower on 300 DRAM designs). Saved as
    LightGBM's own text model format (no pickle).
    """

    kind = "lgbm"
    suffix = ".lgbm.json"

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {
            "n_estimators": 200,
            "learning_rate": 0.1,
            "num_leaves": 31,
            "min_child_samples": 5,
            # XGBoost's default L2 penalty on leaf values: on 300 and 1,000 DRAM designs it
            # lowered the mean RMSE of six metrics by 4 % and 2 % (LightGBM's default is 0).
            "reg_lambda": 1.0,
            # Per feature +1 / -1 / 0 (see archgym.proxy_models.physics).
            "monotonic_cst": None,
        }

    def __init__(self, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.boosters: dict[str, Any] = {}
        #: Validation loss (model space) after each round, when :meth:`fit_mean` was given one.
        self.curve: np.ndarray | None = None
        #: Rounds used to predict (all of them unless :meth:`use_rounds` cut them).
        self.rounds: int | None = None

    def _train(self, X: np.ndarray, y: np.ndarray, head: str, val: Any = None) -> Any:
        import lightgbm as lgb

        p = self.params
        rounds, rate = int(p["n_estimators"]), float(p["learning_rate"])
        params: dict[str, Any] = {
            "objective": "regression",
            "num_leaves": int(p["num_leaves"]),
            "min_child_samples": int(p["min_child_samples"]),
            "min_child_weight": 1e-3,
            "lambda_l2": float(p["reg_lambda"]),
            "seed": self.seed,
            "num_threads": 1,  # small data: threads only contend with other work
            "deterministic": True,
            "force_col_wise": True,
            "verbose": -1,
        }
        if head == "mean":
            if p["monotonic_cst"] is not None:
                params["monotone_constraints"] = [int(c) for c in p["monotonic_cst"]]
                params["monotone_constraints_method"] = "advanced"
        else:
            # As for gbm: the quantile heads only shape the interval (its width is calibrated
            # afterwards), so a quarter of the rounds at twice the step.
            params.update(objective="quantile", alpha=0.05 if head == "low" else 0.95)
            rounds, rate = max(20, rounds // 4), min(0.5, 2 * rate)
        params["learning_rate"] = rate
        train = lgb.Dataset(X, y, params={"verbose": -1})
        evals: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if val is not None:
            extra = {
                "valid_sets": [lgb.Dataset(val[0], val[1], reference=train)],
                "valid_names": ["val"],
                "callbacks": [lgb.record_evaluation(evals)],
            }
            params["metric"] = "l2"
        booster = lgb.train(params, train, num_boost_round=rounds, **extra)
        if val is not None:
            self.curve = np.asarray(evals["val"]["l2"], dtype=np.float64)
        return booster

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self.boosters = {h: self._train(X, y, h) for h in ("mean", "low", "high")}
        self.rounds = None

    def fit_mean(self, X: Any, y: Any, val: tuple[Any, Any] | None = None) -> Self:
        """Fit the mean booster only; with ``val = (X_val, y_val)`` also record the validation
        loss after every round in :attr:`curve` (to choose ``n_estimators`` by, see
        :meth:`use_rounds`)."""
        X = _check_X(X)
        y = _check_y(y, X.shape[0])
        if val is not None:
            val = (_check_X(val[0], X.shape[1]), _check_y(val[1], len(val[0])))
        self.curve, self.rounds = None, None
        self.boosters = {"mean": self._train(X, y, "mean", val)}
        self.n_features = X.shape[1]
        return self

    def use_rounds(self, rounds: int) -> Self:
        """Predict with the first ``rounds`` rounds of the mean booster, and make ``rounds``
        the ``n_estimators`` of refits (:meth:`clone`)."""
        self.rounds = self.params["n_estimators"] = int(rounds)
        return self

    def fit_spread(self, X: Any, y: Any) -> Self:
        """Add the quantile heads to a model fitted by :meth:`fit_mean` (same data)."""
        X, y = _check_X(X, self.n_features), _check_y(y, len(X))
        self.boosters.update({h: self._train(X, y, h) for h in ("low", "high")})
        return self

    def _predict_mean(self, X: np.ndarray) -> np.ndarray:
        return self.boosters["mean"].predict(X, num_iteration=self.rounds, num_threads=1)

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if "low" not in self.boosters:
            raise ProxyModelError("lgbm was fitted with fit_mean (no intervals); call fit(X, y)")
        low = self.boosters["low"].predict(X, num_threads=1)
        high = self.boosters["high"].predict(X, num_threads=1)
        # Quantile heads can cross; the width, not its sign, is the uncertainty.
        return self._predict_mean(X), np.abs(high - low) / (2 * Z90)

    def save(self, path: Path) -> None:
        import json

        if not self.boosters:
            raise ProxyModelError("lgbm regressor is not fitted; nothing to save")
        text = {
            h: b.model_to_string(num_iteration=self.rounds if h == "mean" else None)
            for h, b in self.boosters.items()
        }
        Path(path).write_text(json.dumps(text))

    @classmethod
    def load(cls, path: Path, params: dict[str, Any], n_features: int) -> Self:
        import json

        import lightgbm as lgb

        model = cls(**params)
        try:
            text = json.loads(Path(path).read_text())
            # LightGBM's text format: a parser, no code is run.
            model.boosters = {h: lgb.Booster(model_str=s) for h, s in text.items()}
        except Exception as err:
            raise ProxyModelError(
                f"{path}: not a readable lgbm model ({type(err).__name__}: {err})"
            ) from None
        if "mean" not in model.boosters or any(
            b.num_feature() != n_features for b in model.boosters.values()
        ):
            raise ProxyModelError(f"{path}: expected lgbm boosters over {n_features} features")
        model.n_features = n_features
        return model


class GaussianProcess(_SklearnRegressor):
    """Gaussian process (Matern 5/2 with per-feature length scales plus noise) for small data."""

    kind = "gp"
    max_samples = 2000
    threaded = True

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {"n_restarts_optimizer": 1}

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            np.ones(X.shape[1]), (1e-2, 1e3), nu=2.5
        ) + WhiteKernel(1e-4, (1e-9, 1e0))
        gp = GaussianProcessRegressor(
            kernel, normalize_y=True, random_state=self.seed, **self.params
        )
        with warnings.catch_warnings():
            # A bound reached by the optimiser (e.g. an irrelevant feature) is expected, not a fault.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.models = {"gp": make_pipeline(StandardScaler(), gp).fit(X, y)}

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.models["gp"].predict(X, return_std=True)

    def _predict_mean(self, X: np.ndarray) -> np.ndarray:
        return self.models["gp"].predict(X)


class Linear(_SklearnRegressor):
    """Bayesian ridge regression on standardised features: the baseline every model must beat."""

    kind = "linear"

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import BayesianRidge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.models = {
            "linear": make_pipeline(StandardScaler(), BayesianRidge(**self.params)).fit(X, y)
        }

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.models["linear"].predict(X, return_std=True)

    def _predict_mean(self, X: np.ndarray) -> np.ndarray:
        return self.models["linear"].predict(X)


# -- torch ---------------------------------------------------------------------------------


class MLP(Regressor):
    """A small ensemble of torch MLPs on standardised data; the ensemble spread is the uncertainty.

    Trained full-batch with Adam (designs are few and cheap), each member on a bootstrap
    resample with its own initialisation. Saved as a ``state_dict`` of tensors loaded with
    ``torch.load(weights_only=True)``.
    """

    kind = "mlp"
    suffix = ".pt"

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {"hidden": [64, 64], "members": 3, "epochs": 300, "lr": 0.01, "weight_decay": 1e-4}

    def __init__(self, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.state: dict[str, Any] = {}

    def _net(self, n_in: int) -> Any:
        import torch

        layers: list[Any] = []
        for width in self.params["hidden"]:
            layers += [torch.nn.Linear(n_in, int(width)), torch.nn.SiLU()]
            n_in = int(width)
        layers.append(torch.nn.Linear(n_in, 1))
        return torch.nn.Sequential(*layers)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        import torch

        x_mean, x_std = X.mean(0), X.std(0)
        x_std[x_std == 0] = 1.0
        y_mean, y_std = float(y.mean()), float(y.std()) or 1.0
        xt = torch.as_tensor((X - x_mean) / x_std, dtype=torch.float32)
        yt = torch.as_tensor((y - y_mean) / y_std, dtype=torch.float32).unsqueeze(1)
        gen = torch.Generator().manual_seed(self.seed)
        threads = torch.get_num_threads()
        # Tiny full-batch nets run fastest on one thread; more only contend with other work.
        torch.set_num_threads(1)
        state: dict[str, Any] = {
            "x_mean": torch.as_tensor(x_mean),
            "x_std": torch.as_tensor(x_std),
            "y_mean": torch.tensor(y_mean),
            "y_std": torch.tensor(y_std),
        }
        try:
            self._train(xt, yt, gen, state)
        finally:
            torch.set_num_threads(threads)
        self.state = state

    def _train(self, xt: Any, yt: Any, gen: Any, state: dict[str, Any]) -> None:
        import torch

        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            for m in range(int(self.params["members"])):
                net = self._net(xt.shape[1])
                rows = (
                    torch.randint(0, len(xt), (len(xt),), generator=gen)
                    if self.params["members"] > 1
                    else torch.arange(len(xt))
                )
                opt = torch.optim.Adam(
                    net.parameters(), lr=self.params["lr"], weight_decay=self.params["weight_decay"]
                )
                for _ in range(int(self.params["epochs"])):
                    opt.zero_grad()
                    loss = torch.nn.functional.mse_loss(net(xt[rows]), yt[rows])
                    loss.backward()
                    opt.step()
                state.update(
                    {f"member{m}.{k}": v.detach().clone() for k, v in net.state_dict().items()}
                )

    def _members(self) -> list[Any]:
        nets = []
        for m in range(int(self.params["members"])):
            net = self._net(int(self.state["x_mean"].shape[0]))
            prefix = f"member{m}."
            net.load_state_dict(
                {k[len(prefix) :]: v for k, v in self.state.items() if k.startswith(prefix)}
            )
            nets.append(net.eval())
        return nets

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        s = self.state
        xt = torch.as_tensor((X - s["x_mean"].numpy()) / s["x_std"].numpy(), dtype=torch.float32)
        with torch.no_grad():
            preds = np.stack([net(xt).numpy().ravel() for net in self._members()])
        preds = preds * float(s["y_std"]) + float(s["y_mean"])
        return preds.mean(0), preds.std(0)

    def save(self, path: Path) -> None:
        import torch

        if not self.state:
            raise ProxyModelError("mlp regressor is not fitted; nothing to save")
        torch.save(self.state, path)

    @classmethod
    def load(cls, path: Path, params: dict[str, Any], n_features: int) -> Self:
        import torch

        model = cls(**params)
        try:
            # weights_only=True: plain tensors only, no arbitrary code from the file.
            state = torch.load(path, weights_only=True, map_location="cpu")
        except Exception as err:
            raise ProxyModelError(
                f"{path}: refusing to load ({type(err).__name__}: {err})"
            ) from None
        if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()
        ):
            raise ProxyModelError(f"{path}: expected a state dict of tensors")
        model.state = state
        model.n_features = n_features
        model._members()  # fail now, naming the file, if the weights do not fit the architecture
        return model


#: Every regressor by its short name.
REGRESSORS: dict[str, type[Regressor]] = {
    cls.kind: cls
    for cls in (Linear, RandomForest, ExtraTrees, GradientBoosting, LightGBM, GaussianProcess, MLP)
}


def make_regressor(kind: str, seed: int = 0, **params: Any) -> Regressor:
    """A regressor by short name: ``linear``, ``rf``, ``et``, ``gbm``, ``lgbm``, ``gp`` or ``mlp``."""
    if kind not in REGRESSORS:
        raise ProxyModelError(f"unknown regressor {kind!r}; known are {sorted(REGRESSORS)}")
    return REGRESSORS[kind](seed=seed, **params)


def __getattr__(name: str) -> Any:
    if name == "check_regressor":  # moved with the other conformance checks
        warnings.warn(
            "archgym.proxy_models.regressors.check_regressor moved to archgym.testing.check_regressor; "
            "the old name will be removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        from archgym.testing import check_regressor

        return check_regressor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
