from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import archgym
from archgym.agents import RandomSearch
from archgym.cli import app
from archgym.store import Store

runner = CliRunner()
ARCHGYM = [sys.executable, "-m", "archgym.cli"]


def test_envs_agents_describe_check():
    assert "archgym/Synthetic-v0" in runner.invoke(app, ["envs"]).output
    assert "RandomWalk" in runner.invoke(app, ["agents"]).output
    out = runner.invoke(app, ["describe", "archgym/Synthetic-v0"]).output
    assert "buffer_kb" in out and "cost_au" in out
    result = runner.invoke(app, ["check", "archgym/Synthetic-v0"])
    assert result.exit_code == 0, result.output


def test_run_prints_best_design_and_export(tmp_path):
    db = tmp_path / "r.db"
    result = runner.invoke(
        app,
        [
            "run",
            "--env",
            "archgym/Synthetic-v0",
            "--agent",
            "walk",
            "--budget",
            "30",
            "--hp",
            "step_size=2",
            "--store",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "walk on archgym/Synthetic-v0" in result.output and "30 simulator" in result.output
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"e.{fmt}"
        assert (
            runner.invoke(
                app, ["export", "--store", str(db), "--format", fmt, "--out", str(out)]
            ).exit_code
            == 0
        )
    df = pd.read_parquet(tmp_path / "e.parquet")
    assert (df["agent"] == "walk").all() and "param_buffer_kb" in df and "metric_cost_au" in df


def test_run_refuses_bad_input_clearly(tmp_path):
    result = runner.invoke(
        app,
        [
            "run",
            "--env",
            "archgym/Synthetic-v0",
            "--hp",
            "nope=1",
            "--store",
            str(tmp_path / "x.db"),
        ],
    )
    assert result.exit_code == 2 and "no hyperparameter 'nope'" in result.output
    result = runner.invoke(
        app, ["run", "--env", "archgym/Nope-v0", "--store", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 2 and "no environment 'archgym/Nope-v0'" in result.output
    result = runner.invoke(
        app,
        ["run", "--env", "archgym/Synthetic-v0", "--hp", "oops", "--store", str(tmp_path / "x.db")],
    )
    assert result.exit_code != 0 and "NAME=VALUE" in result.output


def test_sigkill_loses_nothing_committed_and_resume_finishes_exactly(tmp_path):
    db = tmp_path / "kill.db"
    budget = 300
    slow = json.dumps({"delay_s": 0.01})
    proc = subprocess.Popen(
        [
            *ARCHGYM,
            "run",
            "--env",
            "archgym/Synthetic-v0",
            "--agent",
            "random",
            "--budget",
            str(budget),
            "--seed",
            "11",
            "--store",
            str(db),
            "--env-arg",
            f"simulator_kwargs={slow}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    deadline = time.time() + 120
    seen = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
        if db.exists():
            try:
                seen = Store(db).count_evaluations(1)
            except Exception:
                continue
            if seen >= 40:
                break
    assert proc.poll() is None, (
        f"run ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(db)
    rows = store.evaluations(1)
    assert len(rows) >= 40 and [r["step"] for r in rows] == list(range(len(rows)))
    assert store.run(1).status == "running" and len(rows) < budget

    done = subprocess.run(
        [*ARCHGYM, "run", "--resume", "1", "--store", str(db)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows_after = store.evaluations(1)
    assert rows_after[: len(rows)] == rows  # nothing committed before the kill was changed
    assert sum(r["source"] == "simulator" for r in rows_after) == budget
    assert store.run(1).status == "finished"
    # the resumed run is the run that would have happened without the kill
    reference = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=budget, seed=11)
    assert [r["design"] for r in rows_after] == [e.design for e in reference.evaluations]
    assert Path(db).exists()


def test_resume_of_a_finished_run_reports_it(tmp_path):
    db = str(tmp_path / "done.db")
    args = ["run", "--env", "archgym/Synthetic-v0", "--agent", "walk", "--budget", "8"]
    first = runner.invoke(app, [*args, "--store", db])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["run", "--resume", "1", "--store", db])
    assert again.exit_code == 0, again.output
    assert "run 1: walk on archgym/Synthetic-v0 (finished)" in again.output
    assert "8 simulator" in again.output
    assert Store(db).count_evaluations(1) == 8 and list(Store(db).runs()["status"]) == ["finished"]


def test_a_bad_seed_opens_no_run(tmp_path):
    db = tmp_path / "seed.db"
    for seed in ("-1", str(2**32)):
        result = runner.invoke(
            app, ["run", "--env", "archgym/Synthetic-v0", "--seed", seed, "--store", str(db)]
        )
        assert result.exit_code == 2 and "--seed" in result.output, result.output
    assert not db.exists() or len(Store(db).runs()) == 0
