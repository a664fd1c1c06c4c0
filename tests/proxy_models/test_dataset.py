"""Datasets from the store: one row per design, simulator answers only, splits by design."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import archgym
from archgym.proxy_models import Dataset, ProxyDataError, from_records, from_store
from archgym.proxy_models.dataset import choose_transform
from archgym.simulators.synthetic import Synthetic

ENV = "archgym/Synthetic-v0"


def _keys(ds: Dataset) -> set[tuple]:
    return {tuple(d.values()) for d in ds.designs}


def test_from_store_has_features_and_targets(data: Dataset) -> None:
    assert len(data) == 120
    assert data.X.shape == (120, len(data.space.feature_names()))
    assert data.metric_names == ["cost_au", "area_au"]
    assert (
        data.provenance["simulator"] == "synthetic" and data.provenance["simulator_version"] == "1"
    )
    # log2 for powers of two: the buffer_kb feature column holds 0..10
    col = data.space.feature_names().index("buffer_kb")
    assert set(np.unique(data.X[:, col])) <= set(range(11))


def test_repeated_designs_are_averaged() -> None:
    sim = Synthetic()
    d = sim.design_space().sample(0)
    ds = from_records(
        sim.design_space(),
        sim.metrics,
        [d, d],
        [{"cost_au": 1.0, "area_au": 2.0}, {"cost_au": 3.0, "area_au": 2.0}],
    )
    assert len(ds) == 1 and ds.y("cost_au")[0] == 2.0


def test_split_is_by_design_and_complete(data: Dataset) -> None:
    parts = data.split((0.7, 0.15, 0.15), seed=3)
    assert [len(p) for p in parts] == [84, 18, 18]
    keys = [_keys(p) for p in parts]
    assert not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])
    assert keys[0] | keys[1] | keys[2] == _keys(data)


def test_kfold_validates_each_design_once(data: Dataset) -> None:
    seen: list[tuple] = []
    for train, val in data.kfold(4, seed=0):
        assert not _keys(train) & _keys(val)
        seen += [tuple(d.values()) for d in val.designs]
    assert sorted(seen) == sorted(_keys(data))


def test_bad_splits_are_refused(data: Dataset) -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        data.split((0.5, 0.2))
    with pytest.raises(ProxyDataError, match="k-fold needs"):
        next(data.kfold(1))


def test_transforms() -> None:
    assert choose_transform(np.array([1.0, 10.0, 100.0])) == "log"
    assert choose_transform(np.array([5.0, 6.0, 7.0])) == "identity"
    assert choose_transform(np.array([-1.0, 5.0])) == "identity"


def test_unknown_metric_is_named(store_path: Path) -> None:
    with (
        archgym.Store(store_path) as store,
        pytest.raises(ProxyDataError, match=r"unknown metric 'power_mw'"),
    ):
        from_store(store, ENV, metrics=["power_mw"])


def test_empty_dataset_is_refused(store_path: Path) -> None:
    with archgym.Store(store_path) as store:
        with pytest.raises(ProxyDataError, match=r"no runs of env 'archgym/Nope-v0'"):
            from_store(store, "archgym/Nope-v0")
        with pytest.raises(ProxyDataError, match="empty dataset"):
            from_store(store, ENV, agents=["nobody"])
    with pytest.raises(ProxyDataError, match="empty dataset"):
        from_records(Synthetic().design_space(), Synthetic().metrics, [], [])


def test_failed_and_proxy_answers_are_left_out(tmp_path: Path, model_path: Path) -> None:
    with archgym.Store(tmp_path / "s.db") as store:
        run = store.create_run(
            env_id=ENV,
            agent="manual",
            simulator="synthetic",
            simulator_version="1",
            workload="n3-s0",
        )
        space = Synthetic().design_space()
        a, b, c = space.sample(1), space.sample(2), space.sample(3)
        store.record(
            run,
            step=0,
            design=a,
            metrics={"cost_au": 2.0, "area_au": 1.0},
            reward=-2.0,
            feasible=True,
        )
        store.record(
            run, step=1, design=b, metrics=None, reward=None, feasible=False, error="crash"
        )
        store.record(
            run,
            step=2,
            design=c,
            metrics={"cost_au": 9.0, "area_au": 9.0},
            reward=-9.0,
            feasible=True,
            source="proxy",
        )
        # A run of a proxy-backed env: its "simulator" answers came from a model.
        env = archgym.make(ENV, cost_model="proxy", proxy=model_path)
        archgym.run(archgym.agents.RandomSearch(), env, budget=5, seed=0, store=store)
        ds = from_store(store, ENV)
    assert ds.designs == [a]


def test_mixed_simulator_versions_are_refused(tmp_path: Path) -> None:
    with archgym.Store(tmp_path / "s.db") as store:
        for version in ("1", "2"):
            run = store.create_run(
                env_id=ENV, agent="manual", simulator="synthetic", simulator_version=version
            )
            store.record(
                run,
                step=0,
                design=Synthetic().design_space().sample(0),
                metrics={"cost_au": 1.0, "area_au": 1.0},
                reward=-1.0,
                feasible=True,
            )
        with pytest.raises(ProxyDataError, match=r"mix simulator versions.*run_ids="):
            from_store(store, ENV)
        with pytest.raises(
            ProxyDataError, match=r"version '2' but the installed one is version '1'"
        ):
            from_store(store, ENV, run_ids=[2])
