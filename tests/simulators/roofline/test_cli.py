"""``archgym roofline`` writes the table and the plot; the package's docstring examples run."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from archgym.cli import app


def test_roofline_command_writes_table_and_plot(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "roofline",
            "--model",
            "llama-2-7b",
            "--hardware",
            "a100",
            "--batch",
            "8",
            "--seq-len",
            "3968",  # + 128 generated = Llama-2's 4096 positions
            "--flash",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    csv = next(tmp_path.glob("*.csv"))
    png = next(tmp_path.glob("*.png"))
    table = pd.read_csv(csv)
    assert "fused_attention" in set(table["op"]) and png.read_bytes()[:4] == b"\x89PNG"
    assert "TTFT" in result.output and "; fits)" in result.output


def test_roofline_command_reports_bad_input() -> None:
    result = CliRunner().invoke(app, ["roofline", "--model", "llama-9b", "--hardware", "a100"])
    assert result.exit_code == 2 and "unknown model 'llama-9b'" in result.output
    result = CliRunner().invoke(
        app, ["roofline", "--model", "llama-2-7b", "--hardware", "a100", "--w-bit", "6"]
    )
    assert result.exit_code == 2 and "w_bit must be one of 4, 8, 16, 32" in result.output


@pytest.mark.parametrize(
    "module", ["catalog", "analyzer", "simulator", "plot", "report", "__init__", "env"]
)
def test_docstring_examples(module: str) -> None:
    name = {"__init__": "archgym.simulators.roofline", "env": "archgym.envs.roofline"}.get(
        module, f"archgym.simulators.roofline.{module}"
    )
    failures, _ = doctest.testmod(importlib.import_module(name))
    assert failures == 0


def test_roofline_command_reproduces_llm_viewer_on_request(tmp_path: Path) -> None:
    args = ["roofline", "--model", "llama-2-7b", "--hardware", "a100", "--gen-len", "1"]
    result = CliRunner().invoke(app, [*args, "--compat", "llm-viewer", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "8.854" in result.output  # LLM-Viewer's decode total, ms
    result = CliRunner().invoke(app, [*args, "--compat", "genz"])
    assert result.exit_code == 2 and "compat must be None" in result.output
