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


JOBS = "## The three jobs from the command line"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)
FILE_NAME = re.compile(r"^# ([\w.-]+\.\w+)\b")


def cli_section(text: str) -> tuple[dict[str, str], list[str]]:
    """The files (blocks whose first line is ``# name.ext``) and ``archgym`` commands of the
    README's command-line section."""
    section = text.split(JOBS, 1)[1].split("\n## ", 1)[0]
    files, commands = {}, []
    for language, body in BLOCK.findall(section):
        name = FILE_NAME.match(body)
        if name and language in ("python", "yaml"):
            files[name.group(1)] = body
        elif language == "bash":
            commands += [line.strip() for line in body.splitlines() if line.strip()]
    return files, commands


# The snippets test above registers the README's module in this process first.
@pytest.mark.filterwarnings("ignore:archgym. overriding environment 'mylab/Pipeline-v0'")
def test_readme_command_line_jobs_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shlex

    from typer.testing import CliRunner

    from archgym.cli import app

    files, commands = cli_section(README.read_text())
    assert "mylab_envs.py" in files and "sweep.yaml" in files
    assert {c.split()[1] for c in commands} >= {"run", "compare", "sweep", "report", "proxy"}
    monkeypatch.chdir(tmp_path)
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    runner = CliRunner()
    for command in commands:
        args = shlex.split(command, comments=True)
        assert args[0] == "archgym", command
        result = runner.invoke(app, args[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"
        if "--proxy" in args:
            assert " proxy" in result.output and "evaluations" in result.output
    assert (tmp_path / "report" / "report.html").is_file()
    assert (tmp_path / "models" / "pipeline").is_dir()
