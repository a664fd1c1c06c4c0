"""`archgym proxy train|eval|select` end to end, and proxy-backed `archgym run`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from archgym.cli import app

runner = CliRunner()
ENV = "archgym/Synthetic-v0"


def invoke(*args: str | Path) -> object:
    # A wide terminal so rich tables do not truncate the names the tests look for.
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def test_train_eval_select_and_run(
    store_path: Path, other_store_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    result = invoke(
        "proxy",
        "train",
        "--store",
        store_path,
        "--env",
        ENV,
        "--out",
        out,
        "--candidates",
        "linear,et",
        "--folds",
        "3",
    )
    assert result.exit_code == 0, result.output
    assert "model selection" in result.output and "held-out designs" in result.output
    card = json.loads((out / "card.json").read_text())
    assert card["scores"]["n_test"] == 24 and set(card["scores"]["test"]) == {"cost_au", "area_au"}

    result = invoke(
        "proxy", "eval", out, "--store", other_store_path, "--plots", tmp_path / "plots"
    )
    assert result.exit_code == 0, result.output
    assert "40 designs not seen in training" in result.output and "learning curve" in result.output
    assert (tmp_path / "plots" / "parity.png").is_file() and (
        tmp_path / "plots" / "learning_curve.png"
    ).is_file()

    result = invoke(
        "proxy",
        "select",
        "--store",
        store_path,
        "--env",
        ENV,
        "--candidates",
        "linear,rf",
        "--folds",
        "2",
        "--metric",
        "cost_au",
    )
    assert result.exit_code == 0, result.output
    assert "rf" in result.output and "area_au" not in result.output

    result = invoke(
        "run",
        "--env",
        ENV,
        "--budget",
        "15",
        "--store",
        tmp_path / "p.db",
        "--env-arg",
        "cost_model=proxy",
        "--env-arg",
        f"proxy={out}",
    )
    assert result.exit_code == 0, result.output
    result = invoke(
        "run",
        "--env",
        ENV,
        "--budget",
        "15",
        "--store",
        tmp_path / "h.db",
        "--env-arg",
        "cost_model=hybrid",
        "--env-arg",
        f"proxy={out}",
    )
    assert result.exit_code == 0, result.output

    # a hybrid run cut short resumes with the same proxy (the run records its path)
    from archgym.store import Store

    store = Store(tmp_path / "h.db")
    store._write("DELETE FROM evaluations WHERE run_id = 1 AND step >= 5", ())
    store.reopen_run(1)
    result = invoke("run", "--resume", "1", "--store", tmp_path / "h.db")
    assert result.exit_code == 0, result.output
    assert store.run(1).status == "finished" and store.run(1).env_kwargs["proxy"] == str(out)


def test_eval_on_training_data_is_refused(store_path: Path, model_path: Path) -> None:
    result = invoke("proxy", "eval", model_path, "--store", store_path)
    assert result.exit_code == 2 and "was used to train" in result.output


def test_errors_name_what_is_wrong(store_path: Path, tmp_path: Path) -> None:
    result = invoke(
        "proxy", "train", "--store", store_path, "--env", "archgym/Nope-v0", "--out", tmp_path / "m"
    )
    assert result.exit_code == 2 and "archgym/Nope-v0" in result.output
    result = invoke(
        "proxy",
        "train",
        "--store",
        store_path,
        "--env",
        ENV,
        "--out",
        tmp_path / "m",
        "--model",
        "svm",
    )
    assert result.exit_code == 2 and "unknown regressor 'svm'" in result.output
    result = invoke(
        "proxy",
        "train",
        "--store",
        store_path,
        "--env",
        ENV,
        "--out",
        tmp_path / "m",
        "--metric",
        "watts",
    )
    assert result.exit_code == 2 and "unknown metric 'watts'" in result.output
    result = invoke(
        "proxy", "train", "--store", tmp_path / "none.db", "--env", ENV, "--out", tmp_path / "m"
    )
    assert result.exit_code != 0 and "no such file" in result.output
    result = invoke("proxy", "eval", tmp_path, "--store", store_path)
    assert result.exit_code == 2 and "not a proxy model" in result.output
