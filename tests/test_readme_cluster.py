"""The README's "Run on a cluster" commands, run as written with this machine's hosts and free
ports put in: PostgreSQL from initdb (as an unprivileged user under root), a Ray head and a
second node, the sweep into the database, and the report from it (``$HOME`` is a temporary
directory).

Deviations: each Ray node gets one CPU, not four; the two Ray nodes (head, then a second node
joining it, both on this machine) are stopped by killing the processes that carry a mark the
test put in their environment, instead of ``ray stop`` (which stops every Ray process on the
machine, other test sessions' too); ``ray up`` is not run.

Not ``ray start --block``: it stops the whole node when any Ray process exits, and on a
loaded machine Ray's client server (not used here) gives up waiting 30 s for the raylet to
register and exits; without ``--block``, as the README has it, the node carries on.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from archgym._procs import MARK, Guard, kill_marked

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("ray")
pytest.importorskip("psycopg")


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Run on a cluster", 1)[1].split("\n## ", 1)[0]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _section(), re.S)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _step(script: str, number: int) -> list[str]:
    """The command lines of step ``number`` of the README's shell block."""
    part = script.split(f"# {number}.", 1)[1].split(f"# {number + 1}.", 1)[0]
    return [line for line in part.splitlines()[1:] if line.strip()]


@pytest.mark.slow
def test_the_readme_cluster_section_works_as_written(tmp_path: Path) -> None:
    from archgym.testing.postgres import find_binaries

    bin_dir = find_binaries()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql)")
    script, spec = _blocks("bash")[0], _blocks("yaml")[0]
    from ray.util import get_node_ip_address

    pg_port, ray_port, head_host = _free_port(), _free_port(), get_node_ip_address()
    pg_home = Path(tempfile.mkdtemp(prefix="archgym-readme-pg-"))
    user = os.environ.get("ARCHGYM_PG_USER", "nobody") if os.geteuid() == 0 else None
    if user:
        shutil.chown(pg_home, user)
    # A HOME of its own: Ray keeps its auth token in ~/.ray, which other sessions may share.
    (tmp_path / "home").mkdir()
    # Ray's local ray.init() (other tests in this worker) sets RAY_AUTH_MODE=token in the
    # process environment; a user's shell has no such variable, and with it and an empty HOME
    # `ray start` refuses to start without a token.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env = {
        **inherited,
        "HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
        # PostgreSQL's binaries and this Python's scripts (ray, archgym), as an installed machine has
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }

    # 1. PostgreSQL, exactly the README's lines with a free port and a temp home
    pg_lines = "\n".join(_step(script, 1)).replace("PGPORT=5432", f"PGPORT={pg_port}")
    pg_lines = pg_lines.replace("$HOME/archgym-pg", f"{pg_home}/archgym-pg")
    run_pg = ["runuser", "-u", user, "--", "bash", "-euc"] if user else ["bash", "-euc"]
    data = pg_home / "archgym-pg"
    stop_pg = [*run_pg, f"{bin_dir}/pg_ctl -D {data} -m immediate -w stop"]
    # The Ray nodes' processes carry a mark (they are daemons: nothing else ties them to this
    # test), and a guard stops them and PostgreSQL should this test process be killed.
    marks = tmp_path / "marks"
    guard = Guard(kill_marked_under=marks, run=[stop_pg], remove=[pg_home])
    try:
        subprocess.run([*run_pg, pg_lines], env=env, check=True, timeout=300, cwd=pg_home)
        # 2. Ray: the head, then a second node joining it (once the head is up)
        # One CPU each instead of four (before the port goes in: a port may start with 4).
        head, node = (
            line.split("#")[0].replace("--num-cpus=4", "--num-cpus=1") for line in _step(script, 2)
        )
        head = head.replace("--port=6379", f"--port={ray_port}")
        node = node.replace("HEAD_HOST:6379", f"{head_host}:{ray_port}")
        # The second node joins only once the head answers: a fixed wait loses the race on a
        # loaded machine.
        for command, nodes in ((head, 1), (node, 2)):
            started = subprocess.run(
                ["bash", "-c", command],
                env={**env, MARK: str(marks / "ray")},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert started.returncode == 0, f"{command}\n{started.stdout}\n{started.stderr}"
            _wait_for_nodes(f"{head_host}:{ray_port}", nodes, env)
        # 3. the sweep and the report, with the README's spec (smaller budget)
        cluster_yaml = (
            spec.replace("DB_HOST:5432", f"127.0.0.1:{pg_port}")
            .replace("HEAD_HOST:6379", f"{head_host}:{ray_port}")
            .replace("budget: 200", "budget: 8")
            .replace("seeds: 5", "seeds: 1")
        )
        (tmp_path / "cluster.yaml").write_text(cluster_yaml)
        (tmp_path / "mylab").mkdir()
        (tmp_path / "mylab" / "__init__.py").write_text("")
        (tmp_path / "mylab" / "envs.py").write_text('"""The lab\'s envs (none yet)."""\n')
        for line in _step(script, 3):
            command = line.split("#")[0].strip()
            command = command.replace("DB_HOST:5432", f"127.0.0.1:{pg_port}")
            done = subprocess.run(
                ["bash", "-c", command.replace("archgym ", f"{sys.executable} -m archgym.cli ", 1)],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert (tmp_path / "report" / "report.html").exists()
        # 4. the database host's part of the last step
        assert _step(script, 4)[-1].strip() == "pg_ctl stop"
    finally:
        kill_marked(marks, under=True)
        if (data / "postmaster.pid").exists():
            subprocess.run(stop_pg, check=False, timeout=120, cwd=pg_home)
        shutil.rmtree(pg_home, ignore_errors=True)
        guard.disarm()


def _wait_for_nodes(address: str, count: int, env: dict[str, str]) -> None:
    probe = (
        f"import ray; ray.init(address={address!r}, log_to_driver=False); "
        "print(sum(n['Alive'] for n in ray.nodes()))"
    )
    deadline, last = time.monotonic() + 180, ""
    while time.monotonic() < deadline:
        try:
            out = subprocess.run(
                [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
            )
        except subprocess.TimeoutExpired:
            continue
        if out.returncode == 0 and out.stdout.strip().splitlines()[-1:] == [str(count)]:
            return
        last = (out.stdout + out.stderr)[-600:]
        time.sleep(3)
    pytest.fail(f"{count} Ray node(s) at {address} did not come up; the last probe said: {last}")
