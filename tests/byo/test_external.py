"""Way in #2: a C binary (tests/byo/cachesim.c) wrapped with ExternalSimulator.

The binary crashes, hangs and prints garbage on some designs; each must become a failed,
infeasible evaluation with a reason, and the run must go on and keep every record.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from byo_support import CACHE_SPACE, make_cachesim, run_agent

import archgym
from archgym.agents import Agent, list_agents
from archgym.testing import check_env, check_simulator

GOOD = {"size_kb": 8, "assoc": 2, "line_b": 64, "policy": "lru"}
CRASH = {"size_kb": 1, "assoc": 16, "line_b": 128, "policy": "lru"}  # sets == 0: abort()
HANG = {"size_kb": 64, "assoc": 1, "line_b": 32, "policy": "fifo"}  # forks and spins forever
GARBAGE = {
    "size_kb": 4,
    "assoc": 8,
    "line_b": 16,
    "policy": "lru",
}  # invalid UTF-8, "0.1.2", NaN in JSON


def test_good_design_is_parsed_and_deterministic(cachesim_binary: Path) -> None:
    sim = make_cachesim(cachesim_binary)
    first = sim.evaluate(GOOD, "loop")
    assert set(first) == {"miss_rate", "amat_ns", "area_mm2"}
    assert 0.0 <= first["miss_rate"] <= 1.0 and first["amat_ns"] > 0
    assert sim.evaluate(GOOD, "loop") == first
    # The JSON-line parser reads the same numbers as the regex parser.
    assert make_cachesim(cachesim_binary, json=True).evaluate(GOOD, "loop") == first
    # The workload reaches the command line: a streaming trace misses differently from a loop.
    assert sim.evaluate(GOOD, "stream")["miss_rate"] != first["miss_rate"]


def test_crash_reports_exit_status_and_stderr(cachesim_binary: Path) -> None:
    with pytest.raises(archgym.EvaluationError, match=r"exited with status -6") as err:
        make_cachesim(cachesim_binary).evaluate(CRASH, "loop")
    assert "assertion 'sets > 0' failed" in err.value.stderr_tail


def test_hang_is_killed_with_its_children(cachesim_binary: Path) -> None:
    sim = make_cachesim(cachesim_binary, timeout_s=0.3)
    start = time.monotonic()
    with pytest.raises(archgym.EvaluationError, match=r"timed out after 0.3 s") as err:
        sim.evaluate(HANG, "loop")
    assert time.monotonic() - start < 5.0
    pids = [int(p) for p in re.findall(r"spinning pid=(\d+)", err.value.stderr_tail)]
    assert len(pids) == 2, err.value.stderr_tail  # the binary and the helper it forked
    for pid in pids:
        assert not _running(pid), f"process {pid} survived the timeout"


def _running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie waiting to be reaped (PID 1 may not reap in containers)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize(
    ("json", "reason"), [(False, "not a number in group 1"), (True, "non-finite metric")]
)
def test_garbage_output_is_a_parse_error(cachesim_binary: Path, json: bool, reason: str) -> None:
    with pytest.raises(archgym.EvaluationError, match=reason):
        make_cachesim(cachesim_binary, json=json).evaluate(GARBAGE, "loop")


def test_bad_workload_and_missing_binary_are_evaluation_errors(
    cachesim_binary: Path, tmp_path: Path
) -> None:
    with pytest.raises(archgym.EvaluationError, match="exited with status 2") as err:
        make_cachesim(cachesim_binary).evaluate(GOOD, "spec2006")
    assert "unknown workload 'spec2006'" in err.value.stderr_tail
    with pytest.raises(archgym.EvaluationError, match="cannot start"):
        make_cachesim(tmp_path / "no-such-binary").evaluate(GOOD, "loop")


@dataclass
class Scripted(Agent):
    """Proposes a fixed list of designs in order (to hit each failure mode on purpose)."""

    name: ClassVar[str] = "scripted"
    designs: tuple[dict[str, Any], ...] = ()

    def ask(self, n: int = 1) -> list[dict[str, Any]]:
        out = [self.designs[(self._i + k) % len(self.designs)] for k in range(n)]
        self._i += n
        return out

    def setup(self, space: archgym.DesignSpace, **kwargs: Any) -> None:
        super().setup(space, **kwargs)
        self._i = 0

    def tell(
        self, designs: Sequence[dict[str, Any]], results: Sequence[archgym.Evaluation]
    ) -> None:
        pass


def test_failures_are_recorded_and_the_run_goes_on(cachesim_binary: Path, tmp_path: Path) -> None:
    env = archgym.DesignEnv(
        make_cachesim(cachesim_binary, timeout_s=0.3),
        "loop",
        archgym.Minimize("amat_ns"),
        env_id="mylab/Cache-v0",
    )
    plan = (GOOD, CRASH, HANG, GARBAGE, {**GOOD, "size_kb": 64})  # 64 KB holds the 48 KB loop
    store = archgym.Store(tmp_path / "runs.db")
    result = archgym.run(Scripted(designs=plan), env, budget=len(plan), seed=0, store=store)
    assert result.status == "finished"
    errors = [e.error for e in result.evaluations]
    assert errors[0] is None and errors[4] is None
    assert (
        "exited with status" in errors[1]
        and "timed out" in errors[2]
        and "not a number" in errors[3]
    )
    assert [e.feasible for e in result.evaluations] == [True, False, False, False, True]
    assert result.counts["failed"] == 3 and result.counts["simulator"] == 5
    assert result.best.design == plan[4]
    # Every evaluation, failed or not, is in the store with its reason.
    df = store.to_dataframe(run_ids=[result.run_id])
    assert len(df) == 5 and df["error"].notna().sum() == 3
    assert store.run(result.run_id).status == "finished"


def test_binary_is_a_checked_registered_env(cachesim_binary: Path) -> None:
    check_simulator(make_cachesim(cachesim_binary), "loop")
    archgym.register_env(
        "mylab/CacheBinary-v0",
        lambda: make_cachesim(cachesim_binary),
        workload="loop",
        objective=archgym.Minimize("amat_ns"),
    )
    env = archgym.make("mylab/CacheBinary-v0")
    assert env.space == CACHE_SPACE and env.workload == "loop"
    check_env("mylab/CacheBinary-v0", steps=4)


@pytest.mark.parametrize("agent", list_agents())  # RL agents are skipped inside run_agent
def test_every_agent_runs_on_the_binary(cachesim_binary: Path, agent: str) -> None:
    def env() -> archgym.DesignEnv:
        return archgym.DesignEnv(
            make_cachesim(cachesim_binary),
            "random",
            archgym.Minimize("amat_ns"),
            env_id="mylab/CacheBinary-v0",
        )

    result = run_agent(agent, env, budget=12, seed=3)
    if agent == "random":  # with seed 3 it meets a garbage design and a hang, and carries on
        assert sum(e.error is not None for e in result.evaluations) == 2
    assert any(e.feasible for e in result.evaluations)
    assert all(e.error is None or e.feasible is False for e in result.evaluations)
    assert all(CACHE_SPACE.validate(e.design) for e in result.evaluations)


def test_relative_program_path_is_anchored(
    cachesim_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``./cachesim`` means the caller's directory, not the temp dir the binary runs in."""
    monkeypatch.chdir(cachesim_binary.parent)
    sim = make_cachesim(f"./{cachesim_binary.name}")
    assert sim.command[0] == str(cachesim_binary)
    assert sim.evaluate(GOOD, "loop")["miss_rate"] >= 0
    with pytest.raises(ValueError, match="command must name a program"):
        archgym.ExternalSimulator("x", [], CACHE_SPACE, [archgym.Metric("m", "au")])


@pytest.mark.parametrize(
    ("fmt", "template", "reason"),
    [
        (
            "text",
            "size_kb $size_kb\nways $ways\n",
            "template placeholder 'ways' is not a parameter",
        ),
        ("text", None, "config format 'text' needs a template"),
        ("json", '{"size_kb": ', "Expecting value"),
    ],
)
def test_bad_template_is_refused_at_construction(
    fmt: str, template: str | None, reason: str
) -> None:
    with pytest.raises(
        ValueError, match=rf"ExternalSimulator 'cachesim': bad config template: .*{reason}"
    ):
        archgym.ExternalSimulator(
            "cachesim",
            ["./cachesim", "{config}"],
            CACHE_SPACE,
            [archgym.Metric("m", "au")],
            config_format=fmt,
            template=template,
        )


def test_no_stray_processes_left(cachesim_binary: Path) -> None:
    """Last in the file: no cachesim process from these tests is still running."""
    mine = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            except OSError:
                continue
            if cmd == str(cachesim_binary) and _running(int(entry.name)):
                mine.append(int(entry.name))
    assert not mine, f"cachesim processes still running: {mine} (os.getpid()={os.getpid()})"
