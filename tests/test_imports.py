"""``import archgym`` stays light: plotting, JIT compilation and deep learning load when first used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "numba", "torch")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return set(out.stdout.split())


def test_import_archgym_loads_no_heavy_library() -> None:
    assert _loaded_after("import archgym") == set()


@pytest.mark.parametrize(
    ("statement", "library"),
    [
        ("from archgym.simulators.roofline import plot_roofline", "matplotlib"),
        (
            "from archgym.simulators.dram import DramSimulator as D; s = D(); s.evaluate(s.default_design(), 'stream:n=10')",
            "numba",
        ),
    ],
)
def test_heavy_libraries_load_on_first_use(statement: str, library: str) -> None:
    # shows the check above can see a library load, and that the lazy paths still reach it
    assert library in _loaded_after(statement)
