"""Sweeps of one spec at once, and a sweep whose parent is SIGKILLed then re-run, on both
store backends: every trial ends with exactly one complete run, and no row is lost or duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archgym.experiments.spec import load_spec
from archgym.store import Store, store_exists

ROOT = Path(__file__).resolve().parents[2]
SPEC = """
budget: 40
seeds: 3
store: {store}
envs:
  - id: archgym/Synthetic-v0
    kwargs: {{simulator_kwargs: {{delay_s: 0.005}}}}
agents: [random, walk]
executor: local
workers: {workers}
"""


def sweep(spec: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "archgym.cli", "sweep", str(spec)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def assert_every_trial_complete_once(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    with Store(spec.store) as store:
        runs = store.runs()
        finished = runs[runs["status"] == "finished"]
        assert sorted(finished["trial_key"]) == sorted(t.key for t in spec.trials())
        df = store.to_dataframe()
        assert not df.duplicated(["run_id", "step"]).any()
        for run_id in finished["id"]:
            assert store.count_evaluations(int(run_id), "simulator") == spec.budget
        assert store.live_claims() == {}


def write_spec(tmp_path: Path, store: str, workers: int) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(store=store, workers=workers))
    return path


def test_two_sweeps_of_one_spec_at_once_share_the_trials(tmp_path, store_location) -> None:
    spec = write_spec(tmp_path, store_location, workers=1)
    first, second = sweep(spec), sweep(spec)
    outputs = [p.communicate(timeout=300)[0] for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert_every_trial_complete_once(spec)
    with Store(load_spec(spec).store) as store:
        assert len(store.runs()) == 6  # no trial ran twice


def test_a_sigkilled_sweep_rerun_completes_every_trial(tmp_path, store_location) -> None:
    spec = write_spec(tmp_path, store_location, workers=2)
    location = load_spec(spec).store
    proc = sweep(spec, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if store_exists(location):
                with Store(location) as store:
                    if len(store.to_dataframe()) >= 60:
                        break
            time.sleep(0.2)
        else:
            pytest.fail("the sweep recorded nothing")
        proc.send_signal(signal.SIGKILL)  # the parent only, as the OOM killer or `kill -9` would
        proc.wait(30)
        rerun = sweep(spec)
        output = rerun.communicate(timeout=300)[0]
        assert rerun.returncode == 0, output
        assert_every_trial_complete_once(spec)
    finally:
        # pool workers left behind by the killed parent (if any) go with its session
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
