"""``archgym compare``, ``sweep`` and ``report`` end to end through the CLI."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import Result
from typer.testing import CliRunner

from archgym.cli import app
from archgym.store import Store

runner = CliRunner()
ENV = "archgym/Synthetic-v0"


def said(result: Result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_compare_runs_prints_the_table_and_writes_report_and_spec(tmp_path: Path) -> None:
    store, out, spec = tmp_path / "runs.db", tmp_path / "report", tmp_path / "spec.yaml"
    args = [
        "compare",
        "--env",
        ENV,
        "--agents",
        "random,walk",
        "--seeds",
        "2",
        "--budget",
        "12",
        "--store",
        str(store),
        "--executor",
        "serial",
        "--report",
        str(out),
        "--save-spec",
        str(spec),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4 trials" in said(result) and "0 failed" in said(result)
    assert "random" in said(result) and "walk" in said(result) and "regret" in said(result)
    assert (out / "report.html").exists() and (out / "summary.md").exists()
    with Store(store) as db:
        assert len(db.runs()) == 4
    # the saved spec is the same experiment: sweeping it finds every trial done
    assert yaml.safe_load(spec.read_text())["agents"] == ["random", "walk"]
    again = runner.invoke(app, ["sweep", str(spec), "--executor", "serial"])
    assert again.exit_code == 0, again.output
    assert "4 already done" in said(again)


def test_sweep_dry_run_lists_trials(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        f"budget: 5\nseeds: [0, 1]\nenvs: [{ENV}]\nagents:\n  - name: walk\n    grid: {{step_size: [1, 2]}}\n"
    )
    result = runner.invoke(app, ["sweep", str(spec), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.count("walk") == 4 and "4 trials at budget 5, 0 done" in said(result)
    assert not (tmp_path / "archgym-runs").exists()
    runner.invoke(app, ["sweep", str(spec), "--executor", "serial"])
    assert "4 trials at budget 5, 4 done" in said(
        runner.invoke(app, ["sweep", str(spec), "--dry-run"])
    )


def test_sweep_with_the_local_executor_and_store_override(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(f"budget: 8\nseeds: 2\nenvs: [{ENV}]\nagents: [random]\nstore: ignored.db\n")
    store = tmp_path / "elsewhere.db"
    result = runner.invoke(
        app, ["sweep", str(spec), "--executor", "local", "--workers", "2", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert store.exists() and not (tmp_path / "ignored.db").exists()


def test_bad_spec_and_bad_flags_are_clear_errors(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        f"budget: 5\nenvs: [{ENV}]\nagents:\n  - name: walk\n    hyperparameters: {{stepsize: 2}}\n"
    )
    result = runner.invoke(app, ["sweep", str(spec)])
    assert result.exit_code == 2 and "'stepsize'" in said(result)
    result = runner.invoke(
        app,
        ["compare", "--env", ENV, "--agents", "random,nosuch", "--store", str(tmp_path / "x.db")],
    )
    assert result.exit_code == 2 and "'nosuch'" in said(result)
    result = runner.invoke(
        app, ["compare", "--env", "archgym/Nope-v0", "--store", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 2 and "'archgym/Nope-v0'" in said(result)
    result = runner.invoke(
        app, ["compare", "--env", ENV, "--executor", "slurm", "--store", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 2 and "'slurm'" in said(result)
    result = runner.invoke(app, ["sweep", str(spec), "--executor", "slurm"])
    assert result.exit_code == 2 and "'slurm'" in said(result)


def test_report_command(tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    runner.invoke(
        app,
        [
            "compare",
            "--env",
            ENV,
            "--agents",
            "random",
            "--seeds",
            "2",
            "--budget",
            "6",
            "--store",
            str(store),
            "--executor",
            "serial",
        ],
    )
    out = tmp_path / "rep"
    result = runner.invoke(
        app, ["report", str(store), "--out", str(out), "--target", f"{ENV}=-1e9"]
    )
    assert result.exit_code == 0, result.output
    assert "| random | 1 | 2 |" in (out / "summary.md").read_text()
    assert ",True," in (out / "trials.csv").read_text()  # success at the easy target
    missing = runner.invoke(app, ["report", str(tmp_path / "none.db"), "--out", str(out)])
    assert missing.exit_code == 2 and "no such file" in said(missing)
    bad = runner.invoke(app, ["report", str(store), "--out", str(out), "--target", f"{ENV}=high"])
    assert bad.exit_code == 2 and "must be a number" in said(bad)
