"""Shared fixtures of the hostile-input suite: a store with a finished run, a trained proxy model,
and the checks every case makes (exit status 2, one ``error:`` line naming the bad thing, no
traceback, nothing already recorded lost)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from archgym.cli import app

RUNNER = CliRunner()
BOX = re.compile(r"[│╭╮╰╯─]")


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one finished random run of 12 evaluations on Synthetic."""
    import archgym

    path = tmp_path_factory.mktemp("seed") / "runs.db"
    with archgym.Store(path) as store:
        archgym.run("random", "archgym/Synthetic-v0", budget=12, seed=0, store=store)
    return path


@pytest.fixture(scope="session")
def proxy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A proxy model of Synthetic trained on 60 random designs."""
    import archgym
    from archgym.proxy_models import ProxyModel, from_store

    root = tmp_path_factory.mktemp("proxy")
    with archgym.Store(root / "train.db") as store:
        archgym.run("random", "archgym/Synthetic-v0", budget=60, seed=1, store=store)
        return ProxyModel.fit(from_store(store, "archgym/Synthetic-v0"), "rf").save(root / "model")


@pytest.fixture
def work(tmp_path: Path, seeded_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory (the cwd) with ``runs.db``, a copy of the seeded store."""
    shutil.copy(seeded_store, tmp_path / "runs.db")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(path: Path) -> list[tuple]:
    """Every evaluation in a store (what a hostile command must not lose)."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT run_id, step, design, metrics, reward FROM evaluations ORDER BY run_id, step"
        ).fetchall()


def invoke(args: list[str]) -> Result:
    return RUNNER.invoke(app, [str(a) for a in args])


def assert_refused(result: Result, names: tuple[str, ...], code: int = 2) -> str:
    """Exit ``code``, no traceback, and one line that names every one of ``names``."""
    out = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}\n{out}"
    )
    assert result.exit_code == code, out
    assert "Traceback" not in out, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    if errors:
        assert len(errors) == 1, out
        message = errors[0]
    else:  # a usage error Click reports in its box, before archgym runs
        message = " ".join(BOX.sub(" ", out).split())
        assert "Invalid value" in message or "Missing" in message or "Error" in message, out
    for name in names:
        assert name.lower() in message.lower(), f"{name!r} not named in: {message}"
    return message
