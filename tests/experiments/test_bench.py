"""``archgym bench``: tasks run as keyed trials per budget, scored against the tasks' references."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

import archgym.tasks as tasks
from archgym.cli import app
from archgym.experiments.bench import aggregate, bench_specs, collect, run_bench
from archgym.experiments.bench_report import write_bench_report
from archgym.store import Store
from tests.experiments.test_report import render_in_chromium

runner = CliRunner()
TASKS = ["synthetic-cost", "mapping-edp", "accelerator-latency-area"]


def said(result: Result) -> str:
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def bench_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("bench") / "bench.db"
    specs = bench_specs(TASKS, ["random", "walk"], [10, 25], 2, store, executor="serial")
    results = run_bench(specs)
    assert sum(r.count("finished") for r in results) == 3 * 2 * 2 * 2
    return store


def test_a_second_run_skips_every_finished_trial(bench_store: Path) -> None:
    specs = bench_specs(TASKS, ["random", "walk"], [10, 25], 2, bench_store, executor="serial")
    results = run_bench(specs)
    assert [r.count("skipped") for r in results] == [12, 12]


def test_collect_scores_every_run_against_its_task(bench_store: Path) -> None:
    runs = collect(bench_store)
    assert len(runs) == 24 and set(runs["task"]) == set(TASKS)
    assert (runs["evaluations"] == runs["budget"]).all()
    with Store(bench_store) as store:
        for row in runs[runs["task"] != "accelerator-latency-area"].itertuples():
            task = tasks.get(row.task)
            space = task.make().space
            # designs breaking the space's constraints (Mapping's tiling limits) never count
            rewards = [
                e["reward"] if space.is_feasible(e["design"]) else -math.inf
                for e in store.evaluations(row.run_id)
                if e["source"] == "simulator"
            ]
            assert row.best_reward == max(rewards)
            assert row.regret == pytest.approx(task.reference.reward - max(rewards))
            assert row.regret >= 0.0  # the references are exact optima here
            if not math.isnan(row.evals_to_1pct):  # the first step whose best-so-far is within 1 %
                k = int(row.evals_to_1pct)
                assert task.within(max(rewards[:k])) and not task.within(
                    max(rewards[: k - 1] or [-1e300])
                )
    pareto = runs[runs["task"] == "accelerator-latency-area"]
    assert ((pareto["normalized_regret"] > 0) & (pareto["normalized_regret"] <= 1)).all()
    # more budget never scores worse for the same agent and seed on the multi-objective task
    # (random search's first 10 designs are the 25-budget run's first 10: same seed, same stream)
    wide = pareto[pareto["agent"] == "random"].pivot(
        index="seed", columns="budget", values="normalized_regret"
    )
    assert (wide[25] <= wide[10] + 1e-12).all()


def test_aggregate_gives_iqm_inside_its_interval(bench_store: Path) -> None:
    summary = aggregate(collect(bench_store))
    assert set(summary["agent"]) == {"random", "walk"} and set(summary["budget"]) == {10, 25}
    assert (summary["CI low"] <= summary["IQM norm. regret"]).all()
    assert (summary["IQM norm. regret"] <= summary["CI high"]).all()
    assert (summary["tasks"] == 3).all() and (summary["runs"] == 6).all()


def test_report_files_and_headless_chromium(bench_store: Path, tmp_path: Path) -> None:
    paths = write_bench_report(bench_store, tmp_path / "report")
    for name in ("runs", "regret", "iqm", "profiles", "references", "html", "markdown"):
        assert paths[name].exists(), name
    regret = pd.read_csv(paths["regret"])
    assert len(regret) == 3 * 2 * 2 and "evals to 1 %" in regret.columns
    profiles = pd.read_csv(paths["profiles"])
    # a performance profile is a non-decreasing share of runs ending at every run with regret <= 1
    for _, g in profiles.groupby(["agent", "budget"]):
        assert np.all(np.diff(g["fraction"].to_numpy()) >= 0)
    page = paths["html"].read_text()
    assert all(s.startswith("data:image/png;base64,") for s in re.findall(r'src="([^"]*)"', page))
    images, loaded, tables, rows = render_in_chromium(page, tmp_path)
    assert images == loaded == 2
    assert tables == 5
    # references 3 + IQM 4 + regret 12 + per-task separation 6 (+ any separated pairs)
    assert rows >= 3 + 4 + 12 + 6


def test_cli_list_run_report(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["bench", "list"])
    assert listed.exit_code == 0, listed.output
    for name in tasks.list_tasks():
        assert name in said(listed).replace(" ", "") or name in listed.output
    store, out = tmp_path / "b.db", tmp_path / "rep"
    args = [
        "bench",
        "run",
        "--tasks",
        "synthetic-cost",
        "--agents",
        "random",
        "--budgets",
        "10",
        "--seeds",
        "2",
        "--store",
        str(store),
        "--executor",
        "serial",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, args)
    assert "2 already done" in said(again)
    report = runner.invoke(app, ["bench", "report", "--store", str(store), "--out", str(out)])
    assert report.exit_code == 0, report.output
    assert (out / "report.html").exists() and "IQM" in said(report)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tasks", "dram"], "no task 'dram'; tasks are"),
        (["--agents", "randomm"], "agent 'randomm'"),
        (["--budgets", "50,x"], "--budgets must be comma-separated integers"),
    ],
)
def test_bad_bench_arguments_are_clear_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    base = {"--tasks": "synthetic-cost", "--agents": "random", "--budgets": "10"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for kv in base.items() for x in kv]
    result = runner.invoke(app, ["bench", "run", *flat, "--store", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and message in said(result), result.output
    assert not (tmp_path / "x.db").exists()


def test_report_on_a_store_without_bench_runs_says_what_to_do(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["bench", "report", "--store", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "does not exist" in said(missing)
    Store(tmp_path / "empty.db").close()
    empty = runner.invoke(app, ["bench", "report", "--store", str(tmp_path / "empty.db")])
    assert empty.exit_code == 2 and "no finished bench runs" in said(empty)
