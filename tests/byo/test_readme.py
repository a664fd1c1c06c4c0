"""The README's Python snippets run, in order, in one namespace, as a newcomer would paste them.

They run in a scratch directory holding the files the snippets name: ``cachesim`` (compiled from
tests/byo/cachesim.c) and ``results.csv`` (a table of the cache model's results).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from byo_support import CACHE_SPACE, PyCache

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[str]:
    """Every fenced ```python block, in order."""
    return FENCE.findall(text)


def run_blocks(text: str, where: str) -> None:
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for i, block in enumerate(python_blocks(text), start=1):
        try:
            exec(compile(block, f"{where} python block {i}", "exec"), namespace)
        except Exception as err:
            raise AssertionError(
                f"{where}: python block {i} failed: {type(err).__name__}: {err}\n{block}"
            ) from err


@pytest.fixture
def scratch(tmp_path: Path, cachesim_binary: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cachesim").symlink_to(cachesim_binary)
    sim = PyCache()
    rows = [
        {**d, **{k: v for k, v in sim.evaluate(d).items() if k != "miss_rate"}}
        for d in CACHE_SPACE.enumerate()
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "results.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_snippets_run(scratch: Path) -> None:
    text = README.read_text()
    assert python_blocks(text), "README.md has no ```python blocks"
    run_blocks(text, "README.md")


def test_fence_extraction() -> None:
    text = "intro\n```python\nx = 1\n```\n```bash\nls\n```\n```python\ny = x + 1\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = x + 1\n"]
