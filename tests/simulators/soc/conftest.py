"""Fixtures for the SoC tests."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

# The suite runs in importlib import mode, which puts no test folder on sys.path; the tests here
# import their shared helpers as ``_soc_helpers`` (a name no other folder uses).
sys.path.insert(0, str(Path(__file__).parent))

from _soc_helpers import SIMPLE_HW  # noqa: E402


@pytest.fixture
def simple_hw() -> dict[str, Any]:
    return copy.deepcopy(SIMPLE_HW)
