"""ProxyModel: fitting, per-metric choice, persistence without pickle, and refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
import torch

from archgym.proxy_models import (
    Dataset,
    IncompatibleModelError,
    ProxyDataError,
    ProxyModel,
    ProxyModelError,
    evaluate_model,
)
from archgym.proxy_models.model import CARD, _sha256
from archgym.simulators.synthetic import Synthetic


class Untrusted:
    """A type no allow-list names."""


def _copy(model_path: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(model_path, tmp_path / "copy"))


def _rehash(path: Path, name: str) -> None:
    """Make the card agree with a replaced file, so only the type check can catch it."""
    card = json.loads((path / CARD).read_text())
    card["files"][name] = _sha256(path / name)
    (path / CARD).write_text(json.dumps(card))


def test_fit_predict_and_scores(data: Dataset, fast: dict) -> None:
    train, test = data.split((0.8, 0.2))
    model = ProxyModel.fit(train, {"cost_au": "gbm", "area_au": "linear"}, params=fast)
    assert model.kinds == {"cost_au": "gbm", "area_au": "linear"}
    pred = model.predict(test.designs)
    assert len(pred) == len(test) and set(pred[0]) == {"cost_au", "area_au"}
    dist = model.predict_distribution(test.designs)
    assert np.all(dist.low["cost_au"] <= dist.mean["cost_au"] + 1e-9)
    assert np.all(dist.high["cost_au"] >= dist.mean["cost_au"] - 1e-9)
    s = evaluate_model(model, test)
    assert s["area_au"]["r2"] > 0.5 and 0 <= s["area_au"]["coverage_90"] <= 1


def test_auto_picks_per_metric(data: Dataset, fast: dict) -> None:
    model = ProxyModel.fit(data, "auto", candidates=["linear", "et"], folds=3, params=fast)
    assert set(model.kinds.values()) <= {"linear", "et"}
    assert {(r["kind"], r["metric"]) for r in model.selection} == {
        (k, m) for k in ("linear", "et") for m in ("cost_au", "area_au")
    }


def test_unknown_metric_in_mapping(data: Dataset) -> None:
    with pytest.raises(ProxyDataError, match=r"unknown metric 'latency_ns'"):
        ProxyModel.fit(data, {"latency_ns": "rf"})


@pytest.mark.parametrize("kind", ["rf", "gbm", "lgbm", "gp", "mlp", "linear"])
def test_save_load_round_trip(kind: str, data: Dataset, fast: dict, tmp_path: Path) -> None:
    small = data.subset(range(50))
    model = ProxyModel.fit(small, kind, params=fast)
    loaded = ProxyModel.load(model.save(tmp_path / kind))
    designs = data.designs[60:70]
    for metric in model.metric_names:
        assert np.allclose(
            model.predict_distribution(designs).mean[metric],
            loaded.predict_distribution(designs).mean[metric],
        )
    card = json.loads((tmp_path / kind / CARD).read_text())
    assert card["simulator"] == "synthetic" and card["simulator_version"] == "1"
    assert card["feature_spec"] == data.space.to_dict()
    assert card["training"]["data_hash"] == small.hash()
    assert {m["transform"] for m in card["metrics"]} <= {"log", "identity"}


def test_tampered_file_is_refused(model_path: Path, tmp_path: Path) -> None:
    path = _copy(model_path, tmp_path)
    with open(path / "cost_au.skops", "ab") as f:
        f.write(b"\0")
    with pytest.raises(ProxyModelError, match=r"cost_au.skops: contents differ.*tampered"):
        ProxyModel.load(path)


def test_untrusted_skops_type_is_refused(model_path: Path, tmp_path: Path) -> None:
    path = _copy(model_path, tmp_path)
    sio.dump({"forest": Untrusted()}, path / "cost_au.skops")
    _rehash(path, "cost_au.skops")
    with pytest.raises(
        ProxyModelError, match=r"refusing to load untrusted type\(s\) \[.*Untrusted"
    ):
        ProxyModel.load(path)


def test_torch_file_with_code_is_refused(data: Dataset, fast: dict, tmp_path: Path) -> None:
    path = ProxyModel.fit(data.subset(range(30)), "mlp", params=fast).save(tmp_path / "mlp")
    torch.save({"w": Untrusted()}, path / "cost_au.pt")
    _rehash(path, "cost_au.pt")
    with pytest.raises(ProxyModelError, match=r"cost_au.pt: refusing to load"):
        ProxyModel.load(path)


def test_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ProxyModelError, match=r"not a proxy model \(no card.json\)"):
        ProxyModel.load(tmp_path)


def test_model_for_another_space_or_version_is_refused(model_path: Path) -> None:
    model = ProxyModel.load(model_path)
    model.check_compatible(Synthetic(), None)
    with pytest.raises(IncompatibleModelError, match=r"different feature spec.*x3"):
        model.check_compatible(Synthetic(n_integers=4), None)
    newer = Synthetic()
    newer.version = "2"
    with pytest.raises(IncompatibleModelError, match=r"synthetic version '1', not '2'"):
        model.check_compatible(newer, None)
    with pytest.raises(
        IncompatibleModelError, match=r"env 'archgym/Synthetic-v0', not 'archgym/DRAM-v0'"
    ):
        model.check_compatible(Synthetic(), None, env_id="archgym/DRAM-v0")


def test_refit_adds_data(data: Dataset, fast: dict) -> None:
    model = ProxyModel.fit(data.subset(range(40)), "rf", params=fast)
    bigger = model.refit(data.subset(range(40, 80)))
    assert len(bigger.data) == 80 and bigger.kinds == model.kinds
