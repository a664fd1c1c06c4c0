"""Fixtures for the bring-your-own-simulator tests; the helpers they share live in byo_support.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The suite runs in importlib import mode, which puts no test folder on sys.path; the test modules
# here import their shared helpers as ``byo_support`` (a name no other folder uses).
sys.path.insert(0, str(Path(__file__).parent))

from byo_support import HERE  # noqa: E402


@pytest.fixture(scope="session")
def cachesim_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/byo/cachesim.c compiled with the machine's C compiler."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler (gcc/cc) on this machine")
    out = tmp_path_factory.mktemp("bin") / "cachesim"
    subprocess.run(
        [cc, "-O2", "-o", str(out), str(HERE / "cachesim.c")], check=True, capture_output=True
    )
    return out
