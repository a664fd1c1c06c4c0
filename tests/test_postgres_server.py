"""The tests' PostgreSQL server (archgym.testing.postgres) dies with the process that started it,
even when that process is killed outright and its finalisers never run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archgym.testing.postgres import find_binaries

pytestmark = pytest.mark.skipif(
    find_binaries() is None, reason="no PostgreSQL server binaries (apt-get install postgresql)"
)

STARTER = """
import time
from archgym.testing.postgres import PostgresServer
server = PostgresServer().start()
print(server.data, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_test_process_leaves_no_server_and_no_directory(sig: signal.Signals) -> None:
    starter = subprocess.Popen([sys.executable, "-c", STARTER], stdout=subprocess.PIPE, text=True)
    try:
        data = Path(starter.stdout.readline().strip())  # type: ignore[union-attr]
        postmaster = int((data / "db" / "postmaster.pid").read_text().split()[0])
        assert _alive(postmaster)
        os.kill(starter.pid, sig)
        starter.wait(30)
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait()
    deadline = time.monotonic() + 30
    while (_alive(postmaster) or data.exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(postmaster), "the PostgreSQL server outlived the process that started it"
    assert not data.exists(), f"{data} was left behind"
