"""``ProxyModel``: one regressor per metric on the design space's features, saved without pickle.

A saved model is a directory:

- ``card.json``: format, env id and version, simulator name and version, workload, the
  feature spec (the space's ``to_dict``), metrics with their transforms and regressor kinds
  and hyperparameters, the training-data hash, scores, and the SHA-256 of every other file;
- ``<metric>.skops`` (scikit-learn, loaded with an allow-list of types) or ``<metric>.pt``
  (torch state dict, loaded with ``weights_only=True``);
- ``data.json``: the training designs and values, for refits (active learning) and the hash.

Loading checks every file against the card (a changed file is refused as tampered), and
:meth:`ProxyModel.check_compatible` refuses a model made for another simulator, version,
workload or feature spec.

Example:
    >>> import archgym, tempfile
    >>> from archgym.agents import RandomSearch
    >>> store = archgym.Store(":memory:")
    >>> _ = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=60, seed=0, store=store)
    >>> from archgym.proxy_models.dataset import from_store
    >>> model = ProxyModel.fit(from_store(store, "archgym/Synthetic-v0"), "rf")
    >>> path = model.save(tempfile.mkdtemp() + "/m")
    >>> sorted(ProxyModel.load(path).predict([model.data.designs[0]])[0])
    ['area_au', 'cost_au']
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from archgym._plain import plain
from archgym.proxy_models.dataset import (
    Dataset,
    ProxyDataError,
    Transform,
    forward,
    from_records,
    inverse,
)
from archgym.proxy_models.physics import constrained_params, monotonic_cst
from archgym.proxy_models.regressors import (
    REGRESSORS,
    Z90,
    ProxyModelError,
    Regressor,
    make_regressor,
)
from archgym.proxy_models.selection import Progress, Strategy, select, twin_metrics
from archgym.simulator import Metric, Simulator
from archgym.space import DesignSpace

FORMAT = "archgym-proxy/1"
#: Training designs whose predictions tie each regressor file to its metric in the card.
FINGERPRINT_DESIGNS = 8
#: Below this many designs, intervals are left uncalibrated (too few residuals to measure).
MIN_CALIBRATION_DESIGNS = 12
#: Smallest std, relative to the target's, that intervals are built and calibrated with.
STD_FLOOR = 1e-6
CARD = "card.json"
DATA = "data.json"


class IncompatibleModelError(ProxyModelError):
    """A saved model was made for another simulator, version, workload, env or feature spec."""


@dataclass
class Prediction:
    """Per-metric arrays: ``mean``, 90 % interval ``low``/``high`` (metric units), and
    ``uncertainty`` = predicted std / std of the training targets (model space; scale-free)."""

    mean: dict[str, np.ndarray]
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    uncertainty: dict[str, np.ndarray]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _safe_name(metric: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in metric)


class ProxyModel:
    """A fitted regressor per metric, the space it reads, and where its data came from."""

    def __init__(
        self,
        data: Dataset,
        regressors: Mapping[str, Regressor],
        transforms: Mapping[str, Transform],
        scores: Mapping[str, Any] | None = None,
        selection: Sequence[Mapping[str, Any]] | None = None,
        interval_scale: Mapping[str, float] | None = None,
    ) -> None:
        missing = [m for m in data.metric_names if m not in regressors]
        if missing:
            raise ProxyModelError(f"no regressor for metric(s) {missing}")
        self.data = data
        self.space: DesignSpace = data.space
        self.metrics: tuple[Metric, ...] = data.metrics
        self.regressors = dict(regressors)
        self.transforms = dict(transforms)
        self.provenance = dict(data.provenance)
        self.scores: dict[str, Any] = dict(scores or {})
        self.selection = list(selection or [])
        #: Per metric, the factor on the regressor's own std that makes its 90 % interval cover
        #: 90 % of unseen designs (see :func:`calibrate`); 1.0 where uncalibrated.
        self.interval_scale = {m: float((interval_scale or {}).get(m, 1.0)) for m in regressors}
        # Scale of each target, so uncertainty is comparable across metrics and units.
        self.target_std = {
            m: float(np.std(forward(data.y(m), self.transforms[m]))) or 1.0
            for m in self.metric_names
        }

    # -- fitting ----------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        data: Dataset,
        model: str | Mapping[str, str] = "rf",
        *,
        seed: int = 0,
        params: Mapping[str, Mapping[str, Any]] | None = None,
        folds: int = 5,
        candidates: Sequence[str] | None = None,
        strategy: Strategy = "halving",
        time_budget: float | None = None,
        progress: Progress | None = None,
        calibrate: bool = True,
        monotone: bool = True,
    ) -> ProxyModel:
        """Fit one regressor per metric.

        ``model``: a kind for every metric (``rf``, ``et``, ``lgbm``, ``gbm``, ``gp``, ``mlp``,
        ``linear``), a ``{metric: kind}`` mapping, or ``"auto"`` to pick per metric among ``candidates`` by
        successive halving (``strategy="halving"``, within ``time_budget`` seconds) or full
        ``folds``-fold cross-validation (``"cv"``); see :func:`~archgym.proxy_models.selection.select`.
        ``params``: hyperparameters per kind (with ``"auto"``, boosting's ``n_estimators`` is
        the maximum; the selection's folds choose the count). ``calibrate``: scale each metric's
        intervals to cover 90 % of unseen designs, measured by cross-validation (with
        ``"auto"``, on the selection's own folds, see :func:`calibrate_intervals`). Metrics with
        identical values share one fitted regressor.
        ``monotone``: give the kinds that take them (lgbm, gbm) the monotone constraints the
        simulator's physics gives (:mod:`~archgym.proxy_models.monotone`; none for unknown
        simulators).
        """
        params = {k: dict(v) for k, v in (params or {}).items()}
        constraints = {
            m: c
            for m in data.metric_names
            if monotone
            and (c := monotonic_cst(data.provenance.get("simulator"), m, data.feature_names()))
            is not None
        }
        selection: list[dict[str, Any]] = []
        tuned: dict[str, dict[str, Any]] = {}
        oof: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if model == "auto":
            result = select(
                data,
                candidates=candidates,
                folds=folds,
                seed=seed,
                params=params,
                strategy=strategy,
                time_budget=time_budget,
                progress=progress,
                constraints=constraints,
            )
            kinds, selection, tuned, oof = result.best, result.rows, result.params, result.oof
        elif isinstance(model, str):
            kinds = {m: model for m in data.metric_names}
        else:
            unknown = [m for m in model if m not in data.metric_names]
            if unknown:
                raise ProxyDataError(
                    f"unknown metric {unknown[0]!r}; metrics are {data.metric_names}"
                )
            kinds = {m: model.get(m, "rf") for m in data.metric_names}
        transforms = data.transforms()
        twins = twin_metrics(data, constraints)
        regressors: dict[str, Regressor] = {}
        for m in data.metric_names:
            kind, hyper = kinds[m], {**params.get(kinds[m], {}), **tuned.get(m, {})}
            first = twins.get(m)
            if first is not None and (kinds[first], tuned.get(first)) == (kind, tuned.get(m)):
                regressors[m] = regressors[first]  # the same target: one fit serves both
                continue
            reg = make_regressor(
                kind, seed=seed, **constrained_params(kind, hyper, constraints.get(m))
            )
            regressors[m] = fit_regressor(reg, data, m, transforms[m])
        fitted = cls(data, regressors, transforms, selection=selection)
        if calibrate:
            # From the selection's out-of-fold residuals where it has them; refits otherwise.
            scales = {m: interval_scale_from(*oof[m], fitted.target_std[m]) for m in oof}
            rest = [m for m in data.metric_names if m not in scales]
            if len(data) < MIN_CALIBRATION_DESIGNS:
                scales = {m: 1.0 for m in data.metric_names}
            elif rest:
                scales.update(calibrate_intervals(fitted, seed=seed, metrics=rest))
            fitted.interval_scale = scales
        return fitted

    def refit(self, extra: Dataset | None = None) -> ProxyModel:
        """A model of the same kinds and hyperparameters fitted on the training data plus ``extra``."""
        data = self.data
        if extra is not None:
            data = from_records(
                self.space,
                self.metrics,
                self.data.designs + extra.designs,
                [dict(zip(self.metric_names, row, strict=True)) for row in _rows(self.data)]
                + [dict(zip(self.metric_names, row, strict=True)) for row in _rows(extra)],
                self.provenance,
                self.data.derived,
            )
        # Metrics still identical on the new data, with the same regressor, share one refit.
        twins = twin_metrics(data)
        regressors: dict[str, Regressor] = {}
        for m, r in self.regressors.items():
            first = twins.get(m)
            if first is not None and r.get_params() == self.regressors[first].get_params():
                regressors[m] = regressors[first]
            else:
                regressors[m] = fit_regressor(r.clone(), data, m, self.transforms[m])
        return ProxyModel(
            data, regressors, self.transforms, self.scores, self.selection, self.interval_scale
        )

    # -- predicting -------------------------------------------------------------------------
    @property
    def metric_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    @property
    def kinds(self) -> dict[str, str]:
        return {m: r.kind for m, r in self.regressors.items()}

    def predict_distribution(self, designs: Sequence[Mapping[str, Any]]) -> Prediction:
        """Means, 90 % intervals and uncertainties of every metric for ``designs``."""
        X = self.data.features(designs)
        out = Prediction({}, {}, {}, {})
        for m, reg in self.regressors.items():
            mean, std = reg.predict_with_std(X)
            # The floor calibration measured with (interval_scale_from): a forest whose trees
            # all agree on a design it has in effect seen (DRAM-v0 from 10,000 designs on: most
            # unseen designs) has a spread of 1e-14, below the rounding of its own mean.
            std = np.maximum(std, STD_FLOOR * self.target_std[m]) * self.interval_scale[m]
            t = self.transforms[m]
            out.mean[m] = inverse(mean, t)
            out.low[m] = inverse(mean - Z90 * std, t)
            out.high[m] = inverse(mean + Z90 * std, t)
            out.uncertainty[m] = std / self.target_std[m]
        return out

    def predict(self, designs: Sequence[Mapping[str, Any]]) -> list[dict[str, float]]:
        """Predicted metrics, one dict per design."""
        if not designs:
            return []
        X = self.data.features(designs)
        mean = {
            m: inverse(self.regressors[m].predict(X), self.transforms[m]).tolist()
            for m in self.metric_names
        }
        return [{m: mean[m][i] for m in self.metric_names} for i in range(len(designs))]

    # -- compatibility ----------------------------------------------------------------------
    def check_compatible(
        self, simulator: Simulator, workload: Any = None, env_id: str | None = None
    ) -> None:
        """Raise :class:`IncompatibleModelError` unless this model was made for this simulator and space."""
        p = self.provenance
        problems = []
        if env_id is not None and p.get("env_id") not in (None, env_id):
            problems.append(f"env {p.get('env_id')!r}, not {env_id!r}")
        if p.get("simulator") not in (None, simulator.name):
            problems.append(f"simulator {p.get('simulator')!r}, not {simulator.name!r}")
        if p.get("simulator_version") not in (None, simulator.version):
            problems.append(
                f"{simulator.name} version {p.get('simulator_version')!r}, not {simulator.version!r}"
            )
        workload_id = simulator.workload_id(workload)
        if p.get("workload") not in (None, workload_id):
            problems.append(f"workload {p.get('workload')!r}, not {workload_id!r}")
        space = simulator.design_space(workload)
        if space.to_dict()["params"] != self.space.to_dict()["params"]:
            theirs = {q["name"]: q for q in space.to_dict()["params"]}
            ours = {q["name"]: q for q in self.space.to_dict()["params"]}
            diff = sorted(n for n in set(theirs) | set(ours) if theirs.get(n) != ours.get(n)) or [
                "parameter order"
            ]
            problems.append(f"a different feature spec (parameters differ: {diff})")
        sim_metrics = [m.name for m in simulator.metrics]
        if sim_metrics != self.metric_names:
            problems.append(f"metrics {self.metric_names}, not {sim_metrics}")
        if problems:
            raise IncompatibleModelError("proxy model was made for " + "; ".join(problems))

    # -- persistence ------------------------------------------------------------------------
    def card(self) -> dict[str, Any]:
        from archgym import __version__

        p = self.provenance
        return {
            "format": FORMAT,
            "env_id": p.get("env_id"),
            "env_version": p.get("env_version"),
            "simulator": p.get("simulator"),
            "simulator_version": p.get("simulator_version"),
            "workload": p.get("workload"),
            "env_kwargs": p.get("env_kwargs", {}),
            "run_ids": p.get("run_ids", []),
            "feature_spec": self.space.to_dict(),
            "feature_names": self.data.feature_names(),
            "derived_features": self.data.derived,
            "metrics": [
                {
                    "name": m.name,
                    "unit": m.unit,
                    "direction": m.direction,
                    "scale": m.scale,
                    "description": m.description,
                    "transform": self.transforms[m.name],
                    "kind": self.regressors[m.name].kind,
                    "params": self.regressors[m.name].get_params(),
                    "interval_scale": self.interval_scale[m.name],
                    "fingerprint": self._fingerprint(m.name),
                }
                for m in self.metrics
            ],
            "training": {"n_designs": len(self.data), "data_hash": self.data.hash()},
            "scores": self.scores,
            "selection": self.selection,
            "archgym_version": __version__,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    def save(self, path: str | Path) -> Path:
        """Write the model directory (created; existing model files in it are replaced)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        card = self.card()
        files: dict[str, str] = {}
        for entry in card["metrics"]:
            reg = self.regressors[entry["name"]]
            name = _safe_name(entry["name"]) + reg.suffix
            reg.save(path / name)
            entry["file"] = name
            files[name] = _sha256(path / name)
        (path / DATA).write_text(
            json.dumps(
                {
                    "designs": self.data.designs,
                    "values": {m: self.data.values[m].tolist() for m in self.metric_names},
                },
                default=partial(plain, strict=True),
            )
        )
        files[DATA] = _sha256(path / DATA)
        card["files"] = files
        (path / CARD).write_text(json.dumps(card, indent=2, default=partial(plain, strict=True)))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ProxyModel:
        """Read a model directory, refusing tampered files and untrusted types."""
        path = Path(path)
        card_path = path / CARD if path.is_dir() else path
        if not card_path.is_file():
            raise ProxyModelError(
                f"{path}: not a proxy model (no {CARD}); train one with `archgym proxy train`"
            )
        root = card_path.parent
        try:
            card = json.loads(card_path.read_text())
        except json.JSONDecodeError as err:
            raise ProxyModelError(f"{card_path}: unreadable card ({err})") from None
        try:
            if card.get("format") != FORMAT:
                raise ProxyModelError(
                    f"{card_path}: format {card.get('format')!r} is not {FORMAT!r}"
                )
            for name, digest in card.get("files", {}).items():
                if not (root / name).is_file():
                    raise ProxyModelError(f"{root}: file {name} listed in the card is missing")
                if _sha256(root / name) != digest:
                    raise ProxyModelError(
                        f"{root / name}: contents differ from the card's SHA-256; "
                        "the model was tampered with or corrupted"
                    )
            space = DesignSpace.from_dict(card["feature_spec"])
            metrics = tuple(
                Metric(
                    e["name"],
                    e["unit"],
                    e["direction"],
                    e.get("scale", 1.0),
                    e.get("description", ""),
                )
                for e in card["metrics"]
            )
            raw = json.loads((root / DATA).read_text())
            provenance = {
                k: card.get(k)
                for k in (
                    "env_id",
                    "env_version",
                    "simulator",
                    "simulator_version",
                    "workload",
                    "env_kwargs",
                    "run_ids",
                )
            }
            data = Dataset(
                space,
                raw["designs"],
                metrics,
                {m: np.asarray(v, dtype=float) for m, v in raw["values"].items()},
                provenance,
                # Cards written before derived features had none.
                [list(d) for d in card.get("derived_features") or []],
            )
            if data.hash() != card["training"]["data_hash"]:
                raise ProxyModelError(f"{root / DATA}: training data hash differs from the card")
            regressors, transforms = {}, {}
            n_features = len(data.feature_names())
            files = [e.get("file") for e in card["metrics"]]
            if len(set(files)) != len(files):
                raise ProxyModelError(
                    f"{card_path}: two metrics point at one regressor file {files}"
                )
            for e in card["metrics"]:
                if e["kind"] not in REGRESSORS:
                    raise ProxyModelError(
                        f"{card_path}: metric {e['name']!r} uses unknown regressor {e['kind']!r}"
                    )
                regressors[e["name"]] = REGRESSORS[e["kind"]].load(
                    root / e["file"], e["params"], n_features
                )
                transforms[e["name"]] = e["transform"]
            model = cls(
                data,
                regressors,
                transforms,
                card.get("scores"),
                card.get("selection"),
                {e["name"]: e.get("interval_scale", 1.0) for e in card["metrics"]},
            )
            for e in card["metrics"]:
                # Each file must answer for its own metric: swapped files (or a card edited to
                # swap them) would otherwise load and silently predict one metric as another.
                if "fingerprint" in e and not np.allclose(
                    model._fingerprint(e["name"]), e["fingerprint"], rtol=1e-6, atol=1e-12
                ):
                    raise ProxyModelError(
                        f"{root / e['file']}: does not reproduce the card's predictions for "
                        f"metric {e['name']!r}; its file was swapped or replaced. Retrain with "
                        "`archgym proxy train`"
                    )
            return model
        except ProxyModelError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
            # a hand-edited or truncated card: say which file, not where the reader tripped
            what = f"field {err.args[0]!r} is missing" if isinstance(err, KeyError) else err
            raise ProxyModelError(f"{card_path}: malformed model card ({what})") from None

    def _fingerprint(self, metric: str) -> list[float]:
        """Model-space predictions of one metric on the first few training designs."""
        return self.regressors[metric].predict(self.data.X[:FINGERPRINT_DESIGNS]).tolist()

    def __repr__(self) -> str:
        return (
            f"ProxyModel({self.provenance.get('env_id')!r}, {self.kinds}, {len(self.data)} designs)"
        )


def calibrate_intervals(
    model: ProxyModel, folds: int = 3, seed: int = 0, metrics: Sequence[str] | None = None
) -> dict[str, float]:
    """Per metric (of ``metrics``, default all), the factor on the regressor's std that makes
    ``mean ± 1.645 std`` cover 90 % of unseen designs, from ``folds``-fold cross-validation
    refits (:func:`interval_scale_from`).

    Forest spreads and quantile heads are not calibrated on their own (a forest's trees agree
    on designs near its data yet all miss in the same direction), so without this a "90 %"
    interval may cover 60 % or 100 %. Fewer than :data:`MIN_CALIBRATION_DESIGNS` designs: 1.0.
    ``ProxyModel.fit(model="auto")`` needs no refits: it reuses the selection's fold models.
    """
    data = model.data
    metrics = list(metrics or model.metric_names)
    if len(data) < MIN_CALIBRATION_DESIGNS:
        return {m: 1.0 for m in metrics}
    parts: dict[str, list[tuple[np.ndarray, ...]]] = {m: [] for m in metrics}
    for train, val in data.kfold(folds, seed=seed):
        for m in metrics:
            t = model.transforms[m]
            part = fit_regressor(model.regressors[m].clone(), train, m, t)
            parts[m].append((forward(val.y(m), t), *part.predict_with_std(val.X)))
    return {
        m: interval_scale_from(
            *(np.concatenate(col) for col in zip(*p, strict=True)), model.target_std[m]
        )
        for m, p in parts.items()
    }


def interval_scale_from(
    y: np.ndarray, mean: np.ndarray, std: np.ndarray, target_std: float = 1.0
) -> float:
    """The factor on ``std`` that makes ``mean ± 1.645 std`` cover 90 % of out-of-fold ``y``:
    the 90th percentile of ``|y - mean| / std`` (split-conformal scaling), divided by 1.645.

    >>> round(interval_scale_from(np.array([0.0, 1, 2]), np.zeros(3), np.ones(3)), 3)
    1.094
    """
    # A floor on std: a model certain of a design it never saw is still wrong sometimes.
    ratios = np.abs(y - mean) / np.maximum(std, STD_FLOOR * target_std)
    return float(np.quantile(ratios, 0.9) / Z90)


def fit_regressor(reg: Regressor, data: Dataset, metric: str, transform: Transform) -> Regressor:
    """Fit ``reg`` to one metric of ``data`` in model space."""
    return reg.fit(data.X, forward(data.y(metric), transform))


def _rows(data: Dataset) -> np.ndarray:
    return np.column_stack([data.values[m] for m in data.metric_names])


def as_model(proxy: ProxyModel | str | Path) -> ProxyModel:
    """A model object from a model or a saved model path."""
    return proxy if isinstance(proxy, ProxyModel) else ProxyModel.load(proxy)
