"""Executors: every trial lands once in the store; finished trials are skipped, interrupted or
killed ones resume to exactly their budget with the designs an uninterrupted run would have made."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import archgym
from archgym.agents import RandomSearch, make_agent
from archgym.experiments.executors import SweepProgress, make_executor, run_sweep
from archgym.experiments.spec import ExperimentSpec
from archgym.store import Store

if TYPE_CHECKING:  # the fixture's type, for annotations only
    from tests.experiments.conftest import MakeSpec


def trajectories(store_path: Path) -> dict[str, list[tuple[int, str, str]]]:
    """trial key -> the (step, design, source) rows of its finished run."""
    with Store(store_path) as store:
        runs = store.runs()
        out = {}
        for run in runs[runs["status"] == "finished"].itertuples():
            out[run.trial_key] = [
                (e["step"], str(sorted(e["design"].items())), e["source"])
                for e in store.evaluations(run.id)
            ]
        return out


def assert_one_complete_run_per_trial(spec: ExperimentSpec) -> None:
    with Store(spec.store) as store:
        runs = store.runs()
        keys = {t.key for t in spec.trials()}
        assert set(runs["trial_key"]) == keys
        assert len(runs) == len(keys), "a trial has more than one run"
        assert (runs["status"] == "finished").all()
        for run_id in runs["id"]:
            assert store.count_evaluations(int(run_id), "simulator") == spec.budget


def test_serial_sweep_runs_every_trial_once_and_a_rerun_skips_them(make_spec: MakeSpec) -> None:
    spec = make_spec()
    first = run_sweep(spec, executor="serial")
    assert sorted(o.status for o in first.outcomes) == ["finished"] * 4
    assert sum(o.new_evaluations for o in first.outcomes) == 4 * spec.budget
    again = run_sweep(spec, executor="serial")
    assert [o.status for o in again.outcomes] == ["skipped"] * 4
    assert_one_complete_run_per_trial(spec)


def test_local_pool_matches_serial_results(make_spec: MakeSpec, tmp_path: Path) -> None:
    spec = make_spec(seeds=3, budget=25, workers=2)
    progress = []
    result = run_sweep(
        spec, executor="local", on_progress=lambda p: progress.append((p.done, p.evaluations))
    )
    assert not result.failed and len(result.outcomes) == 6
    assert progress[-1][0] == 6 and progress[-1][1] >= 6 * 25
    assert_one_complete_run_per_trial(spec)
    serial = make_spec(seeds=3, budget=25, store=str(tmp_path / "serial.db"))
    run_sweep(serial, executor="serial")
    assert trajectories(spec.store) == trajectories(serial.store)


@pytest.mark.parametrize("agent", ["random", "walk"])
def test_interrupted_trial_resumes_to_its_budget(
    make_spec: MakeSpec, tmp_path: Path, agent: str
) -> None:
    # Stopped after more evaluations than the runner's idle limit (200): the replay must not stall.
    spec = make_spec(agents=[agent], seeds=1, budget=260)
    (trial,) = spec.trials()
    seen = []

    def stop(ev: archgym.Evaluation) -> None:
        seen.append(ev)
        if len(seen) == 230:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        archgym.run(
            make_agent(agent, **trial.hyperparameters),
            trial.env.id,
            budget=trial.budget,
            seed=trial.seed,
            store=spec.store,
            trial_key=trial.key,
            on_evaluation=stop,
        )
    (outcome,) = run_sweep(spec, executor="serial").outcomes
    assert outcome.resumed and outcome.status == "finished"
    assert 0 < outcome.new_evaluations < spec.budget
    assert_one_complete_run_per_trial(spec)
    reference = make_spec(agents=[agent], seeds=1, budget=260, store=str(tmp_path / "ref.db"))
    run_sweep(reference, executor="serial")
    assert trajectories(spec.store) == trajectories(reference.store)


@dataclass
class Boom(RandomSearch):
    """An agent whose every proposal crashes, to check one bad trial does not stop a sweep."""

    name = "boom-test"

    def ask(self, n: int = 1):
        raise RuntimeError("boom")


def test_a_failing_trial_is_reported_and_the_rest_run(
    make_spec: MakeSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archgym import agents

    # Registered for this test only: a later test in this worker that runs every agent must not meet it.
    monkeypatch.setitem(agents._AGENTS, "boom-test", Boom)
    spec = make_spec(agents=["boom-test", "random"], seeds=1)
    result = run_sweep(spec, executor="serial")
    assert sorted(o.status for o in result.outcomes) == ["failed", "finished"]
    (failed,) = result.failed
    assert "RuntimeError: boom" in failed.error
    with Store(spec.store) as store:
        assert sorted(store.runs()["status"]) == ["failed", "finished"]
    # A re-run retries (resumes) the failed trial and skips the finished one.
    again = run_sweep(spec, executor="serial")
    assert sorted(o.status for o in again.outcomes) == ["failed", "skipped"]
    assert again.failed[0].resumed


def test_unknown_executor_is_an_error() -> None:
    with pytest.raises(ValueError, match="'slurm'"):
        make_executor("slurm")


def evaluations_in(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # the store or its schema is not there yet


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_sweep_stopped_mid_way_then_rerun_has_one_complete_run_per_trial(
    make_spec: MakeSpec, tmp_path: Path, sig: signal.Signals
) -> None:
    spec = make_spec(budget=300, seeds=2)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(
        f"budget: 300\nseeds: 2\nstore: {spec.store}\nenvs: [archgym/Synthetic-v0]\n"
        "agents: [random, walk]\n"
    )
    cli = [
        sys.executable,
        "-c",
        "from archgym.cli import app; app()",
        "sweep",
        str(spec_file),
        "--executor",
        "local",
        "--workers",
        "2",
    ]
    # A session of its own, so the signal reaches the sweep and its workers and nothing else.
    proc = subprocess.Popen(
        cli, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while evaluations_in(spec.store) < 150 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, sig)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with Store(spec.store) as store:
        statuses = set(store.runs()["status"])
    assert statuses != {"finished"}, "the sweep finished before it was stopped; raise the budget"
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in output
        assert statuses <= {"finished", "interrupted"}  # every run knew it was stopped
    result = run_sweep(spec, executor="local", workers=2)
    assert not result.failed
    assert any(o.resumed for o in result.outcomes)
    assert_one_complete_run_per_trial(spec)
    reference = make_spec(budget=300, seeds=2, store=str(tmp_path / "ref.db"))
    run_sweep(reference, executor="serial")
    assert trajectories(spec.store) == trajectories(reference.store)


def test_a_killed_worker_is_replaced_and_its_trial_resumes(
    make_spec: MakeSpec, tmp_path: Path
) -> None:
    # 2 ms per simulation: trials last long enough for the first progress report to catch them.
    slow = [{"id": "archgym/Synthetic-v0", "kwargs": {"simulator_kwargs": {"delay_s": 0.002}}}]
    spec = make_spec(budget=300, seeds=2, envs=slow)
    killed = []

    def kill_a_worker(progress: SweepProgress) -> None:
        workers = multiprocessing.active_children()
        if not killed and progress.evaluations >= 100 and workers:
            killed.append(workers[0].pid)
            os.kill(workers[0].pid, signal.SIGKILL)

    result = run_sweep(spec, executor="local", workers=2, on_progress=kill_a_worker)
    assert killed, "no worker was killed; the sweep ended too soon"
    assert not result.failed and len(result.outcomes) == 4
    assert any(o.resumed for o in result.outcomes)
    assert_one_complete_run_per_trial(spec)
    reference = make_spec(budget=300, seeds=2, envs=slow, store=str(tmp_path / "ref.db"))
    run_sweep(reference, executor="serial")
    assert trajectories(spec.store) == trajectories(reference.store)


def test_archgym_sweep_with_the_ray_executor(make_spec: MakeSpec, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from typer.testing import CliRunner

    from archgym.cli import app

    spec = make_spec(budget=10)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(
        f"budget: 10\nseeds: 2\nstore: {spec.store}\nenvs: [archgym/Synthetic-v0]\n"
        "agents: [random, walk]\n"
    )
    result = CliRunner().invoke(
        app, ["sweep", str(spec_file), "--executor", "ray", "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert_one_complete_run_per_trial(spec)
    assert [o.status for o in run_sweep(spec, executor="serial").outcomes] == ["skipped"] * 4


def test_a_changed_simulator_version_reruns_the_trials(
    make_spec: MakeSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archgym import registry
    from archgym.simulators.synthetic import Synthetic

    class Old(Synthetic):
        version = "1"

    class New(Synthetic):
        version = "2"

    env_id = "versioned/Synthetic-v0"
    monkeypatch.setattr(registry, "_ENVS", dict(registry._ENVS))  # the registration is undone after
    registry.register_env(env_id, Old, objective={"type": "minimize", "metric": "cost_au"})
    spec = make_spec(envs=[env_id], agents=["random"], budget=5, seeds=1)
    assert [o.status for o in run_sweep(spec, executor="serial").outcomes] == ["finished"]
    assert [o.status for o in run_sweep(spec, executor="serial").outcomes] == ["skipped"]

    with pytest.warns(UserWarning, match=env_id):
        registry.register_env(env_id, New, objective={"type": "minimize", "metric": "cost_au"})
    assert [o.status for o in run_sweep(spec, executor="serial").outcomes] == ["finished"]
    with Store(spec.store) as store:
        runs = store.runs()
    assert list(runs["simulator_version"]) == ["1", "2"]
    assert runs["trial_key"].nunique() == 2  # the old run stays, under its own key
    assert [o.status for o in run_sweep(spec, executor="serial").outcomes] == ["skipped"]
