"""The CLI's error boundary and the options that serve the three jobs: ``--module`` and
``--debug`` on every command, proxy runs counted as proxy answers, tables whole in a pipe, the
HTML report's stylesheet, and distinct curves where agents overlap."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import archgym
from archgym.cli import app

runner = CliRunner()
SYN = "archgym/Synthetic-v0"


def _commands() -> dict:
    group = typer.main.get_command(app)
    out = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):  # a group (Typer vendors its own Click)
            out.update({f"{name} {sub}": c for sub, c in command.commands.items()})
        else:
            out[name] = command
    return out


def test_every_command_takes_module_and_debug() -> None:
    commands = _commands()
    assert {"run", "compare", "sweep", "report", "proxy train", "proxy eval"} <= set(commands)
    for name, command in commands.items():
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"--module", "-m", "--debug"} <= options, name


def test_debug_adds_the_traceback_and_plain_errors_do_not(tmp_path: Path) -> None:
    plain = runner.invoke(app, ["describe", "nope/X-v0"])
    debug = runner.invoke(app, ["describe", "nope/X-v0", "--debug"])
    assert plain.exit_code == debug.exit_code == 2
    assert "Traceback" not in plain.output and "Traceback" in debug.output
    assert plain.output.strip().startswith("error: no environment 'nope/X-v0'")


def test_an_unexpected_error_is_one_line_that_points_to_debug(monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ZeroDivisionError("the model divided by zero")

    monkeypatch.setattr(archgym, "make", broken)
    result = runner.invoke(app, ["describe", SYN])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: ZeroDivisionError: the model divided by zero (--debug shows the traceback)"
    )


def test_a_full_disk_is_one_line_and_keeps_what_was_committed(tmp_path: Path, monkeypatch) -> None:
    store = tmp_path / "runs.db"
    assert (
        runner.invoke(app, ["run", "--env", SYN, "--budget", "5", "--store", str(store)]).exit_code
        == 0
    )
    real = archgym.Store.record_many
    calls = {"n": 0}

    def filling(self, run_id, rows):
        calls["n"] += 1
        if calls["n"] > 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, run_id, rows)

    monkeypatch.setattr(archgym.Store, "record_many", filling)
    result = runner.invoke(
        app, ["run", "--env", SYN, "--budget", "9", "--seed", "1", "--store", str(store)]
    )
    assert result.exit_code == 2, result.output
    assert result.output.strip().endswith(f"error: store {store}: database or disk is full")
    with sqlite3.connect(store) as conn:
        counts = dict(conn.execute("SELECT run_id, COUNT(*) FROM evaluations GROUP BY run_id"))
    assert counts == {1: 5, 2: 3}


def test_tables_in_a_pipe_are_not_cut(monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = runner.invoke(app, ["agents"]).output
    assert "…" not in out
    assert "mutation_rate=0.0 [0.0, 1.0] (0 means 1/n for a design of n parameters)" in out


def test_a_proxy_run_is_counted_and_recorded_as_proxy_answers(tmp_path: Path) -> None:
    from archgym.experiments import analyze
    from archgym.proxy_models import ProxyModel, from_store

    store = tmp_path / "runs.db"
    with archgym.Store(store) as db:
        archgym.run("random", SYN, budget=60, seed=0, store=db)
        ProxyModel.fit(from_store(db, SYN), "rf").save(tmp_path / "m")
    result = runner.invoke(
        app,
        [
            "run",
            "--env",
            SYN,
            "--proxy",
            str(tmp_path / "m"),
            "--budget",
            "25",
            "--store",
            str(store),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0 simulator, 0 cache, 25 proxy" in result.output
    with archgym.Store(store) as db:
        assert db.count_evaluations(2, "proxy") == 25 and db.count_evaluations(2) == 25
        analysis = analyze(db)
    curve = analysis.curves[analysis.curves["run_id"] == 2]
    assert len(curve) == 25 and curve["best"].notna().all()  # the budget went on proxy answers
    hybrid = runner.invoke(
        app,
        [
            "run",
            "--env",
            SYN,
            "--proxy",
            tmp_path / "m",
            "--hybrid-threshold",
            "5",
            "--budget",
            "5",
            "--store",
            store,
        ],
    )
    assert hybrid.exit_code == 0, hybrid.output
    with archgym.Store(store) as db:
        assert db.count_evaluations(3, "proxy") > 0
        assert db.run(3).env_kwargs["proxy"] == {"path": str(tmp_path / "m"), "threshold": 5.0}


def test_the_html_report_has_a_readable_stylesheet(tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    with archgym.Store(store) as db:
        for agent in ("random", "ga"):
            archgym.run(agent, SYN, budget=20, seed=0, store=db)
    assert runner.invoke(app, ["report", str(store), "--out", str(tmp_path / "r")]).exit_code == 0
    page = (tmp_path / "r" / "report.html").read_text()
    for rule in ("tbody tr:nth-child(even)", "font-variant-numeric:tabular-nums", 'class="scroll"'):
        assert rule in page


def test_overlapping_agents_get_distinct_line_styles(tmp_path: Path, monkeypatch) -> None:
    from archgym.experiments import analyze, report

    with archgym.Store(tmp_path / "runs.db") as db:
        for agent in ("random", "ga", "walk"):
            archgym.run(agent, SYN, budget=10, seed=0, store=db)
        analysis = analyze(db)
    figures = []
    monkeypatch.setattr(report, "_save", lambda fig, path: figures.append(fig) or path)
    report.plot_best_so_far(analysis, analysis.trials["env"].iloc[0], tmp_path / "x.png")
    lines = [ln for ln in figures[0].axes[0].get_lines() if ln.get_label() != "optimum"]
    assert len({(ln.get_linestyle(), ln.get_linewidth()) for ln in lines}) == len(lines) == 3


def test_module_option_and_module_form_reach_a_users_env(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "hostile_jobs_lab.py").write_text(
        "import archgym\nfrom archgym.simulators.synthetic import Synthetic\n"
        "archgym.register_env('jobslab/Syn-v0', Synthetic, objective={'type': 'minimize', 'metric': 'cost_au'})\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        "sys.path", [p for p in __import__("sys").path if p not in ("", str(tmp_path))]
    )
    for args in (
        [
            "run",
            "-m",
            "hostile_jobs_lab",
            "--env",
            "jobslab/Syn-v0",
            "--budget",
            "3",
            "--store",
            "a.db",
        ],
        ["run", "--env", "hostile_jobs_lab:jobslab/Syn-v0", "--budget", "3", "--store", "a.db"],
        ["describe", "-m", "hostile_jobs_lab", "jobslab/Syn-v0"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("bad", ["0", "-1"])
def test_hybrid_threshold_without_a_proxy_or_negative_is_refused(bad: str) -> None:
    assert runner.invoke(app, ["run", "--env", SYN, "--hybrid-threshold", bad]).exit_code == 2
