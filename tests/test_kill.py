"""Kill tests: ``archgym run`` of every agent family and ``archgym sweep`` on every executor,
stopped by SIGINT (Ctrl-C), SIGTERM (``kill PID``) or SIGKILL mid-search. Afterwards every
evaluation committed before the signal is still there, ``--resume`` (or the same sweep again)
ends at exactly the budget, and no process or temp dir is left behind.

Each command runs in a session of its own with a private TMPDIR and a marker variable in its
environment that every descendant inherits, so leftovers are found by that marker (a /proc scan)
however they were reparented.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from archgym.store import Store

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="scans /proc for leftover processes"
)

ARCHGYM = [sys.executable, "-m", "archgym.cli"]
ENV = "archgym/Synthetic-v0"
#: 20 ms per design: runs last long enough to be stopped mid-way.
SLOW = {"simulator_kwargs": {"delay_s": 0.02}}
#: One agent of each family, with small settings so the test stays quick.
AGENTS = {
    "random": [],  # ask/tell
    "ga": ["--hp", "population=6"],  # ask/tell in batches
    "aco": [],  # pheromone trails over the space's values
    "forest": [],  # archgym's surrogate agent (extra trees)
    "bo": [  # scikit-optimize
        *("--hp", "initial_points=5", "--hp", "acquisition=EI", "--hp", "acquisition_points=100"),
    ],
    "ppo": ["--hp", "n_steps=8", "--hp", "batch_size=8", "--hp", "hidden=8"],  # SB3 RL
    "marl": ["--hp", "n_steps=8", "--hp", "hidden=8"],  # multi-agent RL
    "optuna-tpe": [],  # a peer
    "nevergrad-ngopt": [],  # a peer of another library
}
#: Their kill tests take over 30 s on a loaded 2-core machine (torch or GP fits start up slowly).
SLOW_AGENTS = {"bo", "ppo", "marl"}
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
#: Exit status and run status after each signal (SIGKILL leaves the run "running": resumable).
EXPECTED = {
    signal.SIGINT: (130, "interrupted"),
    signal.SIGTERM: (143, "interrupted"),
    signal.SIGKILL: (-9, "running"),
}


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def marked(token: str) -> list[int]:
    """Live processes whose environment carries ``ARCHGYM_KILL_TEST=token``."""
    needle = f"\0ARCHGYM_KILL_TEST={token}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = b"\0" + (entry / "environ").read_bytes()
            except OSError:
                continue
            if needle in environ and _running(int(entry.name)):
                found.append(int(entry.name))
    return found


def _no_leftovers(token: str, within_s: float = 10.0) -> list[str]:
    """What still runs with the token after ``within_s`` seconds: "pid command line" each."""
    deadline = time.monotonic() + within_s
    while marked(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = []
    for pid in marked(token):
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            left.append(f"{pid} {cmdline.decode(errors='replace')[:200]}")
    return left


class Command:
    """A CLI command in its own session, with a private TMPDIR and the marker."""

    def __init__(self, tmp_path: Path) -> None:
        self.cwd, self.tmp, self.token = tmp_path, tmp_path / "tmp", uuid.uuid4().hex
        self.tmp.mkdir(exist_ok=True)
        self.env = {**os.environ, "TMPDIR": str(self.tmp), "ARCHGYM_KILL_TEST": self.token}
        self.env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
        )

    def start(self, args: list[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*ARCHGYM, *args],
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self, args: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ARCHGYM, *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self, proc: subprocess.Popen[str], sig: signal.Signals) -> str:
        """Ctrl-C reaches the terminal's whole process group; ``kill`` reaches the one pid."""
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        try:
            out, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        return out

    def leftovers(self) -> tuple[list[str], list[str]]:
        # torchinductor_<user> is torch's per-user compile cache (one fixed name, reused by every
        # process; creating an optimizer makes it), not a per-run temp dir.
        kept = sorted(p.name for p in self.tmp.iterdir() if not p.name.startswith("torchinductor_"))
        return _no_leftovers(self.token), kept


@pytest.fixture
def cmd(tmp_path: Path) -> Iterator[Command]:
    """A :class:`Command`; whatever it leaves running is SIGKILLed afterwards, so a failing test
    leaks nothing either."""
    command = Command(tmp_path)
    yield command
    for pid in marked(command.token):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _rows(db: Path) -> list[tuple[int, int, str, str]]:
    """(run id, step, design, source) of every committed evaluation, read without writing."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(
                "SELECT run_id, step, design, source FROM evaluations ORDER BY run_id, step"
            ).fetchall()
    except sqlite3.OperationalError:
        return []  # the schema is not written yet


def _wait_for(
    proc: subprocess.Popen[str], db: Path, evaluations: int, timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while len(_rows(db)) < evaluations:
        if proc.poll() is not None:
            pytest.fail(f"the command ended before it was stopped:\n{proc.stdout.read()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the command recorded too few evaluations to be stopped mid-way")
        time.sleep(0.05)


def _contiguous(rows: list[tuple[int, int, str, str]]) -> bool:
    by_run: dict[int, list[int]] = {}
    for run_id, step, *_ in rows:
        by_run.setdefault(run_id, []).append(step)
    return all(steps == list(range(len(steps))) for steps in by_run.values())


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize(
    "agent", [pytest.param(a, marks=[pytest.mark.slow] if a in SLOW_AGENTS else []) for a in AGENTS]
)
def test_a_stopped_run_keeps_its_evaluations_and_resumes_to_its_budget(
    tmp_path: Path, cmd: Command, agent: str, sig: signal.Signals
) -> None:
    budget, db = 60, tmp_path / "runs.db"
    proc = cmd.start(
        [
            "run",
            "--env",
            ENV,
            "--agent",
            agent,
            *AGENTS[agent],
            "--budget",
            str(budget),
            "--seed",
            "3",
            "--store",
            str(db),
            "--env-arg",
            f"simulator_kwargs={json.dumps(SLOW['simulator_kwargs'])}",
        ]
    )
    _wait_for(proc, db, 10)
    committed = _rows(db)
    output = cmd.stop(proc, sig)
    code, status = EXPECTED[sig]
    assert proc.returncode == code, output
    if sig != signal.SIGKILL:
        assert "archgym run --resume 1" in output, output
    after = _rows(db)
    assert after[: len(committed)] == committed and _contiguous(after)
    assert len(after) < budget, "the run finished before the signal; slow the simulator down"
    with Store(db) as store:
        assert store.run(1).status == status
    assert cmd.leftovers() == ([], [])

    done = cmd.run(["run", "--resume", "1", "--store", str(db)])
    assert done.returncode == 0, done.stdout + done.stderr
    final = _rows(db)
    assert final[: len(after)] == after and _contiguous(final)
    with Store(db) as store:
        assert store.count_evaluations(1, "simulator") == budget
        assert store.run(1).status == "finished" and len(store.runs()) == 1
    assert cmd.leftovers() == ([], [])


#: The reference sweep's simulator: the same designs and metrics, without the wait.
NO_WAIT = {"simulator_kwargs": {"delay_s": 0.0}}


def _designs(db: Path) -> dict[tuple[str, int], list[str]]:
    """(agent, seed) -> the designs of its finished run, in order."""
    with Store(db) as store:
        runs = store.runs()
        return {
            (run.agent, int(run.seed)): [str(e["design"]) for e in store.evaluations(int(run.id))]
            for run in runs[runs["status"] == "finished"].itertuples()
        }


SPEC = """\
name: kill test
budget: {budget}
seeds: 2
store: {store}
envs:
  - id: archgym/Synthetic-v0
    kwargs: {kwargs}
agents: [random, walk]
"""


@pytest.fixture
def ray_tmp(cmd: Command) -> Iterator[Path]:
    """A short RAY_TMPDIR for the command (Ray's socket paths under pytest's tmp_path would
    exceed the 107 bytes a Unix socket path may have); removed afterwards."""
    pytest.importorskip("ray")
    path = Path(tempfile.mkdtemp(prefix="ak-", dir="/tmp"))
    cmd.env["RAY_TMPDIR"] = str(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize(
    "executor", ["serial", "local", pytest.param("ray", marks=pytest.mark.slow)]
)
def test_a_stopped_sweep_keeps_its_evaluations_and_a_rerun_completes_it(
    tmp_path: Path, cmd: Command, executor: str, sig: signal.Signals, request: pytest.FixtureRequest
) -> None:
    if executor == "ray":
        request.getfixturevalue("ray_tmp")
    budget, db = 60, tmp_path / "sweep.db"
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(budget=budget, store=db, kwargs=json.dumps(SLOW)))
    args = ["sweep", str(spec), "--executor", executor, "--workers", "2"]
    proc = cmd.start(args)
    # A local Ray instance takes tens of seconds to start on a loaded machine.
    _wait_for(proc, db, 30, timeout=300 if executor == "ray" else 120)
    committed = _rows(db)
    output = cmd.stop(proc, sig)
    code, status = EXPECTED[sig]
    assert proc.returncode == code, output
    # Workers die with the sweep, even a SIGKILLed one (and close their runs as interrupted);
    # so do the processes of a local Ray instance.
    assert cmd.leftovers() == ([], [])
    after = _rows(db)
    # Trials run side by side: a run may gain rows after the snapshot (ordered by run), so the
    # snapshot is a subset, not a prefix.
    assert set(committed) <= set(after) and _contiguous(after)
    with Store(db) as store:
        statuses = set(store.runs()["status"])
    assert statuses != {"finished"}, "the sweep finished before the signal"
    if sig != signal.SIGKILL or executor == "local":
        assert "running" not in statuses, statuses

    done = cmd.run(args)
    assert done.returncode == 0, done.stdout + done.stderr
    final = _rows(db)
    assert set(after) <= set(final) and _contiguous(final)
    with Store(db) as store:
        runs = store.runs()
        finished = runs[runs["status"] == "finished"]
        assert sorted(finished["trial_key"]) == sorted(set(runs["trial_key"]))
        assert len(finished) == 4
        for run_id in finished["id"]:
            assert store.count_evaluations(int(run_id), "simulator") == budget
    assert cmd.leftovers() == ([], [])
    # The same designs as a sweep that was never stopped
    reference = tmp_path / "reference.db"
    spec.write_text(SPEC.format(budget=budget, store=reference, kwargs=json.dumps(NO_WAIT)))
    assert cmd.run(["sweep", str(spec), "--executor", "serial"]).returncode == 0
    assert _designs(db) == _designs(reference)
