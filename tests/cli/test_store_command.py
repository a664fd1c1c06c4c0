"""``--store URL`` on the commands and ``archgym store copy`` between SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from archgym.cli import app
from archgym.store import Store

runner = CliRunner()


def flat(text: str) -> str:
    """Output without the line wrapping and boxes of rich (they depend on the terminal)."""
    return re.sub(r"[\s│╭╮╰╯─]+", " ", text)


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return flat(result.output)


def test_run_export_and_copy_both_ways(tmp_path: Path, postgres_url: str) -> None:
    local = str(tmp_path / "local.db")
    for seed in ("0", "1"):
        invoke(
            "run",
            "--env",
            "archgym/Synthetic-v0",
            "--agent",
            "random",
            "--budget",
            "8",
            "--seed",
            seed,
            "--store",
            local,
        )
    # a run straight into PostgreSQL, then the SQLite runs copied next to it
    invoke(
        "run",
        "--env",
        "archgym/Synthetic-v0",
        "--agent",
        "walk",
        "--budget",
        "5",
        "--store",
        postgres_url,
    )
    out = invoke("store", "copy", local, postgres_url)
    assert "2 copied" in out
    assert "0 copied, 2 were there already" in invoke("store", "copy", local, postgres_url)
    back = str(tmp_path / "back.db")
    invoke("store", "copy", postgres_url, back, "--run-id", "2", "--run-id", "3")
    with Store(local) as a, Store(back) as b, Store(postgres_url) as pg:
        assert sorted(pg.runs()["agent"]) == ["random", "random", "walk"]
        original = a.to_dataframe().drop(columns="run_id")
        pd.testing.assert_frame_equal(original, b.to_dataframe().drop(columns="run_id"))
        assert (a.runs()["started_at"].tolist()) == b.runs()["started_at"].tolist()
    csv = tmp_path / "pg.csv"
    invoke("export", "--store", postgres_url, "--format", "csv", "--out", str(csv))
    assert len(pd.read_csv(csv)) == 8 + 8 + 5


def test_bad_store_arguments_are_clear(tmp_path: Path, postgres_url: str) -> None:
    result = runner.invoke(app, ["store", "copy", str(tmp_path / "missing.db"), postgres_url])
    assert result.exit_code == 2 and "no such file" in flat(result.output)
    result = runner.invoke(app, ["export", "--store", postgres_url])
    assert result.exit_code == 2 and "--out is required" in flat(result.output)
