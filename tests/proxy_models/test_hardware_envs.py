"""`archgym proxy train|eval|select` and proxy/hybrid-backed runs on every hardware environment.

Issue 8's "done when": the three commands work end to end on each hardware environment, loading
refuses mismatched or tampered models, and the hybrid mode's counts add up. The Synthetic env is
covered by ``test_commands.py``; here every other registered env gets the same pipeline on small
random-search stores (one to train on, one of another seed held out).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archgym
from archgym.agents import RandomSearch
from archgym.cli import app
from archgym.proxy_models import HybridProxy, IncompatibleModelError, ProxyModel, from_store
from archgym.registry import spec

runner = CliRunner()

HARDWARE = [e for e in archgym.list_envs() if e != "archgym/Synthetic-v0"]

#: A cheaper workload where the default one costs more than the test needs (DRAM's default
#: trace has 10,000 requests; 2,000 keep every metric meaningful at a fifth of the cost).
WORKLOAD = {"archgym/DRAM-v0": "random:n=2000"}

TRAIN_BUDGET, HELD_OUT_BUDGET, RUN_BUDGET = 60, 30, 15


def invoke(*args: str | Path) -> object:
    # A wide terminal so rich tables do not truncate the names the tests look for.
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def workload_args(env_id: str) -> list[str]:
    return ["--workload", WORKLOAD[env_id]] if env_id in WORKLOAD else []


def env_kwargs(env_id: str) -> dict[str, str]:
    return {"workload": WORKLOAD[env_id]} if env_id in WORKLOAD else {}


def fill(path: Path, env_id: str, budget: int, seed: int) -> Path:
    with archgym.Store(path) as store:
        result = archgym.run(
            RandomSearch(),
            env_id,
            budget=budget,
            seed=seed,
            store=store,
            env_kwargs=env_kwargs(env_id),
        )
    assert result.counts["simulator"] == budget, result.counts
    return path


def printed_counts(output: str) -> dict[str, int]:
    """The run's counts as `archgym run` prints them ("N simulator, N cache, N proxy, N failed")."""
    found = re.search(r"(\d+) simulator, (\d+) cache, (\d+) proxy, (\d+) failed", output)
    assert found, output
    return dict(
        zip(("simulator", "cache", "proxy", "failed"), map(int, found.groups()), strict=True)
    )


def store_counts(path: Path, run_id: int) -> dict[str, int]:
    with archgym.Store(path) as store:
        rows = store.evaluations(run_id)
    counts = {s: sum(r["source"] == s for r in rows) for s in ("simulator", "cache", "proxy")}
    counts["failed"] = sum(r["error"] is not None for r in rows)
    counts["recorded"] = len(rows)
    assert sorted({r["step"] for r in rows}) == list(
        range(len(rows))
    )  # one row per step, none lost
    assert {r["source"] for r in rows} <= {"simulator", "cache", "proxy"}
    return counts


class RepeatingRandom(RandomSearch):
    """Random search that re-proposes the design it asked two asks before, every third ask,
    so a run also gets answers from the evaluator's cache."""

    name = "repeating-random"

    def setup(self, space, *, seed=None, objective=None, budget=None) -> None:  # noqa: ANN001
        super().setup(space, seed=seed, objective=objective, budget=budget)
        self._asked: list = []

    def ask(self, n: int = 1) -> list:
        out = [self._asked[-2] if len(self._asked) % 3 == 2 else d for d in super().ask(n)]
        self._asked += out
        return out


@dataclass
class Trained:
    env_id: str
    train_store: Path
    held_out_store: Path
    model: Path
    tmp: Path


@pytest.fixture(scope="module", params=HARDWARE)
def trained(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """Two stores of one env (seeds 0 and 1) and a proxy trained by the CLI on the first."""
    env_id = request.param
    tmp = tmp_path_factory.mktemp(env_id.split("/")[1])
    train_store = fill(tmp / "train.db", env_id, TRAIN_BUDGET, seed=0)
    held_out_store = fill(tmp / "held_out.db", env_id, HELD_OUT_BUDGET, seed=1)
    out = tmp / "model"
    result = invoke(
        "proxy",
        "train",
        "--store",
        train_store,
        "--env",
        env_id,
        "--out",
        out,
        "--candidates",
        "linear,et",
        "--folds",
        "2",
    )
    assert result.exit_code == 0, result.output
    assert "model selection" in result.output and "held-out designs" in result.output
    return Trained(env_id, train_store, held_out_store, out, tmp)


def test_train_writes_a_card_for_the_env(trained: Trained) -> None:
    card = json.loads((trained.model / "card.json").read_text())
    sim = spec(trained.env_id).make_simulator()
    metrics = [m.name for m in sim.metrics]
    assert card["env_id"] == trained.env_id and card["simulator"] == sim.name
    assert card["simulator_version"] == sim.version
    assert card["workload"] == sim.workload_id(sim.load_workload(WORKLOAD.get(trained.env_id)))
    assert [m["name"] for m in card["metrics"]] == metrics
    assert {m["kind"] for m in card["metrics"]} <= {"linear", "et"}
    with archgym.Store(trained.train_store) as store:
        n_designs = len(from_store(store, trained.env_id))
    scores = card["scores"]
    assert scores["n_train"] + scores["n_test"] == n_designs and scores["n_test"] >= 1
    assert set(scores["test"]) == set(metrics)
    model = ProxyModel.load(trained.model)
    prediction = model.predict(model.data.designs[:2])
    assert [sorted(p) for p in prediction] == [sorted(metrics)] * 2


def test_eval_on_held_out_store(trained: Trained) -> None:
    result = invoke("proxy", "eval", trained.model, "--store", trained.held_out_store)
    assert result.exit_code == 0, result.output
    seen = {tuple(d.values()) for d in ProxyModel.load(trained.model).data.designs}
    with archgym.Store(trained.held_out_store) as store:
        held_out = from_store(store, trained.env_id)
    unseen = sum(tuple(d.values()) not in seen for d in held_out.designs)
    assert unseen >= 1 and f"{unseen} designs not seen in training" in result.output
    # on its own training store only the designs train held out for its test scores are scored
    result = invoke("proxy", "eval", trained.model, "--store", trained.train_store)
    assert result.exit_code == 0, result.output
    scores = json.loads((trained.model / "card.json").read_text())["scores"]
    assert (
        f"{scores['n_test']} designs not seen in training ({scores['n_train']} seen ones left out)"
        in result.output
    )


def test_select(trained: Trained) -> None:
    result = invoke(
        "proxy",
        "select",
        "--store",
        trained.train_store,
        "--env",
        trained.env_id,
        "--candidates",
        "linear,et",
        "--folds",
        "2",
    )
    assert result.exit_code == 0, result.output
    assert "cross-validated model selection" in result.output
    for metric in spec(trained.env_id).make_simulator().metrics:
        assert metric.name in result.output


def test_proxy_run(trained: Trained) -> None:
    path = trained.tmp / "proxy.db"
    result = invoke(
        "run",
        "--env",
        trained.env_id,
        "--budget",
        RUN_BUDGET,
        "--store",
        path,
        *workload_args(trained.env_id),
        "--env-arg",
        "cost_model=proxy",
        "--env-arg",
        f"proxy={trained.model}",
    )
    assert result.exit_code == 0, result.output
    counts = store_counts(path, 1)
    # a proxy in place of the simulator records and counts its answers as proxy answers,
    # and they are what the budget counts
    assert counts["recorded"] == counts["simulator"] + counts["cache"] + counts["proxy"]
    assert counts["proxy"] == RUN_BUDGET and counts["simulator"] == 0
    assert {k: counts[k] for k in printed_counts(result.output)} == printed_counts(result.output)
    with archgym.Store(path) as store:
        run = store.runs().iloc[0]
        assert run["simulator"].startswith("proxy:")
        assert store.run(1).env_kwargs["proxy"] == str(trained.model)
        # answers of a proxy-backed run never become training data
        with pytest.raises(ValueError, match="no simulator-backed runs"):
            from_store(store, trained.env_id)


def test_hybrid_counts_add_up(trained: Trained) -> None:
    # from the CLI, with the default threshold
    path = trained.tmp / "hybrid-cli.db"
    result = invoke(
        "run",
        "--env",
        trained.env_id,
        "--budget",
        RUN_BUDGET,
        "--store",
        path,
        *workload_args(trained.env_id),
        "--env-arg",
        "cost_model=hybrid",
        "--env-arg",
        f"proxy={trained.model}",
    )
    assert result.exit_code == 0, result.output
    counts, printed = store_counts(path, 1), printed_counts(result.output)
    assert counts["recorded"] == counts["simulator"] + counts["cache"] + counts["proxy"]
    assert {k: counts[k] for k in printed} == printed and printed["simulator"] == RUN_BUDGET

    # from the API, with a threshold between the model's uncertainties so both the proxy and
    # the simulator answer, and an agent that repeats designs so the cache answers too
    model = ProxyModel.load(trained.model)
    probe = archgym.make(trained.env_id, **env_kwargs(trained.env_id))
    worst = sorted(
        HybridProxy(model).relative_error([probe.space.sample(1000 + i) for i in range(40)])[0]
    )
    hybrid = HybridProxy(model, threshold=float(worst[len(worst) // 2]), refit_every=8)
    path = trained.tmp / "hybrid-api.db"
    with archgym.Store(path) as store:
        env = archgym.make(
            trained.env_id, cost_model="hybrid", proxy=hybrid, **env_kwargs(trained.env_id)
        )
        result = archgym.run(RepeatingRandom(), env, budget=RUN_BUDGET, seed=3, store=store)
    counts = store_counts(path, result.run_id)
    assert counts["recorded"] == len(result.evaluations)
    assert counts["simulator"] + counts["cache"] + counts["proxy"] == counts["recorded"]
    for source in ("simulator", "cache", "proxy", "failed"):
        assert counts[source] == result.counts.get(source, 0), (source, counts, result.counts)
    assert result.counts["simulator"] == RUN_BUDGET
    assert result.counts["proxy"] >= 1 and result.counts["cache"] >= 1
    assert hybrid.answered == result.counts["proxy"]
    assert hybrid.observed == result.counts["simulator"] - result.counts.get("failed", 0)
    assert hybrid.refits == hybrid.observed // 8 and len(hybrid.model.data) > len(model.data)
    assert [e.source for e in result.evaluations].count("proxy") == result.counts["proxy"]


def test_model_of_another_env_is_refused(trained: Trained) -> None:
    other = HARDWARE[(HARDWARE.index(trained.env_id) + 1) % len(HARDWARE)]
    mine = spec(trained.env_id).make_simulator().name
    theirs = spec(other).make_simulator().name
    for kind in ("proxy", "hybrid"):
        with pytest.raises(
            IncompatibleModelError, match=f"made for simulator '{mine}', not '{theirs}'"
        ):
            archgym.make(other, cost_model=kind, proxy=trained.model)
    result = invoke(
        "run",
        "--env",
        other,
        "--budget",
        3,
        "--store",
        trained.tmp / "wrong.db",
        "--env-arg",
        "cost_model=proxy",
        "--env-arg",
        f"proxy={trained.model}",
    )
    assert result.exit_code == 2, result.output
    assert "proxy model was made for" in result.output and repr(mine) in result.output

    if trained.env_id in WORKLOAD:  # the env's own simulator on another workload
        with pytest.raises(IncompatibleModelError, match="workload"):
            archgym.make(trained.env_id, cost_model="proxy", proxy=trained.model)

    # a changed file is refused as tampered, by the CLI and by make()
    tampered = trained.tmp / "tampered"
    shutil.copytree(trained.model, tampered)
    data = tampered / "data.json"
    data.write_text(data.read_text().replace("]", " ]", 1))
    result = invoke("proxy", "eval", tampered, "--store", trained.held_out_store)
    assert result.exit_code == 2 and "tampered" in result.output
    with pytest.raises(ValueError, match="tampered"):
        archgym.make(
            trained.env_id, cost_model="proxy", proxy=tampered, **env_kwargs(trained.env_id)
        )
