"""Fixtures for the SoC tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from _soc_helpers import SIMPLE_HW


@pytest.fixture
def simple_hw() -> dict[str, Any]:
    return copy.deepcopy(SIMPLE_HW)

