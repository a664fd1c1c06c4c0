"""Issue 16: selection within a time budget, honest small-data scores, calibrated intervals, a
card that ties each file to its metric, and the hybrid saving calls to a slow external simulator."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import archgym
from archgym.agents import make_agent
from archgym.proxy_models import (
    HybridProxy,
    ProxyModel,
    ProxyModelError,
    fit_and_test,
    from_records,
    select,
)
from archgym.proxy_models.search import hybrid_search
from archgym.proxy_models.selection import default_candidates
from archgym.proxy_models.training import SmallDataWarning
from archgym.simulator import Metric
from archgym.space import DesignSpace, Integer

ROOT = Path(__file__).resolve().parents[2]
NOISE = 0.05


def noisy_data(n: int, seed: int) -> archgym.proxy_models.Dataset:
    """A smooth 3-D function plus Gaussian noise of known std NOISE, as a proxy dataset."""
    space = DesignSpace([Integer(f"x{i}", 0, 40) for i in range(3)])
    rng = np.random.default_rng(seed)
    designs = [space.sample(rng) for _ in range(n)]
    X = space.features(designs) / 40
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 - 0.5 * X[:, 2] + rng.normal(0, NOISE, n)
    return from_records(space, [Metric("y", "au", "min")], designs, [{"y": v} for v in y])


def test_calibrated_intervals_cover_90_percent_of_unseen_designs() -> None:
    # The forest's own spread says nothing of the noise; calibration must widen it to cover it.
    train, test = noisy_data(600, seed=1), noisy_data(1500, seed=2)
    raw = ProxyModel.fit(train, "et", params={"et": {"n_estimators": 50}}, calibrate=False)
    model = ProxyModel.fit(train, "et", params={"et": {"n_estimators": 50}})
    pred, raw_pred = (
        model.predict_distribution(test.designs),
        raw.predict_distribution(test.designs),
    )
    y = test.y("y")
    coverage = np.mean((y >= pred.low["y"]) & (y <= pred.high["y"]))
    raw_coverage = np.mean((y >= raw_pred.low["y"]) & (y <= raw_pred.high["y"]))
    assert 0.85 <= coverage <= 0.95, coverage
    assert not 0.85 <= raw_coverage <= 0.95  # so calibration is what did it
    # Half-widths near the noise's own 90 % half-width, not far above it (the test can fail
    # both ways: too narrow misses coverage, too wide blows this bound).
    half = np.median(pred.high["y"] - pred.low["y"]) / 2
    assert half < 3 * 1.645 * NOISE
    # The scale survives a save and a load.
    assert model.interval_scale["y"] == pytest.approx(
        ProxyModel.load(model.save(Path(__import__("tempfile").mkdtemp()) / "m")).interval_scale[
            "y"
        ]
    )


def test_time_budget_stops_selection_early_and_still_picks_a_model() -> None:
    data = noisy_data(400, seed=3)
    full = select(data, candidates=["linear", "et", "rf", "gbm"])
    assert full.stopped == "" and len(full.rows) == 4
    start = time.perf_counter()
    cut = select(data, candidates=["linear", "et", "rf", "gbm"], time_budget=1e-3)
    assert time.perf_counter() - start < full.seconds + 5  # no more work than the full search
    assert "time budget" in cut.stopped
    assert len(cut.rows) < len(full.rows) and cut.best["y"] in {"linear", "et", "rf", "gbm"}


def test_halving_fits_fewer_models_than_full_cv() -> None:
    data = noisy_data(200, seed=4)
    seen: list[int] = []
    select(data, candidates=["linear", "et", "gbm", "rf"], progress=lambda d, t, s: seen.append(d))
    halving_fits = seen[-1]
    seen.clear()
    select(
        data,
        candidates=["linear", "et", "gbm", "rf"],
        strategy="cv",
        folds=5,
        progress=lambda d, t, s: seen.append(d),
    )
    assert halving_fits < seen[-1] / 1.5


def test_halving_cross_validates_the_finalists() -> None:
    # One validation fold chose a worse kind for DRAM latency; the finalists are settled by CV.
    result = select(noisy_data(200, seed=4), candidates=["linear", "et", "gbm", "rf", "gp"])
    finals = [r for r in result.rows if r.get("folds") == 3]
    assert len(finals) == 3 and {r["n_fit"] for r in finals} == {200}  # 5 halved to 3
    assert result.best["y"] == min(finals, key=lambda r: r["rmse"])["kind"]
    first = {r["kind"] for r in result.rows if r["rung"] == 0}
    assert first == {"linear", "et", "gbm", "rf", "gp"} and {r["kind"] for r in finals} < first
    # The four fast kinds, the default, are all finalists: cross-validated, no halving rung.
    fast = select(noisy_data(200, seed=4), candidates=["linear", "et", "gbm", "rf"])
    assert all(r.get("folds") == 3 for r in fast.rows) and len(fast.rows) == 4


def test_hybrid_checks_only_metrics_with_a_relative_error() -> None:
    # A rate that is often 0 has no relative error: checking it, the proxy could answer nothing.
    base = noisy_data(200, seed=9)
    y = base.y("y") + 3.0
    rate = np.where(np.arange(len(base)) % 3 == 0, 0.0, np.abs(y) / 100)
    data = from_records(
        base.space,
        [Metric("y", "au", "min"), Metric("rate", "1", "min")],
        base.designs,
        [{"y": a, "rate": b} for a, b in zip(y, rate, strict=True)],
    )
    model = ProxyModel.fit(data, "et", params={"et": {"n_estimators": 30}})
    assert HybridProxy(model).metrics == ["y"]
    unseen = noisy_data(100, seed=10).designs
    default = HybridProxy(model, threshold=0.2, refit_every=0).answer(unseen)
    every = HybridProxy(model, threshold=0.2, refit_every=0, metrics=["y", "rate"]).answer(unseen)
    assert sum(a is not None for a in default) > sum(a is not None for a in every)


def test_slow_kinds_only_when_named() -> None:
    assert not {"gp", "mlp"} & set(default_candidates(50) + default_candidates(5000))


def test_five_designs_warn_instead_of_saving_nan_scores(tmp_path: Path) -> None:
    data = noisy_data(5, seed=5)
    with pytest.warns(SmallDataWarning, match="fewer than the 10"):
        model, test = fit_and_test(data, "et")
    assert test is None and model.scores["n_train"] == 5 and "warning" in model.scores
    card = json.loads((model.save(tmp_path / "m") / "card.json").read_text())
    assert "NaN" not in json.dumps(card["scores"]) and "test" not in card["scores"]


def test_swapped_metric_files_are_refused(tmp_path: Path, store_path: Path) -> None:
    from archgym.proxy_models import from_store

    with archgym.Store(store_path) as store:
        data = from_store(store, "archgym/Synthetic-v0")
    path = ProxyModel.fit(data, "et", params={"et": {"n_estimators": 10}}).save(tmp_path / "m")
    card_path = path / "card.json"
    card = json.loads(card_path.read_text())
    a, b = card["metrics"]
    # Swap the files on disk and the digests in the card, so only the metric mapping is wrong.
    shutil.move(path / a["file"], path / "tmp")
    shutil.move(path / b["file"], path / a["file"])
    shutil.move(path / "tmp", path / b["file"])
    card["files"][a["file"]], card["files"][b["file"]] = (
        card["files"][b["file"]],
        card["files"][a["file"]],
    )
    card_path.write_text(json.dumps(card))
    with pytest.raises(ProxyModelError, match="swapped or replaced"):
        ProxyModel.load(path)
    # Pointing two metrics at one file is refused too.
    a["file"] = b["file"]
    card_path.write_text(json.dumps(card))
    with pytest.raises(ProxyModelError, match="two metrics point at one"):
        ProxyModel.load(path)


def test_threshold_is_a_relative_error() -> None:
    # y around 3 with noise 0.05: the 90 % interval is a few per cent of the prediction.
    train, test = noisy_data(600, seed=6), noisy_data(300, seed=7)
    shift = {"y": 3.0}
    train.values["y"] = train.values["y"] + shift["y"]
    truth = test.values["y"] + shift["y"]
    model = ProxyModel.fit(train, "et", params={"et": {"n_estimators": 50}})
    answers = HybridProxy(model, threshold=0.1, refit_every=0).answer(test.designs)
    errors = [abs(a["y"] - t) / t for a, t in zip(answers, truth, strict=True) if a is not None]
    assert len(errors) > 0.5 * len(test)
    assert np.quantile(errors, 0.9) <= 0.1  # nine in ten within the promised relative error
    strict = HybridProxy(model, threshold=0.005, refit_every=0).answer(test.designs)
    assert sum(a is not None for a in strict) < len(errors)  # a tighter promise answers fewer
    with pytest.raises(ValueError, match="relative error"):
        HybridProxy(model, threshold=float("nan"))
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        HybridProxy(model, metrics=["nope"])


def test_known_designs_are_answered_exactly() -> None:
    data = noisy_data(50, seed=8)
    hybrid = HybridProxy(ProxyModel.fit(data, "et"), threshold=0.0, refit_every=0)
    answers = hybrid.answer(data.designs[:5])
    assert [a["y"] for a in answers] == list(data.y("y")[:5])


@pytest.fixture(scope="module")
def cachehier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the slow external simulator")
    out = tmp_path_factory.mktemp("cachehier") / "cachehier"
    subprocess.run(
        ["gcc", "-O2", "-o", str(out), str(ROOT / "benchmarks/slow_sim/cachehier.c"), "-lm"],
        check=True,
    )
    return out


def test_hybrid_saves_calls_to_a_slow_external_simulator(cachehier: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from slow_sim import cache_env
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))

    def make(**kw: object) -> archgym.DesignEnv:
        return cache_env(cachehier, accesses=200_000, **kw)

    space_size = make().space.size
    for name in ("random", "ga"):
        plain = archgym.run(make_agent(name), make(), budget=80, seed=0)
        hybrid = hybrid_search(make_agent(name), make, budget=16, seed=0)
        assert hybrid.simulator_calls <= 16 and hybrid.proxy_answers > 0
        assert hybrid.best.source == "simulator"  # the reported best was simulated, not predicted
        # The 4,500-design space is small enough to rank whole in every round.
        assert hybrid.details["scored"] >= space_size
        # With 5x fewer calls, the hybrid's best is as good as the agent's alone.
        assert hybrid.best_reward >= plain.best.reward, name


def test_cli_train_warns_on_small_data_and_honours_the_time_budget(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from archgym.agents import RandomSearch
    from archgym.cli import app

    db = tmp_path / "five.db"
    with archgym.Store(db) as store:
        archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=5, seed=0, store=store)
        archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=60, seed=1, store=store)
    runner = CliRunner()
    args = ["proxy", "train", "--store", str(db), "--env", "archgym/Synthetic-v0"]
    wide = {"COLUMNS": "200"}
    small = runner.invoke(app, [*args, "--run-id", "1", "--out", str(tmp_path / "m5")], env=wide)
    assert small.exit_code == 0, small.output
    printed = " ".join(small.output.split())
    assert "warning:" in printed and "no test scores" in printed
    scores = json.loads((tmp_path / "m5" / "card.json").read_text())["scores"]
    assert "nan" not in json.dumps(scores).lower() and scores["n_test"] == 0
    timed = runner.invoke(
        app,
        [*args, "--time-budget", "0.001", "--out", str(tmp_path / "mt")],
        env=wide,
    )
    assert timed.exit_code == 0, timed.output
    printed = " ".join(timed.output.split())
    assert "successive halving" in printed and "trained in" in printed
    bad = runner.invoke(
        app, [*args, "--time-budget", "-1", "--out", str(tmp_path / "mx")], env=wide
    )
    assert bad.exit_code != 0 and "time-budget" in bad.output


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"budget": 10, "initial": 10}, "initial=10"),
        ({"budget": 10, "batch": 0}, "batch and proposals"),
        ({"budget": 10, "refine": -1}, "refine >= 0"),
    ],
)
def test_hybrid_search_refuses_bad_settings(kwargs: dict, named: str) -> None:
    make = lambda **kw: archgym.make("archgym/Synthetic-v0", **kw)  # noqa: E731
    with pytest.raises(ValueError, match=named):
        hybrid_search(make_agent("random"), make, **kwargs)
