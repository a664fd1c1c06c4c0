"""ExternalSimulator's programs never outlive their evaluation: real shell scripts that fork
background children, escape their process group, flood stdout, or are orphaned by a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

import archgym
from archgym._procs import MARK, adopt_descendants, kill_adopted, marking, scratch_root, sweep_stale

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux-only"
)

SPACE = archgym.DesignSpace([archgym.Integer("x", 0, 3)])
METRICS = [archgym.Metric("m", "au")]


def _sim(tmp_path: Path, body: str, timeout_s: float = 30.0) -> archgym.ExternalSimulator:
    script = tmp_path / "sim.sh"
    script.write_text(textwrap.dedent(body))
    return archgym.ExternalSimulator(
        name="shell",
        command=["sh", str(script), "{config}"],
        space=SPACE,
        metrics=METRICS,
        timeout_s=timeout_s,
        env={"PIDFILE": str(tmp_path / "pids")},
    )


def _pids(tmp_path: Path) -> list[int]:
    path = tmp_path / "pids"
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (PID 1 may not reap in a container)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _gone(pids: list[int], within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while any(running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(running(p) for p in pids)


def test_a_successful_evaluation_leaves_no_background_child(tmp_path: Path) -> None:
    # The sleeper keeps stdout open too: reading to EOF would wait 300 s for it.
    sim = _sim(tmp_path, 'sleep 300 & echo $! >> "$PIDFILE"\necho \'{"m": 1.5}\'\n')
    start = time.monotonic()
    assert sim.evaluate({"x": 1}) == {"m": 1.5}
    assert time.monotonic() - start < 10
    assert len(_pids(tmp_path)) == 1 and _gone(_pids(tmp_path))


def test_the_timeout_holds_when_a_descendant_escapes_the_group(tmp_path: Path) -> None:
    # setsid: a new session and group, out of reach of killpg, holding our stdout and stderr.
    sim = _sim(
        tmp_path,
        """
        setsid sleep 300 &
        echo $! >> "$PIDFILE"
        echo $$ >> "$PIDFILE"
        sleep 300
        """,
        timeout_s=0.5,
    )
    start = time.monotonic()
    with pytest.raises(archgym.EvaluationError, match="timed out after 0.5 s"):
        sim.evaluate({"x": 0})
    assert time.monotonic() - start < 5  # 0.5 s + the 1 s drain grace, on a loaded machine
    pids = _pids(tmp_path)
    assert len(pids) == 2 and _gone(pids), [p for p in pids if running(p)]


def test_an_escaped_daemon_of_a_successful_run_is_killed(tmp_path: Path) -> None:
    sim = _sim(
        tmp_path,
        """
        setsid sh -c 'echo $$ >> "$PIDFILE"; exec sleep 300' > /dev/null 2>&1 < /dev/null &
        while [ ! -s "$PIDFILE" ]; do sleep 0.01; done
        echo '{"m": 2}'
        """,
    )
    assert sim.evaluate({"x": 2}) == {"m": 2.0}
    assert _gone(_pids(tmp_path))


def test_a_400_mb_stdout_is_read_in_bounded_memory(tmp_path: Path) -> None:
    sim = _sim(
        tmp_path,
        """
        echo 'first line'
        head -c 400000000 /dev/zero | tr '\\0' 'a'
        echo
        echo '{"m": 3}'
        """,
        timeout_s=120,
    )
    tracemalloc.start()
    try:
        assert sim.evaluate({"x": 3}) == {"m": 3.0}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MiB while reading 400 MB of output"


def test_regex_metrics_are_found_in_the_kept_head_and_tail(tmp_path: Path) -> None:
    script = tmp_path / "sim.sh"
    script.write_text(
        "echo 'area: 7'\nhead -c 3000000 /dev/zero | tr '\\0' 'b'\necho\necho 'delay: 9'\n"
    )
    sim = archgym.ExternalSimulator(
        name="regex",
        command=["sh", str(script)],
        space=SPACE,
        metrics=[archgym.Metric("area", "mm2"), archgym.Metric("delay", "ns")],
        patterns={"area": r"^area: (\S+)$", "delay": r"^delay: (\S+)$"},
        max_output_bytes=1 << 20,
    )
    assert sim.evaluate({"x": 0}) == {"area": 7.0, "delay": 9.0}
    with pytest.raises(ValueError, match="max_output_bytes must be at least 1024"):
        archgym.ExternalSimulator(
            name="r", command=["true"], space=SPACE, metrics=METRICS, max_output_bytes=10
        )


DRIVER = """
import sys
import archgym
import archgym._procs
if sys.argv[3] == "preexec":  # the fallback where util-linux's setpriv is missing
    archgym._procs._setpriv = []
if sys.argv[3] == "no-guard":  # the guard died first: the next archgym process sweeps
    import os, signal
    archgym._procs.scratch_root()
    guard = archgym._procs._GUARDS[0]
    os.kill(guard.pid, signal.SIGKILL)
    guard._proc.wait()
sim = archgym.ExternalSimulator(
    name="orphan", command=["sh", sys.argv[1]], space=archgym.DesignSpace([archgym.Integer("x", 0, 3)]),
    metrics=[archgym.Metric("m", "au")], timeout_s=300, env={"PIDFILE": sys.argv[2]})
sim.evaluate({"x": 0})
"""


@pytest.mark.parametrize(
    ("sig", "launcher"),
    [
        (signal.SIGINT, "setpriv"),
        (signal.SIGTERM, "setpriv"),
        (signal.SIGKILL, "setpriv"),
        (signal.SIGKILL, "preexec"),
        (signal.SIGKILL, "no-guard"),
    ],
    ids=["SIGINT", "SIGTERM", "SIGKILL", "SIGKILL-preexec", "SIGKILL-no-guard"],
)
def test_a_signal_to_python_leaves_no_simulator_and_no_scratch_dir(
    tmp_path: Path, sig: signal.Signals, launcher: str
) -> None:
    script, pidfile, tmp = tmp_path / "sim.sh", tmp_path / "pids", tmp_path / "tmp"
    # The background child leaves the process group and the session (setsid)
    script.write_text(
        'setsid sleep 300 &\necho $! >> "$PIDFILE"\necho $$ >> "$PIDFILE"\nsleep 300\n'
    )
    tmp.mkdir()
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(script), str(pidfile), launcher],
        env={**os.environ, "TMPDIR": str(tmp)},
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_pids(tmp_path)) < 2 and time.monotonic() < deadline:
            assert driver.poll() is None, driver.stderr.read().decode()  # type: ignore[union-attr]
            time.sleep(0.05)
        assert list(tmp.glob("archgym-proc-*/archgym-orphan-*")), "no scratch dir while running"
        os.kill(driver.pid, sig)
        driver.wait(30)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    background, script_pid = _pids(tmp_path)
    if sig == signal.SIGKILL:
        # Nothing ran in Python: the kernel killed the script (PR_SET_PDEATHSIG) ...
        assert _gone([script_pid])
        if launcher == "no-guard":
            # ... and the next archgym process sweeps what is left: the sleeper and the scratch dir.
            assert running(background) and list(tmp.iterdir())
            assert len(sweep_stale(tmp)) == 1
        # ... else the guard kills the escaped sleeper and removes the scratch dir, by itself.
    else:
        assert driver.returncode != 0, driver.stderr.read().decode()  # type: ignore[union-attr]
    assert _gone([background, script_pid]), (driver.returncode, driver.stderr.read().decode())  # type: ignore[union-attr]
    deadline = time.monotonic() + 5
    while list(tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(tmp.iterdir()), list(tmp.rglob("*"))


def test_sweep_keeps_the_dirs_of_live_processes(tmp_path: Path) -> None:
    live = tmp_path / f"archgym-proc-{os.getpid()}-0"
    dead = tmp_path / "archgym-proc-999999999-0"
    for root in (live, dead):
        (root / "archgym-x-1").mkdir(parents=True)
    assert sweep_stale(tmp_path) == [dead]
    assert live.exists() and not dead.exists()


def test_the_mark_reaches_the_program(tmp_path: Path) -> None:
    sim = _sim(tmp_path, f'echo "{{\\"m\\": ${{#{MARK}}}}}"\n')
    # The mark is the scratch dir: a path under this process's scratch root.
    assert sim.evaluate({"x": 0})["m"] > len("archgym-proc-")


def test_descendants_that_drop_the_mark_are_adopted_and_killed() -> None:
    # A marked service whose child runs with a fresh environment (as Ray's agents end up, once
    # they write their title over it): the mark alone misses the child; adoption does not.
    with marking("svc") as mark:
        service = subprocess.Popen(["sh", "-c", "env -i sleep 60 & wait"], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        adopted: list[int] = []
        while not adopted and time.monotonic() < deadline:
            time.sleep(0.05)
            adopted = adopt_descendants(mark)
        assert len(adopted) == 1
        child = adopted[0]
        assert f"{MARK}=".encode() not in open(f"/proc/{child}/environ", "rb").read()
        assert kill_adopted(scratch_root()) == [child]
        # Gone once its parent reaps it (a reused pid would differ in start time).
        deadline = time.monotonic() + 10
        while kill_adopted(scratch_root()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kill_adopted(scratch_root()) == []
    finally:
        service.kill()
        service.wait()
